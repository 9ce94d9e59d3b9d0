package io.ringbus.cli;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.SendResult;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.dedup.RequestDedup;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import org.agrona.DirectBuffer;

import java.lang.System.Logger.Level;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The state machine of {@code ringbus serve}: a replicated echo (DESIGN.md, "The ringbus CLI").
 *
 * <p>A client request is answered with a reply carrying the same body. On a node without replicas
 * the reply goes out at once. In a cluster, the node that receives a request is its primary: it
 * assigns {@code op = ++opNumber}, sends one {@link PrepareFrame prepare} buffer to every other
 * connected replica ({@link MessageBus#broadcastToReplicas}: no copy per replica), and answers
 * the client once a majority, counting itself, has the op (its own copy plus {@code prepare_ok}s).
 * Op numbers form one sequence per primary (every node is primary for its own clients), so a
 * backup checks op order per primary: {@code op == last + 1} is in order; a gap
 * ({@code op > last + 1}) is logged and accepted ({@code last = op}); a duplicate
 * ({@code op <= last}, a retransmission) is acknowledged again, since the backup has it. A prepare
 * from a new incarnation of a primary (it restarted) resets that primary's order.
 *
 * <p>While too few replicas are connected a request waits: its prepare is sent again to a replica
 * when it connects, and every {@link #RETRANSMIT_INTERVAL} to connected replicas that have not
 * acknowledged it. A request still without a majority after {@code pendingTimeout} is dropped;
 * the client retries. At most {@link #MAX_PENDING_OPS} ops wait at once; a request beyond that is
 * dropped too, as is a request too large to fit in a prepare (max_message_size less one header).
 * The echo keeps no log: a replica that connects after an op committed never sees that op, and
 * takes the next one as a gap.
 *
 * <p>A retried request (same client session and request number) is answered from a
 * {@link RequestDedup} table (DONE: the cached body, with the retry's header fields), dropped while
 * its first execution is in flight (the reply goes out when that completes), and never prepared
 * again. bus-core's table has no way to forget one IN_FLIGHT entry, so dropping a timed-out op
 * evicts its client from the table (its older replies are forgotten; for an echo a re-execution is
 * harmless).
 *
 * <p><b>Threading.</b> The bus calls the handler methods on several shard threads; all state is
 * guarded by one lock, so the machine is sequential. Sends under the lock never block (the bus's
 * sends only enqueue). {@link #start} adds one timer thread for retransmission and timeouts.
 */
public final class EchoReplica implements BusHandler, AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(EchoReplica.class.getName());

    /** Ops that may wait for a majority at once (a power of two). */
    public static final int MAX_PENDING_OPS = 1 << 14;
    /** Default time an op may wait for a majority before it is dropped. */
    public static final Duration DEFAULT_PENDING_TIMEOUT = Duration.ofSeconds(5);
    /** How long a primary waits for a prepare_ok before it sends the prepare again. */
    public static final Duration RETRANSMIT_INTERVAL = Duration.ofMillis(500);
    /** Period of the timer that retransmits and expires ops. */
    public static final Duration TICK_INTERVAL = Duration.ofMillis(100);

    private static final int PENDING_MASK = MAX_PENDING_OPS - 1;

    /** An op that waits for its majority; records are reused through the ring. */
    private static final class Pending
    {
        long op;
        long clientId;
        long clientHi;
        long clientLo;
        long request;
        FrameBuffer prepare;
        boolean[] acked;
        int ackCount;
        long firstSentNs;
        long lastSentNs;
    }

    private final Object lock = new Object();
    private final int self;
    private final int replicaCount;
    private final int majority;
    private final int replicaField;
    private final int maxMessageSize;
    private final long incarnation;
    private final long pendingTimeoutNs;
    private final long retransmitNs = RETRANSMIT_INTERVAL.toNanos();
    private final RequestDedup<FrameBuffer> dedup;
    private final Pending[] ring;
    private final long[] lastOp;
    private final long[] lastIncarnation;
    private long opNumber;
    private long lowOp = 1;
    private boolean closed;
    private ScheduledExecutorService timer;
    private MessageBus bus;

    private long preparedOps;
    private long committedOps;
    private long dedupHits;
    private long retriesInFlight;
    private long acceptedPrepares;
    private long gapPrepares;
    private long duplicatePrepares;
    private long droppedRequests;

    /** A machine for a node configured by {@code config}, with the default pending timeout. */
    public EchoReplica(final BusConfig config)
    {
        this(config, DEFAULT_PENDING_TIMEOUT);
    }

    /**
     * A machine for a node configured by {@code config} (replica id, replica count, dedup limits,
     * max_message_size) whose ops wait at most {@code pendingTimeout} for a majority.
     */
    public EchoReplica(final BusConfig config, final Duration pendingTimeout)
    {
        this.self = config.replicaId();
        this.replicaCount = Math.max(1, config.replicas().size());
        this.majority = replicaCount / 2 + 1;
        this.replicaField = self == BusConfig.NO_REPLICA ? FrameHeader.REPLICA_NONE : self;
        this.maxMessageSize = config.maxMessageSize();
        this.pendingTimeoutNs = pendingTimeout.toNanos();
        long random = 0;
        final SecureRandom secureRandom = new SecureRandom();
        while (random == 0)
        {
            random = secureRandom.nextLong();
        }
        this.incarnation = random;
        this.dedup = new RequestDedup<>(config.dedupCapacityPerClient(), config.dedupTtl().toNanos(),
            config.dedupMaxClients(), System::nanoTime, FrameBuffer::release);
        this.ring = new Pending[self == BusConfig.NO_REPLICA ? 0 : MAX_PENDING_OPS];
        this.lastOp = new long[replicaCount];
        this.lastIncarnation = new long[replicaCount];
    }

    /**
     * Start the timer that retransmits prepares and drops ops past their timeout. Call once, after
     * {@link MessageBus#start}; a node without replicas needs no timer. Any thread.
     */
    public void start(final MessageBus bus)
    {
        synchronized (lock)
        {
            if (closed || this.bus != null)
            {
                throw new IllegalStateException(closed ? "closed" : "already started");
            }
            this.bus = bus;
            if (self == BusConfig.NO_REPLICA)
            {
                return;
            }
            timer = Executors.newSingleThreadScheduledExecutor(task ->
            {
                final Thread thread = new Thread(task, "ringbus-echo-timer-" + self);
                thread.setDaemon(true);
                return thread;
            });
            final long periodMs = TICK_INTERVAL.toMillis();
            timer.scheduleAtFixedRate(this::tick, periodMs, periodMs, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void onClientRequest(final MessageBus bus, final ClientConnMeta client, final DirectBuffer buffer,
        final int offset, final int length)
    {
        final long clientHi = FrameHeader.clientHi(buffer, offset);
        final long clientLo = FrameHeader.clientLo(buffer, offset);
        final long request = FrameHeader.request(buffer, offset);
        synchronized (lock)
        {
            if (closed)
            {
                return;
            }
            switch (dedup.lookup(clientHi, clientLo, request))
            {
                case DONE:
                    answerFromCache(bus, client.clientId(), dedup.reply(), buffer, offset);
                    return;
                case IN_FLIGHT:
                    retriesInFlight++; // the first execution's reply answers it
                    return;
                case REFUSED:
                    droppedRequests++;
                    LOG.log(Level.DEBUG, "dedup table full: dropped a request of client " + client.clientId());
                    return;
                default:
                    break;
            }
            if (self == BusConfig.NO_REPLICA)
            {
                dedup.markInFlight(clientHi, clientLo, request);
                final FrameBuffer reply = Frames.reply(bus.pool(), buffer, offset, buffer,
                    offset + FrameHeader.HEADER_SIZE, length - FrameHeader.HEADER_SIZE, replicaField);
                committedOps++;
                complete(bus, client.clientId(), clientHi, clientLo, request, reply);
                return;
            }
            prepare(bus, client.clientId(), clientHi, clientLo, request, buffer, offset, length);
        }
    }

    @Override
    public void onReplicaFrame(final MessageBus bus, final int replica, final DirectBuffer buffer, final int offset,
        final int length)
    {
        final int command = FrameHeader.command(buffer, offset);
        synchronized (lock)
        {
            if (closed)
            {
                return;
            }
            if (command == Command.PREPARE.code())
            {
                onPrepare(bus, replica, buffer, offset, length);
            }
            else if (command == Command.PREPARE_OK.code())
            {
                onPrepareOk(bus, replica, buffer, offset);
            }
            else
            {
                LOG.log(Level.WARNING, "replica " + replica + " sent command " + command + ": the echo expects " +
                    "prepare or prepare_ok; ignored");
            }
        }
    }

    @Override
    public void onReplicaConnected(final MessageBus bus, final int replica)
    {
        synchronized (lock)
        {
            if (closed || replica >= replicaCount)
            {
                return;
            }
            // Ops that waited while this replica was away go to it now, in op order (FIFO per connection).
            final long nowNs = System.nanoTime();
            for (long op = lowOp; op <= opNumber; op++)
            {
                final Pending pending = ring[(int)(op & PENDING_MASK)];
                if (pending != null && pending.prepare != null && pending.op == op && !pending.acked[replica])
                {
                    sendPrepare(bus, replica, pending.prepare);
                    pending.lastSentNs = nowNs;
                }
            }
        }
    }

    /** Retransmit unacknowledged prepares and drop ops past their timeout. Timer thread. */
    void tick()
    {
        synchronized (lock)
        {
            if (closed || bus == null)
            {
                return;
            }
            final long nowNs = System.nanoTime();
            for (long op = lowOp; op <= opNumber; op++)
            {
                final Pending pending = ring[(int)(op & PENDING_MASK)];
                if (pending == null || pending.prepare == null || pending.op != op)
                {
                    continue;
                }
                if (nowNs - pending.firstSentNs >= pendingTimeoutNs)
                {
                    LOG.log(Level.WARNING, "op " + op + " had no majority (" + pending.ackCount + "/" + majority +
                        ") within " + TimeUnit.NANOSECONDS.toMillis(pendingTimeoutNs) +
                        " ms: dropped, the client retries");
                    // RequestDedup cannot forget one IN_FLIGHT entry: evict the client so a retry runs again.
                    dedup.evictClient(pending.clientHi, pending.clientLo);
                    droppedRequests++;
                    clear(pending);
                }
                else if (nowNs - pending.lastSentNs >= retransmitNs)
                {
                    for (int replica = 0; replica < replicaCount; replica++)
                    {
                        if (!pending.acked[replica] && bus.isReplicaConnected(replica))
                        {
                            sendPrepare(bus, replica, pending.prepare);
                        }
                    }
                    pending.lastSentNs = nowNs;
                }
            }
            advanceLowOp();
        }
    }

    private void prepare(final MessageBus bus, final long clientId, final long clientHi, final long clientLo,
        final long request, final DirectBuffer buffer, final int offset, final int length)
    {
        if ((long)FrameHeader.HEADER_SIZE + length > maxMessageSize)
        {
            droppedRequests++;
            LOG.log(Level.WARNING, "request of " + length + " bytes: its prepare would exceed max_message_size " +
                maxMessageSize + " (a prepare adds a " + FrameHeader.HEADER_SIZE + "-byte header); dropped");
            return;
        }
        if (opNumber + 1 - lowOp >= MAX_PENDING_OPS)
        {
            droppedRequests++;
            LOG.log(Level.DEBUG, MAX_PENDING_OPS + " ops wait for a majority: dropped a request, the client retries");
            return;
        }
        dedup.markInFlight(clientHi, clientLo, request);
        final long op = ++opNumber;
        final int slot = (int)(op & PENDING_MASK);
        Pending pending = ring[slot];
        if (pending == null)
        {
            pending = new Pending();
            pending.acked = new boolean[replicaCount];
            ring[slot] = pending;
        }
        pending.op = op;
        pending.clientId = clientId;
        pending.clientHi = clientHi;
        pending.clientLo = clientLo;
        pending.request = request;
        pending.prepare = PrepareFrame.prepare(bus, self, op, incarnation, buffer, offset, length);
        pending.acked[self] = true;
        pending.ackCount = 1;
        pending.firstSentNs = System.nanoTime();
        pending.lastSentNs = pending.firstSentNs;
        preparedOps++;
        // One buffer to every connected replica, no copy; the pending op keeps its own reference.
        bus.broadcastToReplicas(pending.prepare.retain());
        if (pending.ackCount >= majority)
        {
            commit(bus, pending); // a cluster of one
            advanceLowOp();
        }
    }

    /**
     * Send the pending op's own {@code prepare} buffer again to {@code replica} (a retransmission,
     * or a replica that connected late), without copying it: bus-core lets one buffer be queued
     * on several connections, and twice on one, while the op holds its reference.
     */
    private static void sendPrepare(final MessageBus bus, final int replica, final FrameBuffer prepare)
    {
        bus.sendToReplica(replica, prepare.retain());
    }

    private void onPrepare(final MessageBus bus, final int primary, final DirectBuffer buffer, final int offset,
        final int length)
    {
        if (length < PrepareFrame.MIN_PREPARE_SIZE || primary >= replicaCount || primary == self ||
            FrameHeader.size(buffer, offset + PrepareFrame.REQUEST_OFFSET) != length - PrepareFrame.REQUEST_OFFSET)
        {
            LOG.log(Level.WARNING, "replica " + primary + " sent a malformed prepare of " + length + " bytes; ignored");
            return;
        }
        final long op = PrepareFrame.op(buffer, offset);
        final long primaryIncarnation = PrepareFrame.incarnation(buffer, offset);
        if (primaryIncarnation != lastIncarnation[primary])
        {
            if (lastIncarnation[primary] != 0)
            {
                LOG.log(Level.INFO, "replica " + primary + " restarted: resync its ops at op " + op);
            }
            lastIncarnation[primary] = primaryIncarnation;
            lastOp[primary] = op - 1;
        }
        final long last = lastOp[primary];
        if (op > last)
        {
            if (op != last + 1)
            {
                gapPrepares++;
                LOG.log(Level.DEBUG, "replica " + primary + ": op " + op + " after op " + last + " (gap accepted)");
            }
            lastOp[primary] = op;
            acceptedPrepares++;
        }
        else
        {
            duplicatePrepares++; // a retransmission: this replica has it, so acknowledge it again
        }
        bus.sendToReplica(primary, PrepareFrame.prepareOk(bus, self, op, primaryIncarnation));
    }

    private void onPrepareOk(final MessageBus bus, final int backup, final DirectBuffer buffer, final int offset)
    {
        if (backup >= replicaCount || PrepareFrame.incarnation(buffer, offset) != incarnation)
        {
            return; // not for this incarnation of ours
        }
        final long op = PrepareFrame.op(buffer, offset);
        if (op < lowOp || op > opNumber)
        {
            return; // committed or dropped already
        }
        final Pending pending = ring[(int)(op & PENDING_MASK)];
        if (pending == null || pending.prepare == null || pending.op != op || pending.acked[backup])
        {
            return;
        }
        pending.acked[backup] = true;
        if (++pending.ackCount >= majority)
        {
            commit(bus, pending);
            advanceLowOp();
        }
    }

    private void commit(final MessageBus bus, final Pending pending)
    {
        final FrameBuffer prepare = pending.prepare;
        final int requestLength = prepare.frameLength() - PrepareFrame.REQUEST_OFFSET;
        final FrameBuffer reply = Frames.reply(bus.pool(), prepare.buffer(), PrepareFrame.REQUEST_OFFSET,
            prepare.buffer(), PrepareFrame.REQUEST_OFFSET + FrameHeader.HEADER_SIZE,
            requestLength - FrameHeader.HEADER_SIZE, replicaField);
        committedOps++;
        complete(bus, pending.clientId, pending.clientHi, pending.clientLo, pending.request, reply);
        clear(pending);
    }

    /** Record {@code reply} in the dedup table and send it; both take one reference. */
    private void complete(final MessageBus bus, final long clientId, final long clientHi, final long clientLo,
        final long request, final FrameBuffer reply)
    {
        reply.retain();
        dedup.complete(clientHi, clientLo, request, reply);
        final SendResult result = bus.sendToClient(clientId, reply);
        if (result != SendResult.OK)
        {
            LOG.log(Level.DEBUG, "reply to client " + clientId + ": " + result + " (a retry is answered from dedup)");
        }
    }

    private void answerFromCache(final MessageBus bus, final long clientId, final FrameBuffer cached,
        final DirectBuffer retry, final int retryOffset)
    {
        dedupHits++;
        // The cached body, with the retry's header fields (its timestamp, as WIRE.md asks of a reply).
        final FrameBuffer reply = Frames.reply(bus.pool(), retry, retryOffset, cached.buffer(), FrameHeader.HEADER_SIZE,
            cached.frameLength() - FrameHeader.HEADER_SIZE, replicaField);
        bus.sendToClient(clientId, reply);
    }

    private static void clear(final Pending pending)
    {
        pending.prepare.release();
        pending.prepare = null;
        Arrays.fill(pending.acked, false);
        pending.ackCount = 0;
    }

    private void advanceLowOp()
    {
        while (lowOp <= opNumber)
        {
            final Pending pending = ring[(int)(lowOp & PENDING_MASK)];
            if (pending != null && pending.prepare != null && pending.op == lowOp)
            {
                return;
            }
            lowOp++;
        }
    }

    /** Ops this node prepared as primary. */
    public long preparedOps()
    {
        synchronized (lock)
        {
            return preparedOps;
        }
    }

    /** Requests this node answered after a majority had them (or at once without replicas). */
    public long committedOps()
    {
        synchronized (lock)
        {
            return committedOps;
        }
    }

    /** Retried requests answered from the dedup table. */
    public long dedupHits()
    {
        synchronized (lock)
        {
            return dedupHits;
        }
    }

    /** Retried requests dropped because their first execution was still in flight. */
    public long retriesInFlight()
    {
        synchronized (lock)
        {
            return retriesInFlight;
        }
    }

    /** New prepares this node accepted as a backup. */
    public long acceptedPrepares()
    {
        synchronized (lock)
        {
            return acceptedPrepares;
        }
    }

    /** Accepted prepares that skipped ops of their primary (counted in {@link #acceptedPrepares} too). */
    public long gapPrepares()
    {
        synchronized (lock)
        {
            return gapPrepares;
        }
    }

    /** Retransmitted prepares this node acknowledged again. */
    public long duplicatePrepares()
    {
        synchronized (lock)
        {
            return duplicatePrepares;
        }
    }

    /** Requests dropped: timed out without a majority, pending table full, too large, dedup full. */
    public long droppedRequests()
    {
        synchronized (lock)
        {
            return droppedRequests;
        }
    }

    /** Ops waiting for a majority now. */
    public int pendingOps()
    {
        synchronized (lock)
        {
            int count = 0;
            for (long op = lowOp; op <= opNumber; op++)
            {
                final Pending pending = ring[(int)(op & PENDING_MASK)];
                if (pending != null && pending.prepare != null && pending.op == op)
                {
                    count++;
                }
            }
            return count;
        }
    }

    /**
     * Stop the timer and release every held buffer (pending prepares, cached replies). Call after
     * the bus is closed, so no callback races it. Idempotent; any thread.
     */
    @Override
    public void close()
    {
        final ScheduledExecutorService stopping;
        synchronized (lock)
        {
            if (closed)
            {
                return;
            }
            closed = true;
            stopping = timer;
            for (long op = lowOp; op <= opNumber; op++)
            {
                final Pending pending = ring[(int)(op & PENDING_MASK)];
                if (pending != null && pending.prepare != null && pending.op == op)
                {
                    clear(pending);
                }
            }
            dedup.close();
        }
        if (stopping != null)
        {
            stopping.shutdownNow();
        }
    }
}
