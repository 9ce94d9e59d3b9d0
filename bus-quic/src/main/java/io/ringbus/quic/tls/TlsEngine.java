package io.ringbus.quic.tls;

import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.packet.QuicException;

import java.nio.ByteBuffer;
import java.security.cert.X509Certificate;
import java.util.function.BiConsumer;

/**
 * The TLS 1.3 handshake of one QUIC connection (RFC 8446 as RFC 9001 uses it), client or server.
 * It knows nothing of packets: the connection feeds it the in-order bytes of each level's CRYPTO
 * stream and it answers through its {@link HandshakeListener}. Not thread-safe.
 *
 * <p>Errors are {@link QuicException}s with the code CRYPTO_ERROR (0x100) plus the TLS alert
 * (RFC 9001 4.8), e.g. 0x178 for no_application_protocol, and a reason naming what was wrong.
 */
public interface TlsEngine
{
    /** Begin: a client hands its ClientHello to the listener at INITIAL; a server does nothing. */
    void start() throws QuicException;

    /**
     * In-order CRYPTO stream bytes received at {@code level}, from the buffer's position to its
     * limit; the engine consumes them all (buffering a partial message) and may call the listener.
     */
    void onHandshakeBytes(EncryptionLevel level, ByteBuffer bytes) throws QuicException;

    /** True once the handshake is complete. */
    boolean isHandshakeComplete();

    /** The peer's transport parameters once received (server: from the ClientHello; client: from EncryptedExtensions), else null. */
    TransportParameters peerTransportParameters();

    /** The negotiated cipher suite once the ServerHello is sent or received, else null. */
    CipherSuite cipherSuite();

    /** The negotiated ALPN protocol once known, else null. */
    String applicationProtocol();

    /**
     * The peer's verified leaf certificate once the handshake is complete: the server's, on a
     * client; the client's, on a server that required one (RFC 8446 4.3.2); else null.
     */
    default X509Certificate peerCertificate()
    {
        return null;
    }

    /** Details for ClientConnMeta: protocol, cipher suite, group, SNI, ALPN, peer certificate subject. */
    void describe(BiConsumer<String, String> details);
}
