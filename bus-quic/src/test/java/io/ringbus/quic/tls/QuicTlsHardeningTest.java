package io.ringbus.quic.tls;

import io.ringbus.quic.packet.QuicException;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import static io.ringbus.quic.tls.QuicTlsHandshakeTest.assertAgreed;
import static io.ringbus.quic.tls.QuicTlsHandshakeTest.assertError;
import static io.ringbus.quic.tls.QuicTlsHandshakeTest.clientConfig;
import static io.ringbus.quic.tls.QuicTlsHandshakeTest.describe;
import static io.ringbus.quic.tls.QuicTlsHandshakeTest.failure;
import static io.ringbus.quic.tls.QuicTlsHandshakeTest.pump;
import static io.ringbus.quic.tls.QuicTlsHandshakeTest.serverConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13 point 5, the TLS bullet: extensions a client did not ask for (RFC 8446 4.2), the leaf's
 * keyUsage (RFC 8446 4.4.2.2, RFC 5280 4.2.1.3), and the server name a client sends (RFC 6066 3).
 */
class QuicTlsHardeningTest
{
    private static final long UNSUPPORTED_EXTENSION = TlsAlert.errorCode(TlsAlert.UNSUPPORTED_EXTENSION);
    private static final long ILLEGAL_PARAMETER = TlsAlert.errorCode(TlsAlert.ILLEGAL_PARAMETER);
    private static final long BAD_CERTIFICATE = TlsAlert.errorCode(TlsAlert.BAD_CERTIFICATE);
    private static final long DECODE_ERROR = TlsAlert.errorCode(TlsAlert.DECODE_ERROR);

    // ---------------------------------------------------------------------------------------------
    // EncryptedExtensions: only what the client offered and 4.2's table allows there

    private static HandshakePump withEncryptedExtension(final int type, final byte[] data)
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build());
        pump.interceptor = (from, level, bytes) -> from == pump.server && level == EncryptionLevel.HANDSHAKE ?
            TlsMessages.editMessage(bytes, Tls13.ENCRYPTED_EXTENSIONS, m -> TlsMessages.appendExtension(m, type, data)) :
            bytes;
        return pump;
    }

    @ParameterizedTest
    @ValueSource(ints = {0x1234, 0xfafa, 5, 18, 42})
    void anUnsolicitedExtensionInEncryptedExtensionsIsUnsupported(final int type)
    {
        // unknown, GREASE-like, status_request, signed_certificate_timestamp, early_data: none offered
        final QuicException ex = failure(withEncryptedExtension(type, new byte[0]));
        assertError(UNSUPPORTED_EXTENSION, ex);
        assertTrue(ex.getMessage().contains("EncryptedExtensions"), ex.getMessage());
    }

    @Test
    void anOfferedExtensionThatDoesNotBelongInEncryptedExtensionsIsIllegal()
    {
        // signature_algorithms was offered, but only in a ClientHello or CertificateRequest (4.2's table)
        assertError(ILLEGAL_PARAMETER, failure(withEncryptedExtension(Tls13.SIGNATURE_ALGORITHMS, new byte[] {0, 2, 4, 3})));
    }

    @Test
    void supportedGroupsAndAnEmptyServerNameAreAccepted() throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build());
        pump.interceptor = (from, level, bytes) -> from == pump.server && level == EncryptionLevel.HANDSHAKE ?
            TlsMessages.editMessage(bytes, Tls13.ENCRYPTED_EXTENSIONS, m -> TlsMessages.appendExtension(
                TlsMessages.appendExtension(m, Tls13.SUPPORTED_GROUPS, new byte[] {0, 2, 0, 0x17}), Tls13.SERVER_NAME,
                new byte[0])) :
            bytes;
        // the tampered transcript fails the Finished: what matters is that EncryptedExtensions passed
        final QuicException ex = failure(pump);
        assertError(TlsAlert.errorCode(TlsAlert.DECRYPT_ERROR), ex);
    }

    @Test
    void aServerNameAcknowledgementWithDataIsADecodeError()
    {
        // RFC 6066 3: the server's server_name extension is empty
        assertError(DECODE_ERROR, failure(withEncryptedExtension(Tls13.SERVER_NAME, new byte[] {0, 1, 0})));
    }

    @Test
    void aServerNameAcknowledgementWithoutAnOfferIsUnsupported()
    {
        // an IP literal is never sent as SNI (RFC 6066 3), so the client offered no server_name
        final HandshakePump pump = HandshakePump.of(clientConfig().build(), "127.0.0.1",
            serverConfig(TestCertificates.EC_LEAF).build());
        pump.interceptor = (from, level, bytes) -> from == pump.server && level == EncryptionLevel.HANDSHAKE ?
            TlsMessages.editMessage(bytes, Tls13.ENCRYPTED_EXTENSIONS,
                m -> TlsMessages.appendExtension(m, Tls13.SERVER_NAME, new byte[0])) :
            bytes;
        assertError(UNSUPPORTED_EXTENSION, failure(pump));
    }

    // ---------------------------------------------------------------------------------------------
    // Certificate entries: status_request and signed_certificate_timestamp only if offered (never)

    @ParameterizedTest
    @ValueSource(ints = {5, 18, 0x1234})
    void anExtensionInAServersCertificateEntryIsUnsupported(final int type)
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build());
        pump.interceptor = (from, level, bytes) -> from == pump.server && level == EncryptionLevel.HANDSHAKE ?
            TlsMessages.editMessage(bytes, Tls13.CERTIFICATE,
                m -> certificateWithEntryExtension(TestCertificates.EC_LEAF, type, new byte[] {1, 0, 0, 0, 0})) :
            bytes;
        final QuicException ex = failure(pump);
        assertError(UNSUPPORTED_EXTENSION, ex);
        assertTrue(ex.getMessage().contains("Certificate"), ex.getMessage());
    }

    /** A Certificate message whose only entry carries one extension. */
    static byte[] certificateWithEntryExtension(final TestCertificates.Identity identity, final int type,
        final byte[] data)
    {
        try
        {
            final byte[] der = identity.leaf().getEncoded();
            final TlsWriter out = new TlsWriter(der.length + 32);
            out.u8(Tls13.CERTIFICATE);
            final int message = out.begin(3);
            out.u8(0);
            final int list = out.begin(3);
            out.u24(der.length).bytes(der);
            final int extensions = out.begin(2);
            out.u16(type).u16(data.length).bytes(data);
            out.end(extensions);
            out.end(list);
            out.end(message);
            return out.toByteArray();
        }
        catch (final java.security.cert.CertificateEncodingException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // keyUsage of the leaf

    @Test
    void aServerLeafWithoutDigitalSignatureIsABadCertificate()
    {
        final TestCertificates.Identity encipherOnly = TestCertificates.leaf(TestCertificates.CA, "CN=encipher",
            TestCertificates.ecKey(), KeyPurposeId.id_kp_serverAuth, KeyUsage.keyEncipherment,
            Instant.now().plus(Duration.ofDays(30)), false, "localhost");
        final QuicException ex = failure(pump(clientConfig().build(), serverConfig(encipherOnly).build()));
        assertError(BAD_CERTIFICATE, ex);
        assertTrue(ex.getMessage().contains("digitalSignature"), ex.getMessage());
    }

    @Test
    void aServerLeafWithDigitalSignatureIsAccepted() throws QuicException
    {
        final TestCertificates.Identity signing = TestCertificates.leaf(TestCertificates.CA, "CN=signing",
            TestCertificates.ecKey(), KeyPurposeId.id_kp_serverAuth, KeyUsage.digitalSignature | KeyUsage.keyEncipherment,
            Instant.now().plus(Duration.ofDays(30)), false, "localhost");
        assertAgreed(pump(clientConfig().build(), serverConfig(signing).build()).run());
    }

    // ---------------------------------------------------------------------------------------------
    // SNI on the server: an LDH host name of at most 255 bytes, never an IP literal

    /** A server_name extension body naming {@code name} as host_name. */
    static byte[] serverNameExtension(final byte[] name)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int list = 3 + name.length;
        out.write(list >>> 8);
        out.write(list);
        out.write(0);
        out.write(name.length >>> 8);
        out.write(name.length);
        out.writeBytes(name);
        return out.toByteArray();
    }

    /**
     * The server engine after it read a client's ClientHello whose server_name extension was
     * replaced by {@code extension}; the client never sees the answer (its transcript differs).
     */
    private static TlsEngine serverAfterClientHello(final byte[] extension) throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build());
        pump.client.engine.start();
        final byte[] hello = pump.client.sent.get(EncryptionLevel.INITIAL).get(0);
        pump.deliver(pump.server, EncryptionLevel.INITIAL, TlsMessages.replaceExtension(hello, Tls13.SERVER_NAME, extension));
        assertEquals(1, pump.server.messagesSent(EncryptionLevel.HANDSHAKE), "the server sent its flight");
        return pump.server.engine;
    }

    private static QuicException refused(final byte[] extension)
    {
        return assertThrows(QuicException.class, () -> serverAfterClientHello(extension));
    }

    private static String label(final char c, final int length)
    {
        return String.valueOf(c).repeat(length);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "local\u0000host", "local\nhost", "bad name", "under_score.example", "-lead.example", "trail-.example",
        "a..b", ".lead", "trail.", "caf\u00e9.example", "127.0.0.1", "::1", "[::1]", "10.1.2.3"})
    void aServerNameThatIsNoLdhHostNameIsIllegal(final String name)
    {
        final QuicException ex = refused(serverNameExtension(name.getBytes(StandardCharsets.ISO_8859_1)));
        assertError(ILLEGAL_PARAMETER, ex);
        assertTrue(ex.getMessage().contains("server_name"), ex.getMessage());
        for (int i = 0; i < ex.getMessage().length(); i++)
        {
            assertTrue(ex.getMessage().charAt(i) >= 0x20 && ex.getMessage().charAt(i) < 0x7f,
                () -> "a control or non-ASCII character in the reason: " + ex.getMessage());
        }
    }

    @Test
    void aServerNameOver255BytesIsIllegal()
    {
        final String name = label('a', 63) + "." + label('b', 63) + "." + label('c', 63) + "." + label('d', 63) + "." +
            label('e', 43); // 299 bytes, every label legal
        final QuicException ex = refused(serverNameExtension(name.getBytes(StandardCharsets.US_ASCII)));
        assertError(ILLEGAL_PARAMETER, ex);
        assertTrue(ex.getMessage().length() < 400, "the reason does not echo the whole name");
    }

    @Test
    void aLabelOver63BytesIsIllegal()
    {
        final String name = label('a', 64) + ".example";
        assertError(ILLEGAL_PARAMETER, refused(serverNameExtension(name.getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    void a64KiBServerNameIsRefusedWithoutBeingStored()
    {
        final byte[] name = new byte[65_000];
        java.util.Arrays.fill(name, (byte)'a');
        // 65,000 bytes of name, wrapped in its list and extension lengths: still within the ClientHello's bounds
        assertError(ILLEGAL_PARAMETER, refused(serverNameExtension(name)));
    }

    @Test
    void anEmptyServerNameIsADecodeError()
    {
        // RFC 6066 3: HostName<1..2^16-1>
        assertError(DECODE_ERROR, refused(serverNameExtension(new byte[0])));
    }

    @Test
    void twoHostNamesAreIllegal()
    {
        final byte[] one = serverNameExtension("a.example".getBytes(StandardCharsets.US_ASCII));
        final byte[] two = new byte[2 + 2 * (one.length - 2)];
        final int list = two.length - 2;
        two[0] = (byte)(list >>> 8);
        two[1] = (byte)list;
        System.arraycopy(one, 2, two, 2, one.length - 2);
        System.arraycopy(one, 2, two, one.length, one.length - 2);
        assertError(ILLEGAL_PARAMETER, refused(two));
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "Valid-Name.example", "x", "1a.example", "123.example.com", "xn--caf-dma.example"})
    void anLdhServerNameIsAcceptedAndDescribed(final String name) throws QuicException
    {
        assertEquals(name, describe(serverAfterClientHello(serverNameExtension(name.getBytes(StandardCharsets.US_ASCII))))
            .get("tls.sni"));
    }

    @Test
    void aMaximalServerNameOf255BytesIsAccepted() throws QuicException
    {
        final String name = label('a', 63) + "." + label('b', 63) + "." + label('c', 63) + "." + label('d', 63);
        assertEquals(255, name.length());
        assertEquals(name, describe(serverAfterClientHello(serverNameExtension(name.getBytes(StandardCharsets.US_ASCII))))
            .get("tls.sni"));
    }
}
