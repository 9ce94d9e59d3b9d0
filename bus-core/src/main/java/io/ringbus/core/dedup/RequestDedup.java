package io.ringbus.core.dedup;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * An at-most-once table: it lets a server answer a retried client request from the cached reply
 * of its first execution instead of executing it twice.
 *
 * <p><b>Threading.</b> An instance is confined to one thread, the shard that owns it. It has no
 * locks; every method except the counters ({@link #evictions()}, {@link #refusals()},
 * {@link #entryCount()}, {@link #replyBytes()}, {@link #clientCount()}, which any thread may read
 * as a possibly stale value) must be called on that thread. The {@code nanoClock},
 * {@code replyBytes} and {@code onDiscard} callbacks run on that thread too and must not call back
 * into the table.
 *
 * <p><b>Keys.</b> An entry is keyed on (client, request): the client is the u128 session id of
 * the wire format given as two longs ({@code clientHi}, {@code clientLo}); the request is the
 * u64 request number.
 *
 * <p><b>One claim.</b> {@link #claim} derives a request's status and, when it is FRESH, claims
 * it, in one step with one reading of the clock:
 * <ul>
 *   <li>{@link Status#FRESH}: it was not in the table (never seen, evicted, abandoned, or DONE and
 *       expired) and is now IN_FLIGHT, claimed by this call: the caller executes it and then
 *       calls {@link #complete} or {@link #abandon};</li>
 *   <li>{@link Status#IN_FLIGHT}: claimed earlier and not completed: the first execution is still
 *       running, so the retry is dropped (the reply goes out when it completes);</li>
 *   <li>{@link Status#DONE}: completed less than {@code ttlNs} ago: answer with {@link #reply()};</li>
 *   <li>{@link Status#REFUSED}: not in the table and no room can be made for it without breaking
 *       at-most-once (see below): nothing changed; the caller answers with back-pressure and the
 *       client retries later.</li>
 * </ul>
 * {@link #status} answers the same question without claiming or changing anything (for
 * diagnostics and tests): a {@link #claim} at the same instant returns what it returns.
 * Transitions: FRESH --claim--&gt; IN_FLIGHT --{@link #complete}--&gt; DONE --(TTL, eviction)--&gt;
 * FRESH, and IN_FLIGHT --{@link #abandon}--&gt; FRESH. A DONE entry is live while
 * {@code now - completedAt < ttlNs}.
 *
 * <p><b>Bounded memory.</b> Four limits hold at every instant: at most {@code maxClients} clients,
 * {@code capacityPerClient} entries per client, {@code maxEntries} entries in all, and
 * {@code maxReplyBytes} bytes of cached replies (as measured by {@code replyBytes}). Room is made
 * by evicting, never by forgetting an IN_FLIGHT entry:
 * <ul>
 *   <li>a claim of a client holding {@code capacityPerClient} entries replaces that client's
 *       oldest DONE entry (earliest completion; an expired one is always older than a live one);</li>
 *   <li>a claim that needs an entry when {@code maxEntries} are held evicts the oldest DONE entry
 *       of the whole table;</li>
 *   <li>a claim of a new client when {@code maxClients} are held evicts the least recently used
 *       client that has no IN_FLIGHT entry, with all its entries;</li>
 *   <li>a completion whose reply would exceed {@code maxReplyBytes} evicts the oldest DONE entries
 *       of the table until it fits; a reply larger than {@code maxReplyBytes} on its own is not
 *       cached at all (its entry is dropped, the request is FRESH again, and it counts as an
 *       eviction).</li>
 * </ul>
 * <b>An IN_FLIGHT entry is never evicted</b>, silently or otherwise: forgetting it would let a
 * retry execute a request whose first execution is still running. When the only way to make room
 * would be to evict one, the claim is REFUSED and counted in {@link #refusals()}; only
 * {@link #abandon} (the caller gave up on that execution) or {@link #evictClient} (the caller ends
 * the session) remove IN_FLIGHT entries. Every live DONE entry dropped to make room is counted in
 * {@link #evictions()}; an expired one replaced is not (it had no value left). A client whose last
 * entry goes is removed. So the table guarantees at-most-once within its limits and
 * {@code ttlNs}, which callers size to cover their clients' retry window.
 *
 * <p><b>Reply ownership.</b> A reply handed to {@link #complete} belongs to the table from then
 * on. {@code onDiscard} is called exactly once for every reply the table lets go (evicted,
 * expired and replaced, of an evicted client, not cached by {@link #complete}, at
 * {@link #close()}), after the table's state is consistent again, so callers can release
 * reference-counted reply buffers. {@code onDiscard} should not throw; if it does, the remaining
 * replies of that call are still discarded and the first exception is rethrown with the others
 * suppressed.
 *
 * <p><b>Cost.</b> Entries live in parallel arrays shared by all clients (grown by doubling up to
 * {@code maxEntries}); each client keeps its IN_FLIGHT entries in a list in claim order and its
 * DONE entries in a list in completion order, and the table keeps all DONE entries in completion
 * order, so making room and completing take constant time; clients are found in an
 * open-addressing table keyed on both longs (no boxing). Request numbers increase per client, so
 * a claim of a request above the client's highest takes constant time too; a retry (or a request
 * out of order) searches that client's entries, newest DONE and oldest IN_FLIGHT first: at most
 * {@code capacityPerClient} steps. Memory is proportional to the entries and clients held. Once the
 * arrays have grown, claims, completions and abandons allocate nothing.
 *
 * @param <R> the reply type, for instance a reference-counted buffer
 */
public final class RequestDedup<R> implements AutoCloseable
{

    /** The default number of entries per client. */
    public static final int DEFAULT_CAPACITY_PER_CLIENT = 64;

    /** The default time a DONE entry stays valid after its completion: 30 s. */
    public static final long DEFAULT_TTL_NS = TimeUnit.SECONDS.toNanos(30);

    /** The default number of clients held at once. */
    public static final int DEFAULT_MAX_CLIENTS = 65_536;

    /** The default number of entries held at once, over all clients (about 60 bytes each). */
    public static final int DEFAULT_MAX_ENTRIES = 1 << 18;

    /** The default bound on cached reply bytes: 64 MiB. */
    public static final long DEFAULT_MAX_REPLY_BYTES = 64L << 20;

    /** The largest accepted {@code maxClients}; keeps the client table's size an int. */
    public static final int MAX_CLIENTS_LIMIT = 1 << 28;

    /** The largest accepted {@code capacityPerClient}. */
    public static final int MAX_CAPACITY_PER_CLIENT = 1 << 16;

    /** The largest accepted {@code maxEntries}. */
    public static final int MAX_ENTRIES_LIMIT = 1 << 28;

    private static final int INITIAL_TABLE_LENGTH = 16;
    private static final int INITIAL_ENTRIES = 16;
    private static final int NONE = -1;

    private static final byte FREE = 0;
    private static final byte IN_FLIGHT = 1;
    private static final byte DONE = 2;

    /** What a FRESH claim has to do first; set by {@link #resolve}. */
    private static final int PLAN_NOTHING = 0;
    private static final int PLAN_REUSE_EXPIRED = 1;
    private static final int PLAN_REPLACE_OWN_OLDEST = 2;
    private static final int PLAN_EVICT_OLDEST = 3;
    private static final int PLAN_EVICT_IDLE_CLIENT = 4;

    private static final VarHandle EVICTIONS;
    private static final VarHandle REFUSALS;
    private static final VarHandle ENTRY_COUNT;
    private static final VarHandle REPLY_BYTES;
    private static final VarHandle CLIENT_COUNT;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            EVICTIONS = lookup.findVarHandle(RequestDedup.class, "evictions", long.class);
            REFUSALS = lookup.findVarHandle(RequestDedup.class, "refusals", long.class);
            ENTRY_COUNT = lookup.findVarHandle(RequestDedup.class, "entryCount", int.class);
            REPLY_BYTES = lookup.findVarHandle(RequestDedup.class, "replyBytes", long.class);
            CLIENT_COUNT = lookup.findVarHandle(RequestDedup.class, "clientCount", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** The answer of {@link #claim} and {@link #status}. */
    public enum Status
    {
        /** Not in the table and room can be made: {@link #claim} has claimed it, execute it. */
        FRESH,
        /** Claimed and not completed: the first execution is still running. */
        IN_FLIGHT,
        /** Completed within the TTL: answer with {@link RequestDedup#reply()}. */
        DONE,
        /** Not in the table and no room can be made for it now: answer with back-pressure. */
        REFUSED
    }

    private final int capacityPerClient;
    private final long ttlNs;
    private final int maxClients;
    private final int maxEntries;
    private final long maxReplyBytes;
    private final LongSupplier nanoClock;
    private final Consumer<? super R> onDiscard;
    private final ToLongFunction<? super R> replySize;

    // ---- entries: parallel arrays, indexes shared by all clients ----
    private long[] entryRequest = new long[0];
    private long[] entryCompletedAtNs = new long[0];
    private long[] entryBytes = new long[0];
    private byte[] entryState = new byte[0];
    private Object[] entryReply = new Object[0];
    private Client[] entryClient = new Client[0];
    /** Links of the table's DONE list (oldest completion first), and of the free list through entryNext. */
    private int[] entryPrev = new int[0];
    private int[] entryNext = new int[0];
    /** Links of the entry's client list: its DONE list (oldest completion first) or its IN_FLIGHT list. */
    private int[] clientPrev = new int[0];
    private int[] clientNext = new int[0];
    private int freeEntry = NONE;
    private int doneHead = NONE;
    private int doneTail = NONE;

    /** Open-addressing (linear probing) table of clients; length a power of two, load <= 1/2. */
    private Client[] table = new Client[INITIAL_TABLE_LENGTH];
    /** Clients without IN_FLIGHT entries, most recently used first: eviction candidates. */
    private final ClientList idle = new ClientList();
    // Clients with an IN_FLIGHT entry are in no list: they are never evicted, and one that becomes
    // idle joins the idle list as its most recently used.
    /** The client of the last find, checked first: a pipelining client sends run after run. */
    private Client lastFound;
    /** Records of removed clients, for reuse, linked through {@link Client#next}. */
    private Client freeRecords;

    /** Replies let go by the running operation, handed to onDiscard once its state is consistent. */
    private Object[] discards;
    private int discardCount;

    // ---- what resolve() decided, for claim() to carry out ----
    private Client planClient;
    private int planEntry;
    private int planKind;
    /** The one reading of the clock of the running claim, status or complete. */
    private long nowNs;
    /** The entry of the last FRESH claim, for the complete that usually follows it at once. */
    private Client lastClaimClient;
    private int lastClaimEntry = NONE;

    // ---- read by other threads (opaque): written only through the VarHandles ----
    private long evictions;
    private long refusals;
    private int entryCount;
    private long replyBytes;
    private int clientCount;

    private R lastReply;
    private boolean closed;

    /**
     * A table with every limit at its default and replies counted by {@code replySize}.
     *
     * @param nanoClock the time source in nanoseconds (for instance {@code System::nanoTime})
     * @param onDiscard called once for every reply the table drops
     * @param replySize the bytes a reply holds, counted against {@link #DEFAULT_MAX_REPLY_BYTES}
     */
    public RequestDedup(
        final LongSupplier nanoClock, final Consumer<? super R> onDiscard, final ToLongFunction<? super R> replySize)
    {
        this(DEFAULT_CAPACITY_PER_CLIENT, DEFAULT_TTL_NS, DEFAULT_MAX_CLIENTS, DEFAULT_MAX_ENTRIES,
            DEFAULT_MAX_REPLY_BYTES, nanoClock, onDiscard, replySize);
    }

    /**
     * A table that holds at most {@code capacityPerClient * maxClients} entries (capped at
     * {@link #MAX_ENTRIES_LIMIT}) and does not count reply bytes: for replies of a fixed, small
     * size. Prefer the full constructor where replies vary in size.
     *
     * @param capacityPerClient entries per client, 1..{@link #MAX_CAPACITY_PER_CLIENT}
     * @param ttlNs             how long a DONE entry stays valid after its completion, at least 1
     * @param maxClients        the most clients held at once, 1..{@link #MAX_CLIENTS_LIMIT}
     * @param nanoClock         the time source in nanoseconds, read on the owning thread
     * @param onDiscard         called once, on the owning thread, for every reply the table drops
     * @throws IllegalArgumentException naming the parameter when a number is out of range
     * @throws NullPointerException     naming the parameter when a callback is null
     */
    public RequestDedup(
        final int capacityPerClient,
        final long ttlNs,
        final int maxClients,
        final LongSupplier nanoClock,
        final Consumer<? super R> onDiscard)
    {
        this(capacityPerClient, ttlNs, maxClients,
            (int)Math.min(MAX_ENTRIES_LIMIT, Math.max(1L, (long)capacityPerClient * Math.max(1, maxClients))),
            Long.MAX_VALUE, nanoClock, onDiscard, reply -> 0);
    }

    /**
     * Creates a table.
     *
     * @param capacityPerClient entries per client, 1..{@link #MAX_CAPACITY_PER_CLIENT}
     *                          (default {@link #DEFAULT_CAPACITY_PER_CLIENT})
     * @param ttlNs             how long a DONE entry stays valid after its completion, in
     *                          nanoseconds, at least 1 (default {@link #DEFAULT_TTL_NS})
     * @param maxClients        the most clients held at once, 1..{@link #MAX_CLIENTS_LIMIT}
     *                          (default {@link #DEFAULT_MAX_CLIENTS})
     * @param maxEntries        the most entries held at once, 1..{@link #MAX_ENTRIES_LIMIT}
     *                          (default {@link #DEFAULT_MAX_ENTRIES})
     * @param maxReplyBytes     the most reply bytes cached at once, at least 0
     *                          (default {@link #DEFAULT_MAX_REPLY_BYTES})
     * @param nanoClock         the time source in nanoseconds, read on the owning thread
     * @param onDiscard         called once, on the owning thread, for every reply the table drops
     * @param replySize         the bytes a reply holds (for a pooled buffer: its capacity), at
     *                          least 0; called once per {@link #complete}
     * @throws IllegalArgumentException naming the parameter when a number is out of range
     * @throws NullPointerException     naming the parameter when a callback is null
     */
    public RequestDedup(
        final int capacityPerClient,
        final long ttlNs,
        final int maxClients,
        final int maxEntries,
        final long maxReplyBytes,
        final LongSupplier nanoClock,
        final Consumer<? super R> onDiscard,
        final ToLongFunction<? super R> replySize)
    {
        if (capacityPerClient < 1 || capacityPerClient > MAX_CAPACITY_PER_CLIENT)
        {
            throw new IllegalArgumentException(
                "capacityPerClient must be in 1.." + MAX_CAPACITY_PER_CLIENT + ": " + capacityPerClient);
        }
        if (ttlNs < 1)
        {
            throw new IllegalArgumentException("ttlNs must be >= 1: " + ttlNs);
        }
        if (maxClients < 1 || maxClients > MAX_CLIENTS_LIMIT)
        {
            throw new IllegalArgumentException("maxClients must be in 1.." + MAX_CLIENTS_LIMIT + ": " + maxClients);
        }
        if (maxEntries < 1 || maxEntries > MAX_ENTRIES_LIMIT)
        {
            throw new IllegalArgumentException("maxEntries must be in 1.." + MAX_ENTRIES_LIMIT + ": " + maxEntries);
        }
        if (maxReplyBytes < 0)
        {
            throw new IllegalArgumentException("maxReplyBytes must be >= 0: " + maxReplyBytes);
        }
        this.capacityPerClient = capacityPerClient;
        this.ttlNs = ttlNs;
        this.maxClients = maxClients;
        this.maxEntries = maxEntries;
        this.maxReplyBytes = maxReplyBytes;
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.onDiscard = Objects.requireNonNull(onDiscard, "onDiscard");
        this.replySize = Objects.requireNonNull(replySize, "replySize");
        this.discards = new Object[capacityPerClient + 1];
    }

    /**
     * Derives the status of (client, request) and claims it if it is FRESH: the one operation a
     * server calls per request (see the class comment). Reads the clock once. On FRESH the entry is
     * IN_FLIGHT and the caller owns the execution: it must end with {@link #complete} or
     * {@link #abandon}. On DONE, {@link #reply()} holds the cached reply. On IN_FLIGHT and REFUSED
     * nothing changed. Marks the client, if held, as most recently used. After {@link #close()}:
     * REFUSED.
     *
     * @param clientHi high 64 bits of the client id
     * @param clientLo low 64 bits of the client id
     * @param request  the request number (u64)
     * @return FRESH (claimed now), IN_FLIGHT, DONE or REFUSED
     */
    public Status claim(final long clientHi, final long clientLo, final long request)
    {
        return claim(clientHi, clientLo, request, nanoClock.getAsLong());
    }

    /**
     * {@link #claim(long, long, long)} at {@code nowNs}, a reading of the table's clock the caller
     * already has (for instance one reading per request for both this and {@link #complete(long,
     * long, long, Object, long)}). Readings passed in must not go back in time.
     *
     * @param clientHi high 64 bits of the client id
     * @param clientLo low 64 bits of the client id
     * @param request  the request number (u64)
     * @param nowNs    now, on the clock of {@code nanoClock}
     * @return FRESH (claimed now), IN_FLIGHT, DONE or REFUSED
     */
    public Status claim(final long clientHi, final long clientLo, final long request, final long nowNs)
    {
        lastReply = null;
        forgetLastClaim();
        if (closed)
        {
            return Status.REFUSED;
        }
        final Status status = resolve(clientHi, clientLo, request, nowNs);
        if (planClient != null)
        {
            touch(planClient);
        }
        if (status == Status.FRESH)
        {
            carryOut(clientHi, clientLo, request);
        }
        else if (status == Status.REFUSED)
        {
            REFUSALS.setOpaque(this, refusals + 1);
        }
        planClient = null;
        flushDiscards();
        return status;
    }

    /**
     * What {@link #claim} would return at this instant, without claiming, evicting or marking the
     * client as used. On DONE, {@link #reply()} holds the cached reply. After {@link #close()}:
     * REFUSED.
     *
     * @param clientHi high 64 bits of the client id
     * @param clientLo low 64 bits of the client id
     * @param request  the request number (u64)
     * @return the request's status at this instant
     */
    public Status status(final long clientHi, final long clientLo, final long request)
    {
        lastReply = null;
        forgetLastClaim();
        if (closed)
        {
            return Status.REFUSED;
        }
        final Status status = resolve(clientHi, clientLo, request, nanoClock.getAsLong());
        planClient = null;
        return status;
    }

    /**
     * The reply of the last {@link #claim} or {@link #status} that said DONE; valid until the next
     * call of any other method of this table (the reply may be discarded by it), null if the last
     * call was not such a call. Does not transfer ownership: retain a reference-counted reply to
     * keep it longer.
     *
     * @return the cached reply, or null
     */
    public R reply()
    {
        return lastReply;
    }

    /**
     * Completes an IN_FLIGHT entry: it becomes DONE with {@code reply}, stamped now, after the
     * oldest DONE entries are evicted to keep the cached bytes within {@code maxReplyBytes}. If
     * the entry is not IN_FLIGHT (unknown client or request, abandoned, already DONE, or the table
     * is closed) nothing changes and {@code reply} is discarded at once; a reply larger than
     * {@code maxReplyBytes} is discarded too and its entry dropped (counted as an eviction).
     * Either way the table owns {@code reply} from this call on.
     *
     * @param clientHi high 64 bits of the client id
     * @param clientLo low 64 bits of the client id
     * @param request  the request number (u64)
     * @param reply    the reply, not null
     * @return true if the entry became DONE; false if the reply was discarded
     * @throws NullPointerException     if {@code reply} is null (the table is left unchanged)
     * @throws IllegalArgumentException if {@code replySize} says a negative size (unchanged too)
     */
    public boolean complete(final long clientHi, final long clientLo, final long request, final R reply)
    {
        Objects.requireNonNull(reply, "reply");
        return complete(clientHi, clientLo, request, reply, nanoClock.getAsLong());
    }

    /**
     * {@link #complete(long, long, long, Object)} stamped {@code nowNs}, a reading of the table's
     * clock the caller already has. Readings passed in must not go back in time.
     *
     * @param clientHi high 64 bits of the client id
     * @param clientLo low 64 bits of the client id
     * @param request  the request number (u64)
     * @param reply    the reply, not null
     * @param nowNs    now, on the clock of {@code nanoClock}
     * @return true if the entry became DONE; false if the reply was discarded
     */
    public boolean complete(final long clientHi, final long clientLo, final long request, final R reply,
        final long nowNs)
    {
        Objects.requireNonNull(reply, "reply");
        lastReply = null;
        // The usual caller completes the request it just claimed, with no call in between: its
        // entry is known without a lookup.
        Client client = lastClaimClient;
        int entry = lastClaimEntry;
        forgetLastClaim();
        final boolean direct = entry != NONE && client == entryClient[entry] && client.hi == clientHi &&
            client.lo == clientLo && entryRequest[entry] == request;
        if (!direct)
        {
            client = closed ? null : find(clientHi, clientLo);
            entry = client == null ? NONE : findEntry(client, request);
        }
        if (entry == NONE || entryState[entry] != IN_FLIGHT)
        {
            discard(reply);
            flushDiscards();
            return false;
        }
        final long bytes = replySize.applyAsLong(reply);
        if (bytes < 0)
        {
            throw new IllegalArgumentException("replySize said " + bytes + " bytes");
        }
        touch(client);
        this.nowNs = nowNs;
        if (bytes > maxReplyBytes)
        {
            removeEntry(entry, false);
            EVICTIONS.setOpaque(this, evictions + 1);
            discard(reply);
            flushDiscards();
            return false;
        }
        while (replyBytes + bytes > maxReplyBytes)
        {
            evictOldestDone(); // DONE entries hold every counted byte, so there is one
        }
        unlinkInFlight(client, entry);
        entryState[entry] = DONE;
        entryCompletedAtNs[entry] = nowNs;
        entryReply[entry] = reply;
        entryBytes[entry] = bytes;
        linkDone(client, entry);
        REPLY_BYTES.setOpaque(this, replyBytes + bytes);
        flushDiscards();
        return true;
    }

    /**
     * Gives up an IN_FLIGHT entry: the caller will not complete that execution (it timed out, or
     * its work was dropped), so the request is FRESH again and a retry executes it. Other entries,
     * of this client and others, are untouched.
     *
     * @param clientHi high 64 bits of the client id
     * @param clientLo low 64 bits of the client id
     * @param request  the request number (u64)
     * @return true if an IN_FLIGHT entry was removed; false if there was none (nothing changed)
     */
    public boolean abandon(final long clientHi, final long clientLo, final long request)
    {
        lastReply = null;
        forgetLastClaim();
        final Client client = closed ? null : find(clientHi, clientLo);
        final int entry = client == null ? NONE : findEntry(client, request);
        if (entry == NONE || entryState[entry] != IN_FLIGHT)
        {
            return false;
        }
        removeEntry(entry, false);
        return true;
    }

    /**
     * Drops every entry of a client, IN_FLIGHT ones included (a later {@link #complete} for them
     * discards its reply), and hands its replies to {@code onDiscard}. Use it when a client's
     * session ends; not counted as evictions.
     *
     * @param clientHi high 64 bits of the client id
     * @param clientLo low 64 bits of the client id
     * @return true if the client was held
     */
    public boolean evictClient(final long clientHi, final long clientLo)
    {
        lastReply = null;
        forgetLastClaim();
        final Client client = closed ? null : find(clientHi, clientLo);
        if (client == null)
        {
            return false;
        }
        dropClient(client);
        flushDiscards();
        return true;
    }

    /**
     * Drops every entry, hands every held reply to {@code onDiscard} and closes the table: after
     * it, {@link #claim} and {@link #status} say REFUSED, {@link #complete} discards its reply and
     * {@link #abandon} returns false. Idempotent.
     */
    @Override
    public void close()
    {
        lastReply = null;
        if (closed)
        {
            return;
        }
        closed = true;
        forgetLastClaim();
        RuntimeException failure = null;
        for (int entry = 0; entry < entryState.length; entry++)
        {
            if (entryState[entry] == DONE)
            {
                final Object reply = entryReply[entry];
                entryReply[entry] = null;
                entryState[entry] = FREE;
                try
                {
                    onDiscard.accept(cast(reply));
                }
                catch (final RuntimeException ex)
                {
                    failure = addFailure(failure, ex);
                }
            }
        }
        Arrays.fill(entryState, FREE);
        Arrays.fill(entryClient, null);
        Arrays.fill(table, null);
        idle.head = idle.tail = null;
        lastFound = null;
        freeRecords = null;
        doneHead = doneTail = NONE;
        ENTRY_COUNT.setOpaque(this, 0);
        REPLY_BYTES.setOpaque(this, 0L);
        CLIENT_COUNT.setOpaque(this, 0);
        if (failure != null)
        {
            throw failure;
        }
    }

    /**
     * Live DONE entries dropped to make room (for a new request, a new client or reply bytes),
     * and replies too large to cache. Any thread (a possibly stale value).
     *
     * @return the number of evictions so far
     */
    public long evictions()
    {
        return (long)EVICTIONS.getOpaque(this);
    }

    /**
     * Claims answered REFUSED because room could only be made by forgetting IN_FLIGHT entries.
     * Any thread (a possibly stale value).
     *
     * @return the number of refused claims so far
     */
    public long refusals()
    {
        return (long)REFUSALS.getOpaque(this);
    }

    /**
     * Entries held, IN_FLIGHT and DONE (expired ones not yet replaced included). Any thread (a
     * possibly stale value).
     *
     * @return the number of entries held, at most {@code maxEntries}
     */
    public int entryCount()
    {
        return (int)ENTRY_COUNT.getOpaque(this);
    }

    /**
     * Bytes of the cached replies, as {@code replySize} measured them. Any thread (a possibly stale
     * value).
     *
     * @return the cached reply bytes, at most {@code maxReplyBytes}
     */
    public long replyBytes()
    {
        return (long)REPLY_BYTES.getOpaque(this);
    }

    /**
     * The number of clients held (each holds at least one entry). Any thread (a possibly stale
     * value).
     *
     * @return the number of clients held, at most {@code maxClients}
     */
    public int clientCount()
    {
        return (int)CLIENT_COUNT.getOpaque(this);
    }

    /** @return the entries per client */
    public int capacityPerClient()
    {
        return capacityPerClient;
    }

    /** @return the TTL of DONE entries in nanoseconds */
    public long ttlNs()
    {
        return ttlNs;
    }

    /** @return the most clients held at once */
    public int maxClients()
    {
        return maxClients;
    }

    /** @return the most entries held at once */
    public int maxEntries()
    {
        return maxEntries;
    }

    /** @return the most reply bytes cached at once */
    public long maxReplyBytes()
    {
        return maxReplyBytes;
    }

    // ---------------------------------------------------------------------------------------------
    // The one derivation of a status

    /**
     * The status of (client, request) at {@code nowNs}, and, for FRESH, the plan that makes room:
     * the only place "live" and "room" are decided. Sets planClient (the held client or null),
     * planEntry and planKind; changes nothing else.
     */
    private Status resolve(final long clientHi, final long clientLo, final long request, final long nowNs)
    {
        this.nowNs = nowNs;
        final Client client = find(clientHi, clientLo);
        planClient = client;
        planEntry = NONE;
        planKind = PLAN_NOTHING;
        if (client != null)
        {
            final int entry = findEntry(client, request);
            if (entry != NONE)
            {
                if (entryState[entry] == IN_FLIGHT)
                {
                    return Status.IN_FLIGHT;
                }
                if (isLive(entry))
                {
                    lastReply = cast(entryReply[entry]);
                    return Status.DONE;
                }
                planKind = PLAN_REUSE_EXPIRED;
                planEntry = entry;
                return Status.FRESH;
            }
            if (client.used == capacityPerClient)
            {
                if (client.doneHead == NONE)
                {
                    return Status.REFUSED; // every entry of the client IN_FLIGHT
                }
                planKind = PLAN_REPLACE_OWN_OLDEST;
                planEntry = client.doneHead;
                return Status.FRESH;
            }
            return planForNewEntry();
        }
        if (clientCount == maxClients)
        {
            if (idle.tail == null)
            {
                return Status.REFUSED; // every client has an IN_FLIGHT entry
            }
            // An idle client holds at least one entry, so its eviction makes room for the entry too.
            planKind = PLAN_EVICT_IDLE_CLIENT;
            return Status.FRESH;
        }
        return planForNewEntry();
    }

    private Status planForNewEntry()
    {
        if (entryCount < maxEntries)
        {
            return Status.FRESH;
        }
        if (doneHead == NONE)
        {
            return Status.REFUSED; // every entry IN_FLIGHT
        }
        planKind = PLAN_EVICT_OLDEST;
        planEntry = doneHead;
        return Status.FRESH;
    }

    /** Carries out the plan of a FRESH {@link #resolve}: the entry of (client, request) becomes IN_FLIGHT. */
    private void carryOut(final long clientHi, final long clientLo, final long request)
    {
        Client client = planClient;
        switch (planKind)
        {
            case PLAN_REUSE_EXPIRED:
            {
                final int entry = planEntry; // same key
                unlinkDone(client, entry);
                REPLY_BYTES.setOpaque(this, replyBytes - entryBytes[entry]);
                discard(entryReply[entry]);
                markInFlight(client, entry);
                lastClaimClient = client;
                lastClaimEntry = entry;
                return;
            }
            case PLAN_REPLACE_OWN_OLDEST:
                if (isLive(planEntry))
                {
                    EVICTIONS.setOpaque(this, evictions + 1);
                }
                removeEntry(planEntry, true);
                break;
            case PLAN_EVICT_OLDEST:
                evictOldestDone();
                client = find(clientHi, clientLo); // it may have lost its only entry
                break;
            case PLAN_EVICT_IDLE_CLIENT:
            {
                final Client victim = idle.tail;
                int live = 0;
                for (int entry = victim.doneHead; entry != NONE; entry = clientNext[entry])
                {
                    live += isLive(entry) ? 1 : 0;
                }
                EVICTIONS.setOpaque(this, evictions + live);
                dropClient(victim);
                break;
            }
            default:
                break;
        }
        if (client == null)
        {
            client = newRecord();
            client.reset(clientHi, clientLo, Mix.clientIdHash(clientHi, clientLo));
            insert(client);
            idle.addFirst(client); // markInFlight takes it off the idle list
        }
        final int entry = newEntry();
        entryRequest[entry] = request;
        entryClient[entry] = client;
        if (client.used++ == 0 || Long.compareUnsigned(request, client.maxRequest) > 0)
        {
            client.maxRequest = request;
        }
        markInFlight(client, entry);
        lastClaimClient = client;
        lastClaimEntry = entry;
    }

    private void forgetLastClaim()
    {
        lastClaimClient = null;
        lastClaimEntry = NONE;
    }

    /** Whether a DONE entry is live at the running operation's one reading of the clock. */
    private boolean isLive(final int entry)
    {
        return nowNs - entryCompletedAtNs[entry] < ttlNs; // a difference, so a wrapping nanoTime works
    }

    /** Makes an entry of {@code client} (new, or DONE and unlinked) IN_FLIGHT. */
    private void markInFlight(final Client client, final int entry)
    {
        entryState[entry] = IN_FLIGHT;
        entryReply[entry] = null;
        entryBytes[entry] = 0;
        clientPrev[entry] = client.flightTail;
        clientNext[entry] = NONE;
        if (client.flightTail != NONE)
        {
            clientNext[client.flightTail] = entry;
        }
        else
        {
            client.flightHead = entry;
        }
        client.flightTail = entry;
        if (client.inFlight++ == 0)
        {
            idle.remove(client);
        }
    }

    /** Takes an IN_FLIGHT entry off its client's list; a client left without one becomes idle. */
    private void unlinkInFlight(final Client client, final int entry)
    {
        final int prev = clientPrev[entry];
        final int next = clientNext[entry];
        if (prev != NONE)
        {
            clientNext[prev] = next;
        }
        else
        {
            client.flightHead = next;
        }
        if (next != NONE)
        {
            clientPrev[next] = prev;
        }
        else
        {
            client.flightTail = prev;
        }
        if (--client.inFlight == 0)
        {
            idle.addFirst(client);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Entries

    private int newEntry()
    {
        int entry = freeEntry;
        if (entry != NONE)
        {
            freeEntry = entryNext[entry];
        }
        else
        {
            entry = entryCount; // no free entry: every index below entryCount is taken
            if (entry == entryState.length)
            {
                growEntries();
            }
        }
        ENTRY_COUNT.setOpaque(this, entryCount + 1);
        return entry;
    }

    private void growEntries()
    {
        final int length = (int)Math.min(maxEntries, Math.max(INITIAL_ENTRIES, 2L * entryState.length));
        entryRequest = Arrays.copyOf(entryRequest, length);
        entryCompletedAtNs = Arrays.copyOf(entryCompletedAtNs, length);
        entryBytes = Arrays.copyOf(entryBytes, length);
        entryState = Arrays.copyOf(entryState, length);
        entryReply = Arrays.copyOf(entryReply, length);
        entryClient = Arrays.copyOf(entryClient, length);
        entryPrev = Arrays.copyOf(entryPrev, length);
        entryNext = Arrays.copyOf(entryNext, length);
        clientPrev = Arrays.copyOf(clientPrev, length);
        clientNext = Arrays.copyOf(clientNext, length);
    }

    /**
     * The entry of (client, request), or NONE. Requests increase per client, so a request above
     * the client's highest is not held; otherwise its IN_FLIGHT entries are searched oldest claim
     * first (completions come in about the order of claims), then its DONE entries newest first (a
     * retry follows its original closely): at most capacityPerClient steps, usually one.
     */
    private int findEntry(final Client client, final long request)
    {
        if (Long.compareUnsigned(request, client.maxRequest) > 0)
        {
            return NONE;
        }
        for (int entry = client.flightHead; entry != NONE; entry = clientNext[entry])
        {
            if (entryRequest[entry] == request)
            {
                return entry;
            }
        }
        for (int entry = client.doneTail; entry != NONE; entry = clientPrev[entry])
        {
            if (entryRequest[entry] == request)
            {
                return entry;
            }
        }
        return NONE;
    }

    /**
     * Removes an entry, discarding a DONE reply; a client left without entries is removed unless
     * {@code keepClient} (it is about to get a new one).
     */
    private void removeEntry(final int entry, final boolean keepClient)
    {
        final Client client = entryClient[entry];
        if (entryState[entry] == DONE)
        {
            unlinkDone(client, entry);
            REPLY_BYTES.setOpaque(this, replyBytes - entryBytes[entry]);
            discard(entryReply[entry]);
        }
        else
        {
            unlinkInFlight(client, entry);
        }
        freeEntryIndex(entry);
        if (--client.used == 0 && !keepClient)
        {
            detach(client);
            release(client);
        }
    }

    /** Frees an entry index; it must be off every list already. */
    private void freeEntryIndex(final int entry)
    {
        entryState[entry] = FREE;
        entryReply[entry] = null;
        entryClient[entry] = null;
        entryBytes[entry] = 0;
        entryNext[entry] = freeEntry;
        freeEntry = entry;
        ENTRY_COUNT.setOpaque(this, entryCount - 1);
    }

    /** Evicts the DONE entry with the earliest completion of the whole table; counts it if live. */
    private void evictOldestDone()
    {
        final int entry = doneHead;
        if (isLive(entry))
        {
            EVICTIONS.setOpaque(this, evictions + 1);
        }
        removeEntry(entry, false);
    }

    /** Appends a DONE entry to the table's and its client's completion lists. */
    private void linkDone(final Client client, final int entry)
    {
        entryPrev[entry] = doneTail;
        entryNext[entry] = NONE;
        if (doneTail != NONE)
        {
            entryNext[doneTail] = entry;
        }
        else
        {
            doneHead = entry;
        }
        doneTail = entry;
        clientPrev[entry] = client.doneTail;
        clientNext[entry] = NONE;
        if (client.doneTail != NONE)
        {
            clientNext[client.doneTail] = entry;
        }
        else
        {
            client.doneHead = entry;
        }
        client.doneTail = entry;
    }

    private void unlinkDone(final Client client, final int entry)
    {
        final int prev = entryPrev[entry];
        final int next = entryNext[entry];
        if (prev != NONE)
        {
            entryNext[prev] = next;
        }
        else
        {
            doneHead = next;
        }
        if (next != NONE)
        {
            entryPrev[next] = prev;
        }
        else
        {
            doneTail = prev;
        }
        final int clientPrevious = clientPrev[entry];
        final int clientFollowing = clientNext[entry];
        if (clientPrevious != NONE)
        {
            clientNext[clientPrevious] = clientFollowing;
        }
        else
        {
            client.doneHead = clientFollowing;
        }
        if (clientFollowing != NONE)
        {
            clientPrev[clientFollowing] = clientPrevious;
        }
        else
        {
            client.doneTail = clientPrevious;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Clients

    private void touch(final Client client)
    {
        if (client.inFlight == 0)
        {
            idle.moveToFront(client);
        }
    }

    private Client newRecord()
    {
        final Client free = freeRecords;
        if (free != null)
        {
            freeRecords = free.next;
            free.next = null;
            return free;
        }
        return new Client();
    }

    /** Removes a client and all its entries (IN_FLIGHT ones too), discarding its replies. */
    private void dropClient(final Client client)
    {
        detach(client);
        for (int entry = client.doneHead; entry != NONE; )
        {
            final int next = clientNext[entry];
            unlinkDone(client, entry);
            REPLY_BYTES.setOpaque(this, replyBytes - entryBytes[entry]);
            discard(entryReply[entry]);
            freeEntryIndex(entry);
            entry = next;
        }
        for (int entry = client.flightHead; entry != NONE; )
        {
            final int next = clientNext[entry];
            freeEntryIndex(entry);
            entry = next;
        }
        client.flightHead = NONE;
        client.flightTail = NONE;
        client.used = 0;
        client.inFlight = 0;
        release(client);
    }

    /** Removes a client from the table and its LRU list. */
    private void detach(final Client client)
    {
        if (client.inFlight == 0)
        {
            idle.remove(client);
        }
        if (lastFound == client)
        {
            lastFound = null;
        }
        remove(client);
    }

    /** Keeps a removed client's record for reuse. */
    private void release(final Client client)
    {
        client.next = freeRecords;
        freeRecords = client;
    }

    // ---------------------------------------------------------------------------------------------
    // Discards: collected while the state changes, handed to onDiscard once it is consistent

    private void discard(final Object reply)
    {
        if (discardCount == discards.length)
        {
            discards = Arrays.copyOf(discards, 2 * discards.length); // many small replies evicted for a big one
        }
        discards[discardCount++] = reply;
    }

    private void flushDiscards()
    {
        RuntimeException failure = null;
        for (int i = 0, n = discardCount; i < n; i++)
        {
            final Object reply = discards[i];
            discards[i] = null;
            try
            {
                onDiscard.accept(cast(reply));
            }
            catch (final RuntimeException ex)
            {
                failure = addFailure(failure, ex);
            }
        }
        discardCount = 0;
        if (failure != null)
        {
            throw failure;
        }
    }

    @SuppressWarnings("unchecked")
    private R cast(final Object reply)
    {
        return (R)reply;
    }

    private static RuntimeException addFailure(final RuntimeException first, final RuntimeException next)
    {
        if (first == null)
        {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    // ---- client table: a ClientIdTable ----

    private Client find(final long hi, final long lo)
    {
        final Client last = lastFound;
        if (last != null && last.hi == hi && last.lo == lo)
        {
            return last;
        }
        final Client client = ClientIdTable.find(table, hi, lo);
        if (client != null)
        {
            lastFound = client;
        }
        return client;
    }

    private void insert(final Client client)
    {
        table = ClientIdTable.insert(table, clientCount, client);
        CLIENT_COUNT.setOpaque(this, clientCount + 1);
    }

    private void remove(final Client client)
    {
        ClientIdTable.remove(table, client);
        CLIENT_COUNT.setOpaque(this, clientCount - 1);
    }

    /** One client: its key, its entry counts and the heads of its entry lists (in the entry arrays). */
    private static final class Client extends ClientIdTable.Key
    {
        int used;
        int inFlight;
        /** The highest request (u64) it claimed while held: an upper bound of the requests it holds. */
        long maxRequest;
        /** Its DONE entries, oldest completion first. */
        int doneHead = NONE;
        int doneTail = NONE;
        /** Its IN_FLIGHT entries, oldest claim first. */
        int flightHead = NONE;
        int flightTail = NONE;
        Client prev;
        Client next;

        void reset(final long hi, final long lo, final int hash)
        {
            this.hi = hi;
            this.lo = lo;
            this.hash = hash;
            used = 0;
            inFlight = 0;
            doneHead = NONE;
            doneTail = NONE;
            flightHead = NONE;
            flightTail = NONE;
            prev = null;
            next = null;
        }
    }

    /** A doubly linked list of clients, most recently used first. */
    private static final class ClientList
    {
        Client head;
        Client tail;

        void addFirst(final Client client)
        {
            client.prev = null;
            client.next = head;
            if (head != null)
            {
                head.prev = client;
            }
            else
            {
                tail = client;
            }
            head = client;
        }

        void remove(final Client client)
        {
            final Client prev = client.prev;
            final Client next = client.next;
            if (prev != null)
            {
                prev.next = next;
            }
            else
            {
                head = next;
            }
            if (next != null)
            {
                next.prev = prev;
            }
            else
            {
                tail = prev;
            }
            client.prev = null;
            client.next = null;
        }

        void moveToFront(final Client client)
        {
            if (head != client)
            {
                remove(client);
                addFirst(client);
            }
        }
    }
}
