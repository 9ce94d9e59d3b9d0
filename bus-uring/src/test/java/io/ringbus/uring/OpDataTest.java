package io.ringbus.uring;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The 16 bits of user_data this backend owns. */
class OpDataTest
{
    @Property
    void kindAndSequenceRoundTrip(@ForAll @IntRange(min = 1, max = 15) final int kind,
        @ForAll @IntRange(min = 0, max = 2047) final int sequence)
    {
        final long data = OpData.encode(kind, sequence);
        assertEquals(kind, OpData.kind(data));
        assertEquals(sequence, OpData.sequence(data));
    }

    @Property
    void fitsNettysFastPathAsANonNegativeShort(@ForAll @IntRange(min = 1, max = 15) final int kind,
        @ForAll final int sequence)
    {
        final long data = OpData.encode(kind, sequence);
        assertEquals((short)data, data, "Netty packs it only if (short) data == data");
        assertTrue(data >= 0);
        // Netty hands the low 16 bits back through a short: decoding must not care about sign extension.
        final long returned = (short)data;
        assertEquals(kind, OpData.kind(returned));
        assertEquals(sequence & OpData.SEQUENCE_MASK, OpData.sequence(returned));
    }

    @Property
    void decodesTheLow16BitsOfAWholeUserData(@ForAll @IntRange(min = 1) final int registrationId,
        @ForAll final byte opcode, @ForAll @IntRange(min = 1, max = 15) final int kind,
        @ForAll @IntRange(min = 0, max = 2047) final int sequence)
    {
        // The layout of Netty 4.2.18's UserData.encode(id, op, data).
        final long userData = ((long)registrationId << 32) | ((opcode & 0xFFL) << 16) | (OpData.encode(kind, sequence) & 0xFFFF);
        assertEquals(kind, OpData.kind((short)userData));
        assertEquals(sequence, OpData.sequence((short)userData));
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
        assertEquals(0, OpData.next(2047));
        assertEquals(1, OpData.next(0));
        assertEquals(5, OpData.sequence(OpData.encode(OpData.RECV, 2048 + 5)));
    }

    @Test
    void kindOutOfRangeIsRefused()
    {
        assertThrows(IllegalArgumentException.class, () -> OpData.encode(0, 1));
        assertThrows(IllegalArgumentException.class, () -> OpData.encode(16, 1));
    }
}
