package io.ringbus.cli;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.SendResult;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.dedup.Mix;
import io.ringbus.core.dedup.ReplyStatus;
import io.ringbus.core.dedup.RequestDedup;
import io.ringbus.core.dedup.SessionBindings;
import io.ringbus.core.log.LogLimiter;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;
import java.util.random.RandomGenerator;

/**
 * The state machine of {@code ringbus serve}: a replicated echo (DESIGN.md, "The ringbus CLI").
 *
 * <p>A client request is answered with a reply carrying the same body. On a node without replicas
 * the reply goes out at once, on the shard that received the request. In a cluster, the node that
 * receives a request is its primary: it assigns {@code op = ++opNumber}, sends one
 * {@link PrepareFrame prepare} buffer to every other connected replica
 * ({@link MessageBus#broadcastToReplicas}: no copy per replica), and answers the client once a
 * majority, counting itself, has the op (its own copy plus {@code prepare_ok}s). Op numbers form
 * one sequence per primary (every node is primary for its own clients), so a backup checks op
 * order per primary: {@code op == last + 1} is in order; a gap ({@code op > last + 1}) is logged
 * and accepted ({@code last = op}); a duplicate ({@code op <= last}, a retransmission) is
 * acknowledged again, since the backup has it. A prepare from a new incarnation of a primary (it
 * restarted) resets that primary's order.
 *
 * <p>While too few replicas are connected a request waits: its prepare is sent again to a replica
 * when it connects, and every {@link #RETRANSMIT_INTERVAL} to connected replicas that have not
 * acknowledged it. A request still without a majority after {@code pendingTimeout} is dropped
 * (and {@link RequestDedup#abandon abandoned}: a retry runs again, the session's other requests
 * stay cached); the client retries. At most {@link #MAX_PENDING_OPS} ops wait at once; a request
 * beyond that is dropped too, as is a request too large to fit in a prepare (max_message_size less
 * one header). The echo keeps no log: a replica that connects after an op committed never sees
 * that op, and takes the next one as a gap.
 *
 * <p>A retried request (same client session and request number) is answered from a
 * {@link RequestDedup} table (DONE: the cached body, with the retry's header fields), dropped while
 * its first execution is in flight (the reply goes out when that completes), and never prepared
 * again. {@link RequestDedup#claim} decides and claims in one step.
 *
 * <p><b>Sessions are bound</b> (issue 13, point 6; docs/wire.md, "Client sessions"). Beside each
 * dedup table a {@link SessionBindings} table binds every {@code client} id to the connection that
 * first used it (or to that connection's client-certificate subject), before the dedup table is
 * asked: a request of a session bound elsewhere is answered with a reply of status
 * {@link ReplyStatus#SESSION_BOUND} (a reason as body, nothing executed, no cached reply), so a
 * cached reply only ever goes to the session that made it. A connection's close releases its
 * sessions; the next connection to use the id (with the same subject, if the session had one)
 * reclaims the session and its cache within the dedup TTL, after which the session ends and its
 * cache is dropped. The bindings live where the replies are cached, and are node-wide: in the
 * node's striped tables on a node without replicas (whatever shard a connection lands on), with
 * the sequencer's in a cluster. Backups cache no replies (they only
 * acknowledge prepares), so no other replica needs to learn a binding, and a prepare does not
 * carry one; a client that moves to another node starts a new session there.
 *
 * <p><b>Threading: who owns what.</b> Handler methods run on the shards and never block (the only
 * wait is for a stripe lock of a node without replicas, held by another shard for one request's
 * work).
 * <ul>
 *   <li>Without replicas, the sessions and cached replies are node-wide, split into stripes by
 *       a hash of the client id: each stripe is one {@link SessionBindings} and one
 *       {@link RequestDedup}, and the node's dedup and session limits are split evenly over the
 *       stripes ({@link #stripeCount}: {@link #STRIPES_PER_SHARD} per shard, a power of two). A
 *       request is bound, claimed and answered inside its callback under its stripe's spin lock;
 *       shards rarely want one stripe at the same instant, so the lock is one uncontended CAS in
 *       the common case, and with one shard there is one stripe and no lock at all. No queue, no
 *       timer. So a client id is refused on every shard while it is bound, and a client that
 *       reconnects onto another shard keeps its session and cache (issue 13, point 6). A
 *       connection's close releases its sessions in every stripe. The per-connection session
 *       limit is enforced per stripe (a connection may hold that many in each stripe). Counters
 *       stay per shard, chosen by the shard index that bus-core carries in the top bits of every
 *       client connection id (DESIGN.md, "Client ids carry their owning shard in the top
 *       bits").</li>
 *   <li>With replicas, the op sequence, the pending ops, the backups' order per primary and the
 *       dedup table belong to one sequencer thread ({@code ringbus-echo-<id>}), the only thread
 *       that reads or writes them. Shards hand it work through bounded lock-free queues: a client
 *       request as a staged prepare buffer ({@link PrepareFrame#stage}), replica frames and
 *       connections as small records; a full queue drops the request (counted; the client
 *       retries) and never blocks the shard. The sequencer also runs the retransmit and timeout
 *       tick. It touches no shard state: it only calls the bus's any-thread methods (sends,
 *       {@link MessageBus#isReplicaConnected}, the pool). bus-core offers no public way to run a
 *       task or a timer on a shard, which is what would let this state live on a shard
 *       instead.</li>
 *   <li>Stepped mode ({@link Options#withSteppedSequencer}, for the deterministic simulator of
 *       bus-sim, issue 14): the same sequencer, but no thread is started. Its owner, one thread
 *       (the simulator's, which also steps the shards), calls {@link #stepSequencer}, the very
 *       turn the thread runs in a loop, whenever it likes, and at the latest when the clock
 *       reaches {@link #nextSequencerDeadlineNs}; nothing parks or wakes. {@link #close} releases
 *       the same buffers without a thread to join.</li>
 * </ul>
 * Every time reading (bindings, dedup, tick, retransmit, pending timeout) comes from one injected
 * clock and the incarnation from one injected random generator ({@link Options}: the wall clock
 * and a {@link SecureRandom} by default), so that a simulator with a virtual clock and a seeded
 * generator runs this class unchanged and reproducibly.
 * Counters are written by their one owner with ordered stores and summed by readers (any thread).
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
    /** Period of the sequencer's retransmit and timeout tick. */
    public static final Duration TICK_INTERVAL = Duration.ofMillis(100);
    /** Client requests that may wait for the sequencer at once (a power of two). */
    public static final int REQUEST_QUEUE_CAPACITY = 1 << 14;

    /**
     * Stripes of the session and dedup state per shard on a node without replicas: enough that
     * two shards rarely want the same stripe at the same instant.
     */
    static final int STRIPES_PER_SHARD = 4;
    /** The most stripes (a power of two). */
    static final int MAX_STRIPES = 1024;
    /** Ints between two stripe locks: 64 bytes, a cache line. */
    private static final int LOCK_STRIDE = 16;
    /** Failed attempts at a held stripe lock spent spinning before the shard yields its core. */
    private static final int LOCK_SPINS = 100;

    /** Where bus-core keeps the owning shard in a client connection id (DESIGN.md, Threading). */
    static final int CONNECTION_ID_SHARD_SHIFT = 56;

    private static final int PENDING_MASK = MAX_PENDING_OPS - 1;
    private static final int EVENT_RING_BYTES = 1 << 20;
    private static final int EVENT_PREPARE = 1;
    private static final int EVENT_PREPARE_OK = 2;
    private static final int EVENT_REPLICA_CONNECTED = 3;
    /** A client connection closed: op = its connection id, incarnation = its shard's submitted count. */
    private static final int EVENT_CLIENT_CLOSED = 4;
    /** An event record: op (u64), incarnation (u64), replica (i32). */
    private static final int EVENT_LENGTH = 2 * Long.BYTES + Integer.BYTES;
    private static final int DRAIN_LIMIT = 256;

    /** The body of a {@link ReplyStatus#SESSION_BOUND} reply. */
    static final String SESSION_BOUND_REASON = "client id bound to another session: it is in use by another " +
        "connection (or certificate identity); retry after that connection closed, or use another client id";
    /** The body of a {@link ReplyStatus#SESSION_LIMIT} reply. */
    static final String SESSION_LIMIT_REASON = "no room for another client session on this node (or on this " +
        "connection); retry later";
    private static final UnsafeBuffer SESSION_BOUND_BODY =
        new UnsafeBuffer(SESSION_BOUND_REASON.getBytes(StandardCharsets.UTF_8));
    private static final UnsafeBuffer SESSION_LIMIT_BODY =
        new UnsafeBuffer(SESSION_LIMIT_REASON.getBytes(StandardCharsets.UTF_8));

    /** Counters of one owner (a shard or the sequencer): one writer, ordered stores, any reader. */
    static final class Counts
    {
        final AtomicLong preparedOps = new AtomicLong();
        final AtomicLong committedOps = new AtomicLong();
        final AtomicLong dedupHits = new AtomicLong();
        final AtomicLong retriesInFlight = new AtomicLong();
        final AtomicLong acceptedPrepares = new AtomicLong();
        final AtomicLong gapPrepares = new AtomicLong();
        final AtomicLong duplicatePrepares = new AtomicLong();
        final AtomicLong droppedRequests = new AtomicLong();
        final AtomicLong pendingOps = new AtomicLong();
        final AtomicLong refusedRequests = new AtomicLong();
        final AtomicLong retransmittedPrepares = new AtomicLong();

        /** One writer: a plain read and an ordered store, no locked instruction. */
        static void increment(final AtomicLong counter)
        {
            counter.lazySet(counter.get() + 1);
        }
    }

    /**
     * What every shard keeps in both modes: the identity of its connections that have one (a
     * digest computed once per connection, so a request allocates nothing) and, in a cluster, how
     * many requests it handed the sequencer (so a connection's close is applied after its
     * requests). Its shard only.
     */
    private static final class ShardSessions
    {
        private static final long[] NO_IDENTITY = {0, 0};

        final Long2ObjectHashMap<long[]> identities = new Long2ObjectHashMap<>();
        long submitted;

        /** The connection's identity ({@link SessionBindings#identityOf}), {0, 0} without one. */
        long[] identity(final ClientConnMeta client)
        {
            final String subject = client.peerSubject();
            if (subject == null)
            {
                return NO_IDENTITY;
            }
            long[] identity = identities.get(client.clientId());
            if (identity == null)
            {
                identity = SessionBindings.identityOf(subject);
                identities.put(client.clientId(), identity);
            }
            return identity;
        }
    }

    /**
     * One stripe of a node without replicas: the sessions and cached replies of the client ids
     * that hash to it ({@link #stripeOf}). Guarded by its lock in {@link #stripeLocks} when the
     * node has more than one shard; with one shard only that shard touches it, without a lock.
     */
    private static final class Stripe
    {
        final RequestDedup<FrameBuffer> dedup;
        final SessionBindings bindings;

        Stripe(final RequestDedup<FrameBuffer> dedup, final SessionBindings bindings)
        {
            this.dedup = dedup;
            this.bindings = bindings;
        }
    }

    private final int self;
    private final int replicaCount;
    private final int majority;
    private final int replicaField;
    private final int maxMessageSize;
    private final long pendingTimeoutNs;
    /** Without replicas: the node's sessions and caches, striped by client id; null in a cluster. */
    private final Stripe[] stripes;
    /** {@code 64 - log2(stripes.length)}: the stripe is the top bits of a hash of the client id. */
    private final int stripeShift;
    /**
     * One spin lock per stripe (0 free, 1 held), {@link #LOCK_STRIDE} ints apart so that two
     * stripes' locks never share a cache line; null when the node has one shard (no lock needed).
     */
    private final AtomicIntegerArray stripeLocks;
    private final Counts[] shardCounts;
    private final ShardSessions[] shardSessions;
    private final Sequencer sequencer;
    /** Every time reading of this machine: shards and sequencer (see {@link Options#withNanoClock}). */
    private final LongSupplier nanoClock;
    /** Refusals are caused by remote peers at will: one log line per reason per interval, on this node's clock. */
    private final LogLimiter refusalLog = new LogLimiter();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile MessageBus bus;

    /**
     * How an {@link EchoReplica} is built: its pending timeout, the clock and randomness it reads
     * (the wall clock and a {@link SecureRandom} by default; a simulator injects virtual ones), and
     * whether a node with replicas runs its sequencer on a thread of its own (the default) or is
     * stepped by its owner ({@link EchoReplica#stepSequencer}). Immutable; any thread.
     */
    public static final class Options
    {
        private static final Options DEFAULTS = new Options(DEFAULT_PENDING_TIMEOUT, System::nanoTime, null, false);

        private final Duration pendingTimeout;
        private final LongSupplier nanoClock;
        private final RandomGenerator random;
        private final boolean steppedSequencer;

        private Options(final Duration pendingTimeout, final LongSupplier nanoClock, final RandomGenerator random,
            final boolean steppedSequencer)
        {
            this.pendingTimeout = pendingTimeout;
            this.nanoClock = nanoClock;
            this.random = random;
            this.steppedSequencer = steppedSequencer;
        }

        /** The default pending timeout, {@code System::nanoTime}, a new {@link SecureRandom}, a sequencer thread. */
        public static Options defaults()
        {
            return DEFAULTS;
        }

        /** Ops wait at most {@code pendingTimeout} for a majority. */
        public Options withPendingTimeout(final Duration pendingTimeout)
        {
            if (pendingTimeout == null)
            {
                throw new NullPointerException("pendingTimeout");
            }
            return new Options(pendingTimeout, nanoClock, random, steppedSequencer);
        }

        /**
         * The one clock the machine reads, in nanoseconds like {@link System#nanoTime} (only
         * differences count; they must never go negative): session bindings, dedup, the
         * sequencer's tick, retransmit and pending timeout. It is read by every shard of a node
         * without replicas and by the sequencer, so it must be safe to call from those threads.
         */
        public Options withNanoClock(final LongSupplier nanoClock)
        {
            if (nanoClock == null)
            {
                throw new NullPointerException("nanoClock");
            }
            return new Options(pendingTimeout, nanoClock, random, steppedSequencer);
        }

        /**
         * The randomness the machine draws from (once, at construction: the incarnation of a node
         * with replicas, which must differ across restarts of one replica). Default: a new
         * {@link SecureRandom} per machine; a simulator passes its seeded generator.
         */
        public Options withRandom(final RandomGenerator random)
        {
            if (random == null)
            {
                throw new NullPointerException("random");
            }
            return new Options(pendingTimeout, nanoClock, random, steppedSequencer);
        }

        /**
         * A node with replicas starts no sequencer thread: its owner calls
         * {@link EchoReplica#stepSequencer} (a deterministic simulator, on its one thread). No
         * effect on a node without replicas, which has no sequencer.
         */
        public Options withSteppedSequencer()
        {
            return new Options(pendingTimeout, nanoClock, random, true);
        }

        /** The pending timeout. */
        public Duration pendingTimeout()
        {
            return pendingTimeout;
        }

        /** The clock. */
        public LongSupplier nanoClock()
        {
            return nanoClock;
        }

        /** Whether the sequencer is stepped by its owner instead of running on its own thread. */
        public boolean steppedSequencer()
        {
            return steppedSequencer;
        }
    }

    /** A machine for a node configured by {@code config}, with {@link Options#defaults()}. */
    public EchoReplica(final BusConfig config)
    {
        this(config, Options.defaults());
    }

    /**
     * A machine for a node configured by {@code config} (replica id, replica count, shards, dedup
     * limits, max_message_size) whose ops wait at most {@code pendingTimeout} for a majority; the
     * wall clock, a {@link SecureRandom}, a sequencer thread.
     */
    public EchoReplica(final BusConfig config, final Duration pendingTimeout)
    {
        this(config, Options.defaults().withPendingTimeout(pendingTimeout));
    }

    /** A machine for a node configured by {@code config}, built as {@code options} say. */
    public EchoReplica(final BusConfig config, final Options options)
    {
        final Duration pendingTimeout = options.pendingTimeout;
        this.nanoClock = options.nanoClock;
        this.self = config.replicaId();
        this.replicaCount = Math.max(1, config.replicas().size());
        this.majority = replicaCount / 2 + 1;
        this.replicaField = self == BusConfig.NO_REPLICA ? FrameHeader.REPLICA_NONE : self;
        this.maxMessageSize = config.maxMessageSize();
        this.pendingTimeoutNs = pendingTimeout.toNanos();
        final int shards = config.shards();
        this.shardCounts = new Counts[shards];
        this.shardSessions = new ShardSessions[shards];
        for (int i = 0; i < shards; i++)
        {
            shardSessions[i] = new ShardSessions();
        }
        for (int i = 0; i < shards; i++)
        {
            shardCounts[i] = new Counts();
        }
        if (self == BusConfig.NO_REPLICA)
        {
            this.sequencer = null;
            final int stripeCount = stripeCount(shards, config.dedupMaxClients());
            this.stripes = new Stripe[stripeCount];
            for (int i = 0; i < stripeCount; i++)
            {
                final RequestDedup<FrameBuffer> dedup = newDedup(config, stripeCount, nanoClock);
                stripes[i] = new Stripe(dedup, newBindings(config, stripeCount, dedup));
            }
            this.stripeShift = Long.SIZE - Integer.numberOfTrailingZeros(stripeCount);
            this.stripeLocks = shards == 1 ? null : new AtomicIntegerArray((stripeCount + 1) * LOCK_STRIDE);
        }
        else
        {
            this.stripes = null;
            this.stripeShift = Long.SIZE;
            this.stripeLocks = null;
            final RequestDedup<FrameBuffer> dedup = newDedup(config, 1, nanoClock);
            final RandomGenerator random = options.random != null ? options.random : new SecureRandom();
            this.sequencer = new Sequencer(dedup, newBindings(config, 1, dedup), shards, incarnation(random),
                options.steppedSequencer);
        }
    }

    /**
     * The stripes of a node without replicas: one for one shard (no lock); else
     * {@link #STRIPES_PER_SHARD} per shard, rounded up to a power of two, at most
     * {@link #MAX_STRIPES}, and at most dedup_max_clients (rounded down to a power of two) so that
     * every stripe holds at least one session and the stripes' shares add up to no more than the
     * node's limit.
     */
    static int stripeCount(final int shards, final int dedupMaxClients)
    {
        if (shards <= 1)
        {
            return 1;
        }
        final int wanted = Math.min(MAX_STRIPES, Integer.highestOneBit(STRIPES_PER_SHARD * shards - 1) << 1);
        return Math.max(1, Math.min(wanted, Integer.highestOneBit(Math.max(1, dedupMaxClients))));
    }

    /**
     * A dedup table with this node's limits divided by {@code parts}: clients and
     * capacity_per_client from the config, entries and reply bytes from {@link RequestDedup}'s
     * defaults (replies are pooled buffers, counted by their capacity: the memory they pin).
     */
    private static RequestDedup<FrameBuffer> newDedup(final BusConfig config, final int parts,
        final LongSupplier nanoClock)
    {
        return new RequestDedup<>(
            config.dedupCapacityPerClient(),
            config.dedupTtl().toNanos(),
            Math.max(1, config.dedupMaxClients() / parts),
            Math.max(1, RequestDedup.DEFAULT_MAX_ENTRIES / parts),
            Math.max(1, RequestDedup.DEFAULT_MAX_REPLY_BYTES / parts),
            nanoClock,
            FrameBuffer::release,
            FrameBuffer::capacity);
    }

    /** A random incarnation, never 0 (0 is a backup's "no primary seen yet"). */
    private static long incarnation(final RandomGenerator random)
    {
        long incarnation = 0;
        while (incarnation == 0)
        {
            incarnation = random.nextLong();
        }
        return incarnation;
    }

    /**
     * A session table beside {@code dedup}: as many sessions as the dedup table holds clients, held
     * after their connection closed for the dedup TTL, and ending together with their cached
     * replies.
     */
    private static SessionBindings newBindings(final BusConfig config, final int parts,
        final RequestDedup<FrameBuffer> dedup)
    {
        return new SessionBindings(
            Math.max(1, Math.min(SessionBindings.MAX_SESSIONS_LIMIT, config.dedupMaxClients() / parts)),
            SessionBindings.DEFAULT_MAX_SESSIONS_PER_CONNECTION,
            config.dedupTtl().toNanos(),
            dedup::evictClient);
    }

    /**
     * Start: remembers the bus and, on a node with replicas, sets the sequencer's first tick one
     * {@link #TICK_INTERVAL} from now and, in thread mode, starts the sequencer thread (it takes
     * what the shards queued before; in stepped mode the first {@link #stepSequencer} does). Call
     * once, after {@link MessageBus#start}. Any thread (in stepped mode: the stepping one).
     */
    public void start(final MessageBus bus)
    {
        if (closed.get() || this.bus != null)
        {
            throw new IllegalStateException(closed.get() ? "closed" : "already started");
        }
        this.bus = bus;
        if (sequencer != null)
        {
            sequencer.start(bus);
        }
    }

    @Override
    public void onClientRequest(final MessageBus bus, final ClientConnMeta client, final DirectBuffer buffer,
        final int offset, final int length)
    {
        final long connectionId = client.clientId();
        final int shard = (int)(connectionId >>> CONNECTION_ID_SHARD_SHIFT);
        if (shard >= shardCounts.length)
        {
            LOG.log(Level.ERROR, "client connection id " + Long.toHexString(connectionId) + " names shard " + shard +
                " of " + shardCounts.length + ": bus-core changed its id layout; request dropped");
            return;
        }
        final ShardSessions sessions = shardSessions[shard];
        final long[] identity = sessions.identity(client);
        if (sequencer == null)
        {
            onStandaloneRequest(bus, shardCounts[shard], connectionId, identity, buffer, offset, length);
        }
        else if (sequencer.submit(bus, shardCounts[shard], connectionId, identity, buffer, offset, length))
        {
            sessions.submitted++;
        }
    }

    /**
     * On a node without replicas: bind, claim and answer a request under its client id's stripe
     * lock; the answer is sent, and a refusal built and sent, after the lock is let go. The clock is
     * read under the lock, so that a stripe's readings never go back in time (its tables order
     * releases and completions by them).
     */
    private void onStandaloneRequest(final MessageBus bus, final Counts counts, final long connectionId,
        final long[] identity, final DirectBuffer buffer, final int offset, final int length)
    {
        final long clientHi = FrameHeader.clientHi(buffer, offset);
        final long clientLo = FrameHeader.clientLo(buffer, offset);
        final long request = FrameHeader.request(buffer, offset);
        final int index = stripeOf(clientHi, clientLo);
        final Stripe stripe = stripes[index];
        final long nowNs;
        final SessionBindings.Verdict verdict;
        RequestDedup.Status status = null;
        FrameBuffer answer = null;
        lockStripe(index);
        try
        {
            nowNs = nanoClock.getAsLong(); // one reading per request, for the binding, claim and completion
            verdict = stripe.bindings.bind(clientHi, clientLo, connectionId, identity[0], identity[1], nowNs);
            if (verdict == SessionBindings.Verdict.OWNER)
            {
                status = stripe.dedup.claim(clientHi, clientLo, request, nowNs);
                if (status == RequestDedup.Status.FRESH)
                {
                    answer = Frames.reply(bus.pool(), buffer, offset, buffer, offset + FrameHeader.HEADER_SIZE,
                        length - FrameHeader.HEADER_SIZE, replicaField);
                    // One reference for the table, one for the send below.
                    stripe.dedup.complete(clientHi, clientLo, request, answer.retain(), nowNs);
                }
                else if (status == RequestDedup.Status.DONE)
                {
                    // Copied under the lock: once it is let go, another shard may evict the cached reply.
                    answer = cachedAnswer(bus, stripe.dedup.reply(), buffer, offset);
                }
            }
        }
        finally
        {
            unlockStripe(index);
        }
        if (verdict != SessionBindings.Verdict.OWNER)
        {
            refuse(bus, counts, connectionId, verdict, buffer, offset, nowNs);
            return;
        }
        switch (status)
        {
            case FRESH:
                Counts.increment(counts.committedOps);
                send(bus, connectionId, answer);
                break;
            case DONE:
                Counts.increment(counts.dedupHits);
                bus.sendToClient(connectionId, answer);
                break;
            case IN_FLIGHT:
                Counts.increment(counts.retriesInFlight); // the first execution's reply answers it
                break;
            default:
                Counts.increment(counts.droppedRequests);
                logDedupFull(connectionId);
                break;
        }
    }

    /**
     * The stripe of client id (hi, lo): the top bits of a 64-bit mix of both halves. The tables in
     * a stripe index by the low bits of another mix of the id, so the ids of one stripe still
     * spread over their tables.
     */
    private int stripeOf(final long clientHi, final long clientLo)
    {
        // One stripe: 0 (a shift by 64 would shift by 0 in Java, and the mix is not needed).
        return stripeShift == Long.SIZE ? 0 : (int)(Mix.fmix64(clientHi ^ Mix.fmix64(clientLo)) >>> stripeShift);
    }

    /**
     * Takes the stripe's lock (no-op with one shard). The common case is one uncontended CAS. A
     * lock held by another shard is held for one request's bind, claim and reply copy (well under
     * a microsecond), so the shard spins rather than parks; after {@link #LOCK_SPINS} failed tries
     * it yields between tries, in case the holder lost its core.
     */
    private void lockStripe(final int stripe)
    {
        final AtomicIntegerArray locks = stripeLocks;
        if (locks != null && !locks.compareAndSet((stripe + 1) * LOCK_STRIDE, 0, 1))
        {
            lockContended(locks, (stripe + 1) * LOCK_STRIDE);
        }
    }

    private static void lockContended(final AtomicIntegerArray locks, final int index)
    {
        int spins = 0;
        while (locks.get(index) != 0 || !locks.compareAndSet(index, 0, 1))
        {
            if (++spins < LOCK_SPINS)
            {
                Thread.onSpinWait();
            }
            else
            {
                Thread.yield();
            }
        }
    }

    private void unlockStripe(final int stripe)
    {
        final AtomicIntegerArray locks = stripeLocks;
        if (locks != null)
        {
            locks.setRelease((stripe + 1) * LOCK_STRIDE, 0);
        }
    }

    /**
     * Releases the connection's sessions: on a node without replicas at once, in every stripe
     * (see {@link #releaseStandalone}); in a cluster the sequencer does, after it has taken every
     * request the connection handed it before closing (otherwise a late request would bind a
     * session to a closed connection for good).
     */
    @Override
    public void onClientClosed(final MessageBus bus, final ClientConnMeta client)
    {
        final long connectionId = client.clientId();
        final int shard = (int)(connectionId >>> CONNECTION_ID_SHARD_SHIFT);
        if (shard >= shardSessions.length)
        {
            return; // logged by onClientRequest
        }
        final ShardSessions sessions = shardSessions[shard];
        if (client.peerSubject() != null)
        {
            sessions.identities.remove(connectionId);
        }
        if (sequencer == null)
        {
            releaseStandalone(connectionId);
        }
        else
        {
            sequencer.clientClosed(shard, connectionId, sessions.submitted);
        }
    }

    /**
     * Releases a closed connection's sessions in every stripe, each under its lock. A connection
     * is not tracked to the stripes it used: that would cost a map update on the frame path of
     * every request, where releasing everywhere costs each close one uncontended lock and one
     * failed map lookup per stripe ({@link #STRIPES_PER_SHARD} per shard, at most
     * {@link #MAX_STRIPES}), small beside closing a socket. A connection's requests and its close
     * come on its own shard, in order, so no request binds a session to it after this.
     */
    private void releaseStandalone(final long connectionId)
    {
        for (int i = 0; i < stripes.length; i++)
        {
            lockStripe(i);
            try
            {
                stripes[i].bindings.release(connectionId, nanoClock.getAsLong());
            }
            finally
            {
                unlockStripe(i);
            }
        }
    }

    @Override
    public void onReplicaFrame(final MessageBus bus, final int replica, final DirectBuffer buffer, final int offset,
        final int length)
    {
        if (sequencer == null)
        {
            return;
        }
        final int command = FrameHeader.command(buffer, offset);
        if (command == Command.PREPARE.code())
        {
            if (length < PrepareFrame.MIN_PREPARE_SIZE || replica >= replicaCount || replica == self ||
                FrameHeader.size(buffer, offset + PrepareFrame.REQUEST_OFFSET) != length - PrepareFrame.REQUEST_OFFSET)
            {
                LOG.log(Level.WARNING, "replica " + replica + " sent a malformed prepare of " + length +
                    " bytes; ignored");
                return;
            }
            sequencer.post(EVENT_PREPARE, replica, PrepareFrame.op(buffer, offset),
                PrepareFrame.incarnation(buffer, offset));
        }
        else if (command == Command.PREPARE_OK.code())
        {
            sequencer.post(EVENT_PREPARE_OK, replica, PrepareFrame.op(buffer, offset),
                PrepareFrame.incarnation(buffer, offset));
        }
        else
        {
            LOG.log(Level.WARNING, "replica " + replica + " sent command " + command + ": the echo expects " +
                "prepare or prepare_ok; ignored");
        }
    }

    @Override
    public void onReplicaConnected(final MessageBus bus, final int replica)
    {
        if (sequencer != null && replica < replicaCount)
        {
            sequencer.post(EVENT_REPLICA_CONNECTED, replica, 0, 0);
        }
    }

    /** Record {@code reply} in the dedup table and send it; both take one reference. */
    private static void complete(final MessageBus bus, final RequestDedup<FrameBuffer> dedup, final long connectionId,
        final long clientHi, final long clientLo, final long request, final FrameBuffer reply, final long nowNs)
    {
        reply.retain();
        dedup.complete(clientHi, clientLo, request, reply, nowNs);
        send(bus, connectionId, reply);
    }

    /** Send a new reply (its reference goes with it); a reply that cannot go is answered from dedup on retry. */
    private static void send(final MessageBus bus, final long connectionId, final FrameBuffer reply)
    {
        final SendResult result = bus.sendToClient(connectionId, reply);
        if (result != SendResult.OK && LOG.isLoggable(Level.DEBUG))
        {
            LOG.log(Level.DEBUG, "reply to client " + connectionId + ": " + result +
                " (a retry is answered from dedup)");
        }
    }

    private void answerFromCache(final MessageBus bus, final long connectionId, final FrameBuffer cached,
        final DirectBuffer retry, final int retryOffset)
    {
        bus.sendToClient(connectionId, cachedAnswer(bus, cached, retry, retryOffset));
    }

    /** The cached body, with the retry's header fields (its timestamp, as WIRE.md asks of a reply). */
    private FrameBuffer cachedAnswer(final MessageBus bus, final FrameBuffer cached, final DirectBuffer retry,
        final int retryOffset)
    {
        return Frames.reply(bus.pool(), retry, retryOffset, cached.buffer(), FrameHeader.HEADER_SIZE,
            cached.frameLength() - FrameHeader.HEADER_SIZE, replicaField);
    }

    /**
     * Refuse a request whose session this connection may not use: a reply with the refusal's
     * status and reason, the request's header fields, and nothing executed or read from the cache.
     */
    private void refuse(final MessageBus bus, final Counts counts, final long connectionId,
        final SessionBindings.Verdict verdict, final DirectBuffer request, final int requestOffset, final long nowNs)
    {
        final boolean bound = verdict == SessionBindings.Verdict.BOUND_ELSEWHERE;
        final UnsafeBuffer reason = bound ? SESSION_BOUND_BODY : SESSION_LIMIT_BODY;
        final FrameBuffer reply = Frames.reply(bus.pool(), request, requestOffset, reason, 0, reason.capacity(),
            replicaField);
        ReplyStatus.put(reply.buffer(), 0, bound ? ReplyStatus.SESSION_BOUND : ReplyStatus.SESSION_LIMIT);
        Frames.seal(reply.buffer(), 0);
        Counts.increment(counts.refusedRequests);
        bus.sendToClient(connectionId, reply);
        final String what = bound ? "session_bound" : "session_limit";
        final long held = refusalLog.admit(what, nowNs);
        if (held >= 0)
        {
            LOG.log(Level.INFO, "refused a request of client " + Long.toHexString(FrameHeader.clientHi(request,
                requestOffset)) + Long.toHexString(FrameHeader.clientLo(request, requestOffset)) + " on connection " +
                Long.toHexString(connectionId) + ": " + what + LogLimiter.suffix(held));
        }
    }

    private static void logDedupFull(final long connectionId)
    {
        if (LOG.isLoggable(Level.DEBUG))
        {
            LOG.log(Level.DEBUG, "dedup table full of requests in flight: dropped a request of client " +
                connectionId + ", the client retries");
        }
    }

    /**
     * The owner of a replicated node's state (see the class comment), fed by bounded lock-free
     * queues. In thread mode one thread runs {@link #turn} in a loop, parked when it has nothing to
     * do until a producer wakes it or its tick is due; in stepped mode there is no thread, and the
     * owner calls {@link #turn} through {@link EchoReplica#stepSequencer}.
     */
    private final class Sequencer implements Runnable
    {
        /** An op that waits for its majority; records are reused through the ring. */
        private final class Pending
        {
            long op;
            long connectionId;
            long clientHi;
            long clientLo;
            long request;
            FrameBuffer prepare;
            final boolean[] acked = new boolean[replicaCount];
            int ackCount;
            long firstSentNs;
            long lastSentNs;
        }

        private final Counts counts = new Counts();
        private final RequestDedup<FrameBuffer> dedup;
        private final SessionBindings bindings;
        /** Requests taken from each shard: a shard's requests arrive in the order it queued them. */
        private final long[] processed;
        /** Closes that arrived before some of their connection's requests: {connection id, submitted, shard}. */
        private final ArrayList<long[]> deferredCloses = new ArrayList<>();
        /** Closes that found the event ring full (rare; allocates): applied like ring events. */
        private final ConcurrentLinkedQueue<long[]> overflowCloses = new ConcurrentLinkedQueue<>();
        private final long incarnation;
        /** No thread: the owner steps the sequencer ({@link Options#withSteppedSequencer}). */
        private final boolean stepped;
        private final long retransmitNs = RETRANSMIT_INTERVAL.toNanos();
        private final long tickNs = TICK_INTERVAL.toNanos();
        private final ManyToOneConcurrentArrayQueue<FrameBuffer> requests =
            new ManyToOneConcurrentArrayQueue<>(REQUEST_QUEUE_CAPACITY);
        private final ManyToOneRingBuffer events = new ManyToOneRingBuffer(
            new UnsafeBuffer(ByteBuffer.allocateDirect(EVENT_RING_BYTES + RingBufferDescriptor.TRAILER_LENGTH)));
        private final AtomicLong lostEvents = new AtomicLong();
        private final Consumer<FrameBuffer> onStaged = this::onStaged;
        private final MessageHandler onEvent = this::onEvent;
        private final Pending[] ring = new Pending[MAX_PENDING_OPS];
        private final long[] lastOp = new long[replicaCount];
        private final long[] lastIncarnation = new long[replicaCount];
        private long opNumber;
        private long lowOp = 1;
        private long pendingCount;
        /** When the tick is next due, on {@link #nanoClock}. */
        private long nextTickNs;
        /** The clock reading of the last {@link #turn}. */
        private long turnNs;
        private volatile boolean running;
        private volatile boolean parked;
        private volatile Thread thread;
        private MessageBus bus;

        Sequencer(final RequestDedup<FrameBuffer> dedup, final SessionBindings bindings, final int shards,
            final long incarnation, final boolean stepped)
        {
            this.dedup = dedup;
            this.bindings = bindings;
            this.processed = new long[shards];
            this.incarnation = incarnation;
            this.stepped = stepped;
        }

        void start(final MessageBus bus)
        {
            this.bus = bus; // published to the thread by Thread.start, or the stepping owner's own
            nextTickNs = nanoClock.getAsLong() + tickNs;
            running = true;
            if (stepped)
            {
                return;
            }
            final Thread t = new Thread(this, "ringbus-echo-" + self);
            t.setDaemon(true);
            thread = t;
            t.start();
        }

        // ---- producers: shards, any number, never blocking ----

        /**
         * On a shard: stage the request as a prepare and queue it; drop it (counted) if the queue is
         * full.
         *
         * @return true if it was queued (the shard counts it)
         */
        boolean submit(final MessageBus bus, final Counts shard, final long connectionId, final long[] identity,
            final DirectBuffer buffer, final int offset, final int length)
        {
            if ((long)FrameHeader.HEADER_SIZE + length > maxMessageSize)
            {
                Counts.increment(shard.droppedRequests);
                LOG.log(Level.WARNING, "request of " + length + " bytes: its prepare would exceed max_message_size " +
                    maxMessageSize + " (a prepare adds a " + FrameHeader.HEADER_SIZE + "-byte header); dropped");
                return false;
            }
            final FrameBuffer staged =
                PrepareFrame.stage(bus, connectionId, identity[0], identity[1], buffer, offset, length);
            if (!requests.offer(staged))
            {
                staged.release();
                Counts.increment(shard.droppedRequests);
                if (LOG.isLoggable(Level.DEBUG))
                {
                    LOG.log(Level.DEBUG, REQUEST_QUEUE_CAPACITY + " requests wait for the sequencer: dropped one, " +
                        "the client retries");
                }
                return false;
            }
            wake();
            return true;
        }

        /**
         * On a shard: its connection closed after it had queued {@code submitted} requests in all.
         * Never lost: when the event ring is full it goes through an unbounded queue instead.
         */
        void clientClosed(final int shard, final long connectionId, final long submitted)
        {
            if (!tryPost(EVENT_CLIENT_CLOSED, shard, connectionId, submitted))
            {
                overflowCloses.offer(new long[] {connectionId, submitted, shard});
                wake();
            }
        }

        /** On a shard: queue a replica event; lost (counted, recovered by retransmission) if the ring is full. */
        void post(final int type, final int replica, final long op, final long eventIncarnation)
        {
            if (!tryPost(type, replica, op, eventIncarnation))
            {
                lostEvents.incrementAndGet();
            }
        }

        private boolean tryPost(final int type, final int replica, final long op, final long eventIncarnation)
        {
            final int index = events.tryClaim(type, EVENT_LENGTH);
            if (index < 0)
            {
                return false;
            }
            final MutableDirectBuffer buffer = events.buffer();
            buffer.putLong(index, op);
            buffer.putLong(index + Long.BYTES, eventIncarnation);
            buffer.putInt(index + 2 * Long.BYTES, replica);
            events.commit(index);
            wake();
            return true;
        }

        /**
         * Unpark the sequencer if it parked. The queues' claim is a CAS (a full fence) before this
         * volatile read, and the sequencer writes {@code parked} before it checks the queues, so
         * one of the two always sees the other: no lost wake-up.
         */
        private void wake()
        {
            if (parked)
            {
                LockSupport.unpark(thread);
            }
        }

        // ---- the sequencer: its thread, or its stepping owner ----

        @Override
        public void run()
        {
            while (running)
            {
                final int work = turn();
                if (work == 0)
                {
                    parked = true;
                    if (running && requests.isEmpty() && events.size() == 0 && overflowCloses.isEmpty())
                    {
                        LockSupport.parkNanos(this, Math.max(1, nextTickNs - turnNs));
                    }
                    parked = false;
                }
            }
        }

        /**
         * One turn of the loop, the same in both modes: take queued requests, events and closes (up
         * to {@link #DRAIN_LIMIT} of each), release the closes now due, then read the clock once
         * and run the tick if it is due.
         *
         * @return the queue entries taken (a tick is not counted: it is next due at {@link #nextTickNs})
         */
        int turn()
        {
            int work = requests.drain(onStaged, DRAIN_LIMIT);
            work += events.read(onEvent, DRAIN_LIMIT);
            work += drainOverflowCloses();
            applyDeferredCloses();
            final long nowNs = nanoClock.getAsLong();
            if (nowNs - nextTickNs >= 0)
            {
                tick(nowNs);
                nextTickNs = nowNs + tickNs;
            }
            turnNs = nowNs;
            return work;
        }

        private void onStaged(final FrameBuffer staged)
        {
            final MutableDirectBuffer buffer = staged.buffer();
            final long connectionId = PrepareFrame.stagedConnectionId(staged);
            processed[(int)(connectionId >>> CONNECTION_ID_SHARD_SHIFT)]++;
            final int requestOffset = PrepareFrame.REQUEST_OFFSET;
            final long clientHi = FrameHeader.clientHi(buffer, requestOffset);
            final long clientLo = FrameHeader.clientLo(buffer, requestOffset);
            final long request = FrameHeader.request(buffer, requestOffset);
            final long nowNs = nanoClock.getAsLong();
            final SessionBindings.Verdict verdict = bindings.bind(clientHi, clientLo, connectionId,
                PrepareFrame.stagedIdentityHi(staged), PrepareFrame.stagedIdentityLo(staged), nowNs);
            if (verdict != SessionBindings.Verdict.OWNER)
            {
                refuse(bus, counts, connectionId, verdict, buffer, requestOffset, nowNs);
                staged.release();
                return;
            }
            switch (dedup.claim(clientHi, clientLo, request, nowNs))
            {
                case FRESH:
                    if (opNumber + 1 - lowOp >= MAX_PENDING_OPS)
                    {
                        dedup.abandon(clientHi, clientLo, request); // not executed after all: a retry runs it
                        Counts.increment(counts.droppedRequests);
                        staged.release();
                        LOG.log(Level.DEBUG, MAX_PENDING_OPS + " ops wait for a majority: dropped a request, " +
                            "the client retries");
                        return;
                    }
                    prepare(connectionId, clientHi, clientLo, request, staged);
                    return;
                case DONE:
                    Counts.increment(counts.dedupHits);
                    answerFromCache(bus, connectionId, dedup.reply(), buffer, requestOffset);
                    break;
                case IN_FLIGHT:
                    Counts.increment(counts.retriesInFlight); // the first execution's reply answers it
                    break;
                default:
                    Counts.increment(counts.droppedRequests);
                    logDedupFull(connectionId);
                    break;
            }
            staged.release();
        }

        private void onEvent(final int type, final MutableDirectBuffer buffer, final int index, final int length)
        {
            final long op = buffer.getLong(index);
            final long eventIncarnation = buffer.getLong(index + Long.BYTES);
            final int replica = buffer.getInt(index + 2 * Long.BYTES);
            switch (type)
            {
                case EVENT_PREPARE:
                    onPrepare(replica, op, eventIncarnation);
                    break;
                case EVENT_PREPARE_OK:
                    onPrepareOk(replica, op, eventIncarnation);
                    break;
                case EVENT_REPLICA_CONNECTED:
                    onReplicaConnected(replica);
                    break;
                case EVENT_CLIENT_CLOSED:
                    onClientClosed(op, eventIncarnation, replica);
                    break;
                default:
                    throw new IllegalStateException("event type " + type);
            }
        }

        private void prepare(final long connectionId, final long clientHi, final long clientLo, final long request,
            final FrameBuffer staged)
        {
            final long op = ++opNumber;
            final int slot = (int)(op & PENDING_MASK);
            Pending pending = ring[slot];
            if (pending == null)
            {
                pending = new Pending();
                ring[slot] = pending;
            }
            PrepareFrame.finish(bus, staged, self, op, incarnation);
            pending.op = op;
            pending.connectionId = connectionId;
            pending.clientHi = clientHi;
            pending.clientLo = clientLo;
            pending.request = request;
            pending.prepare = staged;
            pending.acked[self] = true;
            pending.ackCount = 1;
            pending.firstSentNs = nanoClock.getAsLong();
            pending.lastSentNs = pending.firstSentNs;
            Counts.increment(counts.preparedOps);
            counts.pendingOps.lazySet(++pendingCount);
            // One buffer to every connected replica, no copy; the pending op keeps its own reference.
            bus.broadcastToReplicas(staged.retain());
            if (pending.ackCount >= majority)
            {
                commit(pending); // a cluster of one
                advanceLowOp();
            }
        }

        private void onPrepare(final int primary, final long op, final long primaryIncarnation)
        {
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
                    Counts.increment(counts.gapPrepares);
                    LOG.log(Level.DEBUG, "replica " + primary + ": op " + op + " after op " + last + " (gap accepted)");
                }
                lastOp[primary] = op;
                Counts.increment(counts.acceptedPrepares);
            }
            else
            {
                Counts.increment(counts.duplicatePrepares); // a retransmission: acknowledge it again
            }
            bus.sendToReplica(primary, PrepareFrame.prepareOk(bus, self, op, primaryIncarnation));
        }

        private void onPrepareOk(final int backup, final long op, final long okIncarnation)
        {
            if (backup >= replicaCount || okIncarnation != incarnation || op < lowOp || op > opNumber)
            {
                return; // not for this incarnation of ours, or committed or dropped already
            }
            final Pending pending = ring[(int)(op & PENDING_MASK)];
            if (pending == null || pending.prepare == null || pending.op != op || pending.acked[backup])
            {
                return;
            }
            pending.acked[backup] = true;
            if (++pending.ackCount >= majority)
            {
                commit(pending);
                advanceLowOp();
            }
        }

        /**
         * A client connection closed after its shard had queued {@code submitted} requests: release
         * its sessions once this thread has taken that many from the shard (a shard's requests come
         * in the order it queued them, so the connection's last one is among them); until then the
         * close waits, else a request still queued would bind a session to a closed connection.
         */
        private void onClientClosed(final long connectionId, final long submitted, final int shard)
        {
            if (processed[shard] - submitted >= 0)
            {
                bindings.release(connectionId, nanoClock.getAsLong());
            }
            else
            {
                deferredCloses.add(new long[] {connectionId, submitted, shard});
            }
        }

        private int drainOverflowCloses()
        {
            int work = 0;
            long[] close;
            while (work < DRAIN_LIMIT && (close = overflowCloses.poll()) != null)
            {
                onClientClosed(close[0], close[1], (int)close[2]);
                work++;
            }
            return work;
        }

        /** Releases the deferred closes whose requests have all been taken by now. */
        private void applyDeferredCloses()
        {
            for (int i = deferredCloses.size() - 1; i >= 0; i--)
            {
                final long[] close = deferredCloses.get(i);
                if (processed[(int)close[2]] - close[1] >= 0)
                {
                    deferredCloses.remove(i);
                    bindings.release(close[0], nanoClock.getAsLong());
                }
            }
        }

        /** Ops that waited while this replica was away go to it now, in op order (FIFO per connection). */
        private void onReplicaConnected(final int replica)
        {
            final long nowNs = nanoClock.getAsLong();
            for (long op = lowOp; op <= opNumber; op++)
            {
                final Pending pending = ring[(int)(op & PENDING_MASK)];
                if (pending != null && pending.prepare != null && pending.op == op && !pending.acked[replica])
                {
                    bus.sendToReplica(replica, pending.prepare.retain());
                    Counts.increment(counts.retransmittedPrepares);
                    pending.lastSentNs = nowNs;
                }
            }
        }

        /** Retransmit unacknowledged prepares and drop ops past their timeout. */
        private void tick(final long nowNs)
        {
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
                    // Only this request is forgotten: its retry runs again, the session's completed
                    // requests stay cached.
                    dedup.abandon(pending.clientHi, pending.clientLo, pending.request);
                    Counts.increment(counts.droppedRequests);
                    clear(pending);
                }
                else if (nowNs - pending.lastSentNs >= retransmitNs)
                {
                    for (int replica = 0; replica < replicaCount; replica++)
                    {
                        if (!pending.acked[replica] && bus.isReplicaConnected(replica))
                        {
                            // The op's own buffer again, no copy: one buffer may be queued on several
                            // connections, and twice on one, while the op holds its reference.
                            bus.sendToReplica(replica, pending.prepare.retain());
                            Counts.increment(counts.retransmittedPrepares);
                        }
                    }
                    pending.lastSentNs = nowNs;
                }
            }
            advanceLowOp();
        }

        private void commit(final Pending pending)
        {
            final FrameBuffer prepare = pending.prepare;
            final int requestLength = prepare.frameLength() - PrepareFrame.REQUEST_OFFSET;
            final FrameBuffer reply = Frames.reply(bus.pool(), prepare.buffer(), PrepareFrame.REQUEST_OFFSET,
                prepare.buffer(), PrepareFrame.REQUEST_OFFSET + FrameHeader.HEADER_SIZE,
                requestLength - FrameHeader.HEADER_SIZE, replicaField);
            Counts.increment(counts.committedOps);
            complete(bus, dedup, pending.connectionId, pending.clientHi, pending.clientLo, pending.request, reply,
                nanoClock.getAsLong());
            clear(pending);
        }

        private void clear(final Pending pending)
        {
            pending.prepare.release();
            pending.prepare = null;
            Arrays.fill(pending.acked, false);
            pending.ackCount = 0;
            counts.pendingOps.lazySet(--pendingCount);
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

        /** Stepped mode only, started and not closed; else an {@link IllegalStateException}. */
        void checkStepped()
        {
            if (!stepped)
            {
                throw new IllegalStateException("the sequencer runs on its own thread (ringbus-echo-" + self +
                    "); only a replica built with Options.withSteppedSequencer is stepped");
            }
            if (bus == null)
            {
                throw new IllegalStateException("not started");
            }
        }

        /**
         * Stop the thread (bounded wait; stepped mode has none), then, on the caller's thread,
         * release what the sequencer held: pending prepares, queued requests, cached replies. The
         * bus is closed by then, and in stepped mode nobody steps any more.
         */
        void close()
        {
            running = false;
            final Thread t = thread;
            if (t != null)
            {
                LockSupport.unpark(t);
                try
                {
                    t.join(TimeUnit.SECONDS.toMillis(10));
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
                if (t.isAlive())
                {
                    LOG.log(Level.ERROR, "the echo sequencer did not stop within 10 s; its buffers are not released");
                    return;
                }
            }
            for (long op = lowOp; op <= opNumber; op++)
            {
                final Pending pending = ring[(int)(op & PENDING_MASK)];
                if (pending != null && pending.prepare != null && pending.op == op)
                {
                    clear(pending);
                }
            }
            FrameBuffer staged;
            while ((staged = requests.poll()) != null)
            {
                staged.release();
            }
            bindings.close();
            dedup.close();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Counters: any thread

    private long sum(final java.util.function.Function<Counts, AtomicLong> counter)
    {
        long total = sequencer == null ? 0 : counter.apply(sequencer.counts).get();
        for (final Counts counts : shardCounts)
        {
            total += counter.apply(counts).get();
        }
        return total;
    }

    /** Ops this node prepared as primary. */
    public long preparedOps()
    {
        return sum(c -> c.preparedOps);
    }

    /** Requests this node answered after a majority had them (or at once without replicas). */
    public long committedOps()
    {
        return sum(c -> c.committedOps);
    }

    /** Retried requests answered from the dedup table. */
    public long dedupHits()
    {
        return sum(c -> c.dedupHits);
    }

    /** Retried requests dropped because their first execution was still in flight. */
    public long retriesInFlight()
    {
        return sum(c -> c.retriesInFlight);
    }

    /** New prepares this node accepted as a backup. */
    public long acceptedPrepares()
    {
        return sum(c -> c.acceptedPrepares);
    }

    /** Accepted prepares that skipped ops of their primary (counted in {@link #acceptedPrepares} too). */
    public long gapPrepares()
    {
        return sum(c -> c.gapPrepares);
    }

    /** Retransmitted prepares this node acknowledged again. */
    public long duplicatePrepares()
    {
        return sum(c -> c.duplicatePrepares);
    }

    /**
     * Requests dropped: timed out without a majority, pending table or sequencer queue full, too
     * large, dedup table full of requests in flight.
     */
    public long droppedRequests()
    {
        return sum(c -> c.droppedRequests);
    }

    /** Ops waiting for a majority now. */
    public int pendingOps()
    {
        return (int)sum(c -> c.pendingOps);
    }

    /** Requests refused because their session is bound elsewhere, or no session had room (point 6). */
    public long refusedRequests()
    {
        return sum(c -> c.refusedRequests);
    }

    /**
     * Prepares sent again to a replica that had not acknowledged them: by the retransmit tick
     * ({@link #RETRANSMIT_INTERVAL}) or when the replica (re)connected. One per replica sent to.
     */
    public long retransmittedPrepares()
    {
        return sum(c -> c.retransmittedPrepares);
    }

    /** Requests refused with {@link ReplyStatus#SESSION_BOUND}: their client id was bound elsewhere. */
    public long sessionRefusals()
    {
        return sumBindings(SessionBindings::refusals);
    }

    /** Requests refused with {@link ReplyStatus#SESSION_LIMIT}: no room for another session. */
    public long sessionLimitRefusals()
    {
        return sumBindings(SessionBindings::limitRefusals);
    }

    /** Released sessions ended before their TTL to make room for new ones (their caches dropped with them). */
    public long sessionEvictions()
    {
        return sumBindings(SessionBindings::evictions);
    }

    /** Released sessions taken by a new connection (a client that reconnected). */
    public long sessionReclaims()
    {
        return sumBindings(SessionBindings::reclaims);
    }

    /** Sessions held now, bound and released. */
    public long sessions()
    {
        return sumBindings(SessionBindings::sessionCount);
    }

    /** Released sessions held now: their connection closed, reclaimable until the dedup TTL. */
    public long releasedSessions()
    {
        return sumBindings(SessionBindings::releasedCount);
    }

    private long sumBindings(final ToLongFunction<SessionBindings> value)
    {
        long total = 0;
        for (final SessionBindings bindings : bindingTables())
        {
            total += value.applyAsLong(bindings);
        }
        return total;
    }

    private long sumDedups(final ToLongFunction<RequestDedup<FrameBuffer>> value)
    {
        long total = 0;
        for (final RequestDedup<FrameBuffer> dedup : dedups())
        {
            total += value.applyAsLong(dedup);
        }
        return total;
    }

    private SessionBindings[] bindingTables()
    {
        if (sequencer != null)
        {
            return new SessionBindings[] {sequencer.bindings};
        }
        final SessionBindings[] tables = new SessionBindings[stripes.length];
        for (int i = 0; i < tables.length; i++)
        {
            tables[i] = stripes[i].bindings;
        }
        return tables;
    }

    /** Cached replies the dedup tables dropped before their TTL to stay within their limits. */
    public long dedupEvictions()
    {
        return sumDedups(RequestDedup::evictions);
    }

    /** Entries (requests in flight and cached replies) held by the dedup tables now. */
    public long dedupEntries()
    {
        return sumDedups(RequestDedup::entryCount);
    }

    /** Bytes of pooled reply buffers held by the dedup tables now. */
    public long dedupReplyBytes()
    {
        return sumDedups(RequestDedup::replyBytes);
    }

    /** The sum of every dedup table's {@link RequestDedup#maxReplyBytes()}. */
    public long dedupMaxReplyBytes()
    {
        return sumDedups(RequestDedup::maxReplyBytes);
    }

    /** The sum of every dedup table's {@link RequestDedup#maxEntries()}. */
    public long dedupMaxEntries()
    {
        return sumDedups(RequestDedup::maxEntries);
    }

    @SuppressWarnings("unchecked")
    private RequestDedup<FrameBuffer>[] dedups()
    {
        if (sequencer != null)
        {
            return new RequestDedup[] {sequencer.dedup};
        }
        final RequestDedup<FrameBuffer>[] tables = new RequestDedup[stripes.length];
        for (int i = 0; i < tables.length; i++)
        {
            tables[i] = stripes[i].dedup;
        }
        return tables;
    }

    // ---------------------------------------------------------------------------------------------
    // Stepped mode: the owner's one thread

    /**
     * One turn of the sequencer of a node with replicas built with
     * {@link Options#withSteppedSequencer}, on the calling thread: the same turn its thread runs in
     * thread mode. It takes the queued client requests, replica events and connection closes (up
     * to 256 of each per turn), releases the sessions of closes whose requests have all been
     * taken, then reads the clock once and runs the retransmit and pending-timeout tick if the
     * clock has reached {@link #nextSequencerDeadlineNs()}. Call it from one thread at a time (the
     * simulator's; the queues have many producers but one consumer), after {@link #start}.
     *
     * @return the queue entries taken (0: nothing was queued; a tick that ran is not counted, it
     *         is next due at {@link #nextSequencerDeadlineNs()}); 0 on a node without replicas or
     *         after {@link #close}
     * @throws IllegalStateException in thread mode, or before {@link #start}
     */
    public int stepSequencer()
    {
        if (sequencer == null || closed.get())
        {
            return 0;
        }
        sequencer.checkStepped();
        return sequencer.turn();
    }

    /**
     * Stepped mode: when, on the injected clock, the sequencer's tick is next due (a step at or
     * after it runs the tick, which retransmits and drops what is due and sets the next deadline
     * one {@link #TICK_INTERVAL} after that step's clock reading). Queued work does not wait for
     * it: a step takes that at once. The stepping thread only.
     *
     * @return the deadline; {@link Long#MAX_VALUE} on a node without replicas (no timer) or after
     *         {@link #close}
     * @throws IllegalStateException in thread mode, or before {@link #start}
     */
    public long nextSequencerDeadlineNs()
    {
        if (sequencer == null || closed.get())
        {
            return Long.MAX_VALUE;
        }
        sequencer.checkStepped();
        return sequencer.nextTickNs;
    }

    /** This node's incarnation as a primary (what its prepares carry); 0 without replicas. Tests. */
    long incarnation()
    {
        return sequencer == null ? 0 : sequencer.incarnation;
    }

    /**
     * Stop the sequencer and release every held buffer (pending prepares, queued requests, cached
     * replies). Call after the bus is closed, so no callback races it; in stepped mode, on the
     * stepping thread or once stepping stopped. Idempotent; any thread.
     */
    @Override
    public void close()
    {
        if (!closed.compareAndSet(false, true))
        {
            return;
        }
        if (sequencer != null)
        {
            sequencer.close();
        }
        else
        {
            for (final Stripe stripe : stripes)
            {
                stripe.bindings.close();
                stripe.dedup.close();
            }
        }
    }
}
