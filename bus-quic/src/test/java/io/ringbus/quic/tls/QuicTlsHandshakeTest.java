package io.ringbus.quic.tls;

import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.packet.QuicException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Client and server engines against each other in memory: what works, and every way it must fail. */
class QuicTlsHandshakeTest
{
    static QuicTlsConfig.Builder serverConfig(final TestCertificates.Identity identity)
    {
        return QuicTlsConfig.builder().keyMaterial(identity.chain, identity.key);
    }

    static QuicTlsConfig.Builder clientConfig()
    {
        return QuicTlsConfig.builder().trust(TestCertificates.CA.leaf());
    }

    static HandshakePump pump(final QuicTlsConfig client, final QuicTlsConfig server)
    {
        return HandshakePump.of(client, "localhost", server);
    }

    /** Both complete, with the same suite, the same secrets per level, ALPN and transport parameters. */
    static void assertAgreed(final HandshakePump pump)
    {
        assertNull(pump.client.orderViolation);
        assertNull(pump.server.orderViolation);
        assertTrue(pump.client.complete, "client complete");
        assertTrue(pump.server.complete, "server complete");
        assertTrue(pump.client.engine.isHandshakeComplete());
        assertTrue(pump.server.engine.isHandshakeComplete());
        assertEquals(pump.client.engine.cipherSuite(), pump.server.engine.cipherSuite());
        for (final EncryptionLevel level : new EncryptionLevel[] {EncryptionLevel.HANDSHAKE, EncryptionLevel.APPLICATION})
        {
            assertNotNull(pump.client.readSecrets.get(level), "client " + level + " keys");
            assertArrayEquals(pump.client.writeSecrets.get(level), pump.server.readSecrets.get(level), level + " c->s");
            assertArrayEquals(pump.server.writeSecrets.get(level), pump.client.readSecrets.get(level), level + " s->c");
            assertFalse(java.util.Arrays.equals(pump.client.writeSecrets.get(level), pump.client.readSecrets.get(level)));
            assertEquals(pump.client.engine.cipherSuite(), pump.client.suites.get(level));
            assertEquals(pump.server.engine.cipherSuite(), pump.server.suites.get(level));
        }
        assertEquals("ringbus", pump.client.engine.applicationProtocol());
        assertEquals("ringbus", pump.server.engine.applicationProtocol());
        assertEquals(1 << 22, pump.client.engine.peerTransportParameters().initialMaxData);
        assertArrayEquals(new byte[] {9, 9, 9, 9, 9, 9, 9, 9},
            pump.client.engine.peerTransportParameters().originalDestinationConnectionId);
        assertEquals(16, pump.server.engine.peerTransportParameters().initialMaxStreamsBidi);
        // the listener contract: keys before the bytes of their level, the client Finished last
        assertEquals(List.of("bytes INITIAL", "keys HANDSHAKE", "keys APPLICATION", "bytes HANDSHAKE", "complete"),
            pump.client.events.subList(pump.client.events.size() - 5, pump.client.events.size()));
        assertEquals(List.of("bytes INITIAL", "keys HANDSHAKE", "bytes HANDSHAKE", "keys APPLICATION", "complete"),
            pump.server.events.subList(pump.server.events.size() - 5, pump.server.events.size()));
    }

    static QuicException failure(final HandshakePump pump)
    {
        return assertThrows(QuicException.class, pump::run);
    }

    static void assertError(final long code, final QuicException ex)
    {
        assertEquals(code, ex.errorCode(), () -> "0x" + Long.toHexString(ex.errorCode()) + " " + ex.getMessage());
        assertTrue(ex.getMessage() != null && !ex.getMessage().isEmpty());
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void handshakeWithEachCipherSuite(final CipherSuite suite) throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().cipherSuites(suite).build(),
            serverConfig(TestCertificates.EC_LEAF).build()).run();
        assertAgreed(pump);
        assertEquals(suite, pump.client.engine.cipherSuite());
    }

    @Test
    void theServerPicksItsOwnPreferredSuite() throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF)
            .cipherSuites(CipherSuite.CHACHA20_POLY1305_SHA256, CipherSuite.AES_128_GCM_SHA256).build()).run();
        assertAgreed(pump);
        assertEquals(CipherSuite.CHACHA20_POLY1305_SHA256, pump.client.engine.cipherSuite());
    }

    @Test
    void noCommonSuiteIsAHandshakeFailure()
    {
        assertError(0x128, failure(pump(clientConfig().cipherSuites(CipherSuite.AES_128_GCM_SHA256).build(),
            serverConfig(TestCertificates.EC_LEAF).cipherSuites(CipherSuite.CHACHA20_POLY1305_SHA256).build())));
    }

    /**
     * A simulator's seed replays the handshake byte for byte (issue 14): hello randoms, key shares
     * and the server's ECDSA CertificateVerify (whose k, and so whose DER length, is random) all
     * come from the configured random.
     */
    @ParameterizedTest
    @EnumSource(NamedGroup.class)
    void aSeededRandomReplaysTheHandshakeByteForByte(final NamedGroup group) throws Exception
    {
        final String first = seededHandshake(group);
        assertEquals(first, seededHandshake(group));
    }

    private static String seededHandshake(final NamedGroup group) throws Exception
    {
        final HandshakePump pump = pump(clientConfig().groups(group).random(KeyShareTest.seeded(1)).build(),
            serverConfig(TestCertificates.EC_LEAF).groups(group).random(KeyShareTest.seeded(2)).build()).run();
        assertAgreed(pump);
        final StringBuilder bytes = new StringBuilder();
        for (final HandshakePump.Side side : List.of(pump.client, pump.server))
        {
            for (final Map.Entry<EncryptionLevel, List<byte[]>> level : side.sent.entrySet())
            {
                for (final byte[] flight : level.getValue())
                {
                    bytes.append(side.name).append(' ').append(level.getKey()).append(' ')
                        .append(java.util.HexFormat.of().formatHex(flight)).append('\n');
                }
            }
        }
        return bytes.toString();
    }

    @ParameterizedTest
    @EnumSource(NamedGroup.class)
    void handshakeWithEachGroup(final NamedGroup group) throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().groups(group).build(),
            serverConfig(TestCertificates.EC_LEAF).groups(group).build()).run();
        assertAgreed(pump);
        assertEquals(1, pump.client.messagesSent(EncryptionLevel.INITIAL), "no HelloRetryRequest");
        assertEquals(group.tlsName(), describe(pump.client.engine).get("tls.group"));
        assertEquals(group.tlsName(), describe(pump.server.engine).get("tls.group"));
    }

    @Test
    void helloRetryRequestForTheServersGroup() throws QuicException
    {
        // the client shares X25519 only but lists both; the server accepts only secp256r1
        final HandshakePump pump = pump(clientConfig().build(),
            serverConfig(TestCertificates.EC_LEAF).groups(NamedGroup.SECP256R1).build()).run();
        assertAgreed(pump);
        assertEquals(2, pump.client.messagesSent(EncryptionLevel.INITIAL), "two ClientHellos");
        assertEquals(2, pump.server.messagesSent(EncryptionLevel.INITIAL), "HelloRetryRequest and ServerHello");
        assertArrayEquals(Tls13.HELLO_RETRY_REQUEST_RANDOM,
            java.util.Arrays.copyOfRange(pump.server.sent.get(EncryptionLevel.INITIAL).get(0), 6, 38));
        assertEquals("secp256r1", describe(pump.client.engine).get("tls.group"));
    }

    @Test
    void theClientHelloSharesOnlyTheFirstGroupAndListsAll() throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().groups(NamedGroup.SECP256R1, NamedGroup.X25519).build(),
            serverConfig(TestCertificates.EC_LEAF).build());
        pump.client.engine.start();
        final byte[] hello = pump.client.sent.get(EncryptionLevel.INITIAL).get(0);
        assertEquals(0, hello[4 + 2 + 32], "empty legacy_session_id (RFC 9001 8.4)");
        final byte[] shares = extension(hello, Tls13.KEY_SHARE);
        assertEquals(2 + 2 + 2 + 65, shares.length, "one secp256r1 share");
        assertEquals(NamedGroup.SECP256R1.code(), ((shares[2] & 0xFF) << 8) | (shares[3] & 0xFF));
        assertArrayEquals(new byte[] {0, 4, 0, 0x17, 0, 0x1d}, extension(hello, Tls13.SUPPORTED_GROUPS));
        assertArrayEquals(new byte[] {2, 3, 4}, extension(hello, Tls13.SUPPORTED_VERSIONS));
        assertArrayEquals(new byte[] {0, 8, 7, 'r', 'i', 'n', 'g', 'b', 'u', 's'}, extension(hello, Tls13.ALPN));
        final byte[] schemes = extension(hello, Tls13.SIGNATURE_ALGORITHMS);
        assertEquals(0x0403, ((schemes[2] & 0xFF) << 8) | (schemes[3] & 0xFF), "ECDSA P-256 first");
        assertEquals(HandshakePump.clientParameters().initialMaxStreamsBidi, TransportParameters.decode(
            ByteBuffer.wrap(extension(hello, Tls13.QUIC_TRANSPORT_PARAMETERS)), false).initialMaxStreamsBidi);
        pump.pump();
        assertAgreed(pump);
        assertEquals("secp256r1", describe(pump.server.engine).get("tls.group"));
    }

    @Test
    void noCommonGroupIsAHandshakeFailure()
    {
        assertError(0x128, failure(pump(clientConfig().groups(NamedGroup.X25519).build(),
            serverConfig(TestCertificates.EC_LEAF).groups(NamedGroup.SECP256R1).build())));
    }

    @Test
    void aSecondClientHelloWithoutTheRequestedShareIsIllegal()
    {
        final HandshakePump pump = pump(clientConfig().build(),
            serverConfig(TestCertificates.EC_LEAF).groups(NamedGroup.SECP256R1).build());
        // the second ClientHello keeps its X25519 share instead of the secp256r1 one asked for
        final byte[][] first = new byte[1][];
        pump.interceptor = (from, level, bytes) ->
        {
            if (from == pump.client && level == EncryptionLevel.INITIAL)
            {
                if (first[0] == null)
                {
                    first[0] = bytes;
                }
                else
                {
                    final byte[] share = extension(first[0], Tls13.KEY_SHARE);
                    return TlsMessages.replaceExtension(bytes, Tls13.KEY_SHARE, share);
                }
            }
            return bytes;
        };
        assertError(0x12f, failure(pump));
    }

    @Test
    void aSecondHelloRetryRequestIsUnexpected() throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().build(),
            serverConfig(TestCertificates.EC_LEAF).groups(NamedGroup.SECP256R1).build());
        pump.client.engine.start();
        pump.server.engine.onHandshakeBytes(EncryptionLevel.INITIAL,
            ByteBuffer.wrap((byte[])pump.client.outbox.poll()[1]));
        final byte[] retry = (byte[])pump.server.outbox.poll()[1];
        pump.client.engine.onHandshakeBytes(EncryptionLevel.INITIAL, ByteBuffer.wrap(retry));
        final QuicException ex = assertThrows(QuicException.class,
            () -> pump.client.engine.onHandshakeBytes(EncryptionLevel.INITIAL, ByteBuffer.wrap(retry)));
        assertError(0x10a, ex);
    }

    @Test
    void aHelloRetryRequestCookieIsEchoed() throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build());
        pump.client.engine.start();
        final TlsWriter retry = new TlsWriter(64);
        retry.u8(Tls13.SERVER_HELLO);
        final int message = retry.begin(3);
        retry.u16(Tls13.LEGACY_VERSION).bytes(Tls13.HELLO_RETRY_REQUEST_RANDOM).u8(0).u16(0x1301).u8(0);
        final int extensions = retry.begin(2);
        retry.u16(Tls13.SUPPORTED_VERSIONS).u16(2).u16(Tls13.VERSION);
        retry.u16(Tls13.KEY_SHARE).u16(2).u16(NamedGroup.SECP256R1.code());
        retry.u16(Tls13.COOKIE).u16(6).u16(4).bytes(new byte[] {(byte)0xde, (byte)0xad, (byte)0xbe, (byte)0xef});
        retry.end(extensions);
        retry.end(message);
        pump.client.engine.onHandshakeBytes(EncryptionLevel.INITIAL, ByteBuffer.wrap(retry.toByteArray()));

        final byte[] second = pump.client.sent.get(EncryptionLevel.INITIAL).get(1);
        assertArrayEquals(new byte[] {0, 4, (byte)0xde, (byte)0xad, (byte)0xbe, (byte)0xef}, extension(second, Tls13.COOKIE));
        final byte[] shares = extension(second, Tls13.KEY_SHARE);
        assertEquals(NamedGroup.SECP256R1.code(), ((shares[2] & 0xFF) << 8) | (shares[3] & 0xFF));
        final byte[] first = pump.client.sent.get(EncryptionLevel.INITIAL).get(0);
        assertArrayEquals(java.util.Arrays.copyOfRange(first, 6, 38), java.util.Arrays.copyOfRange(second, 6, 38),
            "the same random (RFC 8446 4.1.2)");
    }

    @Test
    void offeredEarlyDataAndPreSharedKeysAreIgnored() throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build());
        pump.client.engine.start();
        byte[] hello = pump.client.sent.get(EncryptionLevel.INITIAL).get(0);
        hello = TlsMessages.appendExtension(hello, Tls13.PSK_KEY_EXCHANGE_MODES, new byte[] {1, 1});
        hello = TlsMessages.appendExtension(hello, Tls13.EARLY_DATA, new byte[0]);
        // identities <7..>: one identity "abc" with an age; binders <33..>: one of 32 bytes
        final byte[] psk = new byte[2 + 2 + 3 + 4 + 2 + 1 + 32];
        psk[1] = 9;
        psk[3] = 3;
        psk[11] = 33;
        psk[12] = 32;
        hello = TlsMessages.appendExtension(hello, Tls13.PRE_SHARED_KEY, psk);
        pump.server.engine.onHandshakeBytes(EncryptionLevel.INITIAL, ByteBuffer.wrap(hello));

        final byte[] serverHello = pump.server.sent.get(EncryptionLevel.INITIAL).get(0);
        assertEquals(Tls13.SERVER_HELLO, serverHello[0]);
        final byte[] encryptedExtensions = TlsMessages.split(pump.server.sent.get(EncryptionLevel.HANDSHAKE).get(0)).get(0);
        assertEquals(Tls13.ENCRYPTED_EXTENSIONS, encryptedExtensions[0]);
        assertArrayEquals(encryptedExtensions, TlsMessages.withoutExtension(encryptedExtensions, Tls13.EARLY_DATA),
            "no early_data accepted");
        assertArrayEquals(serverHello, TlsMessages.withoutExtension(serverHello, Tls13.PRE_SHARED_KEY), "no PSK selected");
    }

    @Test
    void aPreSharedKeyThatIsNotLastIsIllegal() throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build());
        pump.client.engine.start();
        byte[] hello = pump.client.sent.get(EncryptionLevel.INITIAL).get(0);
        hello = TlsMessages.appendExtension(hello, Tls13.PRE_SHARED_KEY, new byte[] {0, 0, 0, 0});
        hello = TlsMessages.appendExtension(hello, Tls13.EARLY_DATA, new byte[0]);
        final byte[] input = hello;
        assertError(0x12f, assertThrows(QuicException.class,
            () -> pump.server.engine.onHandshakeBytes(EncryptionLevel.INITIAL, ByteBuffer.wrap(input))));
    }

    @Test
    void ecdsaP256Certificate() throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build()).run();
        assertAgreed(pump);
        assertEquals(SignatureScheme.ECDSA_SECP256R1_SHA256.code(), certificateVerifyScheme(pump));
    }

    @Test
    void rsaCertificateSignsWithPss() throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.rsaLeaf()).build()).run();
        assertAgreed(pump);
        assertEquals(SignatureScheme.RSA_PSS_RSAE_SHA256.code(), certificateVerifyScheme(pump));
        assertEquals("CN=rsa.localhost", describe(pump.client.engine).get("tls.peer"));
    }

    @Test
    void ed25519Certificate() throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.ed25519Leaf()).build()).run();
        assertAgreed(pump);
        assertEquals(SignatureScheme.ED25519.code(), certificateVerifyScheme(pump));
    }

    @Test
    void aChainWithAnIntermediateAndTheRoot() throws QuicException
    {
        final TestCertificates.Identity intermediate = TestCertificates.intermediate(TestCertificates.CA,
            "CN=Intermediate");
        final TestCertificates.Identity leaf = TestCertificates.leaf(intermediate, "CN=deep", TestCertificates.ecKey(),
            false, "localhost");
        final java.security.cert.X509Certificate[] chain = {leaf.leaf(), intermediate.leaf(),
            TestCertificates.CA.leaf()};
        final HandshakePump pump = pump(clientConfig().build(),
            QuicTlsConfig.builder().keyMaterial(chain, leaf.key).build()).run();
        assertAgreed(pump);
    }

    @Test
    void hostnameMismatchIsCertificateUnknown()
    {
        final QuicException ex = failure(HandshakePump.of(clientConfig().build(), "other.example",
            serverConfig(TestCertificates.EC_LEAF).build()));
        assertError(0x12e, ex);
        assertTrue(ex.getMessage().contains("CN=localhost") && ex.getMessage().contains("other.example"), ex.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1", "[::1]", "LOCALHOST", "localhost."})
    void ipLiteralsAndNameFormsMatch(final String serverName) throws QuicException
    {
        final HandshakePump pump = HandshakePump.of(clientConfig().build(), serverName,
            serverConfig(TestCertificates.EC_LEAF).build()).run();
        assertAgreed(pump);
        if (CertificateChecks.isIpLiteral(serverName))
        {
            assertNull(describe(pump.server.engine).get("tls.sni"), "no SNI for an IP literal");
        }
        else
        {
            assertEquals("localhost", describe(pump.server.engine).get("tls.sni").toLowerCase(java.util.Locale.ROOT));
        }
    }

    @Test
    void anIpLiteralNotInTheCertificateFails()
    {
        assertError(0x12e, failure(HandshakePump.of(clientConfig().build(), "127.0.0.2",
            serverConfig(TestCertificates.EC_LEAF).build())));
    }

    @Test
    void wildcardCertificate() throws QuicException
    {
        final TestCertificates.Identity wildcard = TestCertificates.leaf(TestCertificates.CA, "CN=wildcard",
            TestCertificates.ecKey(), false, "*.example.com");
        assertAgreed(HandshakePump.of(clientConfig().build(), "api.example.com", serverConfig(wildcard).build()).run());
        assertError(0x12e, failure(HandshakePump.of(clientConfig().build(), "a.b.example.com",
            serverConfig(wildcard).build())));
        assertError(0x12e, failure(HandshakePump.of(clientConfig().build(), "example.com",
            serverConfig(wildcard).build())));
    }

    @Test
    void hostnameVerificationCanBeTurnedOff() throws QuicException
    {
        assertAgreed(HandshakePump.of(clientConfig().hostnameVerification(false).build(), "other.example",
            serverConfig(TestCertificates.EC_LEAF).build()).run());
    }

    @Test
    void untrustedCertificateIsRejected()
    {
        final QuicException ex = failure(pump(QuicTlsConfig.builder().trust(TestCertificates.OTHER_CA.leaf()).build(),
            serverConfig(TestCertificates.EC_LEAF).build()));
        assertError(0x12e, ex);
        assertTrue(ex.getMessage().contains("CN=localhost"), ex.getMessage());
    }

    @Test
    void expiredCertificateIsRejected()
    {
        final TestCertificates.Identity expired = TestCertificates.leaf(TestCertificates.CA, "CN=old",
            TestCertificates.ecKey(), org.bouncycastle.asn1.x509.KeyPurposeId.id_kp_serverAuth,
            java.time.Instant.now().minus(java.time.Duration.ofDays(1)), false, "localhost");
        assertError(0x100 + TlsAlert.CERTIFICATE_EXPIRED, failure(pump(clientConfig().build(),
            serverConfig(expired).build())));
    }

    @Test
    void aClientAuthOnlyCertificateIsNotForServers()
    {
        final TestCertificates.Identity clientOnly = TestCertificates.leaf(TestCertificates.CA, "CN=client",
            TestCertificates.ecKey(), org.bouncycastle.asn1.x509.KeyPurposeId.id_kp_clientAuth,
            java.time.Instant.now().plus(java.time.Duration.ofDays(1)), false, "localhost");
        assertError(0x12e, failure(pump(clientConfig().build(), serverConfig(clientOnly).build())));
    }

    @Test
    void aPinnedSelfSignedCertificateIsTrusted() throws QuicException
    {
        final TestCertificates.Identity self = TestCertificates.selfSigned("CN=localhost", TestCertificates.ecKey(),
            false);
        assertAgreed(pump(QuicTlsConfig.builder().trust(self.leaf()).build(), serverConfig(self).build()).run());
    }

    @Test
    void insecureModeAcceptsAnythingAndWarns() throws QuicException
    {
        final Logger logger = Logger.getLogger(QuicTls.class.getName());
        final List<LogRecord> records = new java.util.ArrayList<>();
        final Handler handler = new Handler()
        {
            @Override
            public void publish(final LogRecord record)
            {
                records.add(record);
            }

            @Override
            public void flush()
            {
            }

            @Override
            public void close()
            {
            }
        };
        logger.addHandler(handler);
        try
        {
            final HandshakePump pump = HandshakePump.of(QuicTlsConfig.builder().insecureForTestsOnly().build(), "anything",
                serverConfig(TestCertificates.EC_LEAF).build()).run();
            assertAgreed(pump);
        }
        finally
        {
            logger.removeHandler(handler);
        }
        assertEquals(1, records.size());
        assertEquals(Level.WARNING, records.get(0).getLevel());
    }

    @Test
    void insecureModeStillChecksTheSignature()
    {
        final HandshakePump pump = HandshakePump.of(QuicTlsConfig.builder().insecureForTestsOnly().build(), "localhost",
            serverConfig(TestCertificates.EC_LEAF).build());
        // a certificate whose key did not sign the CertificateVerify
        pump.interceptor = (from, level, bytes) -> from == pump.server && level == EncryptionLevel.HANDSHAKE ?
            TlsMessages.editMessage(bytes, Tls13.CERTIFICATE, m -> certificateMessage(TestCertificates.rsaLeaf())) :
            bytes;
        assertError(0x12f, failure(pump)); // rsa key, ecdsa scheme
    }

    @Test
    void alpnMismatchOnTheServer()
    {
        final QuicException ex = failure(pump(clientConfig().applicationProtocol("h3").build(),
            serverConfig(TestCertificates.EC_LEAF).build()));
        assertError(0x178, ex);
        assertTrue(ex.getMessage().contains("h3"), ex.getMessage());
    }

    @Test
    void alpnMismatchOnTheClient()
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build());
        pump.interceptor = (from, level, bytes) -> from == pump.server && level == EncryptionLevel.HANDSHAKE ?
            TlsMessages.editMessage(bytes, Tls13.ENCRYPTED_EXTENSIONS,
                m -> TlsMessages.replaceExtension(m, Tls13.ALPN, new byte[] {0, 3, 2, 'h', '3'})) : bytes;
        assertError(0x178, failure(pump));
    }

    @Test
    void missingTransportParametersOnTheServer()
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build());
        pump.interceptor = (from, level, bytes) -> from == pump.client ?
            TlsMessages.withoutExtension(bytes, Tls13.QUIC_TRANSPORT_PARAMETERS) : bytes;
        assertError(0x16d, failure(pump));
    }

    @Test
    void missingTransportParametersOnTheClient()
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build());
        pump.interceptor = (from, level, bytes) -> from == pump.server && level == EncryptionLevel.HANDSHAKE ?
            TlsMessages.editMessage(bytes, Tls13.ENCRYPTED_EXTENSIONS,
                m -> TlsMessages.withoutExtension(m, Tls13.QUIC_TRANSPORT_PARAMETERS)) : bytes;
        assertError(0x16d, failure(pump));
    }

    @Test
    void badTransportParametersAreATransportParameterError()
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build());
        // a client may not send original_destination_connection_id (RFC 9000 18.2)
        pump.interceptor = (from, level, bytes) -> from == pump.client ?
            TlsMessages.replaceExtension(bytes, Tls13.QUIC_TRANSPORT_PARAMETERS, new byte[] {0, 1, 7}) : bytes;
        assertError(QuicException.TRANSPORT_PARAMETER_ERROR, failure(pump));
    }

    @Test
    void aTls12OnlyClientHelloIsAProtocolVersionError()
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build());
        pump.interceptor = (from, level, bytes) -> from == pump.client ?
            TlsMessages.withoutExtension(bytes, Tls13.SUPPORTED_VERSIONS) : bytes;
        assertError(0x146, failure(pump));
    }

    @Test
    void aServerHelloWithoutSupportedVersionsIsAProtocolVersionError()
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build());
        pump.interceptor = (from, level, bytes) -> from == pump.server && level == EncryptionLevel.INITIAL ?
            TlsMessages.withoutExtension(bytes, Tls13.SUPPORTED_VERSIONS) : bytes;
        assertError(0x146, failure(pump));
    }

    @Test
    void aLegacySessionIdIsAProtocolViolation()
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build());
        pump.interceptor = (from, level, bytes) -> from == pump.client ? withSessionId(bytes) : bytes;
        assertError(QuicException.PROTOCOL_VIOLATION, failure(pump));
    }

    @Test
    void aTamperedServerFlightFailsTheSignatureOrFinished()
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build());
        pump.interceptor = (from, level, bytes) ->
        {
            if (from == pump.server && level == EncryptionLevel.HANDSHAKE)
            {
                final byte[] copy = bytes.clone();
                copy[copy.length - 1] ^= 1; // the last byte of the server Finished
                return copy;
            }
            return bytes;
        };
        assertError(0x133, failure(pump));
    }

    @Test
    void aTamperedClientFinishedFails() throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build());
        pump.interceptor = (from, level, bytes) ->
        {
            if (from == pump.client && level == EncryptionLevel.HANDSHAKE)
            {
                final byte[] copy = bytes.clone();
                copy[10] ^= 1;
                return copy;
            }
            return bytes;
        };
        assertError(0x133, failure(pump));
        assertTrue(pump.client.complete);
        assertFalse(pump.server.complete);
    }

    @Test
    void oneBytePerCall() throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build());
        pump.chunkSize = 1;
        assertAgreed(pump.run());
    }

    @Test
    void oneBytePerCallThroughAHelloRetryRequest() throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().build(),
            serverConfig(TestCertificates.EC_LEAF).groups(NamedGroup.SECP256R1).build());
        pump.chunkSize = 1;
        assertAgreed(pump.run());
    }

    @Test
    void bytesAtTheWrongLevelAreUnexpected() throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build());
        pump.client.engine.start();
        final byte[] hello = (byte[])pump.client.outbox.poll()[1];
        final QuicException ex = assertThrows(QuicException.class,
            () -> pump.server.engine.onHandshakeBytes(EncryptionLevel.HANDSHAKE, ByteBuffer.wrap(hello)));
        assertError(0x10a, ex);
        // a failed engine stays failed
        assertError(0x10a, assertThrows(QuicException.class,
            () -> pump.server.engine.onHandshakeBytes(EncryptionLevel.INITIAL, ByteBuffer.wrap(hello))));
    }

    @Test
    void anUnexpectedMessageTypeIsUnexpected()
    {
        final QuicTlsConfig config = serverConfig(TestCertificates.EC_LEAF).build();
        final TlsEngine server = QuicTls.server(config, HandshakePump.serverParameters(), new HandshakePump.Side("s"));
        final byte[] finished = {Tls13.FINISHED, 0, 0, 32, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
            19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
        assertError(0x10a, assertThrows(QuicException.class,
            () -> server.onHandshakeBytes(EncryptionLevel.INITIAL, ByteBuffer.wrap(finished))));
    }

    @Test
    void aMessageBeyond64KiBIsRefusedBeforeItIsBuffered()
    {
        final QuicTlsConfig config = serverConfig(TestCertificates.EC_LEAF).build();
        final TlsEngine server = QuicTls.server(config, HandshakePump.serverParameters(), new HandshakePump.Side("s"));
        final byte[] header = {Tls13.CLIENT_HELLO, 0x01, 0x00, 0x01};
        final QuicException ex = assertThrows(QuicException.class,
            () -> server.onHandshakeBytes(EncryptionLevel.INITIAL, ByteBuffer.wrap(header)));
        assertError(Tls13.CRYPTO_BUFFER_EXCEEDED, ex);
    }

    @Test
    void bytesAfterTheServerHelloAtInitialAreUnexpected() throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build());
        pump.interceptor = (from, level, bytes) ->
        {
            if (from == pump.server && level == EncryptionLevel.INITIAL)
            {
                final byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 4);
                longer[bytes.length] = Tls13.ENCRYPTED_EXTENSIONS; // a message that must not share the ServerHello's level
                return longer;
            }
            return bytes;
        };
        assertError(0x10a, failure(pump));
    }

    @Test
    void newSessionTicketsAfterTheHandshakeAreIgnored() throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build()).run();
        final byte[] ticket = {Tls13.NEW_SESSION_TICKET, 0, 0, 17, 0, 0, 0x1c, 0x20, 1, 2, 3, 4, 1, 7, 0, 3, 1, 2, 3, 0, 0};
        pump.client.engine.onHandshakeBytes(EncryptionLevel.APPLICATION, ByteBuffer.wrap(ticket));
        pump.client.engine.onHandshakeBytes(EncryptionLevel.APPLICATION, ByteBuffer.wrap(ticket));
        assertTrue(pump.client.engine.isHandshakeComplete());
        // RFC 9001 6: KeyUpdate is not used in QUIC
        final byte[] keyUpdate = {Tls13.KEY_UPDATE, 0, 0, 1, 0};
        assertError(0x10a, assertThrows(QuicException.class,
            () -> pump.client.engine.onHandshakeBytes(EncryptionLevel.APPLICATION, ByteBuffer.wrap(keyUpdate))));
        // and a server expects nothing after the client's Finished
        assertError(0x10a, assertThrows(QuicException.class,
            () -> pump.server.engine.onHandshakeBytes(EncryptionLevel.APPLICATION, ByteBuffer.wrap(ticket))));
    }

    @Test
    void describeNamesTheNegotiatedDetails() throws QuicException
    {
        final HandshakePump pump = pump(clientConfig().build(), serverConfig(TestCertificates.EC_LEAF).build()).run();
        final Map<String, String> client = describe(pump.client.engine);
        assertEquals("TLSv1.3", client.get("tls.protocol"));
        assertEquals("TLS_AES_128_GCM_SHA256", client.get("tls.cipher_suite"));
        assertEquals("x25519", client.get("tls.group"));
        assertEquals("localhost", client.get("tls.sni"));
        assertEquals("ringbus", client.get("tls.alpn"));
        assertEquals("CN=localhost", client.get("tls.peer"));
        final Map<String, String> server = describe(pump.server.engine);
        assertEquals("localhost", server.get("tls.sni"));
        assertEquals("TLS_AES_128_GCM_SHA256", server.get("tls.cipher_suite"));
    }

    @Test
    void beforeTheHandshakeNothingIsNegotiated()
    {
        final TlsEngine client = QuicTls.client(clientConfig().build(), "localhost", HandshakePump.clientParameters(),
            new HandshakePump.Side("c"));
        assertNull(client.cipherSuite());
        assertNull(client.applicationProtocol());
        assertNull(client.peerTransportParameters());
        assertFalse(client.isHandshakeComplete());
        assertEquals(Map.of("tls.protocol", "TLSv1.3", "tls.sni", "localhost"), describe(client));
    }

    @Test
    void aListenerExceptionPassesThroughUnchanged() throws QuicException
    {
        final HandshakePump.Side side = new HandshakePump.Side("c")
        {
            @Override
            public void onHandshakeBytes(final EncryptionLevel level, final byte[] bytes)
            {
                throw new IllegalStateException("connection closed");
            }
        };
        final TlsEngine client = QuicTls.client(clientConfig().build(), "localhost", HandshakePump.clientParameters(), side);
        assertEquals("connection closed", assertThrows(IllegalStateException.class, client::start).getMessage());
    }

    static Map<String, String> describe(final TlsEngine engine)
    {
        final Map<String, String> details = new HashMap<>();
        engine.describe(details::put);
        return details;
    }

    static int certificateVerifyScheme(final HandshakePump pump)
    {
        for (final byte[] message : TlsMessages.split(pump.server.sent.get(EncryptionLevel.HANDSHAKE).get(0)))
        {
            if (message[0] == Tls13.CERTIFICATE_VERIFY)
            {
                return ((message[4] & 0xFF) << 8) | (message[5] & 0xFF);
            }
        }
        throw new AssertionError("no CertificateVerify");
    }

    /** The data of extension {@code type} in a ClientHello. */
    static byte[] extension(final byte[] clientHello, final int type)
    {
        int at = 4 + 2 + 32;
        at += 1 + (clientHello[at] & 0xFF);
        at += 2 + (((clientHello[at] & 0xFF) << 8) | (clientHello[at + 1] & 0xFF));
        at += 1 + (clientHello[at] & 0xFF);
        at += 2;
        while (at < clientHello.length)
        {
            final int extension = ((clientHello[at] & 0xFF) << 8) | (clientHello[at + 1] & 0xFF);
            final int length = ((clientHello[at + 2] & 0xFF) << 8) | (clientHello[at + 3] & 0xFF);
            if (extension == type)
            {
                return java.util.Arrays.copyOfRange(clientHello, at + 4, at + 4 + length);
            }
            at += 4 + length;
        }
        throw new AssertionError("no extension " + type);
    }

    static byte[] withSessionId(final byte[] clientHello)
    {
        final int at = 4 + 2 + 32;
        final byte[] out = new byte[clientHello.length + 8];
        System.arraycopy(clientHello, 0, out, 0, at);
        out[at] = 8;
        System.arraycopy(clientHello, at + 1, out, at + 9, clientHello.length - at - 1);
        final int body = out.length - 4;
        out[1] = (byte)(body >>> 16);
        out[2] = (byte)(body >>> 8);
        out[3] = (byte)body;
        return out;
    }

    static byte[] certificateMessage(final TestCertificates.Identity identity)
    {
        try
        {
            final byte[] der = identity.leaf().getEncoded();
            final TlsWriter out = new TlsWriter(der.length + 16);
            out.u8(Tls13.CERTIFICATE).u24(der.length + 9).u8(0).u24(der.length + 5).u24(der.length).bytes(der).u16(0);
            return out.toByteArray();
        }
        catch (final java.security.cert.CertificateEncodingException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
