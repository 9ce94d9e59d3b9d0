package io.ringbus.quic.tls;

import io.ringbus.quic.packet.QuicException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Key exchange per group: agreement, encodings, and the peer shares that must be refused. */
class KeyShareTest
{
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A simulator's seed must replay the handshake: the key pair comes from the random it is given. */
    @ParameterizedTest
    @EnumSource(NamedGroup.class)
    void sameSeedSameShare(final NamedGroup group) throws Exception
    {
        final byte[] first = KeyShare.generate(group, seeded(7)).encoded();
        assertArrayEquals(first, KeyShare.generate(group, seeded(7)).encoded());
        assertFalse(Arrays.equals(first, KeyShare.generate(group, seeded(8)).encoded()));
    }

    static SecureRandom seeded(final long seed) throws GeneralSecurityException
    {
        final SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
        random.setSeed(seed); // before any output: the stream is then the seed's alone
        return random;
    }
    @ParameterizedTest
    @EnumSource(NamedGroup.class)
    void bothSidesAgree(final NamedGroup group) throws QuicException
    {
        final KeyShare a = KeyShare.generate(group, RANDOM);
        final KeyShare b = KeyShare.generate(group, RANDOM);
        assertEquals(group.keyShareLength(), a.encoded().length);
        assertArrayEquals(a.sharedSecret(b.encoded()), b.sharedSecret(a.encoded()));
        assertEquals(32, a.sharedSecret(b.encoded()).length);
    }

    @ParameterizedTest
    @EnumSource(NamedGroup.class)
    void aShareOfTheWrongLengthIsIllegal(final NamedGroup group) throws QuicException
    {
        final KeyShare share = KeyShare.generate(group, RANDOM);
        assertIllegal(() -> share.sharedSecret(new byte[group.keyShareLength() - 1]));
        assertIllegal(() -> share.sharedSecret(new byte[group.keyShareLength() + 1]));
    }

    @Test
    void aP256PointOffTheCurveIsIllegal() throws QuicException
    {
        final KeyShare share = KeyShare.generate(NamedGroup.SECP256R1, RANDOM);
        final byte[] point = KeyShare.generate(NamedGroup.SECP256R1, RANDOM).encoded();
        point[64] ^= 1; // y no longer matches x
        assertIllegal(() -> share.sharedSecret(point));
        final byte[] compressed = KeyShare.generate(NamedGroup.SECP256R1, RANDOM).encoded();
        compressed[0] = 0x02;
        assertIllegal(() -> share.sharedSecret(compressed));
        final byte[] big = new byte[65];
        java.util.Arrays.fill(big, (byte)0xFF); // coordinates above p
        big[0] = 0x04;
        assertIllegal(() -> share.sharedSecret(big));
    }

    @Test
    void anX25519ShareOfSmallOrderIsIllegal() throws QuicException
    {
        final KeyShare share = KeyShare.generate(NamedGroup.X25519, RANDOM);
        // u = 0 and u = 1 give an all-zero shared secret (RFC 7748 6.1)
        assertIllegal(() -> share.sharedSecret(new byte[32]));
        final byte[] one = new byte[32];
        one[0] = 1;
        assertIllegal(() -> share.sharedSecret(one));
    }

    @Test
    void littleEndianEncodingKeepsLeadingZeros()
    {
        final byte[] encoded = KeyShare.encodeU(java.math.BigInteger.valueOf(0x0102));
        assertEquals(32, encoded.length);
        assertEquals(0x02, encoded[0]);
        assertEquals(0x01, encoded[1]);
        assertEquals(0, encoded[31]);
    }

    private interface Action
    {
        void run() throws QuicException;
    }

    private static void assertIllegal(final Action action)
    {
        final QuicException ex = assertThrows(QuicException.class, action::run);
        assertEquals(TlsAlert.errorCode(TlsAlert.ILLEGAL_PARAMETER), ex.errorCode(), ex.getMessage());
    }
}
