package io.ringbus.cli;

import io.ringbus.core.frame.FrameHeader;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * {@link LoadGenerator}'s fast engine: every connection a {@link LoadPipeline} over plain TCP, all
 * driven by one thread of their own ({@code ringbus-load}, a {@link LoadDriver} that blocks in a
 * selector or spins, as the settings say), while the calling thread samples the latency once a
 * second for the progress lines. Closed loop (each reply makes room for the next request), or
 * open loop at {@link LoadGenerator.Settings#ratePerSecond()} spread evenly over the connections,
 * each on a {@link LoadSchedule} shifted so that they take turns; latency is then counted from the
 * intended send time. Each connection uses its own random client id and numbers its requests from
 * 1, so it is one session to a {@code ringbus serve} node.
 *
 * <p>A connection whose server answers wrongly (see {@link LoadPipeline}) or closes is closed
 * and counted: its requests in flight are errors, its reason the first error if it was first;
 * the other connections go on. After the duration the run waits up to
 * {@link LoadGenerator#DRAIN_TIMEOUT} for the replies still due.
 */
final class LoadTcpRun
{
    private static final long MAX_WAIT_NS = TimeUnit.MILLISECONDS.toNanos(10);

    private LoadTcpRun()
    {
    }

    static LoadResult run(final LoadGenerator.Settings settings, final LoadGenerator.IntervalListener listener)
        throws IOException
    {
        final NanoClock clock = SystemNanoClock.INSTANCE;
        final int connections = settings.connections();
        final LoadPipeline[] pipelines = new LoadPipeline[connections];
        final URI[] targets = new URI[connections];
        final SplittableRandom random = new SplittableRandom();
        LoadDriver driver = null;
        try
        {
            for (int i = 0; i < connections; i++)
            {
                final URI target = settings.targets().get(i % settings.targets().size());
                targets[i] = target;
                try
                {
                    pipelines[i] = LoadPipeline.connect(new InetSocketAddress(target.getHost(), target.getPort()),
                        settings.size(), settings.window(), settings.clusterHi(), settings.clusterLo(), settings.byteEcho(), clock,
                        random.split());
                }
                catch (final IOException ex)
                {
                    throw new IOException("connect to " + target + " failed: " + ex.getMessage(), ex);
                }
            }
            driver = new LoadDriver(pipelines, settings.idle(), clock);
            return drive(settings, listener, clock, pipelines, targets, driver);
        }
        finally
        {
            if (driver != null)
            {
                driver.close();
            }
            else
            {
                for (final LoadPipeline pipeline : pipelines)
                {
                    if (pipeline != null)
                    {
                        pipeline.close();
                    }
                }
            }
        }
    }

    private static LoadResult drive(final LoadGenerator.Settings settings,
        final LoadGenerator.IntervalListener listener, final NanoClock clock, final LoadPipeline[] pipelines,
        final URI[] targets, final LoadDriver driver) throws IOException
    {
        final SingleWriterRecorder recorder = new SingleWriterRecorder(LoadGenerator.HIGHEST_LATENCY_NS, 3);
        final long startNs = clock.nanoTime();
        final long startMs = System.currentTimeMillis();
        final long measureStartNs = startNs + settings.warmup().toNanos();
        final long endNs = startNs + settings.duration().toNanos();
        final LoadSchedule[] schedules = new LoadSchedule[pipelines.length];
        for (int i = 0; i < pipelines.length; i++)
        {
            pipelines[i].record(recorder, measureStartNs, endNs, LoadGenerator.HIGHEST_LATENCY_NS);
            if (settings.ratePerSecond() > 0)
            {
                // Each connection a share of the rate; connection i starts i/n of a period later.
                final double rate = settings.ratePerSecond() / (double)pipelines.length;
                schedules[i] = new LoadSchedule(startNs, rate, (long)(i * 1e9 / settings.ratePerSecond()));
                pipelines[i].schedule(schedules[i]);
            }
        }
        final Engine engine = new Engine(pipelines, driver, clock, endNs);
        final Thread thread = new Thread(engine, "ringbus-load");
        thread.setDaemon(true);
        thread.start();
        try
        {
            final Histogram total = new Histogram(LoadGenerator.HIGHEST_LATENCY_NS, 3);
            Histogram interval = null;
            int index = 0;
            long intervalStartNs = measureStartNs;
            while (intervalStartNs + LoadGenerator.INTERVAL_NS < endNs &&
                parkUntil(clock, intervalStartNs + LoadGenerator.INTERVAL_NS, engine))
            {
                interval = recorder.getIntervalHistogram(interval);
                LoadGenerator.report(listener, ++index, intervalStartNs, intervalStartNs + LoadGenerator.INTERVAL_NS,
                    false, interval, total, startNs, startMs, engine.errors.get());
                intervalStartNs += LoadGenerator.INTERVAL_NS;
            }
            final long joinMs = TimeUnit.NANOSECONDS.toMillis(Math.max(0, endNs - clock.nanoTime()) +
                LoadGenerator.DRAIN_TIMEOUT.toNanos()) + 1_000;
            thread.join(joinMs);
            if (thread.isAlive())
            {
                engine.stop = true;
                thread.join(TimeUnit.SECONDS.toMillis(5));
            }
            final long stoppedNs = Math.min(endNs, engine.stoppedNs);
            final Throwable crash = engine.crash;
            if (crash != null)
            {
                throw new IOException("the load thread failed: " + crash, crash);
            }
            interval = recorder.getIntervalHistogram(interval);
            long errors = 0;
            long unanswered = 0;
            long due = 0;
            long sent = 0;
            long maxSendLagNs = 0;
            String firstError = null;
            for (int i = 0; i < pipelines.length; i++)
            {
                final IOException failure = driver.failure(i);
                if (failure != null)
                {
                    errors += Math.max(1, pipelines[i].inFlight());
                    if (firstError == null)
                    {
                        firstError = targets[i] + ": " + failure.getMessage();
                    }
                }
                else
                {
                    unanswered += pipelines[i].inFlight();
                }
                sent += pipelines[i].sent();
                maxSendLagNs = Math.max(maxSendLagNs, pipelines[i].maxSendLagNs());
                if (schedules[i] != null)
                {
                    due += schedules[i].dueBefore(endNs);
                }
            }
            LoadGenerator.report(listener, ++index, intervalStartNs, Math.max(intervalStartNs, stoppedNs), true,
                interval, total, startNs, startMs, errors);
            final long measuredNs = Math.max(1, endNs - measureStartNs);
            final LoadResult.OpenLoop openLoop = settings.ratePerSecond() > 0 ? new LoadResult.OpenLoop(
                settings.ratePerSecond(), due, sent, settings.duration().toNanos() / 1e9, maxSendLagNs) : null;
            return new LoadResult(total.getTotalCount(), measuredNs / 1e9, FrameHeader.HEADER_SIZE + settings.size(),
                total, errors, unanswered, firstError, openLoop);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            engine.stop = true;
            throw new IOException("interrupted", ex);
        }
    }

    /** Park until {@code deadlineNs}; true if it was reached, false if the engine ended first (every connection failed). */
    private static boolean parkUntil(final NanoClock clock, final long deadlineNs, final Engine engine)
    {
        long nowNs;
        while ((nowNs = clock.nanoTime()) - deadlineNs < 0)
        {
            if (engine.done)
            {
                return false;
            }
            LockSupport.parkNanos(Math.min(deadlineNs - nowNs, MAX_WAIT_NS));
        }
        return true;
    }

    /** The load thread: steps the driver until the duration is over and the replies are in (or the drain times out). */
    private static final class Engine implements Runnable
    {
        final LoadPipeline[] pipelines;
        final LoadDriver driver;
        final NanoClock clock;
        final long endNs;
        /** Requests of failed connections that never got a reply, so far (for the progress lines). */
        final AtomicLong errors = new AtomicLong();
        volatile boolean stop;
        volatile boolean done;
        volatile long stoppedNs = Long.MAX_VALUE;
        volatile Throwable crash;

        Engine(final LoadPipeline[] pipelines, final LoadDriver driver, final NanoClock clock, final long endNs)
        {
            this.pipelines = pipelines;
            this.driver = driver;
            this.clock = clock;
            this.endNs = endNs;
        }

        @Override
        public void run()
        {
            try
            {
                loop();
            }
            catch (final Throwable ex)
            {
                crash = ex;
            }
            finally
            {
                done = true;
            }
        }

        private void loop()
        {
            boolean sending = true;
            long drainDeadlineNs = Long.MAX_VALUE;
            int live = driver.live();
            while (!stop)
            {
                final long nowNs = clock.nanoTime();
                if (sending && nowNs - endNs >= 0)
                {
                    sending = false;
                    stoppedNs = nowNs;
                    drainDeadlineNs = nowNs + LoadGenerator.DRAIN_TIMEOUT.toNanos();
                    for (final LoadPipeline pipeline : pipelines)
                    {
                        pipeline.stopSending(false);
                    }
                }
                if (!sending && (inFlight() == 0 || nowNs - drainDeadlineNs >= 0))
                {
                    return;
                }
                if (driver.live() == 0)
                {
                    stoppedNs = nowNs;
                    return;
                }
                driver.step(sending ? Math.max(0, Math.min(MAX_WAIT_NS, endNs - nowNs)) : MAX_WAIT_NS);
                if (driver.live() != live)
                {
                    live = driver.live();
                    errors.set(failedInFlight());
                }
            }
        }

        private long inFlight()
        {
            long sum = 0;
            for (int i = 0; i < pipelines.length; i++)
            {
                if (driver.failure(i) == null)
                {
                    sum += pipelines[i].inFlight();
                }
            }
            return sum;
        }

        private long failedInFlight()
        {
            long sum = 0;
            for (int i = 0; i < pipelines.length; i++)
            {
                if (driver.failure(i) != null)
                {
                    sum += Math.max(1, pipelines[i].inFlight());
                }
            }
            return sum;
        }
    }
}
