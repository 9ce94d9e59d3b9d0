package io.ringbus.bench.harness;

import io.ringbus.cli.LoadDriver;
import io.ringbus.cli.LoadPipeline;
import io.ringbus.cli.LoadSchedule;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameHeader;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.time.Duration;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

/**
 * The load generator of the end-to-end harness: a plain blocking {@link java.net.Socket} client
 * speaking WIRE.md, independent of any bus SDK, so that every server is measured by the same
 * client. TCP_NODELAY on; loopback addresses only. A client made with an {@link SSLContext} speaks
 * TLS 1.3 ({@link javax.net.ssl.SSLSocket}) instead of plain TCP; one made with
 * {@link Framing#WEBSOCKET} upgrades each connection to WebSocket and sends every frame as one
 * masked binary message (ws, or wss with an {@link SSLContext}); one made with {@link Framing#QUIC}
 * connects with a Netty QUIC client ({@link QuicLoadLink}) and writes the frames back to back on
 * its one bidirectional stream. The runs below are the same for every framing.
 *
 * <p>Pipelined and bulk runs over plain TCP ({@link Framing#STREAM} without TLS) use the fast
 * engine ({@link LoadPipeline} driven by a {@link LoadDriver} on the calling thread): one
 * non-blocking connection, a window of requests filled into one direct buffer and written in one
 * call, replies read in large chunks and checked in place, nothing allocated per message, so that
 * the client is not what a run measures. It idles as {@link #idle()} says: blocking in a selector
 * (the default) or spinning (see {@link #IDLE_PROPERTY}). Against a server whose
 * {@link EchoServer#echoesRequests()} is true (a byte echo), the echoed request counts as the reply.
 * TLS, WebSocket and QUIC framings, and the one-at-a-time latency runs, keep the blocking
 * {@link LoadConnection} path (a writer thread and the calling thread as reader).
 *
 * <p>Every run stops by itself: it is bounded by its duration or count, and any read or window
 * wait that blocks longer than {@link #READ_TIMEOUT_MS} abandons the run with an exception.
 *
 * <p>Immutable between runs; one run at a time per calling thread (a blocking pipelined run starts
 * one writer thread of its own and ends it before returning).
 */
public final class LoadClient
{
    /** Longest a run waits for a reply (or for window space) before giving up. */
    public static final int READ_TIMEOUT_MS = 10_000;
    /** Body size of the small-message tests. */
    public static final int SMALL_BODY_SIZE = 64;
    /** Body size of the bulk test. */
    public static final int BULK_BODY_SIZE = 64 * 1024;
    /** Requests in flight in the small-message pipelined test. */
    public static final int SMALL_WINDOW = 128;
    /** Requests in flight in the bulk test (1 MiB of bodies). */
    public static final int BULK_WINDOW = 16;
    /** Upper bound on each phase (warm-up, recording) of a latency run when no other bound is given. */
    public static final Duration DEFAULT_MAX_LATENCY_RUN = Duration.ofSeconds(60);

    private static final long HIGHEST_TRACKABLE_NS = TimeUnit.MILLISECONDS.toNanos(READ_TIMEOUT_MS);
    private static final int SIGNIFICANT_DIGITS = 3;
    private static final long WRITER_JOIN_TIMEOUT_MS = 2 * READ_TIMEOUT_MS;
    private static final long NO_LIMIT = Long.MAX_VALUE;

    /**
     * System property naming how the fast engine idles when a socket has nothing for it:
     * {@code block} (the default: in a selector) or {@code spin} (busy-poll, a core of its own).
     */
    public static final String IDLE_PROPERTY = "ringbus.bench.client.idle";

    /** Longest single wait of an idle fast engine, so that its deadlines are looked at. */
    private static final long MAX_IDLE_WAIT_NS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Open loop: the run kept up if it sent at least this share of the requests due. */
    private static final double KEPT_UP_SHARE = 0.99;

    private final SSLContext tls;
    private final Framing framing;
    private final boolean echoesRequests;
    private final LoadDriver.Idle idle;
    private final NanoClock clock = SystemNanoClock.INSTANCE;

    /** A plain TCP client. */
    public LoadClient()
    {
        this(null);
    }

    /** A client over TLS with {@code tls} (TLS 1.3 only), or plain TCP when it is null. */
    public LoadClient(final SSLContext tls)
    {
        this(tls, Framing.STREAM);
    }

    /**
     * A client over TLS with {@code tls} (TLS 1.3 only), or plain TCP when it is null, carrying
     * frames as {@code framing} says.
     */
    public LoadClient(final SSLContext tls, final Framing framing)
    {
        this(tls, framing, false, idleFromProperty());
    }

    /**
     * A client as {@link #LoadClient(SSLContext, Framing)} that, when {@code echoesRequests},
     * takes each request sent back unchanged as its reply (a byte echo, see
     * {@link EchoServer#echoesRequests()}), and whose fast engine idles as {@code idle} says.
     */
    public LoadClient(final SSLContext tls, final Framing framing, final boolean echoesRequests,
        final LoadDriver.Idle idle)
    {
        this.tls = tls;
        this.framing = framing;
        this.echoesRequests = echoesRequests;
        this.idle = idle;
    }

    /**
     * A client that speaks what {@code server} expects (see {@link EchoServer#clientTls()},
     * {@link EchoServer#clientFraming()} and {@link EchoServer#echoesRequests()}).
     */
    public static LoadClient forServer(final EchoServer server)
    {
        return new LoadClient(server.clientTls(), server.clientFraming(), server.echoesRequests(), idleFromProperty());
    }

    /** This client, idling as {@code idle} says in its fast engine. */
    public LoadClient withIdle(final LoadDriver.Idle idle)
    {
        return new LoadClient(tls, framing, echoesRequests, idle);
    }

    /** How the fast engine idles: {@link #IDLE_PROPERTY}, {@code block} unless it says {@code spin}. */
    public static LoadDriver.Idle idleFromProperty()
    {
        final String value = System.getProperty(IDLE_PROPERTY, "block").trim().toLowerCase(Locale.ROOT);
        switch (value)
        {
            case "block":
                return LoadDriver.Idle.BLOCK;
            case "spin":
                return LoadDriver.Idle.SPIN;
            default:
                throw new IllegalArgumentException("-D" + IDLE_PROPERTY + "=" + value + ": block or spin");
        }
    }

    /** How the fast engine idles. */
    public LoadDriver.Idle idle()
    {
        return idle;
    }

    /** True if a request sent back unchanged counts as its reply (a byte-echo server). */
    public boolean echoesRequests()
    {
        return echoesRequests;
    }

    /** True if pipelined runs use the fast engine: plain TCP, frames back to back. */
    public boolean isFast()
    {
        return tls == null && framing == Framing.STREAM;
    }

    /** True if this client speaks TLS. */
    public boolean isTls()
    {
        return tls != null;
    }

    /** True if this client upgrades its connections to WebSocket. */
    public boolean isWebSocket()
    {
        return framing == Framing.WEBSOCKET;
    }

    /**
     * Connect once and tell what the connection negotiated: "tcp", or the TLS protocol and cipher
     * suite; followed by ", WebSocket" after an upgrade.
     */
    public String security(final InetSocketAddress address) throws IOException
    {
        try (LoadConnection connection = LoadConnection.open(address, tls, framing, SMALL_BODY_SIZE, READ_TIMEOUT_MS))
        {
            return connection.security();
        }
    }

    /**
     * Pipelined throughput over one connection: a writer thread keeps up to {@code window}
     * requests in flight, writing them in batches through a buffered stream (flushed when the
     * window is full), while the calling thread reads and checks every reply, in order of request
     * number. When {@code duration} is up the writer sends a {@code ping_client}; its
     * {@code pong_client}, which follows the last reply on the FIFO connection, ends the run.
     */
    public ThroughputResult pipelined(
        final InetSocketAddress address, final int bodySize, final Duration duration, final int window)
        throws IOException, InterruptedException
    {
        return pipelined(address, bodySize, duration.toNanos(), NO_LIMIT, window);
    }

    /**
     * {@link #pipelined(InetSocketAddress, int, Duration, int)} bounded by a number of requests
     * instead of a duration: exactly {@code count} requests (then the closing ping), for runs whose
     * cost is counted per frame (syscalls per frame). Still abandoned after {@link #READ_TIMEOUT_MS}
     * without a reply.
     */
    public ThroughputResult pipelinedCount(
        final InetSocketAddress address, final int bodySize, final long count, final int window)
        throws IOException, InterruptedException
    {
        if (count < 1)
        {
            throw new IllegalArgumentException("count = " + count + ": at least 1");
        }
        return pipelined(address, bodySize, NO_LIMIT, count, window);
    }

    @SuppressWarnings("try") // the connection is closed early on failure, on purpose: it unblocks the writer
    private ThroughputResult pipelined(
        final InetSocketAddress address, final int bodySize, final long durationNs, final long maxRequests, final int window)
        throws IOException, InterruptedException
    {
        if (window < 1)
        {
            throw new IllegalArgumentException("window = " + window + ": at least 1");
        }
        if (isFast())
        {
            return fastPipelined(address, bodySize, durationNs, maxRequests, window);
        }
        if (echoesRequests)
        {
            throw new IllegalArgumentException("a byte echo is measured over plain TCP only");
        }
        try (LoadConnection connection = LoadConnection.open(address, tls, framing, bodySize, READ_TIMEOUT_MS))
        {
            final Semaphore permits = new Semaphore(window);
            final PipelineWriter writer = new PipelineWriter(connection, permits, durationNs, maxRequests);
            final Thread writerThread = new Thread(writer, "load-writer");
            writerThread.setDaemon(true);
            // Replies are handed back to the writer in batches: at most a quarter window at a
            // time, and whenever the reader is about to block.
            final int releaseBatch = Math.max(1, window / 4);

            final long startNs = System.nanoTime();
            writerThread.start();
            long received = 0;
            int unreleased = 0;
            try
            {
                while (true)
                {
                    final int command = connection.readFrame();
                    if (command == Command.PONG_CLIENT.code())
                    {
                        break;
                    }
                    final long expected = received + 1;
                    connection.checkReply(expected, LoadConnection.operationOf(expected));
                    received = expected;
                    if (++unreleased >= releaseBatch || !connection.hasBufferedInput())
                    {
                        permits.release(unreleased);
                        unreleased = 0;
                    }
                }
            }
            catch (final IOException | RuntimeException ex)
            {
                // Closing the socket and interrupting stop the writer wherever it blocks.
                connection.close();
                writerThread.interrupt();
                writerThread.join(WRITER_JOIN_TIMEOUT_MS);
                final Throwable writerFailure = writer.failure;
                if (writerFailure != null)
                {
                    ex.addSuppressed(writerFailure); // usually the first cause: it closed the socket
                }
                throw ex;
            }
            final long endNs = System.nanoTime();
            writerThread.join(WRITER_JOIN_TIMEOUT_MS); // it has sent its ping: only returning is left
            final long elapsedNs = endNs - startNs;
            writer.rethrow();
            if (writerThread.isAlive() || writer.sent != received)
            {
                throw new ProtocolException("sent " + writer.sent + " requests, got " + received + " replies");
            }
            return new ThroughputResult(received, bodySize, elapsedNs);
        }
    }

    /**
     * The fast engine's pipelined run: requests until {@code durationNs} is up or
     * {@code maxRequests} are sent, then the closing ping; its answer ends the run.
     */
    private ThroughputResult fastPipelined(
        final InetSocketAddress address, final int bodySize, final long durationNs, final long maxRequests, final int window)
        throws IOException
    {
        checkBodySize(bodySize);
        try (LoadPipeline pipeline = connectFast(address, bodySize, window);
            LoadDriver driver = new LoadDriver(new LoadPipeline[] {pipeline}, idle, clock))
        {
            pipeline.maxRequests(maxRequests);
            final long startNs = clock.nanoTime();
            drive(pipeline, driver, startNs, durationNs);
            final long elapsedNs = clock.nanoTime() - startNs;
            return new ThroughputResult(pipeline.received(), bodySize, elapsedNs);
        }
    }

    /**
     * Open loop over plain TCP: requests on a fixed schedule of {@code ratePerSecond}, whatever the
     * replies do (at most {@code window} in flight: when the window is full the schedule runs on
     * and the requests due go out late, their latency still counted from their intended send
     * time, so it is free of coordinated omission), for {@code duration}; the first
     * {@code warmup} of it is not recorded. Ends with the closing ping after the last reply.
     */
    public OpenLoopResult openLoop(
        final InetSocketAddress address,
        final int bodySize,
        final double ratePerSecond,
        final Duration warmup,
        final Duration duration,
        final int window)
        throws IOException
    {
        if (!isFast())
        {
            throw new UnsupportedOperationException("open loop runs over plain TCP only (this client: " +
                (tls != null ? "TLS" : framing) + ")");
        }
        if (window < 1 || !(ratePerSecond > 0) || warmup.isNegative() || duration.compareTo(warmup) <= 0)
        {
            throw new IllegalArgumentException("window = " + window + ", rate = " + ratePerSecond + ", warmup = " +
                warmup + ", duration = " + duration + ": window and rate above 0, duration longer than the warm-up");
        }
        checkBodySize(bodySize);
        final Histogram histogramNs = new Histogram(HIGHEST_TRACKABLE_NS, SIGNIFICANT_DIGITS);
        try (LoadPipeline pipeline = connectFast(address, bodySize, window);
            LoadDriver driver = new LoadDriver(new LoadPipeline[] {pipeline}, idle, clock))
        {
            final long startNs = clock.nanoTime();
            final long measureFromNs = startNs + warmup.toNanos();
            final long endNs = startNs + duration.toNanos();
            final LoadSchedule schedule = new LoadSchedule(startNs, ratePerSecond, 0);
            pipeline.schedule(schedule).record(histogramNs, measureFromNs, Long.MAX_VALUE, HIGHEST_TRACKABLE_NS);
            drive(pipeline, driver, startNs, duration.toNanos());
            final long due = schedule.dueBefore(endNs);
            return new OpenLoopResult(ratePerSecond, due, pipeline.sent(), pipeline.received(), duration.toNanos(),
                LatencyResult.of(histogramNs), pipeline.maxSendLagNs(), pipeline.sent() >= KEPT_UP_SHARE * due);
        }
    }

    private LoadPipeline connectFast(final InetSocketAddress address, final int bodySize, final int window)
        throws IOException
    {
        if (address.isUnresolved() || !address.getAddress().isLoopbackAddress())
        {
            throw new IllegalArgumentException(address + ": the load client connects only to loopback addresses");
        }
        return LoadPipeline.connect(address, bodySize, window, EchoServer.CLUSTER_HI, EchoServer.CLUSTER_LO,
            echoesRequests, clock, new SplittableRandom(ThreadLocalRandom.current().nextLong()));
    }

    private static void checkBodySize(final int bodySize)
    {
        if (bodySize < 0 || bodySize > EchoResponder.MAX_FRAME_SIZE - FrameHeader.HEADER_SIZE)
        {
            throw new IllegalArgumentException("bodySize = " + bodySize + ": outside 0.." +
                (EchoResponder.MAX_FRAME_SIZE - FrameHeader.HEADER_SIZE));
        }
    }

    /**
     * Step {@code driver} until {@code pipeline} has had the answer to its closing ping: sending
     * stops {@code durationNs} after {@code startNs} ({@link #NO_LIMIT}: never by time) or when the
     * pipeline's request count is reached. Gives up when nothing moved for
     * {@link #READ_TIMEOUT_MS}, and throws the pipeline's failure if it fails.
     */
    private void drive(final LoadPipeline pipeline, final LoadDriver driver, final long startNs, final long durationNs)
        throws IOException
    {
        final long timeoutNs = TimeUnit.MILLISECONDS.toNanos(READ_TIMEOUT_MS);
        long lastProgressNs = startNs;
        boolean stopped = false;
        while (!pipeline.pongReceived())
        {
            final long nowNs = clock.nanoTime();
            final long leftNs = durationNs - (nowNs - startNs);
            if (!stopped && (leftNs <= 0 || !pipeline.isSending()))
            {
                pipeline.stopSending(true);
                stopped = true;
            }
            final long waitNs = stopped ? MAX_IDLE_WAIT_NS : Math.min(MAX_IDLE_WAIT_NS, leftNs);
            if (driver.step(waitNs))
            {
                lastProgressNs = nowNs;
            }
            else if (nowNs - lastProgressNs > timeoutNs)
            {
                throw new IOException("no reply within " + READ_TIMEOUT_MS + " ms (" + pipeline.received() +
                    " replies, " + pipeline.inFlight() + " requests in flight)");
            }
            final IOException failure = driver.failure(0);
            if (failure != null)
            {
                throw failure;
            }
        }
    }

    /** Bulk throughput: {@link #pipelined} with {@link #BULK_BODY_SIZE} bodies and {@link #BULK_WINDOW}. */
    public ThroughputResult bulk(final InetSocketAddress address, final Duration duration)
        throws IOException, InterruptedException
    {
        return pipelined(address, BULK_BODY_SIZE, duration, BULK_WINDOW);
    }

    /**
     * Round-trip latency, one request at a time: {@code warmup} unrecorded round trips, then up to
     * {@code count} recorded ones, each phase stopping early after {@link #DEFAULT_MAX_LATENCY_RUN}.
     */
    public LatencyResult latency(final InetSocketAddress address, final int bodySize, final int warmup, final int count)
        throws IOException
    {
        return latency(address, bodySize, warmup, count, DEFAULT_MAX_LATENCY_RUN);
    }

    /**
     * Round-trip latency, one request at a time: up to {@code warmup} unrecorded round trips, then
     * up to {@code count} recorded ones; each phase also stops once {@code maxDuration} is up, so a
     * run lasts at most twice that. A round trip runs from just before the request is written to
     * just after its reply has been read and its checksums verified.
     */
    public LatencyResult latency(
        final InetSocketAddress address, final int bodySize, final int warmup, final int count, final Duration maxDuration)
        throws IOException
    {
        if (warmup < 0 || count < 1)
        {
            throw new IllegalArgumentException("warmup = " + warmup + ", count = " + count);
        }
        final Histogram histogramNs = new Histogram(HIGHEST_TRACKABLE_NS, SIGNIFICANT_DIGITS);
        try (LoadConnection connection = LoadConnection.open(address, tls, framing, bodySize, READ_TIMEOUT_MS))
        {
            final long maxDurationNs = maxDuration.toNanos();
            final long request = roundTrips(connection, 1, warmup, maxDurationNs, null);
            roundTrips(connection, request, count, maxDurationNs, histogramNs);
        }
        return LatencyResult.of(histogramNs);
    }

    /**
     * Up to {@code count} round trips from request number {@code firstRequest}, stopping early
     * after {@code maxDurationNs}, each recorded in {@code histogramNs} unless it is null.
     *
     * @return the next request number.
     */
    private static long roundTrips(
        final LoadConnection connection,
        final long firstRequest,
        final int count,
        final long maxDurationNs,
        final Histogram histogramNs)
        throws IOException
    {
        final long deadlineNs = System.nanoTime() + maxDurationNs;
        final long end = firstRequest + count;
        long request = firstRequest;
        for (; request < end; request++)
        {
            final int operation = LoadConnection.operationOf(request);
            final long startNs = System.nanoTime();
            if (startNs - deadlineNs >= 0)
            {
                break;
            }
            connection.writeRequest(request, startNs, operation);
            connection.flush();
            connection.readFrame();
            final long endNs = System.nanoTime();
            connection.checkReply(request, operation);
            if (connection.replyTimestampNs() != startNs)
            {
                throw new ProtocolException("reply timestamp " + connection.replyTimestampNs() + ", expected " + startNs);
            }
            if (histogramNs != null)
            {
                histogramNs.recordValue(Math.min(endNs - startNs, HIGHEST_TRACKABLE_NS));
            }
        }
        return request;
    }

    /** The writer half of a pipelined run, on its own thread. */
    private static final class PipelineWriter implements Runnable
    {
        private final LoadConnection connection;
        private final Semaphore permits;
        private final long durationNs;
        private final long maxRequests;
        volatile long sent;
        volatile Throwable failure;

        PipelineWriter(
            final LoadConnection connection, final Semaphore permits, final long durationNs, final long maxRequests)
        {
            this.connection = connection;
            this.permits = permits;
            this.durationNs = durationNs;
            this.maxRequests = maxRequests;
        }

        @Override
        public void run()
        {
            try
            {
                final long startNs = System.nanoTime();
                long request = 0;
                while (request < maxRequests)
                {
                    if (!permits.tryAcquire())
                    {
                        // Window full: send what is batched, then wait for replies.
                        connection.flush();
                        if (!permits.tryAcquire(READ_TIMEOUT_MS, TimeUnit.MILLISECONDS))
                        {
                            throw new IOException("no reply within " + READ_TIMEOUT_MS + " ms");
                        }
                    }
                    final long nowNs = System.nanoTime();
                    if (nowNs - startNs >= durationNs)
                    {
                        break;
                    }
                    request++;
                    connection.writeRequest(request, nowNs, LoadConnection.operationOf(request));
                }
                sent = request;
                connection.writePing(System.nanoTime());
                connection.flush();
            }
            catch (final Throwable ex)
            {
                failure = ex;
                try
                {
                    connection.close(); // unblocks the reader
                }
                catch (final IOException closeEx)
                {
                    ex.addSuppressed(closeEx);
                }
            }
        }

        void rethrow() throws IOException
        {
            final Throwable ex = failure;
            if (ex == null)
            {
                return;
            }
            if (ex instanceof IOException)
            {
                throw new IOException("load writer failed: " + ex.getMessage(), ex);
            }
            throw new IllegalStateException("load writer failed", ex);
        }
    }
}
