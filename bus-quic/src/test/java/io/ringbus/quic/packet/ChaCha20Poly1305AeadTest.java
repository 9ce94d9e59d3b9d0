package io.ringbus.quic.packet;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;

import javax.crypto.Cipher;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The ChaCha20-Poly1305 AEAD and ChaCha20 header mask composed from BouncyCastle's engines, byte for
 * byte against RFC 8439's AEAD vector and against the JDK's ChaCha20-Poly1305 and ChaCha20.
 */
class ChaCha20Poly1305AeadTest
{
    @Test
    void sealsTheAeadVectorOfRfc8439Section282()
    {
        final byte[] key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        final byte[] nonce = hex("070000004041424344454647");
        final byte[] aad = hex("50515253c0c1c2c3c4c5c6c7");
        final byte[] plaintext = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for " +
            "the future, sunscreen would be it.").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        final byte[] packet = new byte[aad.length + plaintext.length + 16];
        System.arraycopy(aad, 0, packet, 0, aad.length);
        System.arraycopy(plaintext, 0, packet, aad.length, plaintext.length);

        final ChaCha20Poly1305Aead aead = new ChaCha20Poly1305Aead(key);
        assertEquals(plaintext.length + 16, aead.seal(nonce, packet, 0, aad.length, plaintext.length));

        final String ciphertext = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb" +
            "69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7" +
            "bc3ff4def08e4b7a9de576d26586cec64b6116";
        final String tag = "1ae10b594f09e26a7e902ecbd0600691";
        assertEquals(ciphertext + tag, HexFormat.of().formatHex(packet, aad.length, packet.length));

        assertEquals(plaintext.length, aead.open(nonce, packet, 0, aad.length, packet.length));
        assertArrayEquals(plaintext, Arrays.copyOfRange(packet, aad.length, aad.length + plaintext.length));
    }

    @Test
    void sealsAndOpensAsTheJdkDoesForEveryLength()
        throws Exception
    {
        final SplittableRandom random = new SplittableRandom(16);
        final byte[] key = bytes(random, 32);
        final ChaCha20Poly1305Aead aead = new ChaCha20Poly1305Aead(key);
        final Cipher jdk = Cipher.getInstance("ChaCha20-Poly1305");
        for (int length = 0; length <= 300; length++)
        {
            final int aadLength = 1 + random.nextInt(40);
            final byte[] nonce = bytes(random, 12);
            final byte[] packet = bytes(random, aadLength + length + 16);
            final byte[] plaintext = Arrays.copyOfRange(packet, aadLength, aadLength + length);

            jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
            jdk.updateAAD(packet, 0, aadLength);
            final byte[] expected = jdk.doFinal(plaintext);

            assertEquals(length + 16, aead.seal(nonce, packet, 0, aadLength, length));
            assertArrayEquals(expected, Arrays.copyOfRange(packet, aadLength, packet.length), "length " + length);
            assertEquals(length, aead.open(nonce, packet, 0, aadLength, packet.length));
            assertArrayEquals(plaintext, Arrays.copyOfRange(packet, aadLength, aadLength + length));
        }
    }

    @Test
    void aTamperedPacketFailsAndIsLeftAsItWas()
    {
        final SplittableRandom random = new SplittableRandom(17);
        final ChaCha20Poly1305Aead aead = new ChaCha20Poly1305Aead(bytes(random, 32));
        final byte[] nonce = bytes(random, 12);
        final byte[] packet = bytes(random, 20 + 100 + 16);
        aead.seal(nonce, packet, 0, 20, 100);
        for (final int flipped : new int[] {3, 20, 119, 120, 135})
        {
            packet[flipped] ^= 0x10;
            final byte[] tampered = packet.clone();
            assertEquals(-1, aead.open(nonce, packet, 0, 20, packet.length), "byte " + flipped);
            assertArrayEquals(tampered, packet);
            packet[flipped] ^= 0x10;
        }
        assertEquals(-1, aead.open(nonce, packet, 0, 20, 35), "shorter than a tag");
        assertEquals(100, aead.open(nonce, packet, 0, 20, packet.length));
    }

    @Test
    void headerMaskIsTheJdksChaCha20KeystreamAtTheSampleCounter()
        throws Exception
    {
        final SplittableRandom random = new SplittableRandom(18);
        final byte[] hpKey = bytes(random, 32);
        final ChaCha20Poly1305Aead.HeaderMask mask = new ChaCha20Poly1305Aead.HeaderMask(hpKey);
        final Cipher jdk = Cipher.getInstance("ChaCha20");
        final int[] counters = {0, 1, 63, 64, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF};
        for (int round = 0; round < counters.length + 200; round++)
        {
            final byte[] packet = bytes(random, 40);
            final int sampleOffset = 7;
            if (round < counters.length)
            {
                final int counter = counters[round];
                for (int i = 0; i < 4; i++)
                {
                    packet[sampleOffset + i] = (byte)(counter >>> (8 * i));
                }
            }
            final int counter = (packet[sampleOffset] & 0xFF) | (packet[sampleOffset + 1] & 0xFF) << 8 |
                (packet[sampleOffset + 2] & 0xFF) << 16 | (packet[sampleOffset + 3] & 0xFF) << 24;
            jdk.init(Cipher.DECRYPT_MODE, new SecretKeySpec(hpKey, "ChaCha20"),
                new ChaCha20ParameterSpec(Arrays.copyOfRange(packet, sampleOffset + 4, sampleOffset + 16), counter));
            final byte[] expected = jdk.doFinal(new byte[5]);

            final byte[] actual = new byte[5];
            mask.mask(packet, sampleOffset, actual);
            assertArrayEquals(expected, actual, "counter " + Integer.toUnsignedString(counter));
        }
    }

    private static byte[] bytes(final SplittableRandom random, final int length)
    {
        final byte[] out = new byte[length];
        random.nextBytes(out);
        return out;
    }

    private static byte[] hex(final String hex)
    {
        return HexFormat.of().parseHex(hex);
    }
}
