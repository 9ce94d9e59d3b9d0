package io.ringbus.core.frame;

import org.agrona.concurrent.UnsafeBuffer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * A pooled, reference-counted direct buffer holding one frame (or one frame being written).
 *
 * <p>Acquired from a {@link FramePool} with a count of one. Every holder that keeps it beyond a
 * call {@link #retain()}s it and {@link #release()}s it when done; the last release returns it to
 * its pool. The count is atomic, so holders may live on different threads (a broadcast to
 * replicas owned by several shards shares one buffer). The bytes must not be changed once the
 * buffer has been shared.
 */
public final class FrameBuffer
{
    private static final VarHandle REF_COUNT;

    static
    {
        try
        {
            REF_COUNT = MethodHandles.lookup().findVarHandle(FrameBuffer.class, "refCount", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final FramePool pool;
    private final int sizeClass;
    private final ByteBuffer byteBuffer;
    private final UnsafeBuffer buffer;
    @SuppressWarnings("unused") // accessed through REF_COUNT
    private volatile int refCount;
    private int frameLength;
    private final ByteBuffer[] views;
    private final long[] batchStamps;

    FrameBuffer(final FramePool pool, final int sizeClass, final ByteBuffer byteBuffer, final int viewSlots)
    {
        this.pool = pool;
        this.sizeClass = sizeClass;
        this.byteBuffer = byteBuffer;
        this.buffer = new UnsafeBuffer(byteBuffer);
        this.views = new ByteBuffer[viewSlots];
        this.batchStamps = new long[viewSlots];
    }

    /**
     * Record that view slot {@code slot} put this buffer in the gathering write stamped
     * {@code stamp}; false if it is in that write already (the same buffer queued twice: one view
     * cannot stand for two ranges of one write, so the second waits for the next write).
     */
    public boolean stampBatch(final int slot, final long stamp)
    {
        if (batchStamps[slot] == stamp)
        {
            return false;
        }
        batchStamps[slot] = stamp;
        return true;
    }

    /**
     * A ByteBuffer over the same bytes whose position and limit belong to view slot {@code slot}
     * alone (a shard index), so that several threads can write one shared frame to their sockets
     * at once. Created on first use and kept with the pooled buffer, so steady state allocates
     * nothing. Slot {@code slot} may be used only by its own thread.
     */
    public ByteBuffer view(final int slot)
    {
        ByteBuffer view = views[slot];
        if (view == null)
        {
            view = byteBuffer.duplicate();
            views[slot] = view;
        }
        return view;
    }

    /** The bytes, as an Agrona buffer starting at index 0. */
    public UnsafeBuffer buffer()
    {
        return buffer;
    }

    /** The backing direct ByteBuffer (position and limit are scratch for the current owner). */
    public ByteBuffer byteBuffer()
    {
        return byteBuffer;
    }

    /** Capacity in bytes. */
    public int capacity()
    {
        return buffer.capacity();
    }

    /** Length of the frame held, set by its writer; the frame starts at index 0. */
    public int frameLength()
    {
        return frameLength;
    }

    /** Record the length of the frame held. */
    public FrameBuffer frameLength(final int frameLength)
    {
        if (frameLength < 0 || frameLength > buffer.capacity())
        {
            throw new IllegalArgumentException("frameLength = " + frameLength + ": outside 0.." + buffer.capacity());
        }
        this.frameLength = frameLength;
        return this;
    }

    /** Current reference count (for tests and assertions). */
    public int refCount()
    {
        return (int)REF_COUNT.getVolatile(this);
    }

    /** Add a holder. Throws if the buffer was already released to its pool. */
    public FrameBuffer retain()
    {
        while (true)
        {
            final int count = (int)REF_COUNT.getVolatile(this);
            if (count <= 0)
            {
                throw new IllegalStateException("retain of a released FrameBuffer");
            }
            if (REF_COUNT.compareAndSet(this, count, count + 1))
            {
                return this;
            }
        }
    }

    /**
     * Drop a holder; the last one returns the buffer to its pool.
     *
     * @return true if this call returned the buffer to its pool.
     */
    public boolean release()
    {
        final int count = (int)REF_COUNT.getAndAdd(this, -1);
        if (count == 1)
        {
            pool.recycle(this);
            return true;
        }
        if (count <= 0)
        {
            REF_COUNT.getAndAdd(this, 1);
            throw new IllegalStateException("release of a FrameBuffer that was already released");
        }
        return false;
    }

    int sizeClass()
    {
        return sizeClass;
    }

    void reset()
    {
        frameLength = 0;
        byteBuffer.clear();
        REF_COUNT.setVolatile(this, 1);
    }
}
