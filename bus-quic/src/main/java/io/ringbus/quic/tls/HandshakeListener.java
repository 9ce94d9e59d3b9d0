package io.ringbus.quic.tls;

import io.ringbus.quic.packet.CipherSuite;

/**
 * What a {@link TlsEngine} hands its QUIC connection (RFC 9001 section 4.1): handshake bytes to
 * carry in CRYPTO frames, packet keys as they become available, and the end of the handshake.
 * Called on the connection's thread from inside {@link TlsEngine#start()} and
 * {@link TlsEngine#onHandshakeBytes}.
 */
public interface HandshakeListener
{
    /**
     * Handshake bytes to send in CRYPTO frames at {@code level}, in order after what was handed
     * before at that level. The array is the listener's to keep.
     */
    void onHandshakeBytes(EncryptionLevel level, byte[] bytes);

    /**
     * Packet keys for {@code level} (HANDSHAKE or APPLICATION) are available: {@code readSecret}
     * protects the peer's packets, {@code writeSecret} ours. Called before any bytes of that level
     * are handed to {@link #onHandshakeBytes}.
     */
    void onKeys(EncryptionLevel level, CipherSuite suite, byte[] readSecret, byte[] writeSecret);

    /**
     * The handshake is complete (RFC 9001 4.1.1): the client after sending its Finished, the
     * server after verifying the client's Finished.
     */
    void onHandshakeComplete();
}
