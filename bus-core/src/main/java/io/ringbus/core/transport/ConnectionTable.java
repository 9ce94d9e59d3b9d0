package io.ringbus.core.transport;

import io.ringbus.core.backend.AcceptedSocket;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.log.LogLimiter;
import io.ringbus.core.shard.Shard;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * The bus's connections: a slot table per shard, and the way in for an accepted socket.
 *
 * <p>A connection id is {@code shard << 56 | generation << 32 | slot}: the owning shard in the top
 * bits, so any thread can route a send to the right table ({@link #get}), and a 24-bit generation
 * that changes each time the slot is reused, so an id of a closed connection never reaches its
 * successor. An accepted socket is handed to its owner before a byte is read (fd delegation,
 * {@link #delegate}); a full mailbox or a full table refuses it ({@link #refusedConnections()},
 * logged at most once a second with a count). Once the bus stops, the table admits nothing new.
 *
 * <p>A client socket first takes a place in the bus's {@link ConnectionLimits} (max_connections,
 * max_connections_per_address), on shard 0 before it is handed on and before a byte is read or a
 * handshake begins: refused, it is closed at once, counted by reason in the limits and logged
 * through a {@link LogLimiter} (one line per reason per interval). A connection holds its place
 * until its slot is {@link #release released}, which happens exactly once on every way out (close,
 * abort, failed registration, bus stop); a socket that never got a connection gives it back on its
 * own way out. Replica links and QUIC streams (whose endpoint takes their places) hold none.
 *
 * <p>{@link #get}, {@link #openConnections()}, {@link #refusedConnections()}, {@link #isAdmitting()}
 * and {@link #stopAdmitting()}: any thread. Everything else on the shard named (or owning the
 * connection), as each shard's slots are its own.
 */
public final class ConnectionTable
{
    /** Connections one shard can hold. */
    public static final int MAX_CONNECTIONS_PER_SHARD = 1 << 16;
    /** The role of a replica link in its JFR events ({@link Connection#label}). */
    public static final String REPLICA_ROLE = "replica";
    private static final int SHARD_SHIFT = 56;
    private static final int GENERATION_SHIFT = 32;
    private static final long SLOT_MASK = 0xFFFF_FFFFL;
    private static final int GENERATION_MASK = 0xFF_FFFF;
    private static final int DISCARD_BUFFER_SIZE = 64 * 1024;
    /** Refusals are logged at most once per interval, with a count: a storm must not flood the log. */
    private static final long REFUSAL_LOG_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);
    /** The source address a place is taken under when the peer's address is unknown: 0.0.0.0. */
    private static final InetAddress UNKNOWN_PEER = unknownPeer();

    /**
     * A plane's part in taking an accepted socket: prepares the registered connection (attachment,
     * carrier, handshake) before it opens. On the owning shard.
     */
    @FunctionalInterface
    public interface Admission
    {
        /**
         * @return true to open the connection; false if this closed it (its channel and slot are gone).
         */
        boolean prepare(Connection connection, AcceptedSocket socket, IoChannel channel);
    }

    /** One shard's slots and refusal log state, touched only by its shard (the slots array is read by senders). */
    private final class Slots
    {
        final AtomicReferenceArray<Connection> connections = new AtomicReferenceArray<>(MAX_CONNECTIONS_PER_SHARD);
        final int[] generations = new int[MAX_CONNECTIONS_PER_SHARD];
        final int[] free = new int[MAX_CONNECTIONS_PER_SHARD];
        final ByteBuffer discard = ByteBuffer.allocateDirect(DISCARD_BUFFER_SIZE);
        final int index;
        final Runnable refusalReport = this::reportRefusals;
        int freeCount;
        long refusalsUnreported;
        String lastRefusal;
        long lastRefusalReportNs;
        boolean refusalReportScheduled;

        Slots(final int index, final long nowNs)
        {
            this.index = index;
            this.lastRefusalReportNs = nowNs - REFUSAL_LOG_INTERVAL_NS;
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
                log.log(Level.WARNING, "shard " + index + ": refused " + refusalsUnreported +
                    " more connection(s) since the last report; latest: " + lastRefusal);
                refusalsUnreported = 0;
            }
        }
    }

    private final System.Logger log;
    private final Shard[] shards;
    private final Slots[] slots;
    private final FramePool pool;
    private final BusConfig config;
    private final long closeGraceNs;
    private final AtomicInteger nextShard = new AtomicInteger();
    private final AtomicInteger openConnections = new AtomicInteger();
    private final AtomicLong refusedConnections = new AtomicLong();
    private final ConnectionLimits limits;
    /** Per-connection log lines a peer can cause at will (refusals by the limits, closes): the bus's one limiter. */
    private final LogLimiter logLimiter = new LogLimiter();
    private volatile boolean admitting = true;

    /**
     * A table for each of {@code shards}; connections take their limits from {@code config}.
     *
     * @param log the bus's logger: refusals are reported under the bus's name, where operators look.
     */
    public ConnectionTable(final Shard[] shards, final FramePool pool, final BusConfig config, final System.Logger log)
    {
        this.log = log;
        this.shards = shards;
        this.pool = pool;
        this.config = config;
        this.closeGraceNs = config.closeGrace().toNanos();
        this.limits = ConnectionLimits.of(config);
        this.slots = new Slots[shards.length];
        for (int i = 0; i < shards.length; i++)
        {
            slots[i] = new Slots(i, shards[i].nowNs());
        }
    }

    private static InetAddress unknownPeer()
    {
        try
        {
            return InetAddress.getByAddress("unknown", new byte[4]);
        }
        catch (final UnknownHostException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** The bus's client connection limits (max_connections, max_connections_per_address). */
    public ConnectionLimits limits()
    {
        return limits;
    }

    /** The bus's limiter of log lines a remote peer can cause (refusals, closes). Any thread. */
    public LogLimiter logLimiter()
    {
        return logLimiter;
    }

    /** The owning shard's index of a connection id. */
    public static int shardOf(final long id)
    {
        return (int)(id >>> SHARD_SHIFT);
    }

    /** False once the bus began to stop: no connection is accepted, registered or dialled any more. Any thread. */
    public boolean isAdmitting()
    {
        return admitting;
    }

    /** The bus stops: admit nothing new from now on. Any thread. */
    public void stopAdmitting()
    {
        admitting = false;
    }

    /** Connections open now (in the table). Any thread. */
    public int openConnections()
    {
        return openConnections.get();
    }

    /** Connections refused since start (mailbox full, table full, owner stopped). Any thread. */
    public long refusedConnections()
    {
        return refusedConnections.get();
    }

    /** The connection with this id, or null if it is gone (or the id was never valid). Any thread. */
    public Connection get(final long id)
    {
        final int shard = shardOf(id);
        final int slot = (int)(id & SLOT_MASK);
        final Connection connection = shard >= 0 && shard < slots.length && slot < MAX_CONNECTIONS_PER_SHARD ?
            slots[shard].connections.get(slot) : null;
        return connection != null && connection.id() == id ? connection : null;
    }

    /** The next shard round-robin, for a new client or accepted replica connection. Any thread. */
    public int pickShard()
    {
        return Math.floorMod(nextShard.getAndIncrement(), shards.length);
    }

    /**
     * A new connection in a free slot of shard {@code shardIndex}, or null if its table is full. On that shard.
     *
     * @param client client connections pause reading on a full queue and may idle out; replica links neither.
     */
    public Connection newConnection(final int shardIndex, final ConnectionHandler handler, final boolean client)
    {
        final Slots state = slots[shardIndex];
        if (state.freeCount == 0)
        {
            return null;
        }
        final int slot = state.free[--state.freeCount];
        final int generation = (state.generations[slot] + 1) & GENERATION_MASK;
        state.generations[slot] = generation;
        final long id = ((long)shardIndex << SHARD_SHIFT) | ((long)generation << GENERATION_SHIFT) | slot;
        final Connection connection = new Connection(id, shards[shardIndex], handler, pool,
            config.receiveBufferSize(), config.maxMessageSize(), config.clusterHi(), config.clusterLo(),
            config.peerQueueCapacity(), config.maxBatch(), closeGraceNs, state.discard);
        connection.limits(config.peerQueueMaxBytes(), client, config.partialFrameTimeout().toNanos(),
            client ? config.idleTimeout().toNanos() : 0);
        connection.logLimiter(logLimiter);
        if (!client)
        {
            connection.label(REPLICA_ROLE, "tcp"); // a client plane names its own connections
        }
        state.connections.set(slot, connection);
        openConnections.incrementAndGet();
        return connection;
    }

    /**
     * Free the connection's slot and give back its place in the {@link #limits()}, if it holds one;
     * harmless if already free: the slot is freed once, and the place with it. On the connection's
     * shard (from onClosed).
     */
    public void release(final Connection connection)
    {
        final Slots state = slots[shardOf(connection.id())];
        final int slot = (int)(connection.id() & SLOT_MASK);
        if (state.connections.compareAndSet(slot, connection, null))
        {
            state.free[state.freeCount++] = slot;
            openConnections.decrementAndGet();
            final InetAddress place = connection.limitedAddress();
            if (place != null)
            {
                limits.release(place);
            }
        }
    }

    /**
     * On shard 0 (every listener lives there): hand an accepted socket to shard {@code owner}, which
     * registers it and lets {@code admission} prepare it. Never waits: another shard whose mailbox is
     * full (or that has stopped) costs this connection a refusal rather than stalling the acceptor
     * and every connection shard 0 owns.
     *
     * <p>A {@code client} socket takes its place in the {@link #limits()} first, before any other
     * work: refused, it is closed unread (see the class comment).
     */
    public void delegate(final AcceptedSocket socket, final int owner, final ConnectionHandler handler,
        final boolean client, final Admission admission)
    {
        if (!admitting)
        {
            socket.close();
            return;
        }
        final InetAddress place = client ? takePlace(socket) : null;
        if (client && place == null)
        {
            return;
        }
        if (!shards[owner].tryExecute(() -> register(socket, owner, handler, client, place, admission)))
        {
            socket.close();
            releasePlace(place);
            refused(0, socket.remoteAddress(), shards[owner].isStopped() ? "shard " + owner + " has stopped" :
                "shard " + owner + " mailbox full (mailbox_capacity " + shards[owner].mailboxCapacity() + ")");
        }
    }

    /**
     * A place in the limits for a client socket: its source address, or null if refused and the
     * socket closed. A peer gone before its address could be read (a reset right after the accept,
     * io_uring) still takes a place, under {@link #UNKNOWN_PEER}: the connection is registered and
     * closed as any other.
     */
    private InetAddress takePlace(final AcceptedSocket socket)
    {
        final InetSocketAddress remote = socket.remoteAddress();
        final InetAddress address = remote != null ? remote.getAddress() : UNKNOWN_PEER;
        final String refusal = limits.tryAcquire(address);
        if (refusal == null)
        {
            return address;
        }
        socket.close();
        final long held = logLimiter.admit(refusal, shards[0].nowNs());
        if (held >= 0)
        {
            log.log(Level.WARNING, "refused connection from " + remote + ": " + refusal + " " +
                (refusal == ConnectionLimits.REFUSED_TOTAL ? limits.maxTotal() : limits.maxPerAddress()) +
                " reached" + LogLimiter.suffix(held));
        }
        return null;
    }

    /** Give back a place taken by {@link #takePlace} for a socket that got no connection; null: none taken. */
    private void releasePlace(final InetAddress place)
    {
        if (place != null)
        {
            limits.release(place);
        }
    }

    private void register(final AcceptedSocket socket, final int owner, final ConnectionHandler handler,
        final boolean client, final InetAddress place, final Admission admission)
    {
        if (!admitting)
        {
            socket.close();
            releasePlace(place);
            return;
        }
        final Connection connection = newConnection(owner, handler, client);
        if (connection == null)
        {
            socket.close();
            releasePlace(place);
            refusedTableFull(owner, socket.remoteAddress());
            return;
        }
        connection.limitedAddress(place); // from here the slot's release gives the place back
        final IoChannel channel;
        try
        {
            channel = shards[owner].backend().register(socket, connection);
        }
        catch (final IOException ex)
        {
            final long held = logLimiter.admit("register_failed", shards[owner].nowNs());
            if (held >= 0)
            {
                log.log(Level.WARNING, "registering " + socket.remoteAddress() + " failed" + LogLimiter.suffix(held), ex);
            }
            socket.close();
            release(connection);
            return;
        }
        try
        {
            if (admission.prepare(connection, socket, channel))
            {
                connection.open(channel);
            }
        }
        catch (final RuntimeException ex)
        {
            // Not this shard's failure: this connection pays, and its slot and place come back.
            log.log(Level.ERROR, "shard " + owner + ": opening " + socket.remoteAddress() + " failed", ex);
            connection.abort(CloseReason.IO_ERROR, "open failed: " + ex);
            release(connection);
        }
    }

    /** Count a connection refused because shard {@code shardIndex}'s table is full. On that shard. */
    public void refusedTableFull(final int shardIndex, final InetSocketAddress peer)
    {
        refused(shardIndex, peer, "connection table full (" + MAX_CONNECTIONS_PER_SHARD + ")");
    }

    /**
     * Count a refused connection; log the first of a burst at once, the rest as one line with a
     * count at most once per {@link #REFUSAL_LOG_INTERVAL_NS}. On shard {@code shardIndex}.
     */
    private void refused(final int shardIndex, final InetSocketAddress peer, final String why)
    {
        refusedConnections.incrementAndGet();
        final Slots state = slots[shardIndex];
        state.lastRefusal = peer + ": " + why;
        final long nowNs = shards[shardIndex].nowNs(); // the shard clock: the report below is a timer on it
        if (!state.refusalReportScheduled && nowNs - state.lastRefusalReportNs >= REFUSAL_LOG_INTERVAL_NS)
        {
            log.log(Level.WARNING, "shard " + shardIndex + ": refused connection " + state.lastRefusal);
            state.lastRefusalReportNs = nowNs;
        }
        else
        {
            state.refusalsUnreported++;
            if (!state.refusalReportScheduled)
            {
                state.refusalReportScheduled = true;
                state.lastRefusalReportNs += REFUSAL_LOG_INTERVAL_NS;
                shards[shardIndex].schedule(state.lastRefusalReportNs, state.refusalReport);
            }
        }
    }

    /**
     * Hand every connection of shard {@code shardIndex} now in its table to {@code action}, in slot
     * order. On that shard (a connection's own fields are read safely only there). Walks the whole
     * table: for views and diagnostics, not the frame path.
     */
    public void forEach(final int shardIndex, final Consumer<Connection> action)
    {
        final Slots state = slots[shardIndex];
        for (int slot = 0; slot < MAX_CONNECTIONS_PER_SHARD; slot++)
        {
            final Connection connection = state.connections.get(slot);
            if (connection != null)
            {
                action.accept(connection);
            }
        }
    }

    /**
     * Close (or with {@code abort}, abort) every connection of shard {@code shardIndex}. On that
     * shard. Each connection on its own: one that throws does not keep the rest open.
     */
    public void closeAll(final int shardIndex, final boolean abort, final CloseReason reason, final String detail)
    {
        final Slots state = slots[shardIndex];
        for (int slot = 0; slot < MAX_CONNECTIONS_PER_SHARD; slot++)
        {
            final Connection connection = state.connections.get(slot);
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
                    log.log(Level.ERROR, "shard " + shardIndex + ": closing connection " +
                        Long.toHexString(connection.id()) + " failed", ex);
                    release(connection);
                }
            }
        }
    }
}
