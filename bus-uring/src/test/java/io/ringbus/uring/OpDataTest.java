package io.ringbus.uring;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The 16 bits of user_data this backend owns. */
class OpDataTest
{
    private static final int CASES = 2000;

    @Test
    void kindAndSequenceRoundTrip()
    {
        // Every kind and every sequence: the space is small enough to cover whole.
        for (int kind = 1; kind <= 15; kind++)
        {
            for (int sequence = 0; sequence <= 2047; sequence++)
            {
                final long data = OpData.encode(kind, sequence);
                assertEquals(kind, OpData.kind(data));
                assertEquals(sequence, OpData.sequence(data));
            }
        }
    }

    @Test
    void fitsNettysFastPathAsANonNegativeShort()
    {
        final Random random = new Random(0x0DA7AL);
        final int[] edges = {Integer.MIN_VALUE, -1, 0, 1, 2047, 2048, 4095, Integer.MAX_VALUE};
        for (int i = 0; i < CASES + edges.length; i++)
        {
            final int kind = 1 + random.nextInt(15);
            final int sequence = i < edges.length ? edges[i] : random.nextInt();
            final long data = OpData.encode(kind, sequence);
            assertEquals((short)data, data, "Netty packs it only if (short) data == data");
            assertTrue(data >= 0);
            // Netty hands the low 16 bits back through a short: decoding must not care about sign extension.
            final long returned = (short)data;
            assertEquals(kind, OpData.kind(returned));
            assertEquals(sequence & OpData.SEQUENCE_MASK, OpData.sequence(returned));
        }
    }

    @Test
    void decodesTheLow16BitsOfAWholeUserData()
    {
        final Random random = new Random(0x05E4DA7AL);
        for (int i = 0; i < CASES; i++)
        {
            final int registrationId = i == 0 ? 1 : i == 1 ? Integer.MAX_VALUE : 1 + random.nextInt(Integer.MAX_VALUE);
            final byte opcode = (byte)random.nextInt();
            final int kind = 1 + random.nextInt(15);
            final int sequence = random.nextInt(2048);
            // The layout of Netty 4.2.18's UserData.encode(id, op, data).
            final long userData = ((long)registrationId << 32) | ((opcode & 0xFFL) << 16) | (OpData.encode(kind, sequence) & 0xFFFF);
            assertEquals(kind, OpData.kind((short)userData));
            assertEquals(sequence, OpData.sequence((short)userData));
        }
    }

    @Test
    void everyKindHasItsOwnValueAndName()
    {
        final int[] kinds = {OpData.ACCEPT, OpData.RECV, OpData.WRITEV, OpData.CONNECT, OpData.SHUTDOWN, OpData.CLOSE,
            OpData.CANCEL, OpData.POLL_OUT, OpData.POLL_IN};
        for (int i = 0; i < kinds.length; i++)
        {
            for (int j = i + 1; j < kinds.length; j++)
            {
                assertTrue(kinds[i] != kinds[j]);
            }
            assertTrue(!OpData.kindName(kinds[i]).startsWith("kind "), OpData.kindName(kinds[i]));
        }
    }

    @Test
    void sequenceWrapsWithinElevenBits()
    {
        assertEquals(5, OpData.sequence(OpData.encode(OpData.RECV, 2048 + 5)));
    }

    @Test
    void kindOutOfRangeIsRefused()
    {
        assertThrows(IllegalArgumentException.class, () -> OpData.encode(0, 1));
        assertThrows(IllegalArgumentException.class, () -> OpData.encode(16, 1));
    }
}
