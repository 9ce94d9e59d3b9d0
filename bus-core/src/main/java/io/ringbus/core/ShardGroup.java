package io.ringbus.core;

import io.ringbus.core.backend.IoBackend;
import io.ringbus.core.backend.IoBackendProvider;
import io.ringbus.core.backend.NioBackend;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.shard.Shard;
import io.ringbus.core.shard.ShardRuntime;
import io.ringbus.core.transport.ConnectionLimits;
import org.agrona.concurrent.AgentRunner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;

/**
 * A bus's shard threads: builds the N shards on the configured backend, runs each on its own
 * {@link AgentRunner} thread (made by {@code BusConfig.shardThreadFactory()} if the user gave one), runs a task on shard 0 for a caller that waits ({@link #onShard0}),
 * sums their counters and joins the threads at the end.
 *
 * <p>Built and started by the thread that starts the bus; {@link #onShard0} and {@link #stopAndJoin}
 * from any thread but a shard's.
 */
final class ShardGroup
{
    private static final String IO_URING = "io_uring";
    private static final long SHARD0_ANSWER_TIMEOUT_S = 10;

    /** A task for shard 0 that returns a value or throws. */
    @FunctionalInterface
    interface ShardTask<T>
    {
        T run() throws Exception;
    }

    /** Told of a throwable an {@link AgentRunner} saw outside the duty cycle (onStart, onClose). */
    @FunctionalInterface
    interface RunnerErrorHandler
    {
        void onRunnerError(Shard shard, Throwable ex);
    }

    private final Shard[] shards;
    private final AgentRunner[] runners;
    private final ShardRuntime runtime;
    private final ThreadFactory threadFactory;

    ShardGroup(final BusConfig config, final Shard.FailureHandler onFailure)
    {
        final int n = config.shards();
        this.runtime = config.runtime();
        this.threadFactory = config.shardThreadFactory();
        this.shards = new Shard[n];
        this.runners = new AgentRunner[n];
        IntFunction<IoBackend> backends = null;
        for (int i = 0; i < n; i++)
        {
            IoBackend backend = runtime.backend(i);
            if (backend == null)
            {
                if (backends == null)
                {
                    backends = backendFactory(config.backend());
                }
                backend = backends.apply(i);
            }
            shards[i] = new Shard(i, backend, config.idleMode(), config.mailboxCapacity(),
                config.mailboxDrainLimit(), onFailure, runtime.clock());
        }
    }

    /**
     * The backend factory for {@code backend}: NIO, io_uring (which must be available, else the
     * start fails naming why), or AUTO: io_uring where the kernel allows it, else NIO.
     */
    static IntFunction<IoBackend> backendFactory(final Backend backend)
    {
        if (backend == Backend.NIO)
        {
            return shard -> new NioBackend();
        }
        final IoBackendProvider uring = IoBackendProvider.find(IO_URING);
        if (backend == Backend.IO_URING)
        {
            if (uring == null)
            {
                throw new IllegalStateException("backend = io_uring: the io_uring backend is not on the class path " +
                    "(add the bus-uring module)");
            }
            if (!uring.isAvailable())
            {
                throw new IllegalStateException("backend = io_uring: not available on this machine: " +
                    uring.unavailabilityReason());
            }
            return uring::create;
        }
        return uring != null && uring.isAvailable() ? uring::create : shard -> new NioBackend();
    }

    /** The shards, by index. */
    Shard[] shards()
    {
        return shards;
    }

    /** Shard 0: listeners, QUIC and the pool trim live there. */
    Shard shard0()
    {
        return shards[0];
    }

    /** The runtime the shards run on. */
    ShardRuntime runtime()
    {
        return runtime;
    }

    /** Start every shard on its own thread, or hand them to a runtime that steps them itself. */
    void start(final RunnerErrorHandler onRunnerError)
    {
        if (!runtime.threaded())
        {
            runtime.adopt(shards.clone());
            return;
        }
        for (int i = 0; i < shards.length; i++)
        {
            final Shard shard = shards[i];
            // The shard catches what escapes its duty cycle itself; this sees only onStart/onClose.
            runners[i] = new AgentRunner(shard.idleStrategy(), ex -> onRunnerError.onRunnerError(shard, ex),
                null, shard);
            if (threadFactory == null)
            {
                AgentRunner.startOnThread(runners[i]); // a thread named ringbus-shard-N
            }
            else
            {
                startOnUserThread(i);
            }
        }
    }

    /**
     * Start shard {@code i}'s runner on a thread of the user's factory. Not
     * {@code AgentRunner.startOnThread(runner, factory)}: that renames the thread to the shard's role
     * name, and the user's factory chose the name. If the factory fails, the shards started so far
     * are stopped and joined and the others closed, so a failed start leaves no thread behind.
     */
    private void startOnUserThread(final int i)
    {
        final Thread thread;
        try
        {
            thread = threadFactory.newThread(runners[i]);
            if (thread == null)
            {
                throw new IllegalStateException("shardThreadFactory returned no thread for shard " + i);
            }
        }
        catch (final RuntimeException | Error ex)
        {
            runners[i] = null;
            stopAndJoin();
            for (int j = i; j < shards.length; j++)
            {
                shards[j].closeAsShard();
            }
            throw ex;
        }
        thread.start();
    }

    /** True if the calling thread is one of the shards. */
    boolean inAnyShard()
    {
        for (final Shard shard : shards)
        {
            if (shard.inShard())
            {
                return true;
            }
        }
        return false;
    }

    /** Wake every started shard and join its thread (or, stepped, close each shard here). */
    void stopAndJoin()
    {
        if (!runtime.threaded())
        {
            for (final Shard shard : shards)
            {
                shard.closeAsShard();
            }
            return;
        }
        for (int i = 0; i < runners.length; i++)
        {
            if (runners[i] != null)
            {
                shards[i].wake();
                runners[i].close();
            }
        }
    }

    /** {@link #onShard0} for a runtime without threads: nothing else runs shard 0 now, so run it here as shard 0. */
    private <T> T onShard0Stepped(final ShardTask<T> task)
    {
        if (shards[0].isStopped())
        {
            throw new IllegalStateException("the bus is stopped");
        }
        try
        {
            return shards[0].callAsShard(task::run);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex.getMessage(), ex);
        }
        catch (final RuntimeException ex)
        {
            throw ex;
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** The shards' write counters summed, with {@code openConnections} and the counts of {@code limits}. */
    BusStats stats(final int openConnections, final ConnectionLimits limits)
    {
        long writes = 0;
        long frames = 0;
        long maxBatch = 0;
        for (final Shard shard : shards)
        {
            writes += shard.writeCalls.get();
            frames += shard.framesWritten.get();
            maxBatch = Math.max(maxBatch, shard.maxFramesPerWrite.get());
        }
        return new BusStats(writes, frames, maxBatch, openConnections,
            limits.open(), limits.refusedTotal(), limits.refusedPerAddress());
    }

    /**
     * Run {@code task} on shard 0 and wait (at most 10 s) for its result; what it throws is thrown
     * here (an IOException as UncheckedIOException). Any thread but a shard's.
     */
    <T> T onShard0(final ShardTask<T> task)
    {
        if (!runtime.threaded())
        {
            return onShard0Stepped(task);
        }
        final CompletableFuture<T> result = new CompletableFuture<>();
        if (!shards[0].execute(() ->
        {
            try
            {
                result.complete(task.run());
            }
            catch (final Throwable ex)
            {
                result.completeExceptionally(ex);
            }
        }))
        {
            throw new IllegalStateException("the bus is stopped");
        }
        try
        {
            return result.get(SHARD0_ANSWER_TIMEOUT_S, TimeUnit.SECONDS);
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause();
            if (cause instanceof IOException)
            {
                throw new UncheckedIOException(cause.getMessage(), (IOException)cause);
            }
            if (cause instanceof RuntimeException)
            {
                throw (RuntimeException)cause;
            }
            throw new IllegalStateException(cause);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", ex);
        }
        catch (final TimeoutException ex)
        {
            throw new IllegalStateException("shard 0 did not answer within " + SHARD0_ANSWER_TIMEOUT_S + " s", ex);
        }
    }
}
