package io.ringbus.quic.conn;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link RangeSet}, {@link SendBuffer} and {@link ReceiveBuffer} on their own. */
class BuffersTest
{
    @Property(tries = 300)
    void rangeSetMatchesABitSet(@ForAll @Size(max = 40) final List<@IntRange(min = 0, max = 200) Integer> lows,
        @ForAll @Size(max = 40) final List<@IntRange(min = 0, max = 20) Integer> lengths,
        @ForAll @Size(max = 40) final List<Boolean> removes)
    {
        final RangeSet set = new RangeSet(1);
        final BitSet bits = new BitSet();
        final int n = Math.min(lows.size(), Math.min(lengths.size(), removes.size()));
        for (int i = 0; i < n; i++)
        {
            final int low = lows.get(i);
            final int high = low + lengths.get(i);
            if (removes.get(i))
            {
                set.remove(low, high);
                bits.clear(low, high);
            }
            else
            {
                set.add(low, high);
                bits.set(low, high);
            }
        }
        for (int v = 0; v < 230; v++)
        {
            assertEquals(bits.get(v), set.contains(v), "value " + v + " in " + set);
        }
        for (int i = 1; i < set.size(); i++)
        {
            assertTrue(set.high(i - 1) < set.low(i), "disjoint and not adjacent: " + set);
        }
    }

    @Test
    void sendBufferResendsLostRangesFirstAndFreesOnAck()
    {
        final SendBuffer buffer = new SendBuffer(100, false);
        final ByteBuffer data = ByteBuffer.allocate(150);
        for (int i = 0; i < 150; i++)
        {
            data.put(i, (byte)i);
        }
        assertEquals(100, buffer.append(data, Integer.MAX_VALUE));
        assertEquals(0, buffer.free());
        assertTrue(buffer.nextChunk(40));
        assertEquals(0, buffer.chunkOffset());
        assertTrue(buffer.nextChunk(40));
        assertEquals(40, buffer.chunkOffset());
        buffer.onLost(0, 40, false);
        buffer.onAcked(40, 40, false);
        assertEquals(0, buffer.free(), "a hole at 0 keeps the buffer full");
        assertTrue(buffer.nextChunk(100));
        assertEquals(0, buffer.chunkOffset(), "the lost range goes first");
        assertEquals(40, buffer.chunkLength());
        buffer.onAcked(0, 40, false);
        assertEquals(80, buffer.free());
        assertEquals(50, buffer.append(data, Integer.MAX_VALUE));
        buffer.shutdown();
        assertTrue(buffer.nextChunk(1000));
        assertEquals(80, buffer.chunkOffset());
        assertEquals(70, buffer.chunkLength());
        assertTrue(buffer.chunkFin());
        final ByteBuffer out = ByteBuffer.allocate(70);
        buffer.copy(80, 70, out);
        for (int i = 0; i < 70; i++)
        {
            assertEquals((byte)(80 + i), out.get(i));
        }
        assertFalse(buffer.nextChunk(1000));
        buffer.onLost(80, 70, true);
        buffer.onAcked(100, 50, false);
        assertTrue(buffer.nextChunk(1000));
        assertEquals(80, buffer.chunkOffset());
        assertEquals(20, buffer.chunkLength(), "only the unacknowledged part is resent");
        assertTrue(buffer.nextChunk(1000), "then the lost FIN alone");
        assertEquals(150, buffer.chunkOffset());
        assertEquals(0, buffer.chunkLength());
        assertTrue(buffer.chunkFin());
        buffer.onAcked(80, 20, false);
        buffer.onAcked(150, 0, true);
        assertTrue(buffer.isFullyAcked());
    }

    @Test
    void cryptoSendBufferGrows()
    {
        final SendBuffer buffer = new SendBuffer(8, true);
        buffer.append(new byte[] {1, 2, 3, 4, 5, 6});
        assertTrue(buffer.nextChunk(4));
        buffer.onAcked(0, 4, false);
        buffer.append(new byte[] {7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
        final ByteBuffer out = ByteBuffer.allocate(12);
        buffer.copy(4, 12, out);
        for (int i = 0; i < 12; i++)
        {
            assertEquals(5 + i, out.get(i));
        }
    }

    @Test
    void receiveBufferReassemblesOutOfOrderAndOverlapping()
    {
        final ReceiveBuffer buffer = new ReceiveBuffer(16);
        buffer.insert(4, ByteBuffer.wrap(new byte[] {4, 5, 6}));
        assertNull(buffer.poll());
        buffer.insert(0, ByteBuffer.wrap(new byte[] {0, 1, 2, 3, 4}));
        final ByteBuffer first = buffer.poll();
        assertEquals(7, first.remaining());
        for (int i = 0; i < 7; i++)
        {
            assertEquals(i, first.get());
        }
        assertNull(buffer.poll());
        buffer.insert(2, ByteBuffer.wrap(new byte[] {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}));
        int next = 7;
        ByteBuffer chunk;
        while ((chunk = buffer.poll()) != null)
        {
            while (chunk.hasRemaining())
            {
                assertEquals(next++, chunk.get());
            }
        }
        assertEquals(19, next, "wrapped around the ring");
        assertEquals(19, buffer.readOffset());
    }
}
