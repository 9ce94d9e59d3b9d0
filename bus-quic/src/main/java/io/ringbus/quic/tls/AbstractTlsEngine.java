package io.ringbus.quic.tls;

import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.packet.QuicException;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * What the client and server engines share: reassembly of handshake messages from CRYPTO stream
 * bytes (split anywhere, several per call, bounded at {@link Tls13#MAX_MESSAGE_LENGTH}), the
 * check that bytes arrive at the level the state expects (RFC 9001 4.1.3), the conversion of
 * any parsing failure into a {@link QuicException}, and the negotiated details. After an error
 * the engine stays failed. Not thread-safe: the connection's thread only.
 */
abstract class AbstractTlsEngine implements TlsEngine
{
    private static final int HEADER_LENGTH = 4;
    /** RFC 8446 4.4.3: 64 spaces, the context string and a zero byte before the transcript hash. */
    private static final int CERTIFICATE_VERIFY_PAD = 64;
    private static final byte[] SERVER_CERTIFICATE_VERIFY_CONTEXT =
        "TLS 1.3, server CertificateVerify".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLIENT_CERTIFICATE_VERIFY_CONTEXT =
        "TLS 1.3, client CertificateVerify".getBytes(StandardCharsets.US_ASCII);

    protected final QuicTlsConfig config;
    protected final TransportParameters localParameters;
    protected final Transcript transcript = new Transcript();
    protected final KeySchedule schedule = new KeySchedule();
    private final HandshakeListener listener;

    protected CipherSuite suite;
    protected NamedGroup group;
    protected String applicationProtocol;
    protected String serverName;
    protected String peerSubject;
    protected X509Certificate peerLeaf;
    protected TransportParameters peerParameters;
    protected boolean complete;

    private final byte[] header = new byte[HEADER_LENGTH];
    private int headerFilled;
    private byte[] message;
    private int messageFilled;
    private String parsing = "handshake bytes";
    private QuicException failure;

    AbstractTlsEngine(final QuicTlsConfig config, final TransportParameters localParameters,
        final HandshakeListener listener)
    {
        if (config == null)
        {
            throw new IllegalArgumentException("config is null");
        }
        if (localParameters == null)
        {
            throw new IllegalArgumentException("local transport parameters are null");
        }
        if (listener == null)
        {
            throw new IllegalArgumentException("listener is null");
        }
        this.config = config;
        this.localParameters = localParameters;
        this.listener = listener;
    }

    /** The level at which the state expects the peer's next bytes, or null if none are expected. */
    abstract EncryptionLevel expectedLevel();

    /** A short name of the state, for error reasons. */
    abstract String stateName();

    /** Handle one whole handshake message, its 4-byte header included. */
    abstract void onMessage(int type, byte[] message) throws QuicException;

    /** The work of {@link #start()}, run inside the error boundary. */
    abstract void onStart() throws QuicException;

    @Override
    public final void start() throws QuicException
    {
        checkNotFailed();
        parsing = "start";
        try
        {
            onStart();
        }
        catch (final QuicException ex)
        {
            failure = ex;
            throw ex;
        }
        catch (final ListenerFailure ex)
        {
            failure = TlsAlert.error(TlsAlert.INTERNAL_ERROR, "the handshake listener failed: " + ex.getCause());
            throw (RuntimeException)ex.getCause();
        }
    }

    @Override
    public final void onHandshakeBytes(final EncryptionLevel level, final ByteBuffer bytes) throws QuicException
    {
        checkNotFailed();
        try
        {
            while (bytes.hasRemaining())
            {
                final EncryptionLevel expected = expectedLevel();
                if (level != expected)
                {
                    throw TlsAlert.error(TlsAlert.UNEXPECTED_MESSAGE, bytes.remaining() + " handshake bytes at " + level +
                        " level while " + stateName() + (expected == null ? ", expecting none" : " at " + expected));
                }
                assemble(bytes);
            }
        }
        catch (final QuicException ex)
        {
            failure = ex;
            throw ex;
        }
        catch (final ListenerFailure ex)
        {
            failure = TlsAlert.error(TlsAlert.INTERNAL_ERROR, "the handshake listener failed: " + ex.getCause());
            throw (RuntimeException)ex.getCause();
        }
        catch (final RuntimeException ex)
        {
            // a parser bug or a case it missed: still the peer's malformed input, never another exception
            failure = TlsAlert.error(TlsAlert.DECODE_ERROR, "malformed " + parsing + ": " + ex);
            throw failure;
        }
    }

    private void checkNotFailed() throws QuicException
    {
        if (failure != null)
        {
            throw new QuicException(failure.errorCode(), "the handshake failed before: " + failure.getMessage());
        }
    }

    /** Take bytes into the current message; hand it on once whole. */
    private void assemble(final ByteBuffer bytes) throws QuicException
    {
        if (message == null)
        {
            final int take = Math.min(HEADER_LENGTH - headerFilled, bytes.remaining());
            bytes.get(header, headerFilled, take);
            headerFilled += take;
            if (headerFilled < HEADER_LENGTH)
            {
                return;
            }
            final int type = header[0] & 0xFF;
            final int length = ((header[1] & 0xFF) << 16) | ((header[2] & 0xFF) << 8) | (header[3] & 0xFF);
            if (length > Tls13.MAX_MESSAGE_LENGTH)
            {
                throw new QuicException(Tls13.CRYPTO_BUFFER_EXCEEDED, "a " + Tls13.messageName(type) + " of " +
                    length + " bytes: above the " + Tls13.MAX_MESSAGE_LENGTH + "-byte bound on handshake messages");
            }
            message = new byte[HEADER_LENGTH + length];
            System.arraycopy(header, 0, message, 0, HEADER_LENGTH);
            messageFilled = HEADER_LENGTH;
        }
        final int take = Math.min(message.length - messageFilled, bytes.remaining());
        bytes.get(message, messageFilled, take);
        messageFilled += take;
        if (messageFilled == message.length)
        {
            final byte[] whole = message;
            message = null;
            headerFilled = 0;
            final int type = whole[0] & 0xFF;
            parsing = Tls13.messageName(type);
            onMessage(type, whole);
            parsing = "handshake bytes";
        }
    }

    protected final QuicException unexpected(final int type)
    {
        return TlsAlert.error(TlsAlert.UNEXPECTED_MESSAGE, "a " + Tls13.messageName(type) + " while " + stateName());
    }

    protected final void emitBytes(final EncryptionLevel level, final byte[] bytes)
    {
        try
        {
            listener.onHandshakeBytes(level, bytes);
        }
        catch (final RuntimeException ex)
        {
            throw new ListenerFailure(ex);
        }
    }

    protected final void emitKeys(final EncryptionLevel level, final byte[] readSecret, final byte[] writeSecret)
    {
        try
        {
            listener.onKeys(level, suite, readSecret, writeSecret);
        }
        catch (final RuntimeException ex)
        {
            throw new ListenerFailure(ex);
        }
    }

    protected final void emitComplete()
    {
        complete = true;
        try
        {
            listener.onHandshakeComplete();
        }
        catch (final RuntimeException ex)
        {
            throw new ListenerFailure(ex);
        }
    }

    /** The content a CertificateVerify signs (RFC 8446 4.4.3): the server's, or the client's. */
    protected static byte[] certificateVerifyContent(final byte[] transcriptHash, final boolean server)
    {
        final byte[] context = server ? SERVER_CERTIFICATE_VERIFY_CONTEXT : CLIENT_CERTIFICATE_VERIFY_CONTEXT;
        final byte[] content = new byte[CERTIFICATE_VERIFY_PAD + context.length + 1 + transcriptHash.length];
        Arrays.fill(content, 0, CERTIFICATE_VERIFY_PAD, (byte)0x20);
        System.arraycopy(context, 0, content, CERTIFICATE_VERIFY_PAD, context.length);
        System.arraycopy(transcriptHash, 0, content, content.length - transcriptHash.length, transcriptHash.length);
        return content;
    }

    /**
     * A Certificate message (RFC 8446 4.4.2) with an empty certificate_request_context (the only
     * kind during the handshake, 4.3.2) carrying {@code chain}, or none if it is empty.
     */
    protected static byte[] certificateMessage(final X509Certificate[] chain) throws QuicException
    {
        final TlsWriter out = new TlsWriter(2048);
        out.u8(Tls13.CERTIFICATE);
        final int message = out.begin(3);
        out.u8(0);
        final int list = out.begin(3);
        for (int i = 0; i < chain.length; i++)
        {
            try
            {
                final byte[] der = chain[i].getEncoded();
                out.u24(der.length).bytes(der).u16(0);
            }
            catch (final CertificateEncodingException ex)
            {
                throw TlsAlert.error(TlsAlert.INTERNAL_ERROR, "cannot encode certificate " + i + " of the chain: " +
                    ex.getMessage());
            }
        }
        out.end(list);
        out.end(message);
        return out.toByteArray();
    }

    /** A CertificateVerify (RFC 8446 4.4.3) signed with {@code key} over {@code transcriptHash}. */
    protected byte[] certificateVerifyMessage(final SignatureScheme scheme, final PrivateKey key,
        final byte[] transcriptHash, final boolean server) throws QuicException
    {
        final byte[] signature;
        try
        {
            signature = scheme.sign(key, certificateVerifyContent(transcriptHash, server), config.random());
        }
        catch (final GeneralSecurityException ex)
        {
            throw TlsAlert.error(TlsAlert.INTERNAL_ERROR, "cannot sign the CertificateVerify with " + scheme + ": " +
                ex.getMessage());
        }
        final TlsWriter out = new TlsWriter(signature.length + 8);
        out.u8(Tls13.CERTIFICATE_VERIFY);
        final int message = out.begin(3);
        out.u16(scheme.code()).u16(signature.length).bytes(signature);
        out.end(message);
        return out.toByteArray();
    }

    /**
     * Read the peer's Certificate message (RFC 8446 4.4.2): an empty certificate_request_context
     * (4.3.2: no post-handshake authentication), then the chain, leaf first, possibly empty.
     * Certificate entries carry no extensions here: 4.2's table allows only status_request and
     * signed_certificate_timestamp in them, and 4.4.2 only in answer to an offer, which this engine
     * never makes; anything else is an unsolicited extension, aborted with unsupported_extension.
     */
    protected static X509Certificate[] readCertificates(final byte[] message, final String whose) throws QuicException
    {
        final TlsReader in = new TlsReader(message, 4, message.length - 4);
        final int contextLength = in.u8("Certificate.certificate_request_context length");
        if (contextLength != 0)
        {
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "the " + whose + "'s Certificate has a " +
                "certificate_request_context (RFC 8446 4.3.2: empty during the handshake)");
        }
        final TlsReader list = in.sub24("Certificate.certificate_list");
        in.expectEnd("Certificate");
        final List<X509Certificate> chain = new ArrayList<>();
        final CertificateFactory factory;
        try
        {
            factory = CertificateFactory.getInstance("X.509");
        }
        catch (final CertificateException ex)
        {
            throw TlsAlert.error(TlsAlert.INTERNAL_ERROR, "no X.509 certificate factory: " + ex.getMessage());
        }
        while (list.hasRemaining())
        {
            final int length = list.u24("Certificate.cert_data length");
            if (length == 0)
            {
                throw TlsAlert.error(TlsAlert.DECODE_ERROR, "an empty cert_data in the " + whose + "'s Certificate");
            }
            final byte[] der = list.bytes(length, "Certificate.cert_data");
            final TlsReader extensions = list.sub16("Certificate.extensions");
            if (extensions.hasRemaining())
            {
                final int type = extensions.u16("Certificate entry extension type");
                throw TlsAlert.error(TlsAlert.UNSUPPORTED_EXTENSION, "entry " + chain.size() + " of the " + whose +
                    "'s Certificate carries extension " + type + ", which was not requested (RFC 8446 4.2, 4.4.2)");
            }
            try
            {
                chain.add((X509Certificate)factory.generateCertificate(new ByteArrayInputStream(der)));
            }
            catch (final CertificateException | RuntimeException ex)
            {
                throw TlsAlert.error(TlsAlert.BAD_CERTIFICATE, "certificate " + chain.size() + " of the " + whose +
                    "'s chain cannot be parsed: " + ex.getMessage());
            }
        }
        return chain.toArray(new X509Certificate[0]);
    }

    /**
     * Check the peer's CertificateVerify (RFC 8446 4.4.3) against {@code leaf} and the transcript
     * hash before it; {@code server} names the signer's role (the context string).
     */
    protected final void verifyCertificateVerify(final byte[] message, final X509Certificate leaf,
        final byte[] transcriptHash, final boolean server) throws QuicException
    {
        final TlsReader in = new TlsReader(message, 4, message.length - 4);
        final int code = in.u16("CertificateVerify.algorithm");
        final byte[] signature = in.vector16("CertificateVerify.signature");
        in.expectEnd("CertificateVerify");
        final SignatureScheme scheme = SignatureScheme.of(code);
        if (scheme == null || !scheme.forCertificateVerify())
        {
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "CertificateVerify with signature scheme 0x" +
                Integer.toHexString(code) + ", which was not offered for it");
        }
        if (!scheme.fits(leaf.getPublicKey()))
        {
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "CertificateVerify uses " + scheme + ", which does not fit the " +
                leaf.getPublicKey().getAlgorithm() + " key of " + CertificateChecks.subject(leaf));
        }
        final byte[] content = certificateVerifyContent(transcriptHash, server);
        boolean verified;
        try
        {
            verified = scheme.verify(leaf.getPublicKey(), content, signature);
        }
        catch (final GeneralSecurityException | RuntimeException ex)
        {
            verified = false; // a malformed signature (bad DER, wrong length) is a failed one
        }
        if (!verified)
        {
            throw TlsAlert.error(TlsAlert.DECRYPT_ERROR, "the CertificateVerify signature (" + scheme +
                ") does not verify with the key of " + CertificateChecks.subject(leaf));
        }
    }

    /** The signature_algorithms extension body this engine offers (RFC 8446 4.2.3): every scheme it knows. */
    protected static void writeSignatureAlgorithms(final TlsWriter out)
    {
        out.u16(Tls13.SIGNATURE_ALGORITHMS);
        final int extension = out.begin(2);
        final int schemes = out.begin(2);
        for (final SignatureScheme scheme : SignatureScheme.values())
        {
            out.u16(scheme.code());
        }
        out.end(schemes);
        out.end(extension);
    }

    /** A Finished message carrying {@code verifyData}. */
    protected static byte[] finished(final byte[] verifyData)
    {
        final TlsWriter out = new TlsWriter(HEADER_LENGTH + verifyData.length);
        out.u8(Tls13.FINISHED).u24(verifyData.length).bytes(verifyData);
        return out.toByteArray();
    }

    /** The encoded local transport parameters. */
    protected final byte[] encodedLocalParameters()
    {
        final ByteBuffer out = ByteBuffer.allocate(4096);
        localParameters.encode(out);
        out.flip();
        final byte[] bytes = new byte[out.remaining()];
        out.get(bytes);
        return bytes;
    }

    /** Decode the peer's quic_transport_parameters extension body. */
    protected static TransportParameters decodeParameters(final TlsReader extension, final boolean fromServer)
        throws QuicException
    {
        return TransportParameters.decode(
            ByteBuffer.wrap(extension.array(), extension.position(), extension.remaining()), fromServer);
    }

    /** Fail with illegal_parameter if {@code type} was seen already in this extension block (RFC 8446 4.2). */
    protected static void checkDuplicate(final long[] seen, final int type, final String where) throws QuicException
    {
        final int word = type >>> 6;
        final long bit = 1L << (type & 63);
        if ((seen[word] & bit) != 0)
        {
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, where + ": extension " + type + " appears twice");
        }
        seen[word] |= bit;
    }

    /** A fresh bit set for {@link #checkDuplicate}, one bit per 16-bit extension type. */
    protected static long[] extensionSet()
    {
        return new long[1024];
    }

    @Override
    public final boolean isHandshakeComplete()
    {
        return complete;
    }

    @Override
    public final TransportParameters peerTransportParameters()
    {
        return peerParameters;
    }

    @Override
    public final CipherSuite cipherSuite()
    {
        return suite;
    }

    @Override
    public final String applicationProtocol()
    {
        return applicationProtocol;
    }

    @Override
    public final X509Certificate peerCertificate()
    {
        return complete ? peerLeaf : null;
    }

    @Override
    public final void describe(final BiConsumer<String, String> details)
    {
        details.accept("tls.protocol", "TLSv1.3");
        if (suite != null)
        {
            details.accept("tls.cipher_suite", Tls13.suiteName(suite));
        }
        if (group != null)
        {
            details.accept("tls.group", group.tlsName());
        }
        if (serverName != null)
        {
            details.accept("tls.sni", serverName);
        }
        if (applicationProtocol != null)
        {
            details.accept("tls.alpn", applicationProtocol);
        }
        if (peerSubject != null)
        {
            details.accept("tls.peer", peerSubject);
        }
    }

    /** A listener's own exception, carried through the engine's error boundary unchanged. */
    private static final class ListenerFailure extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        ListenerFailure(final RuntimeException cause)
        {
            super(cause);
        }
    }
}
