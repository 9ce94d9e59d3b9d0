package io.ringbus.quic.conn;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link RangeSet}, {@link SendBuffer} and {@link ReceiveBuffer} on their own. */
class BuffersTest
{
    @Test
    void rangeSetMatchesABitSet()
    {
        final Random random = new Random(300);
        for (int trial = 0; trial < 300; trial++)
        {
            rangeSetMatchesABitSet(random);
        }
    }

    /** Up to 40 adds or removes of {@code [low, low + length)}, low up to 200 and length up to 20, against a BitSet. */
    private static void rangeSetMatchesABitSet(final Random random)
    {
        final RangeSet set = new RangeSet(1);
        final BitSet bits = new BitSet();
        final int n = random.nextInt(41);
        for (int i = 0; i < n; i++)
        {
            final int low = random.nextInt(201);
            final int high = low + random.nextInt(21);
            if (random.nextBoolean())
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
        final ReceiveBuffer buffer = new ReceiveBuffer(16, 8);
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

    @Test
    void receiveBufferRefusesARangeBeyondTheCapAndKeepsWhatItHas()
    {
        final ReceiveBuffer buffer = new ReceiveBuffer(1 << 20, 64);
        int accepted = 0;
        // 1-byte pieces with gaps, highest offset first: each one a new range at the front
        for (long offset = 2 * 16_384 + 1; offset > 0; offset -= 2)
        {
            if (!buffer.insert(offset, ByteBuffer.wrap(new byte[] {(byte)offset})))
            {
                break;
            }
            accepted++;
        }
        assertEquals(64, accepted, "the 65th disjoint range is refused");
        assertEquals(64, buffer.rangeCount());
        assertTrue(buffer.insert(2 * 16_384 - 126, ByteBuffer.wrap(new byte[] {1, 2, 3})),
            "a piece that joins ranges is taken at the cap");
        assertEquals(63, buffer.rangeCount());
        assertTrue(buffer.insert(2 * 16_384 + 1, ByteBuffer.wrap(new byte[] {7})), "so is a duplicate");
        assertNull(buffer.poll(), "nothing is in order yet");
        assertTrue(buffer.insert(0, ByteBuffer.allocate(2 * 16_384 - 125)));
        assertEquals(63, buffer.rangeCount(), "joined the lowest range");
        assertEquals(2 * 16_384 - 122, buffer.poll().remaining());
    }

    @Test
    void aCappedRangeSetMovesABoundedNumberOfRangesPerInsert()
    {
        // the operation count behind the linear bound: n inserts at the front move at most cap ranges each
        final int cap = 256;
        final int inserts = 16_384;
        final RangeSet capped = new RangeSet(8);
        final RangeSet unbounded = new RangeSet(8);
        for (int i = 0; i < inserts; i++)
        {
            final long low = 2L * (inserts - i);
            capped.add(low, low + 1, cap);
            unbounded.add(low, low + 1);
        }
        assertEquals(cap, capped.size());
        assertTrue(capped.rangesMoved() <= (long)cap * cap, "moves stop at the cap: " + capped.rangesMoved());
        assertEquals((long)inserts * (inserts - 1) / 2, unbounded.rangesMoved(),
            "without a cap every insert at the front moves every range: quadratic");
    }

    @Test
    void receiveBufferMatchesASortedListModel()
    {
        final Random seeds = new Random(200);
        for (int trial = 0; trial < 200; trial++)
        {
            final long seed = seeds.nextLong();
            receiveBufferMatchesASortedListModel(seed);
        }
    }

    /** 300 random inserts and polls against a sorted list of disjoint ranges; {@code seed} reproduces a failure. */
    private static void receiveBufferMatchesASortedListModel(final long seed)
    {
        final Random random = new Random(seed);
        final int capacity = 512;
        final int maxRanges = 1 + random.nextInt(12);
        final ReceiveBuffer buffer = new ReceiveBuffer(capacity, maxRanges);
        final List<long[]> model = new ArrayList<>(); // sorted, disjoint, non-adjacent [low, high)
        long readOffset = 0;
        final byte[] stream = new byte[1 << 16];
        random.nextBytes(stream);
        for (int step = 0; step < 300; step++)
        {
            if (random.nextInt(4) == 0)
            {
                ByteBuffer chunk = buffer.poll();
                final long expected = !model.isEmpty() && model.get(0)[0] <= readOffset ?
                    model.get(0)[1] - readOffset : 0;
                if (expected == 0)
                {
                    assertNull(chunk);
                    continue;
                }
                int got = 0;
                while (chunk != null)
                {
                    while (chunk.hasRemaining())
                    {
                        assertEquals(stream[(int)readOffset + got], chunk.get(), "byte " + (readOffset + got));
                        got++;
                    }
                    chunk = got < expected ? buffer.poll() : null;
                }
                assertEquals(expected, got);
                readOffset += got;
                model.remove(0);
                continue;
            }
            final long offset = readOffset + random.nextInt(capacity - 16);
            final int length = random.nextInt(16);
            final List<long[]> next = modelAdd(model, Math.max(offset, readOffset), offset + length);
            final boolean fits = next.size() <= maxRanges;
            final boolean taken = buffer.insert(offset, ByteBuffer.wrap(stream, (int)offset, length));
            assertEquals(fits, taken, "insert " + offset + "+" + length + " into " + show(model) + ", cap " + maxRanges);
            if (taken)
            {
                model.clear();
                model.addAll(next);
            }
            assertEquals(model.size(), buffer.rangeCount(), show(model));
            assertTrue(buffer.rangeCount() <= maxRanges);
        }
    }

    /** The plain model: a copy of {@code ranges} with {@code [low, high)} merged in. */
    private static List<long[]> modelAdd(final List<long[]> ranges, final long low, final long high)
    {
        final List<long[]> out = new ArrayList<>();
        if (low >= high)
        {
            out.addAll(ranges);
            return out;
        }
        long newLow = low;
        long newHigh = high;
        boolean placed = false;
        for (final long[] range : ranges)
        {
            if (range[1] < newLow)
            {
                out.add(range);
            }
            else if (range[0] > newHigh)
            {
                if (!placed)
                {
                    out.add(new long[] {newLow, newHigh});
                    placed = true;
                }
                out.add(range);
            }
            else
            {
                newLow = Math.min(newLow, range[0]);
                newHigh = Math.max(newHigh, range[1]);
            }
        }
        if (!placed)
        {
            out.add(new long[] {newLow, newHigh});
        }
        return out;
    }

    private static String show(final List<long[]> ranges)
    {
        final StringBuilder out = new StringBuilder("[");
        for (final long[] range : ranges)
        {
            out.append(range[0]).append("..").append(range[1]).append(' ');
        }
        return out.append(']').toString();
    }
}
