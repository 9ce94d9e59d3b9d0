package io.ringbus.quic.packet;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stateless resets (RFC 9000 10.3): the token derivation, the packet's shape, the loop rule. */
class StatelessResetTest
{
    private static final byte[] KEY = new byte[32];
    private static final byte[] CID = {1, 2, 3, 4, 5, 6, 7, 8};

    static
    {
        Arrays.fill(KEY, (byte)7);
    }

    @Test
    void theTokenDependsOnlyOnTheKeyAndTheConnectionId()
    {
        final byte[] token = new StatelessReset(KEY).token(CID, 0, CID.length);
        assertEquals(StatelessReset.TOKEN_LENGTH, token.length);
        assertArrayEquals(token, new StatelessReset(KEY.clone()).token(CID, 0, CID.length), "another instance, same key");
        final byte[] otherKey = KEY.clone();
        otherKey[0]++;
        assertFalse(Arrays.equals(token, new StatelessReset(otherKey).token(CID, 0, CID.length)));
        final byte[] otherCid = CID.clone();
        otherCid[7]++;
        assertFalse(Arrays.equals(token, new StatelessReset(KEY).token(otherCid, 0, otherCid.length)));
    }

    @Test
    void aResetLooksLikeAShortHeaderIsSmallerThanItsTriggerAndEndsWithTheToken()
    {
        final StatelessReset resets = new StatelessReset(KEY);
        final byte[] token = resets.token(CID, 0, CID.length);
        final byte[] random = new byte[StatelessReset.MAX_LENGTH];
        Arrays.fill(random, (byte)0xFF);
        for (final int trigger : new int[] {22, 30, 43, 44, 100, 1200, 1500})
        {
            final byte[] out = new byte[64];
            final int length = resets.write(out, trigger, CID, 0, CID.length, random);
            assertTrue(length >= StatelessReset.MIN_LENGTH && length < trigger, trigger + " -> " + length);
            assertTrue(length <= StatelessReset.MAX_LENGTH);
            if (trigger <= 43)
            {
                assertEquals(trigger - 1, length, "RFC 9000 10.3: one byte shorter up to 43 bytes");
            }
            assertEquals(0x40, out[0] & 0xC0, "short header form with the fixed bit set");
            assertArrayEquals(token, Arrays.copyOfRange(out, length - 16, length));
            assertTrue(StatelessReset.matches(ByteBuffer.wrap(out, 0, length), token));
        }
    }

    @Test
    void noResetAnswersADatagramOf21BytesOrLessSoTwoEndpointsCannotLoop()
    {
        final StatelessReset resets = new StatelessReset(KEY);
        final byte[] out = new byte[64];
        final byte[] random = new byte[StatelessReset.MAX_LENGTH];
        for (int trigger = 0; trigger <= 21; trigger++)
        {
            assertEquals(0, resets.write(out, trigger, CID, 0, CID.length, random), "trigger " + trigger);
        }
        // two endpoints answering each other's resets: each answer is shorter, the exchange ends
        int length = 1500;
        int exchanges = 0;
        while ((length = StatelessReset.lengthFor(length)) > 0)
        {
            exchanges++;
            assertTrue(exchanges < 64);
        }
        assertTrue(exchanges <= StatelessReset.MAX_LENGTH - StatelessReset.MIN_LENGTH + 1, "ends after " + exchanges);
    }

    @Test
    void aClientMatchesOnlyShortHeaderDatagramsOfAtLeast21BytesEndingWithTheToken()
    {
        final byte[] token = new StatelessReset(KEY).token(CID, 0, CID.length);
        final byte[] datagram = new byte[30];
        datagram[0] = 0x40;
        System.arraycopy(token, 0, datagram, 14, 16);
        assertTrue(StatelessReset.matches(ByteBuffer.wrap(datagram), token));
        assertFalse(StatelessReset.matches(ByteBuffer.wrap(datagram, 9, 21), null), "no token from the server");
        assertFalse(StatelessReset.matches(ByteBuffer.wrap(datagram, 10, 20), token), "20 bytes");
        datagram[0] = (byte)0xC0;
        assertFalse(StatelessReset.matches(ByteBuffer.wrap(datagram), token), "a long header");
        datagram[0] = 0x40;
        datagram[29] ^= 1;
        assertFalse(StatelessReset.matches(ByteBuffer.wrap(datagram), token), "another token");
    }
}
