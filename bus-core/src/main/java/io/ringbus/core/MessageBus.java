package io.ringbus.core;

import io.ringbus.core.backend.AcceptedSocket;
import io.ringbus.core.backend.IoBackend;
import io.ringbus.core.backend.IoBackendProvider;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.IoListener;
import io.ringbus.core.backend.NioBackend;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.frame.Frames;
import io.ringbus.core.shard.AgronaAccess;
import io.ringbus.core.shard.Shard;
import io.ringbus.core.transport.AcceptedStream;
import io.ringbus.core.transport.Carrier;
import io.ringbus.core.transport.CloseReason;
import io.ringbus.core.transport.Connection;
import io.ringbus.core.transport.ConnectionHandler;
import io.ringbus.core.transport.TransportProvider;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.NoOpIdleStrategy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A running bus: N shard threads, the listeners (accepting on shard 0), the client plane and, when
 * the configuration names replicas, the replica plane (lower id dials higher, ping handshake,
 * reconnect with capped exponential backoff, one connection per pair).
 *
 * <p>Built and started by {@link #start(BusConfig, BusHandler)}; {@link #close()} drains queued
 * frames within close_grace and joins every thread. Sends ({@link #sendToClient},
 * {@link #sendToReplica}, {@link #broadcastToReplicas}) may come from any thread and never block.
 *
 * <p>A shard never waits on a mailbox: shard 0 hands an accepted socket to its owner only if the
 * owner's mailbox has room, else it refuses the connection (closed, counted in
 * {@link #refusedConnections()}, logged at most once a second with a count). If a throwable escapes
 * any shard's duty cycle the whole bus stops: the handler hears {@link BusHandler#onBusFailure},
 * every connection closes with {@link CloseReason#BUS_FAILURE}, the listeners close, and
 * {@link #failure()} says why. A half-alive bus (a dead shard whose clients hang) is never left behind.
 */
public final class MessageBus implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(MessageBus.class.getName());

    /** Connections one shard can hold. */
    public static final int MAX_CONNECTIONS_PER_SHARD = 1 << 16;
    private static final int SHARD_SHIFT = 56;
    private static final int GENERATION_SHIFT = 32;
    private static final long SLOT_MASK = 0xFFFF_FFFFL;
    private static final long DISCARD_BUFFER_SIZE = 64 * 1024;
    private static final String IO_URING = "io_uring";
    /** Refusals are logged at most once per interval, with a count: a storm must not flood the log. */
    private static final long REFUSAL_LOG_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);

    private final BusConfig config;
    private final BusHandler handler;
    private final FramePool pool;
    private final Shard[] shards;
    private final ShardState[] states;
    private final AgentRunner[] runners;
    private final AtomicReferenceArray<Connection> replicaConnections = new AtomicReferenceArray<>(FrameHeader.MAX_REPLICA_ID + 1);
    private final AtomicInteger nextShard = new AtomicInteger();
    private final AtomicInteger openConnections = new AtomicInteger();
    private final List<IoListener> listeners = new ArrayList<>();
    private final ClientPlane clientPlane = new ClientPlane();
    private final ReplicaAcceptor replicaAcceptor = new ReplicaAcceptor();
    private final long closeGraceNs;
    private final AtomicLong refusedConnections = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicBoolean stopStarted = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Runnable trimPool = this::trimPool; // one instance: rescheduled without allocation
    private volatile boolean closing;
    private InetSocketAddress replicaAddress;

    /** Per-shard bookkeeping, touched only by its shard (the slots array is read by senders). */
    private static final class ShardState
    {
        final AtomicReferenceArray<Connection> slots = new AtomicReferenceArray<>(MAX_CONNECTIONS_PER_SHARD);
        final int[] generations = new int[MAX_CONNECTIONS_PER_SHARD];
        final int[] free = new int[MAX_CONNECTIONS_PER_SHARD];
        final ByteBuffer discard = ByteBuffer.allocateDirect((int)DISCARD_BUFFER_SIZE);
        final int index;
        final Runnable refusalReport = this::reportRefusals;
        int freeCount;
        long refusalsUnreported;
        String lastRefusal;
        long lastRefusalReportNs;
        boolean refusalReportScheduled;

        ShardState(final int index)
        {
            this.index = index;
            this.lastRefusalReportNs = System.nanoTime() - REFUSAL_LOG_INTERVAL_NS;
            for (int i = 0; i < MAX_CONNECTIONS_PER_SHARD; i++)
            {
                free[i] = MAX_CONNECTIONS_PER_SHARD - 1 - i;
            }
            freeCount = MAX_CONNECTIONS_PER_SHARD;
        }

        void reportRefusals()
        {
            refusalReportScheduled = false;
            if (refusalsUnreported > 0)
            {
                LOG.log(Level.WARNING, "shard " + index + ": refused " + refusalsUnreported +
                    " more connection(s) since the last report; latest: " + lastRefusal);
                refusalsUnreported = 0;
            }
        }
    }

    private MessageBus(final BusConfig config, final BusHandler handler)
    {
        this.config = config;
        this.handler = handler;
        this.closeGraceNs = config.closeGrace().toNanos();
        final int n = config.shards();
        this.pool = new FramePool(config.maxMessageSize(), FramePool.DEFAULT_MAX_POOLED_BYTES_PER_CLASS,
            FramePool.LEAK_DETECTION_DEFAULT, n, config.directMemoryBudget());
        this.shards = new Shard[n];
        this.states = new ShardState[n];
        this.runners = new AgentRunner[n];
        final java.util.function.IntFunction<IoBackend> backends = backendFactory(config.backend());
        for (int i = 0; i < n; i++)
        {
            shards[i] = new Shard(i, backends.apply(i), config.idleMode(), config.mailboxCapacity(),
                config.mailboxDrainLimit(), this::onShardFailure);
            states[i] = new ShardState(i);
        }
    }

    /**
     * Build a bus from {@code config}, start its shards, bind every listener in
     * {@code config.listen()} and, if it is a replica, its replica listener and dialers.
     *
     * @throws IllegalStateException at once if this JVM lacks what the shards need (on Java 17,
     *                               {@value AgronaAccess#ADD_EXPORTS_FLAG}; the message says so).
     */
    public static MessageBus start(final BusConfig config, final BusHandler handler)
    {
        AgronaAccess.require("MessageBus.start");
        final MessageBus bus = new MessageBus(config, handler);
        LOG.log(Level.INFO, "ringbus: backend " + bus.shards[0].backend().name() + " (asked: " +
            config.backend().name().toLowerCase() + "), " + config.shards() + " shard(s)");
        for (int i = 0; i < bus.shards.length; i++)
        {
            final Shard shard = bus.shards[i];
            // The shard catches what escapes its duty cycle itself; this sees only onStart/onClose.
            bus.runners[i] = new AgentRunner(shard.idleStrategy(), ex -> bus.onRunnerError(shard, ex), null, shard);
            AgentRunner.startOnThread(bus.runners[i]);
        }
        bus.shards[0].execute(bus.trimPool);
        try
        {
            for (final URI uri : config.listen())
            {
                bus.listen(uri);
            }
            if (config.replicaId() != BusConfig.NO_REPLICA)
            {
                bus.startReplicaPlane();
            }
        }
        catch (final RuntimeException ex)
        {
            bus.close();
            throw ex;
        }
        return bus;
    }

    /**
     * Give idle pooled buffers back to the system once connections are gone (receive buffers of
     * closed connections, a burst's replies): every {@link FramePool#DEFAULT_TRIM_INTERVAL_NS}, on shard 0.
     */
    private void trimPool()
    {
        if (closing)
        {
            return;
        }
        pool.trim(FramePool.DEFAULT_TRIM_FLOOR_BYTES_PER_CLASS);
        shards[0].schedule(shards[0].nowNs() + FramePool.DEFAULT_TRIM_INTERVAL_NS, trimPool);
    }

    /**
     * The backend factory for {@code backend}: NIO, io_uring (which must be available, else the
     * start fails naming why), or AUTO: io_uring where the kernel allows it, else NIO.
     */
    static java.util.function.IntFunction<IoBackend> backendFactory(final Backend backend)
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

    /** The backend the shards run on: "nio" or "io_uring". */
    public String backendName()
    {
        return shards[0].backend().name();
    }

    /** The configuration this bus runs with. */
    public BusConfig config()
    {
        return config;
    }

    /** The pool that send buffers come from. Any thread. */
    public FramePool pool()
    {
        return pool;
    }

    /**
     * A pooled buffer for a frame of {@code frameLength} bytes (reference count one). Any thread.
     *
     * @throws io.ringbus.core.frame.PoolExhaustedException if the buffer would take the pool over
     *         direct_memory_budget: drop or defer the send (called from a handler callback and left
     *         to escape, it closes the connection being served with {@code MEMORY_BUDGET}).
     */
    public FrameBuffer allocate(final int frameLength)
    {
        return pool.acquire(frameLength).frameLength(frameLength);
    }

    /**
     * Listen for clients on {@code uri} ({@code tcp://host:port}). Returns the bound address (the
     * real port when 0 was asked). Any thread but a shard's.
     */
    public InetSocketAddress listen(final URI uri)
    {
        final TransportProvider transport = TransportProvider.forScheme(uri.getScheme());
        final String scheme = transport.scheme();
        final InetSocketAddress address = transport.address(uri);
        final InetSocketAddress bound = onShard0(() ->
        {
            final IoListener listener = transport.ownsSockets() ?
                transport.listen(shards[0], address, config, uri, stream -> registerStream(stream, transport)) :
                shards[0].backend().listen(address, socket -> onClientAccepted(socket, transport, uri));
            listeners.add(listener);
            return listener.localAddress();
        });
        LOG.log(Level.INFO, "listening " + scheme + " " + bound);
        return bound;
    }

    /** The bound replica listener, or null if this bus is not a replica. */
    public InetSocketAddress replicaAddress()
    {
        return replicaAddress;
    }

    /** Queue a frame for a client. Takes over the caller's reference. Any thread; never blocks. */
    public SendResult sendToClient(final long clientId, final FrameBuffer frame)
    {
        final int shard = (int)(clientId >>> SHARD_SHIFT);
        final int slot = (int)(clientId & SLOT_MASK);
        final Connection connection = shard < states.length && slot < MAX_CONNECTIONS_PER_SHARD ?
            states[shard].slots.get(slot) : null;
        if (connection == null || connection.id() != clientId)
        {
            frame.release();
            return SendResult.NOT_CONNECTED;
        }
        return connection.send(frame);
    }

    /** Queue a frame for replica {@code replica}. Takes over the caller's reference. Any thread. */
    public SendResult sendToReplica(final int replica, final FrameBuffer frame)
    {
        final Connection connection = replica >= 0 && replica <= FrameHeader.MAX_REPLICA_ID ?
            replicaConnections.get(replica) : null;
        if (connection == null)
        {
            frame.release();
            return SendResult.NOT_CONNECTED;
        }
        return connection.send(frame);
    }

    /**
     * Send one buffer to every connected replica without copying it. Takes over the caller's
     * reference. Any thread.
     *
     * @return how many replicas it was queued for.
     */
    public int broadcastToReplicas(final FrameBuffer frame)
    {
        int queued = 0;
        final int self = config.replicaId();
        for (int replica = 0; replica < config.replicas().size(); replica++)
        {
            if (replica != self && replicaConnections.get(replica) != null)
            {
                if (sendToReplica(replica, frame.retain()) == SendResult.OK)
                {
                    queued++;
                }
            }
        }
        frame.release();
        return queued;
    }

    /** True if the connection to {@code replica} is up now. Any thread. */
    public boolean isReplicaConnected(final int replica)
    {
        return replicaConnections.get(replica) != null;
    }

    /** True from start until {@link #close()} begins or a shard fails. Any thread. */
    public boolean isRunning()
    {
        return !closing;
    }

    /** The throwable that stopped this bus (the first to escape a shard's duty cycle), or null. Any thread. */
    public Throwable failure()
    {
        return failure.get();
    }

    /**
     * Connections refused since start because their owning shard's mailbox was full or its
     * connection table was full. Any thread.
     */
    public long refusedConnections()
    {
        return refusedConnections.get();
    }

    /** Counters summed over the shards. Any thread. */
    public BusStats stats()
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
        return new BusStats(writes, frames, maxBatch, openConnections.get());
    }

    /**
     * Stop: close the listeners, close every connection gracefully (flush, FIN) within close_grace,
     * then stop and join the shard threads. Idempotent: a second caller waits for the first to finish.
     * On a shard thread (from a handler) it hands the stop to a new thread and returns at once.
     */
    @Override
    public void close()
    {
        for (final Shard shard : shards)
        {
            if (shard.inShard())
            {
                closing = true;
                stopOnNewThread();
                return;
            }
        }
        if (!stopStarted.compareAndSet(false, true))
        {
            awaitStopped();
            return;
        }
        try
        {
            stop();
        }
        finally
        {
            stopped.countDown();
        }
    }

    private void stopOnNewThread()
    {
        final Thread stopper = new Thread(this::close, "ringbus-stop");
        stopper.setDaemon(true);
        stopper.start();
    }

    private void awaitStopped()
    {
        try
        {
            // Bounded: stop() itself is bounded by close_grace plus the joins.
            if (!stopped.await(closeGraceNs + TimeUnit.SECONDS.toNanos(30), TimeUnit.NANOSECONDS))
            {
                LOG.log(Level.WARNING, "close: the stop already under way did not finish in time");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private void stop()
    {
        closing = true;
        final Throwable failed = failure.get();
        final CloseReason reason = failed == null ? CloseReason.SHUTDOWN : CloseReason.BUS_FAILURE;
        final String detail = failed == null ? null : failureDetail(failed);
        if (!shards[0].isStopped())
        {
            try
            {
                onShard0(() ->
                {
                    closeListeners();
                    return null;
                });
            }
            catch (final RuntimeException ex)
            {
                LOG.log(Level.WARNING, "closing listeners", ex);
            }
        }
        for (int i = 0; i < shards.length; i++)
        {
            final ShardState state = states[i];
            // A failed shard closed its own connections before it ended; execute() refuses a stopped shard.
            shards[i].execute(() -> closeAll(state, false, reason, detail));
        }
        final long deadline = System.nanoTime() + closeGraceNs + TimeUnit.MILLISECONDS.toNanos(100);
        while (openConnections.get() > 0 && System.nanoTime() < deadline)
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        for (int i = 0; i < shards.length; i++)
        {
            final ShardState state = states[i];
            shards[i].execute(() -> closeAll(state, true, reason, "close_grace expired during shutdown"));
        }
        for (int i = 0; i < runners.length; i++)
        {
            if (runners[i] != null)
            {
                shards[i].wake();
                runners[i].close();
            }
        }
        if (openConnections.get() > 0)
        {
            LOG.log(Level.WARNING, openConnections.get() + " connection(s) still open after close");
        }
    }

    /** On shard 0. */
    private void closeListeners()
    {
        for (final IoListener listener : listeners)
        {
            try
            {
                listener.close();
            }
            catch (final RuntimeException ex)
            {
                LOG.log(Level.WARNING, "closing listener " + listener.localAddress(), ex);
            }
        }
        listeners.clear();
    }

    private static String failureDetail(final Throwable failed)
    {
        return "the bus stopped after a shard failure: " + failed;
    }

    /**
     * On the failed shard's thread, its last act: a throwable escaped its duty cycle. The first
     * failure stops the bus; each failed shard closes its own connections, as no other thread may.
     */
    private void onShardFailure(final Shard shard, final Throwable ex)
    {
        final boolean first = failure.compareAndSet(null, ex);
        closing = true;
        if (first)
        {
            LOG.log(Level.ERROR, "shard " + shard.index() + " failed: stopping the bus", ex);
            try
            {
                handler.onBusFailure(this, ex);
            }
            catch (final Throwable handlerFailure)
            {
                LOG.log(Level.ERROR, "BusHandler.onBusFailure failed", handlerFailure);
            }
        }
        else
        {
            LOG.log(Level.ERROR, "shard " + shard.index() + " failed too (the bus is already stopping)", ex);
        }
        final String detail = failureDetail(failure.get());
        closeAll(states[shard.index()], true, CloseReason.BUS_FAILURE, detail);
        if (shard.index() == 0)
        {
            closeListeners(); // nobody else may: listeners belong to shard 0
        }
        if (first)
        {
            stopOnNewThread(); // the healthy shards close gracefully and every thread is joined
        }
    }

    /** AgentRunner saw a throwable outside doWork (onStart, onClose). */
    private void onRunnerError(final Shard shard, final Throwable ex)
    {
        if (closing || shard.isStopped())
        {
            LOG.log(Level.ERROR, "shard " + shard.index() + ": error while stopping", ex);
        }
        else
        {
            onShardFailure(shard, ex);
        }
    }

    /** On the state's shard. Each connection on its own: one that throws does not keep the rest open. */
    private void closeAll(final ShardState state, final boolean abort, final CloseReason reason, final String detail)
    {
        for (int slot = 0; slot < MAX_CONNECTIONS_PER_SHARD; slot++)
        {
            final Connection connection = state.slots.get(slot);
            if (connection != null)
            {
                try
                {
                    if (abort)
                    {
                        connection.abort(reason, detail);
                    }
                    else
                    {
                        connection.close(reason, detail);
                    }
                }
                catch (final Throwable ex)
                {
                    LOG.log(Level.ERROR, "shard " + state.index + ": closing connection " +
                        Long.toHexString(connection.id()) + " failed", ex);
                    releaseSlot(connection);
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Connections and slots

    private Connection newConnection(final int shardIndex, final ConnectionHandler connectionHandler)
    {
        final ShardState state = states[shardIndex];
        if (state.freeCount == 0)
        {
            return null;
        }
        final int slot = state.free[--state.freeCount];
        final int generation = (state.generations[slot] + 1) & 0xFF_FFFF;
        state.generations[slot] = generation;
        final long id = ((long)shardIndex << SHARD_SHIFT) | ((long)generation << GENERATION_SHIFT) | slot;
        final Connection connection = new Connection(id, shards[shardIndex], connectionHandler, pool,
            config.receiveBufferSize(), config.maxMessageSize(), config.clusterHi(), config.clusterLo(),
            config.peerQueueCapacity(), config.maxBatch(), closeGraceNs, state.discard);
        // Client connections pause reading on a full queue and may idle out; replica links neither.
        final boolean client = connectionHandler == clientPlane;
        connection.limits(config.peerQueueMaxBytes(), client, config.partialFrameTimeout().toNanos(),
            client ? config.idleTimeout().toNanos() : 0);
        state.slots.set(slot, connection);
        openConnections.incrementAndGet();
        return connection;
    }

    private void releaseSlot(final Connection connection)
    {
        final int shardIndex = (int)(connection.id() >>> SHARD_SHIFT);
        final int slot = (int)(connection.id() & SLOT_MASK);
        final ShardState state = states[shardIndex];
        if (state.slots.compareAndSet(slot, connection, null))
        {
            state.free[state.freeCount++] = slot;
            openConnections.decrementAndGet();
        }
    }

    private int pickShard()
    {
        return Math.floorMod(nextShard.getAndIncrement(), shards.length);
    }

    /** On shard 0: hand an accepted socket to its owner before a byte is read (fd delegation). */
    private void onClientAccepted(final AcceptedSocket socket, final TransportProvider transport, final URI uri)
    {
        delegate(socket, pickShard(), clientPlane, transport, uri);
    }

    /**
     * On shard 0 (every listener lives there). Never waits: for shard 0 itself register runs inline;
     * another shard whose mailbox is full (or that has stopped) costs this connection a refusal
     * rather than stalling the acceptor and every connection shard 0 owns.
     */
    private void delegate(final AcceptedSocket socket, final int owner, final ConnectionHandler plane,
        final TransportProvider transport, final URI uri)
    {
        if (closing)
        {
            socket.close();
        }
        else if (!shards[owner].tryExecute(() -> register(socket, owner, plane, transport, uri)))
        {
            socket.close();
            refused(0, socket.remoteAddress(), shards[owner].isStopped() ? "shard " + owner + " has stopped" :
                "shard " + owner + " mailbox full (mailbox_capacity " + shards[owner].mailboxCapacity() + ")");
        }
    }

    /**
     * Count a refused connection; log the first of a burst at once, the rest as one line with a
     * count at most once per {@link #REFUSAL_LOG_INTERVAL_NS}. On shard {@code shardIndex}.
     */
    private void refused(final int shardIndex, final InetSocketAddress peer, final String why)
    {
        refusedConnections.incrementAndGet();
        final ShardState state = states[shardIndex];
        final Shard shard = shards[shardIndex];
        state.lastRefusal = peer + ": " + why;
        final long nowNs = System.nanoTime();
        if (!state.refusalReportScheduled && nowNs - state.lastRefusalReportNs >= REFUSAL_LOG_INTERVAL_NS)
        {
            LOG.log(Level.WARNING, "shard " + shardIndex + ": refused connection " + state.lastRefusal);
            state.lastRefusalReportNs = nowNs;
        }
        else
        {
            state.refusalsUnreported++;
            if (!state.refusalReportScheduled)
            {
                state.refusalReportScheduled = true;
                state.lastRefusalReportNs += REFUSAL_LOG_INTERVAL_NS;
                shard.schedule(state.lastRefusalReportNs, state.refusalReport);
            }
        }
    }

    private void register(final AcceptedSocket socket, final int owner, final ConnectionHandler plane,
        final TransportProvider transport, final URI uri)
    {
        if (closing)
        {
            socket.close();
            return;
        }
        final Connection connection = newConnection(owner, plane);
        if (connection == null)
        {
            socket.close();
            refused(owner, socket.remoteAddress(), "connection table full (" + MAX_CONNECTIONS_PER_SHARD + ")");
            return;
        }
        final IoChannel channel;
        try
        {
            channel = shards[owner].backend().register(socket, connection);
        }
        catch (final IOException ex)
        {
            LOG.log(Level.WARNING, "registering " + socket.remoteAddress() + " failed", ex);
            socket.close();
            releaseSlot(connection);
            return;
        }
        if (plane == clientPlane)
        {
            connection.attachment(new ClientConnMeta(connection.id(), socket.remoteAddress(), transport.scheme()));
            final Carrier carrier;
            try
            {
                carrier = transport.serverCarrier(config, uri);
            }
            catch (final RuntimeException ex)
            {
                channel.close();
                connection.abort(CloseReason.IO_ERROR, "carrier set-up failed: " + ex);
                return;
            }
            if (carrier != null)
            {
                connection.carrier(carrier, config.handshakeGrace().toNanos());
            }
        }
        connection.open(channel);
    }

    /**
     * On shard 0: a connection of a transport with its own sockets (QUIC), its handshake done. Shard
     * 0 owns it: its socket and connection-id demux live there.
     */
    private void registerStream(final AcceptedStream stream, final TransportProvider transport)
    {
        if (closing)
        {
            stream.refuse("server stopping");
            return;
        }
        final Connection connection = newConnection(0, clientPlane);
        if (connection == null)
        {
            stream.refuse("server busy");
            refused(0, stream.remoteAddress(), "connection table full (" + MAX_CONNECTIONS_PER_SHARD + ")");
            return;
        }
        final ClientConnMeta meta = new ClientConnMeta(connection.id(), stream.remoteAddress(), transport.scheme());
        stream.describe(meta::detail);
        connection.attachment(meta);
        connection.open(stream.bind(connection));
    }

    private <T> T onShard0(final ThrowingSupplier<T> action)
    {
        final CompletableFuture<T> result = new CompletableFuture<>();
        if (!shards[0].execute(() ->
        {
            try
            {
                result.complete(action.get());
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
            return result.get(10, TimeUnit.SECONDS);
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
            throw new IllegalStateException("shard 0 did not answer within 10 s", ex);
        }
    }

    @FunctionalInterface
    private interface ThrowingSupplier<T>
    {
        T get() throws Exception;
    }

    // ---------------------------------------------------------------------------------------------
    // Client plane

    /** Client connections: only request and ping_client are accepted (WIRE.md). */
    private final class ClientPlane implements ConnectionHandler
    {
        @Override
        public void onOpen(final Connection connection)
        {
            final Carrier carrier = connection.carrier();
            if (carrier != null)
            {
                carrier.describe(((ClientConnMeta)connection.attachment())::detail);
            }
        }

        @Override
        public void onFrame(final Connection connection, final DirectBuffer buffer, final int offset, final int length)
        {
            final int command = FrameHeader.command(buffer, offset);
            if (command == Command.REQUEST.code())
            {
                handler.onClientRequest(MessageBus.this, (ClientConnMeta)connection.attachment(), buffer, offset, length);
            }
            else if (command == Command.PING_CLIENT.code())
            {
                final FrameBuffer pong = Frames.reply(pool, buffer, offset, buffer, offset, 0, replicaField());
                Frames.header().wrap(pong.buffer(), 0).command(Command.PONG_CLIENT);
                Frames.seal(pong.buffer(), 0);
                connection.send(pong);
            }
            else
            {
                connection.close(CloseReason.PROTOCOL_ERROR, "command = " + Command.of(command).name().toLowerCase() +
                    " (" + command + "): a client may send only request and ping_client");
            }
        }

        @Override
        public void onClosed(final Connection connection)
        {
            releaseSlot(connection);
            final Object meta = connection.attachment();
            if (meta != null)
            {
                ((ClientConnMeta)meta).closed(connection.closeReason(), connection.closeDetail());
                handler.onClientClosed(MessageBus.this, (ClientConnMeta)meta);
            }
        }
    }

    private int replicaField()
    {
        return config.replicaId() == BusConfig.NO_REPLICA ? FrameHeader.REPLICA_NONE : config.replicaId();
    }

    // ---------------------------------------------------------------------------------------------
    // Replica plane

    private void startReplicaPlane()
    {
        final Map<Integer, InetSocketAddress> replicas = config.replicas();
        final int self = config.replicaId();
        final InetSocketAddress own = replicas.get(self);
        replicaAddress = onShard0(() ->
        {
            final IoListener listener = shards[0].backend().listen(own, this::onReplicaAccepted);
            listeners.add(listener);
            return listener.localAddress();
        });
        LOG.log(Level.INFO, "listening replica " + replicaAddress + " as replica " + self);
        for (int peer = self + 1; peer < replicas.size(); peer++)
        {
            final ReplicaDialer dialer = new ReplicaDialer(peer, replicas.get(peer), peer % shards.length);
            shards[dialer.shardIndex].execute(dialer::dial);
        }
    }

    private void onReplicaAccepted(final AcceptedSocket socket)
    {
        delegate(socket, pickShard(), replicaAcceptor, null, null);
    }

    private boolean registerReplica(final int replica, final Connection connection)
    {
        if (!replicaConnections.compareAndSet(replica, null, connection))
        {
            connection.close(CloseReason.DUPLICATE, "replica " + replica + " already has a connection");
            return false;
        }
        LOG.log(Level.INFO, "replica " + replica + " connected (" + connection.remoteAddress() + ")");
        handler.onReplicaConnected(this, replica);
        return true;
    }

    private void unregisterReplica(final int replica, final Connection connection)
    {
        // Only the registered connection may clear its entry: a stale cleanup never evicts a newer one.
        if (replica >= 0 && replicaConnections.compareAndSet(replica, connection, null))
        {
            LOG.log(Level.INFO, "replica " + replica + " lost: " + connection.closeReason());
            handler.onReplicaLost(this, replica);
        }
    }

    private void deliverReplicaFrame(final int replica, final Connection connection, final DirectBuffer buffer,
        final int offset, final int length)
    {
        final int command = FrameHeader.command(buffer, offset);
        if (command == Command.PING.code())
        {
            connection.close(CloseReason.PROTOCOL_ERROR, "command = ping (1): only as the first frame of a connection");
            return;
        }
        handler.onReplicaFrame(this, replica, buffer, offset, length);
    }

    /** Handshake state of an accepted replica connection. */
    private static final class AcceptedReplica
    {
        int replica = -1;
        long handshakeTimer = -1;
    }

    /** Accepted replica connections: a valid ping within handshake_grace, then replica frames. */
    private final class ReplicaAcceptor implements ConnectionHandler
    {
        @Override
        public void onOpen(final Connection connection)
        {
            final AcceptedReplica state = new AcceptedReplica();
            connection.attachment(state);
            final Shard shard = connection.shard();
            state.handshakeTimer = shard.schedule(shard.nowNs() + config.handshakeGrace().toNanos(), () ->
            {
                state.handshakeTimer = -1;
                if (state.replica < 0)
                {
                    connection.abort(CloseReason.HANDSHAKE_TIMEOUT,
                        "no valid ping within handshake_grace " + config.handshakeGrace().toMillis() + " ms");
                }
            });
        }

        @Override
        public void onFrame(final Connection connection, final DirectBuffer buffer, final int offset, final int length)
        {
            final AcceptedReplica state = (AcceptedReplica)connection.attachment();
            if (state.replica >= 0)
            {
                deliverReplicaFrame(state.replica, connection, buffer, offset, length);
                return;
            }
            final int command = FrameHeader.command(buffer, offset);
            final int replica = FrameHeader.replica(buffer, offset);
            final int self = config.replicaId();
            if (command != Command.PING.code())
            {
                connection.close(CloseReason.PROTOCOL_ERROR, "command = " + command + ": the first frame must be ping");
            }
            else if (replica >= self || replica >= config.replicas().size())
            {
                connection.close(CloseReason.PROTOCOL_ERROR, "replica = " + replica +
                    ": a dialer must have a lower id than " + self + " and be below " + config.replicas().size());
            }
            else
            {
                connection.shard().cancel(state.handshakeTimer);
                state.handshakeTimer = -1;
                if (registerReplica(replica, connection))
                {
                    state.replica = replica;
                }
            }
        }

        @Override
        public void onClosed(final Connection connection)
        {
            final AcceptedReplica state = (AcceptedReplica)connection.attachment();
            if (state != null)
            {
                if (state.handshakeTimer != -1)
                {
                    connection.shard().cancel(state.handshakeTimer);
                }
                unregisterReplica(state.replica, connection);
            }
            releaseSlot(connection);
        }
    }

    /** Dials one higher replica from its owning shard, and redials with capped exponential backoff. */
    private final class ReplicaDialer implements ConnectionHandler
    {
        final int peer;
        final InetSocketAddress address;
        final int shardIndex;
        int failures;
        boolean registered;

        ReplicaDialer(final int peer, final InetSocketAddress address, final int shardIndex)
        {
            this.peer = peer;
            this.address = address;
            this.shardIndex = shardIndex;
        }

        void dial()
        {
            if (closing)
            {
                return;
            }
            final Connection connection = newConnection(shardIndex, this);
            if (connection == null)
            {
                scheduleRedial();
                return;
            }
            registered = false;
            try
            {
                final IoChannel channel = shards[shardIndex].backend().connect(address, connection);
                connection.connecting(channel, address);
            }
            catch (final IOException ex)
            {
                connection.abort(CloseReason.CONNECT_FAILED, ex.toString());
            }
        }

        @Override
        public void onOpen(final Connection connection)
        {
            connection.send(Frames.headerOnly(pool, Command.PING, config.replicaId(), config.clusterHi(),
                config.clusterLo()));
            registered = registerReplica(peer, connection);
            if (registered)
            {
                failures = 0;
            }
        }

        @Override
        public void onFrame(final Connection connection, final DirectBuffer buffer, final int offset, final int length)
        {
            deliverReplicaFrame(peer, connection, buffer, offset, length);
        }

        @Override
        public void onClosed(final Connection connection)
        {
            if (registered)
            {
                unregisterReplica(peer, connection);
                registered = false;
            }
            releaseSlot(connection);
            scheduleRedial();
        }

        private void scheduleRedial()
        {
            if (closing)
            {
                return;
            }
            final long minNs = config.reconnectBackoffMin().toNanos();
            final long maxNs = config.reconnectBackoffMax().toNanos();
            final long delayNs = Math.min(maxNs, minNs << Math.min(failures, 20));
            failures++;
            final Shard shard = shards[shardIndex];
            shard.schedule(System.nanoTime() + delayNs, this::dial);
        }
    }
}
