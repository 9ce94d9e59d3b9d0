package io.ringbus.core.shard;

import io.ringbus.core.backend.IoBackend;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Where a bus's shards run, and where their time, randomness and backends come from.
 *
 * <p>{@link #THREADS}, the default, is what every server uses: one thread per shard, the system
 * clock, {@link SecureRandom}, the configured backend. A simulator supplies its own runtime: no
 * threads ({@link #threaded()} false: it steps each shard with {@link Shard#step()} on its own
 * single thread, in an order of its choosing), a virtual clock, a seeded random source and a
 * simulated backend, so that one seed replays one run exactly (issue 14).
 *
 * <p>A runtime is given to {@code BusConfig.Builder.runtime}; one instance may serve one bus or
 * several. Its methods are called on the thread that starts and stops the bus, except
 * {@link #clock()} and {@link #secureRandom()}, which shards call too.
 */
public interface ShardRuntime
{
    /** One thread per shard (Agrona {@code AgentRunner}), the system clock, {@link SecureRandom}. */
    ShardRuntime THREADS = new ShardRuntime()
    {
        @Override
        public NanoClock clock()
        {
            return SystemNanoClock.INSTANCE;
        }

        @Override
        public SecureRandom secureRandom()
        {
            return new SecureRandom();
        }

        @Override
        public boolean threaded()
        {
            return true;
        }

        @Override
        public boolean awaitUntil(final BooleanSupplier done, final long timeoutNs)
        {
            final long deadlineNs = System.nanoTime() + timeoutNs;
            while (!done.getAsBoolean())
            {
                if (System.nanoTime() - deadlineNs >= 0)
                {
                    return false;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            return true;
        }

        @Override
        public void stopLater(final Runnable stop, final String name)
        {
            final Thread stopper = new Thread(stop, name);
            stopper.setDaemon(true);
            // A failure while stopping goes to the log, not to System.err through the JDK's default handler.
            stopper.setUncaughtExceptionHandler((thread, ex) -> System.getLogger("io.ringbus.core.MessageBus")
                .log(System.Logger.Level.ERROR, "stopping the bus failed", ex));
            stopper.start();
        }

        @Override
        public String toString()
        {
            return "threads";
        }
    };

    /**
     * The backend of shard {@code shardIndex} of a bus, or null to build the one the configuration
     * names ({@code backend = auto | nio | io_uring}).
     */
    default IoBackend backend(final int shardIndex)
    {
        return null;
    }

    /** The clock every shard reads at the start of its duty cycle; its deadlines are on this clock. */
    NanoClock clock();

    /** A random source for one use (nonces, masks, identifiers). */
    SecureRandom secureRandom();

    /**
     * True: each shard runs on its own thread. False: nobody starts a thread; the bus hands its
     * shards to {@link #adopt(Shard[])} and the runtime's owner steps them ({@link Shard#step()}).
     */
    boolean threaded();

    /** A bus that is not {@link #threaded()} hands over its shards, once, at start. */
    default void adopt(final Shard[] shards)
    {
    }

    /**
     * Let the shards run until {@code done} is true or {@code timeoutNs} have passed on
     * {@link #clock()}: park a while between checks (threads), or step the shards (a stepping
     * runtime). Called by a stopping bus, never on a shard.
     *
     * @return true if {@code done} became true.
     */
    boolean awaitUntil(BooleanSupplier done, long timeoutNs);

    /**
     * Run a bus's stop ({@code stop}, which waits for the shards) after the shard that asked for it
     * has returned: on a new thread named {@code name}, or, stepping, when the owner is next between
     * steps.
     */
    void stopLater(Runnable stop, String name);
}
