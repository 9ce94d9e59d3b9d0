package io.ringbus.quic.conn;

import java.nio.ByteBuffer;

/**
 * The send side of a byte stream (the bidirectional stream, or one level's CRYPTO stream): a ring
 * of bytes from the lowest unacknowledged offset to the end of what was written, with the ranges
 * acknowledged out of order and the ranges declared lost (to send again before new data), and the
 * FIN. The ring is fixed for a stream (bounded send buffer) and grows for CRYPTO data, whose size
 * the TLS engine decides. Not thread-safe.
 */
final class SendBuffer
{
    private static final byte[] NONE = new byte[0];

    /** The ring, allocated on the first append: a connection that never sends holds no stream buffer. */
    private byte[] data = NONE;
    private int capacity;
    private final boolean growable;
    private long ackedOffset;
    private long writeOffset;
    private long sentOffset;
    private final RangeSet acked = new RangeSet(8);
    private final RangeSet lost = new RangeSet(8);
    private boolean finQueued;
    private boolean finSent;
    private boolean finAcked;
    private boolean finLost;

    private long chunkOffset;
    private int chunkLength;
    private boolean chunkFin;

    SendBuffer(final int capacity, final boolean growable)
    {
        this.capacity = capacity;
        this.growable = growable;
    }

    /** Bytes that {@link #append(ByteBuffer, int)} can take now. */
    int free()
    {
        return capacity - (int)(writeOffset - ackedOffset);
    }

    long writeOffset()
    {
        return writeOffset;
    }

    long sentOffset()
    {
        return sentOffset;
    }

    long ackedOffset()
    {
        return ackedOffset;
    }

    boolean isFinQueued()
    {
        return finQueued;
    }

    /** Copy up to {@code max} bytes from {@code src} (advancing its position); returns the count taken. */
    int append(final ByteBuffer src, final int max)
    {
        final int length = Math.min(Math.min(src.remaining(), free()), max);
        if (length > 0 && data.length == 0)
        {
            data = new byte[capacity];
        }
        int done = 0;
        while (done < length)
        {
            final int index = index(writeOffset);
            final int piece = Math.min(length - done, data.length - index);
            src.get(data, index, piece);
            writeOffset += piece;
            done += piece;
        }
        return length;
    }

    /** Append all of {@code bytes}, growing the ring if this buffer may grow. */
    void append(final byte[] bytes)
    {
        if (bytes.length > free())
        {
            if (!growable)
            {
                throw new IllegalStateException(bytes.length + " bytes do not fit the " + free() + " free bytes");
            }
            grow(capacity - free() + bytes.length);
        }
        append(ByteBuffer.wrap(bytes), bytes.length);
    }

    private void grow(final int needed)
    {
        int grownCapacity = capacity;
        while (grownCapacity < needed)
        {
            grownCapacity *= 2;
        }
        final byte[] grown = new byte[grownCapacity];
        for (long offset = ackedOffset; offset < writeOffset; offset++)
        {
            grown[(int)(offset % grownCapacity)] = data[index(offset)];
        }
        data = grown;
        capacity = grownCapacity;
    }

    /** Queue the FIN after the bytes written so far. */
    void shutdown()
    {
        finQueued = true;
    }

    /** True if there is anything to (re)send: lost ranges, unsent bytes or an unsent/lost FIN. */
    boolean hasPending()
    {
        return !lost.isEmpty() || sentOffset < writeOffset || (finQueued && (!finSent || finLost));
    }

    /** True if the FIN was queued and every byte and the FIN are acknowledged. */
    boolean isFullyAcked()
    {
        return finQueued && finAcked && ackedOffset == writeOffset;
    }

    /**
     * Pick the next chunk to send, at most {@code maxLength} bytes: a lost range first, then new
     * bytes, then a lone FIN; it counts as sent. The chunk is then read with {@link #chunkOffset()},
     * {@link #chunkLength()}, {@link #chunkFin()} and copied with {@link #copy}.
     *
     * @return false if there is nothing to send in that space.
     */
    boolean nextChunk(final int maxLength)
    {
        if (!lost.isEmpty())
        {
            if (maxLength <= 0)
            {
                return false;
            }
            final long low = lost.low(0);
            chunkOffset = low;
            chunkLength = (int)Math.min(lost.high(0) - low, maxLength);
            lost.remove(low, low + chunkLength);
        }
        else if (sentOffset < writeOffset)
        {
            if (maxLength <= 0)
            {
                return false;
            }
            chunkOffset = sentOffset;
            chunkLength = (int)Math.min(writeOffset - sentOffset, maxLength);
            sentOffset += chunkLength;
        }
        else if (finQueued && (!finSent || finLost))
        {
            chunkOffset = writeOffset;
            chunkLength = 0;
        }
        else
        {
            return false;
        }
        chunkFin = finQueued && chunkOffset + chunkLength == writeOffset;
        if (chunkFin)
        {
            finSent = true;
            finLost = false;
        }
        return true;
    }

    /** The stream offset {@link #nextChunk} would start at: the first lost range, else the first unsent byte. */
    long nextChunkOffset()
    {
        return lost.isEmpty() ? sentOffset : lost.low(0);
    }

    long chunkOffset()
    {
        return chunkOffset;
    }

    int chunkLength()
    {
        return chunkLength;
    }

    boolean chunkFin()
    {
        return chunkFin;
    }

    /** Copy {@code length} bytes from stream offset {@code offset} into {@code out}. */
    void copy(final long offset, final int length, final ByteBuffer out)
    {
        int done = 0;
        while (done < length)
        {
            final int index = index(offset + done);
            final int piece = Math.min(length - done, data.length - index);
            out.put(data, index, piece);
            done += piece;
        }
    }

    /** The range {@code [offset, offset + length)} (and the FIN if {@code fin}) was acknowledged. */
    void onAcked(final long offset, final int length, final boolean fin)
    {
        if (length > 0)
        {
            final long end = offset + length;
            acked.add(offset, end);
            lost.remove(offset, end);
            while (!acked.isEmpty() && acked.low(0) <= ackedOffset)
            {
                ackedOffset = Math.max(ackedOffset, acked.high(0));
                acked.removeFirst();
            }
        }
        if (fin)
        {
            finAcked = true;
            finLost = false;
        }
    }

    /** The range (and the FIN if {@code fin}) was lost: send again whatever is not acknowledged yet. */
    void onLost(final long offset, final int length, final boolean fin)
    {
        final long low = Math.max(offset, ackedOffset);
        final long end = offset + length;
        if (low < end)
        {
            lost.add(low, end);
            for (int i = 0; i < acked.size(); i++)
            {
                if (acked.low(i) < end && acked.high(i) > low)
                {
                    lost.remove(acked.low(i), acked.high(i));
                }
            }
        }
        if (fin && !finAcked)
        {
            finLost = true;
        }
    }

    /** Everything sent and not yet acknowledged is to be sent again (a retransmission ahead of the PTO). */
    void requeueUnacked()
    {
        onLost(ackedOffset, (int)(sentOffset - ackedOffset), finSent);
    }

    /** True if bytes were sent and not all are acknowledged. */
    boolean hasUnacked()
    {
        return sentOffset > ackedOffset;
    }

    private int index(final long offset)
    {
        return (int)(offset % data.length);
    }
}
