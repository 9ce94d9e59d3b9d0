package io.ringbus.core.dedup;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * An at-most-once table: it lets a server answer a retried client request from the cached reply
 * of its first execution instead of executing it twice.
 *
 * <p><b>Threading.</b> An instance is confined to one thread, the shard that owns it. It has no
 * locks and no memory fences; every method, including {@link #close()}, must be called on that
 * thread. The {@code nanoClock} and {@code onDiscard} callbacks run on that thread too and must
 * not call back into the table.
 *
 * <p><b>Keys.</b> An entry is keyed on (client, request): the client is the u128 session id of
 * the wire format given as two longs ({@code clientHi}, {@code clientLo}); the request is the
 * u64 request number, which increases per client and is compared unsigned.
 *
 * <p><b>States.</b> Seen from {@link #lookup}, a (client, request) pair is in one of these states:
 * <ul>
 *   <li>{@link Status#FRESH}: not in the table (never seen, evicted, or DONE and expired) and a slot
 *       can be claimed for it: the caller should {@link #markInFlight claim} it and execute it;</li>
 *   <li>{@link Status#IN_FLIGHT}: claimed and not completed yet: the first execution is still
 *       running, so the retry is dropped (the reply will go out when it completes);</li>
 *   <li>{@link Status#DONE}: completed less than {@code ttlNs} ago: answer with {@link #reply()};</li>
 *   <li>{@link Status#REFUSED}: not in the table and no slot can be made for it without breaking
 *       at-most-once (see below): the caller answers with back-pressure and the client retries
 *       later.</li>
 * </ul>
 * Transitions: FRESH --{@link #markInFlight}--&gt; IN_FLIGHT --{@link #complete}--&gt; DONE
 * --(ttl passes, or eviction)--&gt; FRESH. A DONE entry is valid while
 * {@code now - completedAt < ttlNs} and expired from {@code now - completedAt >= ttlNs} on.
 * The operations agree at every instant: {@link #markInFlight} succeeds iff {@link #lookup} would
 * have said FRESH, and after {@link #complete} the lookup says DONE with that reply until the TTL
 * passes or the entry is evicted.
 *
 * <p><b>Bounded memory per client.</b> Each client has {@code capacityPerClient} entry slots.
 * When a claim needs a slot and all are taken, the slot of a DONE entry is reused: an expired one
 * if there is any, else the live one with the lowest request number (the oldest, since request
 * numbers increase per client); among expired entries the lowest request number goes first too.
 * An IN_FLIGHT entry is <em>never</em> evicted: forgetting it would let a retry execute a request
 * whose first execution is still running. So when every slot of a client is IN_FLIGHT, a new
 * request of that client is REFUSED ({@link #lookup} says REFUSED, {@link #markInFlight} returns
 * false) until one of them completes. A request whose entry was evicted, or expired, is FRESH
 * again: the table guarantees at-most-once only within {@code capacityPerClient} requests and
 * {@code ttlNs}, which callers size to cover their clients' retry window.
 *
 * <p><b>Bounded memory in clients.</b> At most {@code maxClients} clients are held. When a new
 * client is claimed and the table is full, the least recently used client that has no IN_FLIGHT
 * entry is evicted with all its entries (its replies go to {@code onDiscard}). If every client
 * has an IN_FLIGHT entry, nothing can be evicted without breaking at-most-once, so the new
 * client's requests are REFUSED. A client is "used" by every {@link #lookup},
 * {@link #markInFlight} or {@link #complete} that names it while it is in the table.
 *
 * <p><b>Reply ownership.</b> A reply handed to {@link #complete} belongs to the table from then
 * on. {@code onDiscard} is called exactly once for every reply the table lets go: a DONE entry
 * evicted from a full client, an expired entry replaced by a new claim, a client evicted (by
 * {@link #evictClient} or to make room for a new client), a {@link #complete} that finds no
 * IN_FLIGHT entry (the reply is discarded at once), and {@link #close()}. That lets callers
 * release reference-counted reply buffers. The table's state is consistent before
 * {@code onDiscard} is called. {@code onDiscard} should not throw; if it does while a whole
 * client is discarded, the remaining replies are still discarded and the first exception is
 * rethrown with the others suppressed.
 *
 * <p><b>Allocation.</b> Entries are parallel arrays allocated once per client record; records of
 * evicted clients are reused. Lookups, claims and completions of known clients allocate nothing
 * (no boxing: clients are found in an open-addressing table keyed on both longs). Allocation
 * happens only when a new client needs a record and none is free, and when the client table grows.
 *
 * @param <R> the reply type, for instance a reference-counted buffer
 */
public final class RequestDedup<R> implements AutoCloseable
{

    /** The default number of entry slots per client. */
    public static final int DEFAULT_CAPACITY_PER_CLIENT = 64;

    /** The default time a DONE entry stays valid after its completion: 30 s. */
    public static final long DEFAULT_TTL_NS = TimeUnit.SECONDS.toNanos(30);

    /** The largest accepted {@code maxClients}; keeps the client table's size an int. */
    public static final int MAX_CLIENTS_LIMIT = 1 << 28;

    /** The largest accepted {@code capacityPerClient}. */
    public static final int MAX_CAPACITY_PER_CLIENT = 1 << 16;

    private static final int INITIAL_TABLE_LENGTH = 16;

    /** The answer of {@link #lookup}. */
    public enum Status
    {
        /** Not in the table and a slot can be claimed: execute it. */
        FRESH,
        /** Claimed and not completed: the first execution is still running. */
        IN_FLIGHT,
        /** Completed within the TTL: answer with {@link RequestDedup#reply()}. */
        DONE,
        /** Not in the table and no slot can be made for it now: answer with back-pressure. */
        REFUSED
    }

    private final int capacityPerClient;
    private final long ttlNs;
    private final int maxClients;
    private final LongSupplier nanoClock;
    private final Consumer<? super R> onDiscard;

    /** Open-addressing (linear probing) table of clients; length a power of two, load <= 1/2. */
    private Client[] table = new Client[INITIAL_TABLE_LENGTH];
    private int clientCount;
    /** Clients without IN_FLIGHT entries, most recently used first: eviction candidates. */
    private final ClientList idle = new ClientList();
    /** Clients with at least one IN_FLIGHT entry, most recently used first. */
    private final ClientList busy = new ClientList();
    /** Records of evicted clients, for reuse, linked through {@link Client#next}. */
    private Client freeRecords;

    private R lastReply;
    private boolean closed;

    /**
     * Creates a table with {@link #DEFAULT_CAPACITY_PER_CLIENT} slots per client and
     * {@link #DEFAULT_TTL_NS}.
     *
     * @param maxClients the most clients held at once, at least 1
     * @param nanoClock  the time source in nanoseconds (for instance {@code System::nanoTime})
     * @param onDiscard  called once for every reply the table drops
     */
    public RequestDedup(final int maxClients, final LongSupplier nanoClock, final Consumer<? super R> onDiscard)
    {
        this(DEFAULT_CAPACITY_PER_CLIENT, DEFAULT_TTL_NS, maxClients, nanoClock, onDiscard);
    }

    /**
     * Creates a table.
     *
     * @param capacityPerClient entry slots per client, 1..{@link #MAX_CAPACITY_PER_CLIENT}
     *                          (default {@link #DEFAULT_CAPACITY_PER_CLIENT})
     * @param ttlNs             how long a DONE entry stays valid after its completion, in
     *                          nanoseconds, at least 1 (default {@link #DEFAULT_TTL_NS})
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
        this.capacityPerClient = capacityPerClient;
        this.ttlNs = ttlNs;
        this.maxClients = maxClients;
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.onDiscard = Objects.requireNonNull(onDiscard, "onDiscard");
    }

    /**
     * Says what to do with a request: execute it (FRESH), drop the retry (IN_FLIGHT), answer with
     * {@link #reply()} (DONE) or with back-pressure (REFUSED). Changes no entry; marks the client,
     * if held, as most recently used. After {@link #close()}: REFUSED.
     *
     * @param clientHi high 64 bits of the client id
     * @param clientLo low 64 bits of the client id
     * @param request  the request number (u64)
     * @return the request's status at this instant
     */
    public Status lookup(final long clientHi, final long clientLo, final long request)
    {
        lastReply = null;
        if (closed)
        {
            return Status.REFUSED;
        }
        final Client client = find(clientHi, clientLo);
        if (client == null)
        {
            return canAdmitClient() ? Status.FRESH : Status.REFUSED;
        }
        touch(client);
        final int slot = client.indexOf(request);
        if (slot >= 0)
        {
            if (!client.done[slot])
            {
                return Status.IN_FLIGHT;
            }
            if (isLive(client.completedAtNs[slot], nanoClock.getAsLong()))
            {
                lastReply = client.reply(slot);
                return Status.DONE;
            }
            return Status.FRESH; // expired: markInFlight reuses this slot
        }
        return hasSlotFor(client) ? Status.FRESH : Status.REFUSED;
    }

    /**
     * The reply of the last {@link #lookup} that said DONE; valid until the next call of any other
     * method of this table (the reply may be discarded by it), null if the last call was not such
     * a lookup. Does not transfer ownership: retain a reference-counted reply to keep it longer.
     *
     * @return the cached reply, or null
     */
    public R reply()
    {
        return lastReply;
    }

    /**
     * Claims (client, request) for execution: succeeds, and makes the entry IN_FLIGHT, iff
     * {@link #lookup} would have said FRESH at this instant. May evict a DONE entry of this client
     * or the least recently used idle client to make room (see the class comment).
     *
     * @param clientHi high 64 bits of the client id
     * @param clientLo low 64 bits of the client id
     * @param request  the request number (u64)
     * @return true if the caller now owns the execution of the request; false if it is IN_FLIGHT,
     *     DONE or REFUSED (or the table is closed)
     */
    public boolean markInFlight(final long clientHi, final long clientLo, final long request)
    {
        lastReply = null;
        if (closed)
        {
            return false;
        }
        Client client = find(clientHi, clientLo);
        if (client == null)
        {
            if (clientCount < maxClients)
            {
                client = newRecord();
            }
            else if (idle.tail != null)
            {
                client = evictForNewcomer();
            }
            else
            {
                return false;
            }
            client.reset(clientHi, clientLo, hash(clientHi, clientLo));
            insert(client);
            idle.addFirst(client); // claim moves it to busy
            client.used = 1;
            claim(client, 0, request);
            return true;
        }
        touch(client);
        final int slot = client.indexOf(request);
        if (slot >= 0)
        {
            if (!client.done[slot] || isLive(client.completedAtNs[slot], nanoClock.getAsLong()))
            {
                return false;
            }
            final R expired = client.reply(slot);
            claim(client, slot, request);
            onDiscard.accept(expired);
            return true;
        }
        if (client.used < capacityPerClient)
        {
            claim(client, client.used++, request);
            return true;
        }
        if (client.inFlight == client.used)
        {
            return false; // every slot IN_FLIGHT: evicting one would break at-most-once
        }
        final int victim = client.victimSlot(nanoClock.getAsLong(), ttlNs);
        final R evicted = client.reply(victim);
        claim(client, victim, request);
        onDiscard.accept(evicted);
        return true;
    }

    /**
     * Completes an IN_FLIGHT entry: it becomes DONE with {@code reply}, stamped now. If the entry
     * is not IN_FLIGHT (unknown client or request, evicted, already DONE, or the table is closed)
     * nothing changes and {@code reply} goes to {@code onDiscard} at once. Either way the table
     * owns {@code reply} from this call on.
     *
     * @param clientHi high 64 bits of the client id
     * @param clientLo low 64 bits of the client id
     * @param request  the request number (u64)
     * @param reply    the reply, not null
     * @return true if the entry became DONE; false if the reply was discarded
     * @throws NullPointerException if {@code reply} is null (the table is left unchanged)
     */
    public boolean complete(final long clientHi, final long clientLo, final long request, final R reply)
    {
        Objects.requireNonNull(reply, "reply");
        lastReply = null;
        if (!closed)
        {
            final Client client = find(clientHi, clientLo);
            if (client != null)
            {
                touch(client);
                final int slot = client.indexOf(request);
                if (slot >= 0 && !client.done[slot])
                {
                    client.done[slot] = true;
                    client.completedAtNs[slot] = nanoClock.getAsLong();
                    client.replies[slot] = reply;
                    if (--client.inFlight == 0)
                    {
                        busy.remove(client);
                        idle.addFirst(client);
                    }
                    return true;
                }
            }
        }
        onDiscard.accept(reply);
        return false;
    }

    /**
     * Drops every entry of a client, IN_FLIGHT ones included (a later {@link #complete} for them
     * discards its reply), and hands its replies to {@code onDiscard}. Use it when a client's
     * session ends.
     *
     * @param clientHi high 64 bits of the client id
     * @param clientLo low 64 bits of the client id
     * @return true if the client was held
     */
    public boolean evictClient(final long clientHi, final long clientLo)
    {
        lastReply = null;
        if (closed)
        {
            return false;
        }
        final Client client = find(clientHi, clientLo);
        if (client == null)
        {
            return false;
        }
        detach(client);
        discardReplies(client);
        client.next = freeRecords;
        freeRecords = client;
        return true;
    }

    /**
     * Drops every entry, hands every held reply to {@code onDiscard} and closes the table: after
     * it, {@link #lookup} says REFUSED, {@link #markInFlight} returns false and {@link #complete}
     * discards its reply. Idempotent.
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
        RuntimeException failure = null;
        for (final ClientList list : new ClientList[] {idle, busy})
        {
            Client client = list.head;
            list.head = null;
            list.tail = null;
            while (client != null)
            {
                final Client next = client.next;
                client.prev = null;
                client.next = null;
                try
                {
                    discardReplies(client);
                }
                catch (final RuntimeException ex)
                {
                    failure = addFailure(failure, ex);
                }
                client = next;
            }
        }
        Arrays.fill(table, null);
        clientCount = 0;
        freeRecords = null;
        if (failure != null)
        {
            throw failure;
        }
    }

    /**
     * The number of clients held.
     *
     * @return the number of clients held, at most {@code maxClients}
     */
    public int clientCount()
    {
        return clientCount;
    }

    /**
     * The entry slots per client.
     *
     * @return the entry slots per client
     */
    public int capacityPerClient()
    {
        return capacityPerClient;
    }

    /**
     * How long a DONE entry stays valid.
     *
     * @return the TTL of DONE entries in nanoseconds
     */
    public long ttlNs()
    {
        return ttlNs;
    }

    /**
     * The most clients held at once.
     *
     * @return the most clients held at once
     */
    public int maxClients()
    {
        return maxClients;
    }

    private boolean isLive(final long completedAtNs, final long nowNs)
    {
        return nowNs - completedAtNs < ttlNs; // difference, so a wrapping nanoTime works
    }

    private boolean canAdmitClient()
    {
        return clientCount < maxClients || idle.tail != null;
    }

    private boolean hasSlotFor(final Client client)
    {
        return client.used < capacityPerClient || client.inFlight < client.used;
    }

    /** Makes {@code slot} an IN_FLIGHT entry for {@code request}; the old reply is the caller's. */
    private void claim(final Client client, final int slot, final long request)
    {
        client.requests[slot] = request;
        client.done[slot] = false;
        client.completedAtNs[slot] = 0;
        client.replies[slot] = null;
        if (client.inFlight++ == 0)
        {
            idle.remove(client);
            busy.addFirst(client);
        }
    }

    private void touch(final Client client)
    {
        (client.inFlight > 0 ? busy : idle).moveToFront(client);
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
        return new Client(capacityPerClient);
    }

    /** Evicts the least recently used idle client and returns its record for reuse. */
    private Client evictForNewcomer()
    {
        final Client victim = idle.tail;
        detach(victim);
        discardReplies(victim);
        return victim;
    }

    /** Removes a client from the table and its LRU list; its replies are still in it. */
    private void detach(final Client client)
    {
        (client.inFlight > 0 ? busy : idle).remove(client);
        remove(client);
    }

    private void discardReplies(final Client client)
    {
        RuntimeException failure = null;
        for (int i = 0, used = client.used; i < used; i++)
        {
            if (client.done[i])
            {
                final R reply = client.reply(i);
                client.replies[i] = null;
                client.done[i] = false;
                try
                {
                    onDiscard.accept(reply);
                }
                catch (final RuntimeException ex)
                {
                    failure = addFailure(failure, ex);
                }
            }
        }
        client.used = 0;
        client.inFlight = 0;
        if (failure != null)
        {
            throw failure;
        }
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

    // ---- client table: open addressing on (hi, lo), linear probing, backward-shift deletion ----

    private static int hash(final long hi, final long lo)
    {
        return (int) mix(lo ^ mix(hi + 0x9E3779B97F4A7C15L));
    }

    /** The finalizer of MurmurHash3 (fmix64): every input bit affects every output bit. */
    private static long mix(final long value)
    {
        long h = value;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h;
    }

    private Client find(final long hi, final long lo)
    {
        final Client[] t = table;
        final int mask = t.length - 1;
        int i = hash(hi, lo) & mask;
        Client client;
        while ((client = t[i]) != null)
        {
            if (client.hi == hi && client.lo == lo)
            {
                return client;
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    private void insert(final Client client)
    {
        if ((clientCount + 1) * 2 > table.length)
        {
            rehash(table.length * 2);
        }
        put(table, client);
        clientCount++;
    }

    private static void put(final Client[] t, final Client client)
    {
        final int mask = t.length - 1;
        int i = client.hash & mask;
        while (t[i] != null)
        {
            i = (i + 1) & mask;
        }
        t[i] = client;
    }

    private void rehash(final int newLength)
    {
        final Client[] old = table;
        final Client[] t = new Client[newLength];
        for (final Client client : old)
        {
            if (client != null)
            {
                put(t, client);
            }
        }
        table = t;
    }

    private void remove(final Client client)
    {
        final Client[] t = table;
        final int mask = t.length - 1;
        int hole = client.hash & mask;
        while (t[hole] != client)
        {
            hole = (hole + 1) & mask;
        }
        t[hole] = null;
        clientCount--;
        // Backward shift: move later members of the probe run into the hole when their home slot
        // does not lie cyclically in (hole, i], so every remaining key stays reachable.
        int i = (hole + 1) & mask;
        Client next;
        while ((next = t[i]) != null)
        {
            final int home = next.hash & mask;
            final boolean homeInRange = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
            if (!homeInRange)
            {
                t[hole] = next;
                t[i] = null;
                hole = i;
            }
            i = (i + 1) & mask;
        }
    }

    /** One client's entries: slots [0, used) are taken, in no particular order. */
    private static final class Client
    {
        long hi;
        long lo;
        int hash;
        final long[] requests;
        final long[] completedAtNs;
        final boolean[] done;
        final Object[] replies;
        int used;
        int inFlight;
        Client prev;
        Client next;

        Client(final int capacity)
        {
            requests = new long[capacity];
            completedAtNs = new long[capacity];
            done = new boolean[capacity];
            replies = new Object[capacity];
        }

        void reset(final long hi, final long lo, final int hash)
        {
            this.hi = hi;
            this.lo = lo;
            this.hash = hash;
            used = 0;
            inFlight = 0;
            prev = null;
            next = null;
        }

        int indexOf(final long request)
        {
            final long[] r = requests;
            for (int i = 0, n = used; i < n; i++)
            {
                if (r[i] == request)
                {
                    return i;
                }
            }
            return -1;
        }

        @SuppressWarnings("unchecked")
        <R> R reply(final int slot)
        {
            return (R) replies[slot];
        }

        /** The DONE slot to reuse: the expired one with the lowest request, else the lowest live one. */
        int victimSlot(final long nowNs, final long ttlNs)
        {
            int expired = -1;
            int live = -1;
            for (int i = 0, n = used; i < n; i++)
            {
                if (!done[i])
                {
                    continue;
                }
                if (nowNs - completedAtNs[i] >= ttlNs)
                {
                    if (expired < 0 || Long.compareUnsigned(requests[i], requests[expired]) < 0)
                    {
                        expired = i;
                    }
                }
                else if (live < 0 || Long.compareUnsigned(requests[i], requests[live]) < 0)
                {
                    live = i;
                }
            }
            return expired >= 0 ? expired : live;
        }
    }

    /** A doubly linked list of clients, most recently used at the head. */
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
