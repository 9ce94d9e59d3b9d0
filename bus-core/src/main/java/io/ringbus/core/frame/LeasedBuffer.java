package io.ringbus.core.frame;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * A direct buffer a carrier layer (TLS, WebSocket) holds only while it has bytes in it: taken from
 * the {@link FramePool} when bytes arrive or wait to be written and given back when they are
 * drained, so an idle connection holds little or nothing. A size above the pool's largest buffer
 * (a small max_message_size) is allocated outside the pool and freed explicitly on release.
 *
 * <p>Not thread-safe: owned by one connection's thread. A buffer handed to a backend for a read or
 * a write must stay held until that operation has completed.
 */
public final class LeasedBuffer
{
    private final FramePool pool;
    private FrameBuffer pooled;
    private ByteBuffer byteBuffer;
    private UnsafeBuffer buffer;

    /** @param pool where buffers come from. */
    public LeasedBuffer(final FramePool pool)
    {
        this.pool = pool;
    }

    /** True while a buffer is held. */
    public boolean isHeld()
    {
        return byteBuffer != null;
    }

    /** Capacity of the buffer held, 0 when none. */
    public int capacity()
    {
        return byteBuffer != null ? byteBuffer.capacity() : 0;
    }

    /** The held buffer as a ByteBuffer (position and limit are the caller's to set); null when none. */
    public ByteBuffer byteBuffer()
    {
        return byteBuffer;
    }

    /** The held buffer as an UnsafeBuffer over the same bytes; null when none. */
    public UnsafeBuffer buffer()
    {
        return buffer;
    }

    /** Hold a buffer of at least {@code minCapacity} bytes; one already held is released first. */
    public void take(final int minCapacity)
    {
        release();
        if (minCapacity <= pool.maxBufferSize())
        {
            pooled = pool.acquire(minCapacity);
            byteBuffer = pooled.byteBuffer();
            buffer = pooled.buffer();
        }
        else
        {
            byteBuffer = ByteBuffer.allocateDirect(minCapacity);
            buffer = new UnsafeBuffer(byteBuffer);
        }
    }

    /**
     * Continue in a buffer of at least {@code minCapacity} bytes, moving the bytes in
     * [{@code from}, {@code to}) of the one held (if any) to its start.
     */
    public void grow(final int minCapacity, final int from, final int to)
    {
        final FrameBuffer previousPooled = pooled;
        final ByteBuffer previous = byteBuffer;
        final UnsafeBuffer previousBuffer = buffer;
        pooled = null;
        byteBuffer = null;
        buffer = null;
        take(minCapacity);
        if (previous != null)
        {
            buffer.putBytes(0, previousBuffer, from, to - from);
            free(previousPooled, previous);
        }
    }

    /** Give the buffer back (to the pool, or to the system); harmless when none is held. */
    public void release()
    {
        if (byteBuffer != null)
        {
            final FrameBuffer previousPooled = pooled;
            final ByteBuffer previous = byteBuffer;
            pooled = null;
            byteBuffer = null;
            buffer = null;
            free(previousPooled, previous);
        }
    }

    private static void free(final FrameBuffer pooled, final ByteBuffer byteBuffer)
    {
        if (pooled != null)
        {
            pooled.release();
        }
        else
        {
            BufferUtil.free(byteBuffer);
        }
    }
}
