package io.ringbus.core;

import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.replica.ReplicaPlane;
import io.ringbus.core.shard.AgronaAccess;
import io.ringbus.core.shard.Shard;
import io.ringbus.core.stat.BusCounters;
import io.ringbus.core.transport.CloseReason;
import io.ringbus.core.transport.Connection;
import io.ringbus.core.transport.ConnectionTable;
import io.ringbus.core.transport.TransportProvider;

import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

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
 *
 * <p>This class is the lifecycle and the public face; the parts live apart: {@link ShardGroup} (the
 * shard threads), {@link Listeners}, {@link ConnectionTable} (slots, ids, fd delegation, refusals), {@link ClientPlane}
 * and {@link ReplicaPlane} (package {@code io.ringbus.core.replica}).
 */
public final class MessageBus implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(MessageBus.class.getName());

    /** Connections one shard can hold. */
    public static final int MAX_CONNECTIONS_PER_SHARD = ConnectionTable.MAX_CONNECTIONS_PER_SHARD;

    private final BusConfig config;
    private final BusHandler handler;
    private final FramePool pool;
    private final ShardGroup shards;
    private final ConnectionTable table;
    private final ClientPlane clientPlane;
    private final ReplicaPlane replicaPlane;
    private final Listeners listeners;
    private final ConnectionViews views;
    private final long closeGraceNs;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicBoolean stopStarted = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Runnable trimPool = this::trimPool; // one instance: rescheduled without allocation
    private final BusCounters counters;
    private final BusGauges gauges;
    private final Runnable sampleGauges = this::sampleGauges;
    private volatile InetSocketAddress replicaAddress;

    private MessageBus(final BusConfig config, final BusHandler handler)
    {
        this.config = config;
        this.handler = handler;
        this.closeGraceNs = config.closeGrace().toNanos();
        this.counters = BusCounters.create(config.dataDirectory(), config.shards(),
            config.replicaId() == BusConfig.NO_REPLICA ? 0 : config.replicas().size(), config.replicaId());
        try
        {
            this.pool = new FramePool(config.maxMessageSize(), FramePool.DEFAULT_MAX_POOLED_BYTES_PER_CLASS,
                FramePool.LEAK_DETECTION_DEFAULT, config.shards(), config.directMemoryBudget());
            this.shards = new ShardGroup(config, this::onShardFailure);
            for (final Shard shard : shards.shards())
            {
                shard.counters(counters);
            }
            this.table = new ConnectionTable(shards.shards(), pool, config, LOG);
            this.clientPlane = new ClientPlane(this, handler, config, pool, table);
            this.replicaPlane = new ReplicaPlane(this, handler, config, pool, shards.shards(), table);
            this.listeners = new Listeners(LOG, config, shards, clientPlane, replicaPlane);
            this.views = new ConnectionViews(shards.shards(), table, config.runtime().threaded());
            this.gauges = new BusGauges(counters, config, shards.shards(), pool, replicaPlane);
        }
        catch (final RuntimeException | Error ex)
        {
            counters.close(); // the data directory is free again for the next try
            throw ex;
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
        LOG.log(Level.INFO, "ringbus: backend " + bus.backendName() + " (asked: " +
            config.backend().name().toLowerCase() + "), " + config.shards() + " shard(s)");
        bus.shards.start(bus::onRunnerError);
        bus.shards.shard0().execute(bus.trimPool);
        bus.shards.shard0().execute(bus.sampleGauges);
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
     * Reload the settings of a transport without a restart (a renewed certificate and key, new
     * client certificate authorities): handshakes that start afterwards use {@code replacement};
     * connections already open continue untouched. For tls, wss and quic the settings are the
     * {@code TlsSettings} (or {@code QuicSettings}) registered in the configuration, replaced in
     * place; a listener that falls back to the "tls" settings (wss, quic without their own) follows
     * them. The replacement is checked before anything changes. Any thread.
     *
     * @param scheme      tcp, tls, ws, wss, quic
     * @param replacement the new settings, of the type registered for {@code scheme}
     * @throws IllegalArgumentException naming the problem when the replacement is refused (the old
     *                                  settings stay), or the scheme has no transport
     * @throws UnsupportedOperationException if the transport has no reloadable settings
     */
    public void reloadTransportSettings(final String scheme, final Object replacement)
    {
        TransportProvider.forScheme(scheme).reloadSettings(config, replacement);
        LOG.log(Level.INFO, "transport settings of " + scheme + " reloaded");
    }

    /**
     * Give idle pooled buffers back to the system once connections are gone (receive buffers of
     * closed connections, a burst's replies): every {@link FramePool#DEFAULT_TRIM_INTERVAL_NS}, on shard 0.
     */
    private void trimPool()
    {
        if (!table.isAdmitting())
        {
            return;
        }
        pool.trim(FramePool.DEFAULT_TRIM_FLOOR_BYTES_PER_CLASS);
        final Shard shard0 = shards.shard0();
        shard0.schedule(shard0.nowNs() + FramePool.DEFAULT_TRIM_INTERVAL_NS, trimPool);
    }

    /** Copy the gauges into the counters every BusGauges.INTERVAL_NS, on shard 0, while the bus runs. */
    private void sampleGauges()
    {
        if (!table.isAdmitting())
        {
            return;
        }
        gauges.sample();
        final Shard shard0 = shards.shard0();
        shard0.schedule(shard0.nowNs() + BusGauges.INTERVAL_NS, sampleGauges);
    }

    /**
     * This bus's counters and error log (in {@code config.dataDirectory()}, or in memory): for
     * transports that count (each on its own shard) and in-process readers. Any thread.
     */
    public BusCounters counters()
    {
        return counters;
    }

    /** The backend the shards run on: "nio" or "io_uring". */
    public String backendName()
    {
        return shards.shard0().backend().name();
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
        return listeners.bindClient(uri);
    }

    /** Bind the replica listener on our own entry of config.replicas() and dial the higher ids. */
    private void startReplicaPlane()
    {
        replicaAddress = listeners.bindReplica();
        replicaPlane.startDialers();
    }

    /** The bound replica listener, or null if this bus is not a replica. */
    public InetSocketAddress replicaAddress()
    {
        return replicaAddress;
    }

    /** Queue a frame for a client. Takes over the caller's reference. Any thread; never blocks. */
    public SendResult sendToClient(final long clientId, final FrameBuffer frame)
    {
        final Connection connection = table.get(clientId);
        if (connection == null)
        {
            frame.release();
            return SendResult.NOT_CONNECTED;
        }
        return connection.send(frame);
    }

    /** Queue a frame for replica {@code replica}. Takes over the caller's reference. Any thread. */
    public SendResult sendToReplica(final int replica, final FrameBuffer frame)
    {
        return replicaPlane.sendToReplica(replica, frame);
    }

    /**
     * Send one buffer to every connected replica without copying it. Takes over the caller's
     * reference. Any thread.
     *
     * @return how many replicas it was queued for.
     */
    public int broadcastToReplicas(final FrameBuffer frame)
    {
        return replicaPlane.broadcast(frame);
    }

    /**
     * Replica connections this bus closed because their handshake failed (a wrong cluster key, an
     * unauthenticated ping to a keyed node, a wrong cluster, handshake_grace): see
     * {@link ReplicaPlane#handshakesRefused()}. Any thread.
     */
    public long replicaHandshakesRefused()
    {
        return replicaPlane.handshakesRefused();
    }

    /**
     * Heartbeats received from other replicas (header-only {@code pong}s every replica_heartbeat on
     * each established link; they keep a link whose peer restarted from staying up unnoticed, and
     * never reach {@link BusHandler#onReplicaFrame}). Any thread.
     */
    public long replicaHeartbeatsReceived()
    {
        return replicaPlane.heartbeatsReceived();
    }

    /** True if the connection to {@code replica} is up now. Any thread. */
    public boolean isReplicaConnected(final int replica)
    {
        return replicaPlane.isConnected(replica);
    }

    /** True from start until {@link #close()} begins or a shard fails. Any thread. */
    public boolean isRunning()
    {
        return table.isAdmitting();
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
        return table.refusedConnections();
    }

    /**
     * A snapshot of the client connection {@code clientId} (scheme, peer, state, queued frames,
     * frames and bytes each way, its {@link io.ringbus.core.client.ClientConnMeta}), or null if no
     * such client connection is open. Taken on the owning shard through its mailbox (see
     * {@link ConnectionViews}), waiting at most 10 s. Any thread but a shard's; on the owning
     * shard (in a handler callback for this connection) it is taken inline.
     *
     * @throws IllegalStateException called on another shard, or the shard did not answer in time
     */
    public ClientConnectionSnapshot clientConnection(final long clientId)
    {
        return views.snapshot(clientId);
    }

    /**
     * Snapshots of every open client connection (replica links are not listed), gathered from
     * every shard through its mailbox, by shard and then slot; empty once the bus stopped. Waits
     * at most 10 s in all. Any thread but a shard's.
     *
     * @throws IllegalStateException called on a shard, or a shard did not answer in time
     */
    public List<ClientConnectionSnapshot> clientConnections()
    {
        return views.list();
    }

    /** Counters summed over the shards. Any thread. */
    public BusStats stats()
    {
        return shards.stats(table.openConnections(), table.limits());
    }

    /**
     * Stop: close the listeners, close every connection gracefully (flush, FIN) within close_grace,
     * then stop and join the shard threads. Idempotent: a second caller waits for the first to finish.
     * On a shard thread (from a handler) it hands the stop to a new thread and returns at once.
     */
    @Override
    public void close()
    {
        if (shards.inAnyShard())
        {
            table.stopAdmitting();
            stopOnNewThread();
            return;
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
        shards.runtime().stopLater(this::close, "ringbus-stop");
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
        table.stopAdmitting();
        final Throwable failed = failure.get();
        final CloseReason reason = failed == null ? CloseReason.SHUTDOWN : CloseReason.BUS_FAILURE;
        final String detail = failed == null ? null : failureDetail(failed);
        final Shard[] all = shards.shards();
        if (!shards.shard0().isStopped())
        {
            try
            {
                shards.onShard0(() ->
                {
                    listeners.closeAll();
                    return null;
                });
            }
            catch (final RuntimeException ex)
            {
                LOG.log(Level.WARNING, "closing listeners", ex);
            }
        }
        for (int i = 0; i < all.length; i++)
        {
            final int index = i;
            // A failed shard closed its own connections before it ended; execute() refuses a stopped shard.
            all[i].execute(() -> table.closeAll(index, false, reason, detail));
        }
        shards.runtime().awaitUntil(() -> table.openConnections() == 0,
            closeGraceNs + TimeUnit.MILLISECONDS.toNanos(100));
        for (int i = 0; i < all.length; i++)
        {
            final int index = i;
            all[i].execute(() -> table.closeAll(index, true, reason, "close_grace expired during shutdown"));
        }
        shards.stopAndJoin();
        if (table.openConnections() > 0)
        {
            LOG.log(Level.WARNING, table.openConnections() + " connection(s) still open after close");
        }
        gauges.sample(); // the shards are gone: this thread is the gauges' one writer now
        counters.close();
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
        table.stopAdmitting();
        counters.recordError(ex);
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
                counters.recordError(handlerFailure);
            }
        }
        else
        {
            LOG.log(Level.ERROR, "shard " + shard.index() + " failed too (the bus is already stopping)", ex);
        }
        final String detail = failureDetail(failure.get());
        table.closeAll(shard.index(), true, CloseReason.BUS_FAILURE, detail);
        if (shard.index() == 0)
        {
            listeners.closeAll(); // nobody else may: listeners belong to shard 0
        }
        if (first)
        {
            stopOnNewThread(); // the healthy shards close gracefully and every thread is joined
        }
    }

    /** AgentRunner saw a throwable outside doWork (onStart, onClose). */
    private void onRunnerError(final Shard shard, final Throwable ex)
    {
        if (!table.isAdmitting() || shard.isStopped())
        {
            LOG.log(Level.ERROR, "shard " + shard.index() + ": error while stopping", ex);
            counters.recordError(ex);
        }
        else
        {
            onShardFailure(shard, ex);
        }
    }
}
