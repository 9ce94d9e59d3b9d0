package io.ringbus.quic.tls;

import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.packet.QuicException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engines against the recorded messages of RFC 8448 section 3 (a simple 1-RTT handshake with
 * x25519 and TLS_AES_128_GCM_SHA256): X25519 encoding, ServerHello parsing, the transcript and the
 * handshake traffic secrets must reproduce the published values.
 */
class TlsRfc8448Test
{
    static final byte[] CLIENT_HELLO = hex(
        "010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece700000613011303130201" +
        "0000910000000b0009000006736572766572ff01000100000a00140012001d0017001800190100010101020103010400" +
        "230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b00" +
        "03020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c" +
        "00024001");
    static final byte[] SERVER_HELLO = hex(
        "020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e0033" +
        "0024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304");
    static final byte[] CLIENT_PRIVATE = hex("49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005");
    static final byte[] CLIENT_PUBLIC = hex("99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c");
    static final byte[] SERVER_PUBLIC = hex("c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f");

    private static byte[] hex(final String hex)
    {
        return HexFormat.of().parseHex(hex);
    }

    @Test
    void theTranscriptOfTheRecordedHellos()
    {
        final Transcript transcript = new Transcript();
        transcript.add(CLIENT_HELLO);
        transcript.add(SERVER_HELLO);
        assertArrayEquals(hex("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8"), transcript.hash());
    }

    @Test
    void x25519KeysAndSharedSecret() throws QuicException
    {
        final KeyShare share = KeyShare.x25519(CLIENT_PRIVATE, CLIENT_PUBLIC);
        assertArrayEquals(CLIENT_PUBLIC, share.encoded(), "little-endian u-coordinate round trip");
        assertArrayEquals(hex("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d"),
            share.sharedSecret(SERVER_PUBLIC));
    }

    @Test
    void theClientDerivesTheRecordedHandshakeSecretsFromTheServerHello() throws QuicException
    {
        final HandshakePump.Side side = new HandshakePump.Side("client");
        final ClientTlsEngine client = (ClientTlsEngine)QuicTls.client(
            QuicTlsConfig.builder().insecureForTestsOnly().build(), "server", HandshakePump.clientParameters(), side);
        client.assumeClientHelloSent(CLIENT_HELLO, KeyShare.x25519(CLIENT_PRIVATE, CLIENT_PUBLIC));
        // split across calls to exercise the reassembly on a recorded message
        client.onHandshakeBytes(EncryptionLevel.INITIAL, ByteBuffer.wrap(SERVER_HELLO, 0, 7));
        client.onHandshakeBytes(EncryptionLevel.INITIAL, ByteBuffer.wrap(SERVER_HELLO, 7, SERVER_HELLO.length - 7));

        assertEquals(CipherSuite.AES_128_GCM_SHA256, client.cipherSuite());
        assertEquals(CipherSuite.AES_128_GCM_SHA256, side.suites.get(EncryptionLevel.HANDSHAKE));
        assertArrayEquals(hex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"),
            side.readSecrets.get(EncryptionLevel.HANDSHAKE), "server_handshake_traffic_secret");
        assertArrayEquals(hex("b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"),
            side.writeSecrets.get(EncryptionLevel.HANDSHAKE), "client_handshake_traffic_secret");
    }

    @Test
    void theServerParsesTheRecordedClientHelloAndWantsQuicTransportParameters()
    {
        final TlsEngine server = QuicTls.server(
            QuicTlsHandshakeTest.serverConfig(TestCertificates.EC_LEAF).build(), HandshakePump.serverParameters(),
            new HandshakePump.Side("server"));
        final QuicException ex = assertThrows(QuicException.class,
            () -> server.onHandshakeBytes(EncryptionLevel.INITIAL, ByteBuffer.wrap(CLIENT_HELLO)));
        // everything TLS 1.3 in it is fine; a TLS (not QUIC) client sends no quic_transport_parameters
        assertEquals(0x16d, ex.errorCode(), ex.getMessage());
        assertTrue(ex.getMessage().contains("quic_transport_parameters"));
    }
}
