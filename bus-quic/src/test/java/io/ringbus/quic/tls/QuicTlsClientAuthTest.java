package io.ringbus.quic.tls;

import io.ringbus.quic.packet.QuicException;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static io.ringbus.quic.tls.QuicTlsHandshakeTest.assertAgreed;
import static io.ringbus.quic.tls.QuicTlsHandshakeTest.assertError;
import static io.ringbus.quic.tls.QuicTlsHandshakeTest.clientConfig;
import static io.ringbus.quic.tls.QuicTlsHandshakeTest.describe;
import static io.ringbus.quic.tls.QuicTlsHandshakeTest.failure;
import static io.ringbus.quic.tls.QuicTlsHandshakeTest.pump;
import static io.ringbus.quic.tls.QuicTlsHandshakeTest.serverConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Mutual TLS between the engines (RFC 8446 4.3.2, 4.4.2, 4.4.3): issue 13 point 2 for quic. */
class QuicTlsClientAuthTest
{
    private static final long CERTIFICATE_REQUIRED = TlsAlert.errorCode(TlsAlert.CERTIFICATE_REQUIRED);

    static QuicTlsConfig requiringServer()
    {
        return serverConfig(TestCertificates.EC_LEAF).clientCertificateAuthorities(TestCertificates.CA.leaf()).build();
    }

    static QuicTlsConfig clientWith(final TestCertificates.Identity identity)
    {
        return clientConfig().keyMaterial(identity.chain, identity.key).build();
    }

    static TestCertificates.Identity clientLeaf(final String subject, final KeyPurposeId purpose, final int keyUsage)
    {
        return TestCertificates.leaf(TestCertificates.CA, subject, TestCertificates.ecKey(), purpose, keyUsage,
            Instant.now().plus(Duration.ofDays(30)), false, "client.example");
    }

    /** The messages of the client's HANDSHAKE flight (its answer to the server's flight). */
    static List<byte[]> clientFlight(final HandshakePump pump)
    {
        return TlsMessages.split(pump.client.sent.get(EncryptionLevel.HANDSHAKE).get(0));
    }

    @Test
    void aClientCertificateChainedToTheAuthorityIsVerifiedAndReported() throws QuicException
    {
        final HandshakePump pump = pump(clientWith(TestCertificates.CLIENT_LEAF), requiringServer()).run();
        assertAgreed(pump);
        assertSame(TestCertificates.CLIENT_LEAF.leaf(), pump.server.engine.peerCertificate());
        assertEquals(TestCertificates.CLIENT_LEAF.leaf().getSubjectX500Principal().getName(),
            describe(pump.server.engine).get("tls.peer"));
        assertEquals(TestCertificates.EC_LEAF.leaf(), pump.client.engine.peerCertificate());
        final List<byte[]> flight = clientFlight(pump);
        assertEquals(3, flight.size(), "Certificate, CertificateVerify, Finished");
        assertEquals(Tls13.CERTIFICATE, flight.get(0)[0]);
        assertEquals(Tls13.CERTIFICATE_VERIFY, flight.get(1)[0]);
        assertEquals(Tls13.FINISHED, flight.get(2)[0]);
    }

    @Test
    void theCertificateRequestNamesTheSchemesAndTheAuthorities() throws QuicException
    {
        final HandshakePump pump = pump(clientWith(TestCertificates.CLIENT_LEAF), requiringServer()).run();
        final List<byte[]> serverFlight = TlsMessages.split(pump.server.sent.get(EncryptionLevel.HANDSHAKE).get(0));
        assertEquals(Tls13.ENCRYPTED_EXTENSIONS, serverFlight.get(0)[0]);
        final byte[] request = serverFlight.get(1);
        assertEquals(Tls13.CERTIFICATE_REQUEST, request[0]);
        assertEquals(0, request[4], "empty certificate_request_context");
        final TlsReader in = new TlsReader(request, 7, request.length - 7);
        assertEquals(Tls13.SIGNATURE_ALGORITHMS, in.u16("type"));
        final TlsReader schemes = in.sub16("signature_algorithms");
        assertEquals(2 * SignatureScheme.values().length, schemes.sub16("list").remaining());
        assertEquals(Tls13.CERTIFICATE_AUTHORITIES, in.u16("type"));
        final TlsReader authorities = in.sub16("certificate_authorities").sub16("names");
        assertArrayEquals(TestCertificates.CA.leaf().getSubjectX500Principal().getEncoded(),
            authorities.vector16("name"));
        assertFalse(authorities.hasRemaining());
    }

    @Test
    void anRsaClientCertificateSignsWithPss() throws QuicException
    {
        final TestCertificates.Identity rsa = TestCertificates.leaf(TestCertificates.CA, "CN=rsa-client",
            TestCertificates.keyPair("RSA", 2048), KeyPurposeId.id_kp_clientAuth, KeyUsage.digitalSignature,
            Instant.now().plus(Duration.ofDays(30)), false, "rsa-client.example");
        final HandshakePump pump = pump(clientWith(rsa), requiringServer()).run();
        assertAgreed(pump);
        final byte[] verify = clientFlight(pump).get(1);
        assertEquals(SignatureScheme.RSA_PSS_RSAE_SHA256.code(), ((verify[4] & 0xFF) << 8) | (verify[5] & 0xFF));
    }

    @Test
    void aClientWithoutACertificateAnswersEmptyAndIsRefusedWithCertificateRequired()
    {
        final HandshakePump pump = pump(clientConfig().build(), requiringServer());
        final QuicException ex = failure(pump);
        assertError(CERTIFICATE_REQUIRED, ex);
        final List<byte[]> flight = clientFlight(pump);
        assertEquals(2, flight.size(), "an empty Certificate and the Finished");
        assertArrayEquals(new byte[] {Tls13.CERTIFICATE, 0, 0, 4, 0, 0, 0, 0}, flight.get(0));
        assertFalse(pump.server.complete);
        assertNull(pump.server.engine.peerCertificate());
    }

    @Test
    void aClientCertificateFromAnotherAuthorityIsNotTrusted()
    {
        final QuicException ex = failure(pump(clientWith(TestCertificates.STRANGER_LEAF), requiringServer()));
        assertError(TlsAlert.errorCode(TlsAlert.CERTIFICATE_UNKNOWN), ex);
        assertTrue(ex.getMessage().contains("CN=stranger"), ex.getMessage());
    }

    @Test
    void aClientLeafWithoutDigitalSignatureIsABadCertificate()
    {
        final QuicException ex = failure(pump(
            clientWith(clientLeaf("CN=encipher-client", KeyPurposeId.id_kp_clientAuth, KeyUsage.keyEncipherment)),
            requiringServer()));
        assertError(TlsAlert.errorCode(TlsAlert.BAD_CERTIFICATE), ex);
        assertTrue(ex.getMessage().contains("digitalSignature"), ex.getMessage());
    }

    @Test
    void aServerOnlyCertificateIsNotForClients()
    {
        final QuicException ex = failure(pump(clientWith(TestCertificates.EC_LEAF), requiringServer()));
        assertError(TlsAlert.errorCode(TlsAlert.CERTIFICATE_UNKNOWN), ex);
        assertTrue(ex.getMessage().contains("clientAuth"), ex.getMessage());
    }

    @Test
    void aTrustedCertificateWhoseKeyDidNotSignFailsTheCertificateVerify()
    {
        final TestCertificates.Identity other = clientLeaf("CN=other-client", KeyPurposeId.id_kp_clientAuth,
            KeyUsage.digitalSignature);
        final HandshakePump pump = pump(clientWith(TestCertificates.CLIENT_LEAF), requiringServer());
        pump.interceptor = (from, level, bytes) -> from == pump.client && level == EncryptionLevel.HANDSHAKE ?
            TlsMessages.editMessage(bytes, Tls13.CERTIFICATE, m -> QuicTlsHandshakeTest.certificateMessage(other)) :
            bytes;
        assertError(TlsAlert.errorCode(TlsAlert.DECRYPT_ERROR), failure(pump));
        assertNull(pump.server.engine.peerCertificate());
    }

    @Test
    void aClientThatSkipsItsCertificateIsUnexpected()
    {
        final HandshakePump pump = pump(clientWith(TestCertificates.CLIENT_LEAF), requiringServer());
        pump.interceptor = (from, level, bytes) ->
        {
            if (from == pump.client && level == EncryptionLevel.HANDSHAKE)
            {
                final List<byte[]> messages = TlsMessages.split(bytes);
                return messages.get(messages.size() - 1); // the Finished alone
            }
            return bytes;
        };
        assertError(TlsAlert.errorCode(TlsAlert.UNEXPECTED_MESSAGE), failure(pump));
    }

    @Test
    void aClientCertificateEntryWithAnExtensionIsUnsupported()
    {
        final HandshakePump pump = pump(clientWith(TestCertificates.CLIENT_LEAF), requiringServer());
        pump.interceptor = (from, level, bytes) -> from == pump.client && level == EncryptionLevel.HANDSHAKE ?
            TlsMessages.editMessage(bytes, Tls13.CERTIFICATE, m -> QuicTlsHardeningTest.certificateWithEntryExtension(
                TestCertificates.CLIENT_LEAF, 5, new byte[] {1, 0, 0, 0, 0})) :
            bytes;
        assertError(TlsAlert.errorCode(TlsAlert.UNSUPPORTED_EXTENSION), failure(pump));
    }

    @Test
    void withoutARequestAClientWithACertificateSendsNone() throws QuicException
    {
        final HandshakePump pump = pump(clientWith(TestCertificates.CLIENT_LEAF),
            serverConfig(TestCertificates.EC_LEAF).build()).run();
        assertAgreed(pump);
        assertEquals(1, clientFlight(pump).size(), "the Finished only");
        assertNull(pump.server.engine.peerCertificate());
        assertNull(describe(pump.server.engine).get("tls.peer"));
    }

    @Test
    void aCertificateRequestWithoutSignatureAlgorithmsIsMissingAnExtension()
    {
        final HandshakePump pump = pump(clientWith(TestCertificates.CLIENT_LEAF), requiringServer());
        pump.interceptor = (from, level, bytes) -> from == pump.server && level == EncryptionLevel.HANDSHAKE ?
            TlsMessages.editMessage(bytes, Tls13.CERTIFICATE_REQUEST,
                m -> certificateRequest(new byte[0], 0x1234, new byte[0])) :
            bytes;
        assertError(TlsAlert.errorCode(TlsAlert.MISSING_EXTENSION), failure(pump));
    }

    @Test
    void aCertificateRequestWithAContextIsIllegalDuringTheHandshake()
    {
        final HandshakePump pump = pump(clientWith(TestCertificates.CLIENT_LEAF), requiringServer());
        pump.interceptor = (from, level, bytes) -> from == pump.server && level == EncryptionLevel.HANDSHAKE ?
            TlsMessages.editMessage(bytes, Tls13.CERTIFICATE_REQUEST,
                m -> certificateRequest(new byte[] {7}, Tls13.SIGNATURE_ALGORITHMS, new byte[] {0, 2, 4, 3})) :
            bytes;
        assertError(TlsAlert.errorCode(TlsAlert.ILLEGAL_PARAMETER), failure(pump));
    }

    @Test
    void aSecondCertificateRequestIsUnexpected()
    {
        final HandshakePump pump = pump(clientWith(TestCertificates.CLIENT_LEAF), requiringServer());
        pump.interceptor = (from, level, bytes) ->
        {
            if (from == pump.server && level == EncryptionLevel.HANDSHAKE)
            {
                final List<byte[]> messages = TlsMessages.split(bytes);
                messages.add(2, messages.get(1));
                return TlsMessages.join(messages);
            }
            return bytes;
        };
        assertError(TlsAlert.errorCode(TlsAlert.UNEXPECTED_MESSAGE), failure(pump));
    }

    @Test
    void theAuthorityListIsWhatTheConfigurationSays()
    {
        final QuicTlsConfig config = requiringServer();
        assertTrue(config.requiresClientCertificate());
        assertFalse(serverConfig(TestCertificates.EC_LEAF).build().requiresClientCertificate());
        assertArrayEquals(new X509Certificate[] {TestCertificates.CA.leaf()}, config.clientCertificateAuthorities());
    }

    /** A CertificateRequest with {@code context} and one extension. */
    static byte[] certificateRequest(final byte[] context, final int type, final byte[] data)
    {
        final TlsWriter out = new TlsWriter(64);
        out.u8(Tls13.CERTIFICATE_REQUEST);
        final int message = out.begin(3);
        out.u8(context.length).bytes(context);
        final int extensions = out.begin(2);
        out.u16(type).u16(data.length).bytes(data);
        out.end(extensions);
        out.end(message);
        return out.toByteArray();
    }
}
