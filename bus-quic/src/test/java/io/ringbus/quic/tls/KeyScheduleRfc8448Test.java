package io.ringbus.quic.tls;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The key schedule against RFC 8448 section 3 (a simple 1-RTT handshake, x25519, AES-128-GCM),
 * the values that apply without the handshake messages themselves: the ECDHE secret and the
 * transcript hashes are taken from the RFC.
 */
class KeyScheduleRfc8448Test
{
    private static byte[] hex(final String hex)
    {
        return HexFormat.of().parseHex(hex);
    }

    @Test
    void secretsOfRfc8448Section3()
    {
        final KeySchedule schedule = new KeySchedule();
        assertArrayEquals(hex("33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a"),
            schedule.earlySecret());

        schedule.onServerHello(hex("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d"),
            hex("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8"));
        assertArrayEquals(hex("1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac"),
            schedule.handshakeSecret());
        assertArrayEquals(hex("b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"),
            schedule.clientHandshakeTrafficSecret());
        assertArrayEquals(hex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"),
            schedule.serverHandshakeTrafficSecret());

        schedule.onServerFinished(hex("9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13"));
        assertArrayEquals(hex("18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919"),
            schedule.masterSecret());
        assertArrayEquals(hex("9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5"),
            schedule.clientApplicationTrafficSecret());
        assertArrayEquals(hex("a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643"),
            schedule.serverApplicationTrafficSecret());
    }
}
