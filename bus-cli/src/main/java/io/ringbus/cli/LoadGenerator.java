package io.ringbus.cli;

import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.client.Reply;
import io.ringbus.core.frame.FrameHeader;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;

/**
 * A load generator: {@code connections} connections spread round-robin over the targets, each
 * keeping {@code window} requests of {@code size}-byte bodies in flight (a reply sends the next
 * request), for a bounded duration. Latency is the time from building a request to reading its
 * reply (the request's timestamp comes back in the reply), recorded in an HdrHistogram; replies
 * during the warm-up are not counted.
 *
 * <p>Two engines ({@link Engine}). When every target is {@code tcp://} and the settings ask for
 * {@link Engine#AUTO}, the fast engine runs ({@link LoadTcpRun}: {@link LoadPipeline}s on one
 * thread of their own, non-blocking, nothing allocated per message), which also offers an open
 * loop ({@link Settings#ratePerSecond()}) and busy-polling ({@link Settings#idle()}). Otherwise
 * each connection is a {@link BusClient} (every scheme; replies handled on its I/O thread).
 *
 * <p>{@link #run} blocks the calling thread while it connects, then for about the duration (its
 * clock starts once every connection is up), plus up to {@link #DRAIN_TIMEOUT} for the last
 * replies; replies are handled on the clients' I/O threads.
 */
public final class LoadGenerator
{
    /** The operation byte of load requests. */
    public static final int OPERATION = 1;
    /** Longest latency the histogram records; longer ones are clamped to it. */
    public static final long HIGHEST_LATENCY_NS = TimeUnit.MINUTES.toNanos(1);
    /** How long to wait for requests still in flight once the duration is over. */
    public static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);

    /**
     * What to run.
     *
     * @param targets     where to connect, {@code scheme://host:port}; connection i goes to target i % n
     * @param connections how many connections
     * @param window      requests in flight per connection
     * @param size        body bytes per request
     * @param duration    how long to send, warm-up included
     * @param warmup      the first part of the duration whose replies are not counted
     * @param clusterHi   high half of the cluster id the nodes run with
     * @param clusterLo   low half of the cluster id
     * @param transportSettings the clients' transport settings by scheme (bus-tls's
     *                    {@code TlsSettings} under "tls": whom to trust)
     * @param engine      which client runs: {@link Engine#AUTO} picks the fast one for tcp://
     * @param idle        how the fast engine waits when idle (block in a selector, or spin)
     * @param ratePerSecond open loop (fast engine): requests a second in all; 0 for a closed loop
     * @param byteEcho    (fast engine) the targets send each request back unchanged: measure the
     *                    client itself, taking the echoed request as the reply
     */
    public record Settings(List<URI> targets, int connections, int window, int size, Duration duration,
        Duration warmup, long clusterHi, long clusterLo, Map<String, Object> transportSettings, Engine engine,
        LoadDriver.Idle idle, long ratePerSecond, boolean byteEcho)
    {
        /**
         * Settings that run {@link BusClient}s (as before the fast engine: {@code ringbus demo} and
         * the tests built on it keep comparing like with like).
         */
        public Settings(final List<URI> targets, final int connections, final int window, final int size,
            final Duration duration, final Duration warmup, final long clusterHi, final long clusterLo,
            final Map<String, Object> transportSettings)
        {
            this(targets, connections, window, size, duration, warmup, clusterHi, clusterLo, transportSettings,
                Engine.BUS_CLIENT, LoadDriver.Idle.BLOCK, 0, false);
        }

        /** Settings with no transport settings (plain tcp, or TLS with the JDK's trust store). */
        public Settings(final List<URI> targets, final int connections, final int window, final int size,
            final Duration duration, final Duration warmup, final long clusterHi, final long clusterLo)
        {
            this(targets, connections, window, size, duration, warmup, clusterHi, clusterLo, Map.of());
        }

        /** True if the fast engine runs: {@link Engine#AUTO} and every target {@code tcp://}. */
        public boolean fast()
        {
            if (engine != Engine.AUTO)
            {
                return false;
            }
            for (final URI target : targets)
            {
                if (!"tcp".equals(target.getScheme()))
                {
                    return false;
                }
            }
            return true;
        }
    }

    /** Which client drives the load. */
    public enum Engine
    {
        /** The fast engine ({@link LoadTcpRun}) when every target is {@code tcp://}, else {@link BusClient}s. */
        AUTO,
        /** {@link BusClient}s for every scheme. */
        BUS_CLIENT
    }

    /**
     * One measured interval of a run, handed to an {@link IntervalListener}: a whole second, or
     * the shorter rest at the end. The intervals of a run follow each other without gap from the
     * end of the warm-up to the end of the duration; together they hold every measured reply.
     *
     * @param index     1 for the first interval after the warm-up, then 2, 3, ...
     * @param lengthNs  its length on the run's schedule: {@link #INTERVAL_NS}, or less for the last
     *                  one (the rest of the duration, or up to where every connection had failed)
     * @param last      true for the last interval of the run (taken once the last replies came in)
     * @param latencyNs the latency of the replies read in it (start and end time stamps set, in epoch
     *                  ms); reused for the next interval, so read it during the call only
     * @param errors    requests failed so far in the run
     */
    public record Interval(int index, long lengthNs, boolean last, Histogram latencyNs, long errors)
    {
        /** Replies read in the interval. */
        public long messages()
        {
            return latencyNs.getTotalCount();
        }

        /** Replies per second over the interval's length (0 for an empty interval). */
        public double messagesPerSecond()
        {
            return lengthNs > 0 ? latencyNs.getTotalCount() * 1e9 / lengthNs : 0;
        }
    }

    /** Told of each measured interval of a run, on the thread that called {@link #run}. */
    @FunctionalInterface
    public interface IntervalListener
    {
        /** Hears nothing. */
        IntervalListener NONE = interval ->
        {
        };

        /** Called once per interval, in order, the last one included. */
        void onInterval(Interval interval);
    }

    /** Length of a measured interval: the latency recorder is sampled once a second. */
    public static final long INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);

    private LoadGenerator()
    {
    }

    /** As {@link #run(Settings, IntervalListener)} with no listener. */
    public static LoadResult run(final Settings settings) throws IOException, TransportUnavailableException
    {
        return run(settings, IntervalListener.NONE);
    }

    /**
     * Connect, drive load for {@code settings.duration()}, wait for the last replies, close. Once a
     * second after the warm-up (on the second boundaries counted from its end) the latency
     * {@link Recorder} is sampled and the interval handed to {@code listener}, then added to the
     * run's total; the replies' threads only record into the recorder (no allocation per reply).
     *
     * @throws IOException if a connection cannot be made
     * @throws TransportUnavailableException if the client SDK has no transport for a target
     */
    public static LoadResult run(final Settings settings, final IntervalListener listener)
        throws IOException, TransportUnavailableException
    {
        if (settings.fast())
        {
            return LoadTcpRun.run(settings, listener);
        }
        if (settings.ratePerSecond() > 0)
        {
            throw new IllegalArgumentException("an open loop (a rate) runs on the fast tcp engine only");
        }
        final Recorder recorder = new Recorder(HIGHEST_LATENCY_NS, 3);
        final List<Driver> drivers = new ArrayList<>();
        final byte[] body = new byte[settings.size()];
        for (int i = 0; i < body.length; i++)
        {
            body[i] = (byte)i;
        }
        final List<BusClient> clients = new ArrayList<>();
        try
        {
            // Connect first (a TLS handshake can take long in a cold JVM): the clock starts once all are up.
            for (int i = 0; i < settings.connections(); i++)
            {
                clients.add(connect(settings.targets().get(i % settings.targets().size()), settings));
            }
            final long startNs = System.nanoTime();
            final long startMs = System.currentTimeMillis();
            final long measureStartNs = startNs + settings.warmup().toNanos();
            final long endNs = startNs + settings.duration().toNanos();
            for (final BusClient client : clients)
            {
                drivers.add(new Driver(client, body, recorder, measureStartNs, endNs));
            }
            for (final Driver driver : drivers)
            {
                for (int i = 0; i < settings.window(); i++)
                {
                    driver.send();
                }
            }
            final Histogram total = new Histogram(HIGHEST_LATENCY_NS, 3);
            Histogram interval = null;
            int index = 0;
            long intervalStartNs = measureStartNs;
            // Whole seconds that end before the run does; the rest is the last interval, taken after the drain.
            while (intervalStartNs + INTERVAL_NS < endNs && parkUntil(intervalStartNs + INTERVAL_NS, drivers))
            {
                interval = recorder.getIntervalHistogram(interval);
                report(listener, ++index, intervalStartNs, intervalStartNs + INTERVAL_NS, false, interval, total,
                    startNs, startMs, drivers);
                intervalStartNs += INTERVAL_NS;
            }
            parkUntil(endNs, drivers);
            final long stoppedNs = Math.min(endNs, System.nanoTime());
            final long drainDeadlineNs = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
            while (inFlight(drivers) > 0 && System.nanoTime() < drainDeadlineNs)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            // After the drain: a reply read just before the end may have been recorded after the last sample.
            interval = recorder.getIntervalHistogram(interval);
            report(listener, ++index, intervalStartNs, Math.max(intervalStartNs, stoppedNs), true, interval, total,
                startNs, startMs, drivers);
            long errors = 0;
            String firstError = null;
            for (final Driver driver : drivers)
            {
                errors += driver.errors.get();
                if (firstError == null && driver.firstError != null)
                {
                    firstError = String.valueOf(driver.firstError);
                }
            }
            final long measuredNs = Math.max(1, endNs - measureStartNs);
            return new LoadResult(total.getTotalCount(), measuredNs / 1e9, FrameHeader.HEADER_SIZE + settings.size(),
                total, errors, inFlight(drivers), firstError);
        }
        finally
        {
            for (final BusClient client : clients)
            {
                client.close();
            }
        }
    }

    /**
     * Stamp {@code interval} with its place in time (epoch ms, from the run's start), hand it to
     * the listener and add it to the total.
     */
    private static void report(final IntervalListener listener, final int index, final long fromNs, final long toNs,
        final boolean last, final Histogram interval, final Histogram total, final long startNs, final long startMs,
        final List<Driver> drivers)
    {
        long errors = 0;
        for (final Driver driver : drivers)
        {
            errors += driver.errors.get();
        }
        report(listener, index, fromNs, toNs, last, interval, total, startNs, startMs, errors);
    }

    /** As above, with the run's errors so far counted by the caller (the fast engine's run). */
    static void report(final IntervalListener listener, final int index, final long fromNs, final long toNs,
        final boolean last, final Histogram interval, final Histogram total, final long startNs, final long startMs,
        final long errors)
    {
        interval.setStartTimeStamp(startMs + TimeUnit.NANOSECONDS.toMillis(fromNs - startNs));
        interval.setEndTimeStamp(startMs + TimeUnit.NANOSECONDS.toMillis(toNs - startNs));
        listener.onInterval(new Interval(index, toNs - fromNs, last, interval, errors));
        total.add(interval);
    }

    private static BusClient connect(final URI target, final Settings settings)
        throws IOException, TransportUnavailableException
    {
        return connect(target, settings.clusterHi(), settings.clusterLo(), settings.transportSettings());
    }

    /** A client of {@code target} for cluster {@code clusterHi:clusterLo} with {@code transportSettings}. */
    static BusClient connect(final URI target, final long clusterHi, final long clusterLo,
        final Map<String, Object> transportSettings) throws IOException, TransportUnavailableException
    {
        Transports.require(target.getScheme());
        ClientOptions options = ClientOptions.defaults().withCluster(clusterHi, clusterLo);
        for (final Map.Entry<String, Object> entry : transportSettings.entrySet())
        {
            options = options.withTransportSettings(entry.getKey(), entry.getValue());
        }
        return BusClient.connect(target, options);
    }

    /**
     * Park until {@code deadlineNs}; true if it was reached, false if every connection stopped
     * sending first (nothing left in flight: all failed).
     */
    private static boolean parkUntil(final long deadlineNs, final List<Driver> drivers)
    {
        long nowNs;
        while ((nowNs = System.nanoTime()) < deadlineNs)
        {
            if (inFlight(drivers) == 0)
            {
                return false;
            }
            LockSupport.parkNanos(Math.min(deadlineNs - nowNs, TimeUnit.MILLISECONDS.toNanos(10)));
        }
        return true;
    }

    private static long inFlight(final List<Driver> drivers)
    {
        long sum = 0;
        for (final Driver driver : drivers)
        {
            sum += driver.inFlight.get();
        }
        return sum;
    }

    /** One connection's closed loop; its callbacks run on the client's I/O thread. */
    private static final class Driver implements BiConsumer<Reply, Throwable>
    {
        final BusClient client;
        final byte[] body;
        final Recorder recorder;
        final long measureStartNs;
        final long endNs;
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicLong errors = new AtomicLong();
        volatile Throwable firstError;

        Driver(final BusClient client, final byte[] body, final Recorder recorder, final long measureStartNs,
            final long endNs)
        {
            this.client = client;
            this.body = body;
            this.recorder = recorder;
            this.measureStartNs = measureStartNs;
            this.endNs = endNs;
        }

        void send()
        {
            inFlight.incrementAndGet();
            client.requestAsync(OPERATION, body).whenComplete(this);
        }

        @Override
        public void accept(final Reply reply, final Throwable error)
        {
            final long nowNs = System.nanoTime();
            if (error != null)
            {
                if (errors.getAndIncrement() == 0)
                {
                    firstError = error instanceof CompletionException && error.getCause() != null ?
                        error.getCause() : error;
                }
                inFlight.decrementAndGet(); // back-pressure or a closed connection: this slot of the window ends
                return;
            }
            if (nowNs >= measureStartNs && nowNs < endNs)
            {
                recorder.recordValue(Math.min(HIGHEST_LATENCY_NS, Math.max(0, nowNs - reply.timestampNs())));
            }
            if (nowNs < endNs)
            {
                send(); // counted in flight before this one leaves, so the count never dips to 0 mid-run
            }
            inFlight.decrementAndGet();
        }
    }
}
