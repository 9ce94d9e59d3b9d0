package io.ringbus.cli;

import org.agrona.concurrent.NanoClock;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Drives one or more {@link LoadPipeline}s from one thread: each {@link #step} reads and then
 * writes on every live pipeline, and when nothing moved, idles once as its {@link Idle} mode says:
 * {@link Idle#SPIN} spins (no syscall beyond the non-blocking reads and writes; costs a core),
 * {@link Idle#BLOCK} waits in a {@link Selector} for the sockets (or sleeps until the next
 * scheduled send of an open-loop run). A pipeline that fails (a bad reply, a closed connection)
 * is closed and left out of later steps; its exception is kept for the caller ({@link #failure}).
 *
 * <p>Allocates nothing per step. Confined to the thread that made it.
 */
public final class LoadDriver implements AutoCloseable
{
    /** How a driver waits when no pipeline has anything to do. */
    public enum Idle
    {
        /** Spin on non-blocking reads and writes. */
        SPIN,
        /** Block in a selector until a socket is ready (or the next scheduled send is due). */
        BLOCK
    }

    private static final long NS_PER_MS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Below this wait, a blocking driver sleeps without the selector (which counts whole ms). */
    private static final long PARK_BELOW_NS = NS_PER_MS;

    private final LoadPipeline[] pipelines;
    private final Idle idle;
    private final NanoClock clock;
    private final Selector selector;
    private final SelectionKey[] keys;
    private final int[] interestOps;
    private final IOException[] failures;
    private final Consumer<SelectionKey> ignoreReady = LoadDriver::ignore;
    private int live;

    /**
     * A driver of {@code pipelines} (each already connected) that idles as {@code idle} says and
     * reads the time from {@code clock} (the pipelines' clock).
     */
    public LoadDriver(final LoadPipeline[] pipelines, final Idle idle, final NanoClock clock) throws IOException
    {
        this.pipelines = pipelines.clone();
        this.idle = idle;
        this.clock = clock;
        this.failures = new IOException[pipelines.length];
        this.keys = new SelectionKey[pipelines.length];
        this.interestOps = new int[pipelines.length];
        this.live = pipelines.length;
        if (idle == Idle.BLOCK)
        {
            selector = Selector.open();
            for (int i = 0; i < pipelines.length; i++)
            {
                keys[i] = pipelines[i].channel().register(selector, SelectionKey.OP_READ);
                interestOps[i] = SelectionKey.OP_READ;
            }
        }
        else
        {
            selector = null;
        }
    }

    private static void ignore(final SelectionKey key)
    {
        // The step after the wait tries every pipeline anyway.
    }

    /**
     * Read, then write, on every live pipeline; if nothing moved, idle once for at most
     * {@code maxWaitNs} (a blocking driver; a spinning one only hints the CPU).
     *
     * @return true if something moved (bytes read or written, requests filled).
     */
    public boolean step(final long maxWaitNs)
    {
        long work = 0;
        long nextDueNs = Long.MAX_VALUE;
        for (int i = 0; i < pipelines.length; i++)
        {
            if (failures[i] != null)
            {
                continue;
            }
            final LoadPipeline pipeline = pipelines[i];
            try
            {
                work += pipeline.readStep();
                work += pipeline.writeStep();
            }
            catch (final IOException ex)
            {
                fail(i, ex);
                continue;
            }
            nextDueNs = Math.min(nextDueNs, pipeline.nextDueNs());
        }
        if (work != 0)
        {
            return true;
        }
        if (idle == Idle.SPIN || live == 0)
        {
            Thread.onSpinWait();
            return false;
        }
        final long waitNs = Math.min(maxWaitNs, nextDueNs == Long.MAX_VALUE ? Long.MAX_VALUE : nextDueNs - clock.nanoTime());
        if (waitNs <= 0)
        {
            return false;
        }
        block(waitNs);
        return false;
    }

    private void block(final long waitNs)
    {
        try
        {
            for (int i = 0; i < pipelines.length; i++)
            {
                if (failures[i] != null)
                {
                    continue;
                }
                final int ops = pipelines[i].wantsWrite() ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ;
                if (ops != interestOps[i])
                {
                    keys[i].interestOps(ops);
                    interestOps[i] = ops;
                }
            }
            if (waitNs < PARK_BELOW_NS)
            {
                // The selector counts whole milliseconds: a scheduled send sooner than that sleeps instead.
                if (selector.selectNow(ignoreReady) == 0)
                {
                    LockSupport.parkNanos(waitNs);
                }
                return;
            }
            selector.select(ignoreReady, Math.max(1, waitNs / NS_PER_MS));
        }
        catch (final IOException ex)
        {
            // A selector that fails is a local problem, not the server's: every pipeline stops.
            for (int i = 0; i < pipelines.length; i++)
            {
                if (failures[i] == null)
                {
                    fail(i, ex);
                }
            }
        }
    }

    private void fail(final int index, final IOException ex)
    {
        failures[index] = ex;
        live--;
        if (keys[index] != null)
        {
            keys[index].cancel();
        }
        try
        {
            pipelines[index].close();
        }
        catch (final IOException closeEx)
        {
            ex.addSuppressed(closeEx);
        }
    }

    /** Pipelines that have not failed. */
    public int live()
    {
        return live;
    }

    /** Why pipeline {@code index} failed, or null while it has not. */
    public IOException failure(final int index)
    {
        return failures[index];
    }

    /** The first failure in pipeline order, or null. */
    public IOException firstFailure()
    {
        for (final IOException failure : failures)
        {
            if (failure != null)
            {
                return failure;
            }
        }
        return null;
    }

    /** Close the selector and every pipeline. */
    @Override
    public void close() throws IOException
    {
        IOException first = null;
        for (final LoadPipeline pipeline : pipelines)
        {
            try
            {
                pipeline.close();
            }
            catch (final IOException ex)
            {
                first = first == null ? ex : first;
            }
        }
        if (selector != null)
        {
            selector.close();
        }
        if (first != null)
        {
            throw first;
        }
    }
}
