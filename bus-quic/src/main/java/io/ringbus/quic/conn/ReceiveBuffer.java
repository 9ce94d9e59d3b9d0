package io.ringbus.quic.conn;

import java.nio.ByteBuffer;

/**
 * The receive side of a byte stream (the bidirectional stream or one level's CRYPTO stream):
 * reassembles out-of-order and overlapping frames in a fixed ring of {@code capacity} bytes past
 * the read offset, and hands the in-order bytes out as views of the ring. The caller refuses data
 * beyond {@code readOffset() + capacity()} first (flow control or the CRYPTO buffer limit). Not
 * thread-safe.
 *
 * <p>The bytes held are at most {@code maxRanges} disjoint ranges: a piece that would make one
 * more is refused ({@link #insert} returns false) and the caller closes the connection. Without
 * the cap 1-byte frames with gaps, highest offset first, grow the range array by one range per
 * frame and copy all of it each time (RFC 9000 21.7: a sender fragmenting the stream to make the
 * receiver build a large, inefficient structure).
 */
final class ReceiveBuffer
{
    private static final byte[] NONE = new byte[0];

    /** The ring, allocated when the first bytes arrive: a connection that never receives holds none. */
    private byte[] data = NONE;
    private ByteBuffer view;
    private final int capacity;
    private final int maxRanges;
    private final RangeSet received = new RangeSet(8);
    private long readOffset;
    private long highestOffset;

    /** A buffer of {@code capacity} bytes past the read offset holding at most {@code maxRanges} disjoint ranges. */
    ReceiveBuffer(final int capacity, final int maxRanges)
    {
        if (maxRanges < 1)
        {
            throw new IllegalArgumentException("maxRanges = " + maxRanges + ": at least 1");
        }
        this.capacity = capacity;
        this.maxRanges = maxRanges;
    }

    /** The most disjoint ranges of received bytes it holds. */
    int maxRanges()
    {
        return maxRanges;
    }

    /** Disjoint ranges of received bytes held now (the first may be readable). */
    int rangeCount()
    {
        return received.size();
    }

    /** Ranges moved in the range set so far: the reassembly's operation count, for tests. */
    long rangesMoved()
    {
        return received.rangesMoved();
    }

    int capacity()
    {
        return capacity;
    }

    /** Offset of the next in-order byte to hand out. */
    long readOffset()
    {
        return readOffset;
    }

    /** One past the highest byte received. */
    long highestOffset()
    {
        return highestOffset;
    }

    /**
     * Store {@code src} (position to limit) at stream offset {@code offset}; bytes already read are
     * skipped.
     *
     * @return false, nothing stored, if the bytes would make more than {@code maxRanges} disjoint ranges.
     */
    boolean insert(final long offset, final ByteBuffer src)
    {
        final long end = offset + src.remaining();
        if (end <= readOffset)
        {
            highestOffset = Math.max(highestOffset, end);
            return true;
        }
        long at = offset;
        if (at < readOffset)
        {
            src.position(src.position() + (int)(readOffset - at));
            at = readOffset;
        }
        if (end > readOffset + capacity)
        {
            throw new IllegalStateException("offset " + end + " beyond the buffer (read " + readOffset + ")");
        }
        if (!received.add(at, end, maxRanges))
        {
            return false;
        }
        highestOffset = Math.max(highestOffset, end);
        if (data.length == 0)
        {
            data = new byte[capacity];
            view = ByteBuffer.wrap(data);
        }
        while (at < end)
        {
            final int index = (int)(at % data.length);
            final int piece = (int)Math.min(end - at, data.length - index);
            src.get(data, index, piece);
            at += piece;
        }
        return true;
    }

    /** How many in-order bytes can be read now. */
    int available()
    {
        if (received.isEmpty() || received.low(0) > readOffset)
        {
            return 0;
        }
        return (int)(received.high(0) - readOffset);
    }

    /** Copy in-order bytes into {@code dst} (up to its room); they count as read. */
    int read(final ByteBuffer dst)
    {
        final int length = Math.min(available(), dst.remaining());
        int copied = 0;
        while (copied < length)
        {
            final int index = (int)(readOffset % data.length);
            final int piece = Math.min(length - copied, data.length - index);
            dst.put(data, index, piece);
            readOffset += piece;
            copied += piece;
        }
        if (copied > 0 && readOffset >= received.high(0))
        {
            received.removeFirst();
        }
        return copied;
    }

    /** The next in-order bytes as a view valid until the next call, or null; they count as read. */
    ByteBuffer poll()
    {
        if (received.isEmpty() || received.low(0) > readOffset)
        {
            return null;
        }
        final long high = received.high(0);
        final int index = (int)(readOffset % data.length);
        final int length = (int)Math.min(high - readOffset, data.length - index);
        view.clear();
        view.limit(index + length).position(index);
        readOffset += length;
        if (readOffset >= high)
        {
            received.removeFirst();
        }
        return view;
    }
}
