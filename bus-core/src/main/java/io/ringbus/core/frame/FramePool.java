package io.ringbus.core.frame;

import org.agrona.BufferUtil;
import org.jctools.queues.MpmcArrayQueue;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Size-classed pool of direct {@link FrameBuffer}s, shared by the threads of one bus.
 *
 * <p>Classes are powers of two from {@link #MIN_CLASS_SIZE} up to the largest message. Each class
 * keeps at most {@code maxPooledBytesPerClass / classSize} idle buffers (at least one); a buffer
 * released into a full class is freed. Acquire and release are safe from any thread.
 *
 * <p>A budget bounds the direct memory the pool holds (outstanding and idle buffers together). An
 * acquire that would exceed it first frees idle buffers of other classes; if that is not enough it
 * is refused: {@link #tryAcquire} answers null and {@link #acquire} throws
 * {@link PoolExhaustedException}, never an {@link OutOfMemoryError}. Refusals are counted.
 * <p>Trimming: {@link #trim(long)}, called periodically (a bus calls it every
 * {@link #DEFAULT_TRIM_INTERVAL_NS} from shard 0), frees the idle buffers of each class that stayed
 * idle for the whole period since the previous call, down to a floor, explicitly
 * ({@link BufferUtil#free}) so that the process's resident memory really drops. After a burst of
 * connections closes, the pool thus shrinks back toward its floor within two periods, while a pool
 * in steady use keeps what it keeps reusing.
 *
 * <p>Leak detection ({@code -Dringbus.leakDetection=true}, or the constructor flag) records the
 * stack of every acquire that has not yet been released; {@link #assertNoLeaks()} reports them.
 */
public final class FramePool
{
    /** Smallest buffer handed out. */
    public static final int MIN_CLASS_SIZE = 4096;
    /** Default bound on idle bytes kept per size class. */
    public static final long DEFAULT_MAX_POOLED_BYTES_PER_CLASS = 16L * 1024 * 1024;
    /** Whether pools created without an explicit flag track leaks. */
    public static final boolean LEAK_DETECTION_DEFAULT = Boolean.getBoolean("ringbus.leakDetection");

    /** Largest buffer any pool hands out (1 GiB), so that every size class fits an int. */
    public static final int MAX_BUFFER_SIZE = 1 << 30;
    /** Budget of a pool built without one: no bound but the JVM's own direct memory limit. */
    public static final long UNBOUNDED = Long.MAX_VALUE;

    /** Idle bytes per size class that {@link #trim(long)} leaves in place when a bus trims. */
    public static final long DEFAULT_TRIM_FLOOR_BYTES_PER_CLASS = 256 * 1024;
    /** How often a bus trims its pool. */
    public static final long DEFAULT_TRIM_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);

    private static final int MIN_CLASS_SHIFT = Integer.numberOfTrailingZeros(MIN_CLASS_SIZE);

    private final int maxBufferSize;
    private final int viewSlots;
    private final MpmcArrayQueue<FrameBuffer>[] idle;
    private final boolean leakDetection;
    private final Map<FrameBuffer, Throwable> outstanding;
    private final AtomicLong outstandingCount = new AtomicLong();
    private final AtomicLong allocatedCount = new AtomicLong();
    private final long budgetBytes;
    private final AtomicLong heldBytes = new AtomicLong();
    private final AtomicLong outstandingBytes = new AtomicLong();
    private final AtomicLong refusedCount = new AtomicLong();
    private final AtomicIntegerArray idleLowWater; // per class: fewest idle buffers since the last trim
    private final AtomicLong trimmedCount = new AtomicLong();
    private final AtomicLong freedCount = new AtomicLong();

    /** A pool for frames up to {@code maxBufferSize} bytes, leak detection from the system property. */
    public FramePool(final int maxBufferSize)
    {
        this(maxBufferSize, DEFAULT_MAX_POOLED_BYTES_PER_CLASS, LEAK_DETECTION_DEFAULT);
    }

    /** A pool with one {@link FrameBuffer#view(int) view slot}. */
    public FramePool(final int maxBufferSize, final long maxPooledBytesPerClass, final boolean leakDetection)
    {
        this(maxBufferSize, maxPooledBytesPerClass, leakDetection, 1);
    }

    /** A pool without a budget ({@link #UNBOUNDED}). */
    public FramePool(final int maxBufferSize, final long maxPooledBytesPerClass, final boolean leakDetection,
        final int viewSlots)
    {
        this(maxBufferSize, maxPooledBytesPerClass, leakDetection, viewSlots, UNBOUNDED);
    }

    /**
     * @param maxBufferSize          largest buffer handed out.
     * @param maxPooledBytesPerClass bound on idle bytes kept per size class.
     * @param leakDetection          record outstanding buffers with their acquiring stacks.
     * @param viewSlots              threads that may write a buffer concurrently (one per shard).
     * @param budgetBytes            bound on the direct memory held (outstanding and idle buffers);
     *                               at least {@link #classCapacity(int) classCapacity(maxBufferSize)},
     *                               so that the largest buffer can be served.
     */
    @SuppressWarnings("unchecked")
    public FramePool(final int maxBufferSize, final long maxPooledBytesPerClass, final boolean leakDetection,
        final int viewSlots, final long budgetBytes)
    {
        if (viewSlots < 1)
        {
            throw new IllegalArgumentException("viewSlots = " + viewSlots + ": at least 1");
        }
        this.viewSlots = viewSlots;
        if (maxBufferSize < FrameHeader.HEADER_SIZE)
        {
            throw new IllegalArgumentException("maxBufferSize = " + maxBufferSize + ": below the header size");
        }
        if (maxBufferSize > MAX_BUFFER_SIZE)
        {
            throw new IllegalArgumentException("maxBufferSize = " + maxBufferSize + ": above " + MAX_BUFFER_SIZE);
        }
        if (maxPooledBytesPerClass < 0)
        {
            throw new IllegalArgumentException("maxPooledBytesPerClass = " + maxPooledBytesPerClass + ": negative");
        }
        if (budgetBytes < classCapacity(maxBufferSize))
        {
            throw new IllegalArgumentException("budgetBytes = " + budgetBytes + ": below " +
                classCapacity(maxBufferSize) + ", the buffer of the largest frame (maxBufferSize " + maxBufferSize + ")");
        }
        this.budgetBytes = budgetBytes;
        this.maxBufferSize = maxBufferSize;
        final int classes = sizeClassOf(maxBufferSize) + 1;
        this.idle = new MpmcArrayQueue[classes];
        for (int i = 0; i < classes; i++)
        {
            final long classSize = classSize(i);
            final int keep = (int)Math.max(2, Math.min(4096, maxPooledBytesPerClass / classSize));
            idle[i] = new MpmcArrayQueue<>(keep);
        }
        this.idleLowWater = new AtomicIntegerArray(classes);
        this.leakDetection = leakDetection;
        this.outstanding = leakDetection ? new ConcurrentHashMap<>() : null;
    }

    /** Largest buffer this pool hands out. */
    public int maxBufferSize()
    {
        return maxBufferSize;
    }

    /** The budget: bound on the direct memory this pool holds, in bytes ({@link #UNBOUNDED} if none). */
    public long budgetBytes()
    {
        return budgetBytes;
    }

    /**
     * A buffer of at least {@code minCapacity} bytes with a reference count of one.
     *
     * @throws IllegalArgumentException if {@code minCapacity} exceeds {@link #maxBufferSize()}.
     * @throws PoolExhaustedException   if the buffer would take the pool over its budget.
     */
    public FrameBuffer acquire(final int minCapacity)
    {
        final FrameBuffer frame = take(minCapacity);
        if (frame == null)
        {
            throw new PoolExhaustedException(classCapacity(minCapacity), heldBytes.get(), budgetBytes);
        }
        if (leakDetection)
        {
            // Made here, so that the caller is the second frame of the recorded stack.
            outstanding.put(frame, new Throwable("FrameBuffer acquired here and never released"));
        }
        return frame;
    }

    /**
     * As {@link #acquire}, but answers null instead of throwing when the buffer would take the pool
     * over its budget (the refusal is counted in {@link #refused()}).
     *
     * @throws IllegalArgumentException if {@code minCapacity} exceeds {@link #maxBufferSize()}.
     */
    public FrameBuffer tryAcquire(final int minCapacity)
    {
        final FrameBuffer frame = take(minCapacity);
        if (frame != null && leakDetection)
        {
            outstanding.put(frame, new Throwable("FrameBuffer acquired here and never released"));
        }
        return frame;
    }

    private FrameBuffer take(final int minCapacity)
    {
        if (minCapacity < 0 || minCapacity > maxBufferSize)
        {
            throw new IllegalArgumentException("capacity " + minCapacity + " outside 0.." + maxBufferSize);
        }
        final int sizeClass = sizeClassOf(minCapacity);
        FrameBuffer frame = idle[sizeClass].relaxedPoll();
        if (frame == null)
        {
            final int size = classSize(sizeClass);
            if (!reserve(size) && !reserveAfterFreeingIdle(sizeClass, size))
            {
                refusedCount.incrementAndGet();
                return null;
            }
            frame = new FrameBuffer(this, sizeClass, ByteBuffer.allocateDirect(size), viewSlots);
            allocatedCount.incrementAndGet();
        }
        noteIdle(sizeClass);
        frame.reset();
        if (leakDetection)
        {
            outstandingCount.incrementAndGet();
            outstandingBytes.addAndGet(frame.capacity());
        }
        return frame;
    }

    /** Count {@code size} more bytes held, unless that would exceed the budget. */
    private boolean reserve(final int size)
    {
        while (true)
        {
            final long held = heldBytes.get();
            if (held + size > budgetBytes)
            {
                return false;
            }
            if (heldBytes.compareAndSet(held, held + size))
            {
                return true;
            }
        }
    }

    /**
     * Over budget: free idle buffers of other classes (one of the class itself would have been
     * reused), largest first, until {@code size} more bytes fit, then reserve them.
     */
    private boolean reserveAfterFreeingIdle(final int sizeClass, final int size)
    {
        freeIdleExcept(sizeClass, heldBytes.get() + size - budgetBytes);
        return reserve(size);
    }

    /** Free idle buffers of classes other than {@code sizeClass}, largest first, until {@code wanted} bytes went. */
    private void freeIdleExcept(final int sizeClass, final long wanted)
    {
        long freed = 0;
        for (int c = idle.length - 1; c >= 0 && freed < wanted; c--)
        {
            if (c == sizeClass)
            {
                continue;
            }
            FrameBuffer victim;
            while (freed < wanted && (victim = idle[c].relaxedPoll()) != null)
            {
                free(victim);
                freed += victim.capacity();
            }
        }
    }

    private void free(final FrameBuffer frame)
    {
        BufferUtil.free(frame.byteBuffer());
        heldBytes.addAndGet(-frame.capacity());
        freedCount.incrementAndGet();
    }

    void recycle(final FrameBuffer frame)
    {
        if (leakDetection)
        {
            outstandingBytes.addAndGet(-frame.capacity());
            outstandingCount.decrementAndGet();
            outstanding.remove(frame);
        }
        if (!idle[frame.sizeClass()].relaxedOffer(frame))
        {
            free(frame);
        }
    }

    /** Direct memory this pool holds now, outstanding and idle buffers together, in bytes. Any thread. */
    public long heldBytes()
    {
        return heldBytes.get();
    }

    /**
     * Bytes of the buffers acquired and not yet released (leak detection only, like
     * {@link #outstanding()}: a counter shared by every shard costs nothing then). Any thread.
     */
    public long outstandingBytes()
    {
        return outstandingBytes.get();
    }

    /** Acquires refused because the budget was reached, since the pool was created. Any thread. */
    public long refused()
    {
        return refusedCount.get();
    }

    // ---------------------------------------------------------------------------------------------
    // Trimming

    /** Lower the class's low-water mark of idle buffers; a benign race with {@link #trim} at worst keeps a few. */
    private void noteIdle(final int sizeClass)
    {
        final int idleNow = idle[sizeClass].size();
        if (idleNow < idleLowWater.getOpaque(sizeClass))
        {
            idleLowWater.setOpaque(sizeClass, idleNow);
        }
    }

    /**
     * Free the idle buffers that no acquire needed since the previous call, keeping at least
     * {@code floorBytesPerClass} of idle buffers per size class. Any thread; call it periodically.
     *
     * @return how many buffers were freed.
     */
    public int trim(final long floorBytesPerClass)
    {
        int freed = 0;
        for (int sizeClass = 0; sizeClass < idle.length; sizeClass++)
        {
            final MpmcArrayQueue<FrameBuffer> queue = idle[sizeClass];
            final long keep = Math.max(0, floorBytesPerClass) / classSize(sizeClass);
            final long excess = Math.min(idleLowWater.getOpaque(sizeClass), queue.size() - keep);
            for (long i = 0; i < excess; i++)
            {
                final FrameBuffer frame = queue.relaxedPoll();
                if (frame == null)
                {
                    break;
                }
                free(frame); // gives its bytes back to the budget too
                freed++;
            }
            idleLowWater.setOpaque(sizeClass, queue.size());
        }
        trimmedCount.addAndGet(freed);
        return freed;
    }

    /** Idle buffers pooled now in the size class that serves {@code capacity} bytes. */
    public int idleBuffers(final int capacity)
    {
        return idle[sizeClassOf(capacity)].size();
    }

    /**
     * Buffers in use now: allocated, not freed, not idle in the pool. A snapshot from counters the
     * shards update concurrently, so it may be off by the buffers moving while it reads. Any thread.
     */
    public long buffersInUse()
    {
        long idleNow = 0;
        for (int sizeClass = 0; sizeClass < idle.length; sizeClass++)
        {
            idleNow += idle[sizeClass].size();
        }
        return Math.max(0, allocatedCount.get() - freedCount.get() - idleNow);
    }

    /** Buffers {@link #trim} has freed since this pool was created. */
    public long trimmed()
    {
        return trimmedCount.get();
    }

    /** Whether this pool records outstanding buffers. */
    public boolean isLeakDetectionEnabled()
    {
        return leakDetection;
    }

    /** Buffers acquired and not yet released (leak detection only; otherwise 0). */
    public long outstanding()
    {
        return outstandingCount.get();
    }

    /** Buffers this pool has allocated since it was created. */
    public long allocated()
    {
        return allocatedCount.get();
    }

    /**
     * Throw an {@link AssertionError} naming every outstanding buffer with the stack that acquired
     * it. Requires leak detection.
     */
    public void assertNoLeaks()
    {
        if (!leakDetection)
        {
            throw new IllegalStateException("leak detection is off for this pool");
        }
        if (outstanding.isEmpty())
        {
            return;
        }
        final AssertionError error = new AssertionError(outstanding.size() + " FrameBuffer(s) leaked");
        for (final Throwable where : outstanding.values())
        {
            error.addSuppressed(where);
        }
        throw error;
    }

    /** The capacity of the buffer an acquire of {@code minCapacity} bytes hands out (its size class). */
    public static int classCapacity(final int minCapacity)
    {
        return classSize(sizeClassOf(minCapacity));
    }

    static int sizeClassOf(final int capacity)
    {
        if (capacity <= MIN_CLASS_SIZE)
        {
            return 0;
        }
        return (32 - Integer.numberOfLeadingZeros(capacity - 1)) - MIN_CLASS_SHIFT;
    }

    static int classSize(final int sizeClass)
    {
        return MIN_CLASS_SIZE << sizeClass;
    }
}
