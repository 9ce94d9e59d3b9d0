package io.ringbus.core.client;

import io.ringbus.core.SendResult;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.NioBackend;
import io.ringbus.core.config.IdleMode;
import io.ringbus.core.dedup.ReplyStatus;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.frame.Frames;
import io.ringbus.core.shard.AgronaAccess;
import io.ringbus.core.shard.Shard;
import io.ringbus.core.transport.Carrier;
import io.ringbus.core.transport.CloseReason;
import io.ringbus.core.transport.Connection;
import io.ringbus.core.transport.ConnectionHandler;
import io.ringbus.core.transport.TransportProvider;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.AgentRunner;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Java SDK's client: one connection to a bus, requests and their replies, blocking and
 * asynchronous. It runs the same pump as the server (a one-shard runtime of its own), so
 * pipelined requests leave in gathering writes.
 *
 * <p>Thread-safe: any thread may send. Replies complete their futures on the client's I/O thread;
 * do not block in a callback chained to one.
 *
 * <p>If a throwable escapes the I/O thread's duty cycle the client fails as a whole: the
 * connection is aborted, every pending future fails with {@link ConnectionClosedException} naming
 * the failure, and later requests fail at once.
 */
public final class BusClient implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(BusClient.class.getName());
    private static final byte[] NO_BODY = new byte[0];

    private final ClientOptions options;
    private final FramePool pool;
    private final Shard shard;
    private final AgentRunner runner;
    private final long clientHi;
    private final long clientLo;
    private final AtomicLong nextRequest = new AtomicLong();
    private final Map<Long, CompletableFuture<Reply>> pending = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> connected = new CompletableFuture<>();
    /** Requests and pings submitted (any thread), for the keep-alive's "was anything sent" check. */
    private final AtomicLong submitted = new AtomicLong();
    private final Runnable keepAlive = this::keepAlive;
    private long submittedAtLastBeat;
    private volatile Connection connection;
    private volatile String closedBecause;

    private BusClient(final ClientOptions options)
    {
        this.options = options;
        this.pool = new FramePool(options.maxMessageSize());
        this.shard = new Shard(0, new NioBackend(), IdleMode.BLOCKING, 1024, 256, this::onIoFailure);
        // The shard catches what escapes its duty cycle itself; this sees only onStart/onClose.
        this.runner = new AgentRunner(shard.idleStrategy(), this::onRunnerError, null, shard);
        final SecureRandom random = new SecureRandom();
        this.clientHi = options.clientIdSet() ? options.clientHi() : random.nextLong();
        this.clientLo = options.clientIdSet() ? options.clientLo() : random.nextLong();
    }

    /** Connect to {@code uri} ({@code tcp://host:port}) with default options; blocks until connected. */
    public static BusClient connect(final URI uri) throws IOException
    {
        return connect(uri, ClientOptions.defaults());
    }

    /**
     * Connect to {@code uri} with {@code options}; blocks until connected or the connect timeout.
     *
     * @throws IllegalStateException at once if this JVM lacks what the I/O thread needs (on Java 17,
     *                               {@value AgronaAccess#ADD_EXPORTS_FLAG}; the message says so).
     */
    public static BusClient connect(final URI uri, final ClientOptions options) throws IOException
    {
        AgronaAccess.require("BusClient.connect");
        final TransportProvider transport = TransportProvider.forScheme(uri.getScheme());
        final InetSocketAddress address = transport.address(uri);
        final Carrier carrier = transport.clientCarrier(uri, options.transportSettings(transport.scheme()),
            options.maxMessageSize());
        final BusClient client = new BusClient(options);
        AgentRunner.startOnThread(client.runner);
        client.shard.execute(() -> client.dial(transport, uri, address, carrier));
        try
        {
            client.connected.get(options.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException ex)
        {
            client.close();
            throw new IOException("connect to " + uri + " failed: " + ex.getCause().getMessage(), ex.getCause());
        }
        catch (final TimeoutException ex)
        {
            client.close();
            // The words a newcomer can act on (issue 17): the address, and how long it was waited for.
            final long timeoutMs = options.connectTimeout().toMillis();
            final String host = address.getHostString();
            throw new IOException("connect to " + uri + ": no answer from " +
                (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort() + " within " + (timeoutMs % 1000 == 0 ? Long.toString(timeoutMs / 1000) :
                Double.toString(timeoutMs / 1000.0)) + " s");
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            client.close();
            throw new IOException("interrupted while connecting", ex);
        }
        return client;
    }

    private void dial(final TransportProvider transport, final URI uri, final InetSocketAddress address,
        final Carrier carrier)
    {
        final Connection conn = new Connection(1, shard, new Handler(), pool, options.receiveBufferSize(),
            options.maxMessageSize(), options.clusterHi(), options.clusterLo(), options.queueCapacity(),
            options.maxBatch(), options.closeGrace().toNanos(), ByteBuffer.allocateDirect(64 * 1024));
        if (carrier != null)
        {
            conn.carrier(carrier, options.handshakeGrace().toNanos());
        }
        conn.label("sdk", transport.scheme());
        connection = conn;
        try
        {
            final IoChannel channel = transport.ownsSockets() ?
                transport.connect(shard, uri, address, options.transportSettings(transport.scheme()), conn) :
                shard.backend().connect(address, conn);
            conn.connecting(channel, address);
        }
        catch (final IOException | RuntimeException ex)
        {
            conn.abort(CloseReason.CONNECT_FAILED, ex.toString());
        }
    }

    private void scheduleKeepAlive()
    {
        final long intervalNs = options.keepAlive().toNanos();
        if (intervalNs > 0)
        {
            shard.schedule(shard.nowNs() + intervalNs, keepAlive);
        }
    }

    /**
     * On the I/O thread, every keep-alive interval: if nothing was submitted since the last one,
     * send a ping_client (its pong is a reply to no pending request, dropped on arrival).
     */
    private void keepAlive()
    {
        final Connection conn = connection;
        if (conn == null || conn.state() != Connection.State.OPEN)
        {
            return;
        }
        final long now = submitted.get();
        if (now == submittedAtLastBeat)
        {
            conn.send(buildRequest(Command.PING_CLIENT, nextRequest.incrementAndGet(), 0, NO_BODY, 0, 0));
        }
        submittedAtLastBeat = submitted.get();
        scheduleKeepAlive();
    }

    /** The high 64 bits of this client's session id. */
    public long clientHi()
    {
        return clientHi;
    }

    /** The low 64 bits of this client's session id. */
    public long clientLo()
    {
        return clientLo;
    }

    /**
     * Send a request; the future completes with its reply, or exceptionally with
     * {@link BackpressureException} (queue full, at once) or {@link ConnectionClosedException}.
     */
    public CompletableFuture<Reply> requestAsync(final int operation, final byte[] body)
    {
        return requestAsync(operation, body, 0, body.length);
    }

    /** As {@link #requestAsync(int, byte[])} with a slice of {@code body}. */
    public CompletableFuture<Reply> requestAsync(final int operation, final byte[] body, final int offset,
        final int length)
    {
        final long request = nextRequest.incrementAndGet();
        final FrameBuffer frame = buildRequest(Command.REQUEST, request, operation, body, offset, length);
        return submit(request, frame);
    }

    /** Send ping_client; completes with the bus's pong_client (as a reply with an empty body). */
    public CompletableFuture<Reply> ping()
    {
        final long request = nextRequest.incrementAndGet();
        return submit(request, buildRequest(Command.PING_CLIENT, request, 0, NO_BODY, 0, 0));
    }

    /** Blocking form of {@link #requestAsync(int, byte[])}. */
    public Reply request(final int operation, final byte[] body, final Duration timeout)
        throws InterruptedException, TimeoutException
    {
        try
        {
            return requestAsync(operation, body).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        catch (final ExecutionException ex)
        {
            if (ex.getCause() instanceof RuntimeException)
            {
                throw (RuntimeException)ex.getCause();
            }
            throw new IllegalStateException(ex.getCause());
        }
    }

    private CompletableFuture<Reply> submit(final long request, final FrameBuffer frame)
    {
        final CompletableFuture<Reply> future = new CompletableFuture<>();
        final Connection conn = connection;
        final String closed = closedBecause;
        if (conn == null || closed != null)
        {
            frame.release();
            future.completeExceptionally(new ConnectionClosedException(closed != null ? closed : "not connected"));
            return future;
        }
        pending.put(request, future);
        submitted.incrementAndGet();
        final SendResult result = conn.send(frame);
        if (result != SendResult.OK)
        {
            pending.remove(request);
            future.completeExceptionally(result == SendResult.BACKPRESSURE ?
                new BackpressureException("send queue full (" + options.queueCapacity() + " frames)") :
                new ConnectionClosedException("connection " + result.name().toLowerCase()));
        }
        else if (closedBecause != null && pending.remove(request) != null)
        {
            future.completeExceptionally(new ConnectionClosedException(closedBecause));
        }
        return future;
    }

    private FrameBuffer buildRequest(final Command command, final long request, final int operation,
        final byte[] body, final int offset, final int length)
    {
        final int size = FrameHeader.HEADER_SIZE + length;
        if (size > options.maxMessageSize())
        {
            throw new IllegalArgumentException("body of " + length + " bytes makes a frame above max_message_size " +
                options.maxMessageSize());
        }
        final FrameBuffer frame = pool.acquire(size);
        Frames.header().wrap(frame.buffer(), 0).clear()
            .cluster(options.clusterHi(), options.clusterLo())
            .size(size)
            .command(command)
            .replica(FrameHeader.REPLICA_NONE)
            .client(clientHi, clientLo)
            .request(request)
            .timestamp(System.nanoTime())
            .operation(operation);
        frame.buffer().putBytes(FrameHeader.HEADER_SIZE, body, offset, length);
        Frames.seal(frame.buffer(), 0);
        frame.frameLength(size);
        return frame;
    }

    /** Requests sent and not yet answered. */
    public int pendingRequests()
    {
        return pending.size();
    }

    /** True while the connection is open. */
    public boolean isConnected()
    {
        final Connection conn = connection;
        return conn != null && conn.state() == Connection.State.OPEN;
    }

    /** Close gracefully (queued requests are flushed within close_grace) and stop the I/O thread. */
    @Override
    public void close()
    {
        final Connection conn = connection;
        if (conn != null)
        {
            if (shard.execute(() -> conn.close(CloseReason.LOCAL, null)))
            {
                final long deadline = System.nanoTime() + options.closeGrace().toNanos() + 100_000_000L;
                while (conn.state() != Connection.State.CLOSED && System.nanoTime() < deadline)
                {
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
                }
                shard.execute(() -> conn.abort(CloseReason.LOCAL, "close_grace expired"));
            }
        }
        shard.wake();
        runner.close();
        failPending(closedBecause != null ? closedBecause : "client closed");
    }

    /** On the I/O thread, its last act: a throwable escaped the duty cycle. */
    private void onIoFailure(final Shard failed, final Throwable ex)
    {
        final String reason = "the client's I/O thread failed: " + ex;
        LOG.log(Level.ERROR, reason, ex);
        closedBecause = reason;
        final Connection conn = connection;
        if (conn != null)
        {
            try
            {
                conn.abort(CloseReason.BUS_FAILURE, reason);
            }
            catch (final Throwable abortFailure)
            {
                LOG.log(Level.ERROR, "aborting the connection after the failure failed", abortFailure);
            }
        }
        closedBecause = reason; // onClosed may have put the connection's wording there
        connected.completeExceptionally(new ConnectionClosedException(reason));
        failPending(reason);
    }

    private void onRunnerError(final Throwable ex)
    {
        if (shard.isStopped())
        {
            LOG.log(Level.ERROR, "client I/O thread: error while stopping", ex);
        }
        else
        {
            onIoFailure(shard, ex);
        }
    }

    /** Test hook: run {@code task} on the I/O thread (to inject a failure into its duty cycle). */
    boolean runOnIoThread(final Runnable task)
    {
        return shard.execute(task);
    }

    private void failPending(final String reason)
    {
        for (final Long request : pending.keySet())
        {
            final CompletableFuture<Reply> future = pending.remove(request);
            if (future != null)
            {
                future.completeExceptionally(new ConnectionClosedException(reason));
            }
        }
    }

    private final class Handler implements ConnectionHandler
    {
        @Override
        public void onOpen(final Connection conn)
        {
            connected.complete(null);
            scheduleKeepAlive();
        }

        @Override
        public void onFrame(final Connection conn, final DirectBuffer buffer, final int offset, final int length)
        {
            final int command = FrameHeader.command(buffer, offset);
            if (command != Command.REPLY.code() && command != Command.PONG_CLIENT.code())
            {
                conn.close(CloseReason.PROTOCOL_ERROR, "command = " + command + ": a bus sends clients only reply and pong_client");
                return;
            }
            final long request = FrameHeader.request(buffer, offset);
            final CompletableFuture<Reply> future = pending.remove(request);
            if (future == null)
            {
                return; // a reply to a request this client gave up on
            }
            final byte[] body = new byte[length - FrameHeader.HEADER_SIZE];
            buffer.getBytes(offset + FrameHeader.HEADER_SIZE, body);
            final int status = ReplyStatus.of(buffer, offset);
            if (status != ReplyStatus.OK)
            {
                future.completeExceptionally(new RequestRefusedException(request, status,
                    new String(body, StandardCharsets.UTF_8)));
                return;
            }
            future.complete(new Reply(request, FrameHeader.operation(buffer, offset),
                FrameHeader.timestamp(buffer, offset), FrameHeader.replica(buffer, offset), body));
        }

        @Override
        public void onClosed(final Connection conn)
        {
            final String reason = conn.closeReason() + (conn.closeDetail() != null ? ": " + conn.closeDetail() : "");
            closedBecause = reason;
            connected.completeExceptionally(new ConnectionClosedException(reason));
            failPending(reason);
        }
    }
}
