package io.ringbus.core.frame;

/**
 * Chooses how large the next receive buffer should be from what recent reads brought, the idea of
 * Netty's {@code AdaptiveRecvByteBufAllocator}: start at the smallest size, double after a read
 * that filled all the room it was offered, halve after two reads in a row that used at most half
 * of the current size. An idle connection thus holds the smallest buffer (or none), while a busy
 * one reads in large chunks. Sizes stay within [{@code minSize}, {@code maxSize}].
 *
 * <p>Not thread-safe: owned by one connection's thread. Allocation-free.
 */
public final class ReceiveSizer
{
    private final int minSize;
    private final int maxSize;
    private int size;
    private boolean smallBefore;

    /**
     * @param minSize first and smallest size (a power of two keeps pool classes full).
     * @param maxSize largest size; below {@code minSize} it is used for both.
     */
    public ReceiveSizer(final int minSize, final int maxSize)
    {
        if (minSize < 1 || maxSize < 1)
        {
            throw new IllegalArgumentException("sizes " + minSize + ", " + maxSize + ": must be positive");
        }
        this.maxSize = maxSize;
        this.minSize = Math.min(minSize, maxSize);
        this.size = this.minSize;
    }

    /** The size to take for the next read. */
    public int size()
    {
        return size;
    }

    /** Largest size this sizer ever asks for. */
    public int maxSize()
    {
        return maxSize;
    }

    /**
     * A read was offered {@code room} bytes and brought {@code bytes}.
     */
    public void record(final int bytes, final int room)
    {
        if (bytes >= room && room > 0)
        {
            // The socket had more: read in larger chunks (fewer reads and wake-ups).
            size = (int)Math.min(maxSize, Math.max((long)size, room) * 2);
            smallBefore = false;
        }
        else if (bytes <= size >> 1)
        {
            if (smallBefore)
            {
                size = Math.max(minSize, size >> 1);
                smallBefore = false;
            }
            else
            {
                smallBefore = true;
            }
        }
        else
        {
            smallBefore = false;
        }
    }
}
