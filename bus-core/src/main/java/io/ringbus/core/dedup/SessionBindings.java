package io.ringbus.core.dedup;

import org.agrona.collections.Long2ObjectHashMap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;

/**
 * Who owns each client session: binds a {@code client} id (u128, the session id of the wire
 * format) to the connection that first used it, or to that connection's authenticated identity
 * (the subject of its client certificate) when it has one, so that a {@link RequestDedup} table
 * beside it answers a request, and returns a cached reply, only to the session that made it.
 *
 * <p><b>Threading.</b> Confined to the thread that owns the dedup table it guards; the counters
 * may be read by any thread (possibly stale). {@code onEnd} runs on that thread and must not call
 * back into this table.
 *
 * <p><b>Rules</b> of {@link #bind}, for a request of client id C on connection K with identity I
 * (zero when K has no authenticated identity):
 * <ul>
 *   <li>C is not held: it is bound to K (with I) and K owns it;</li>
 *   <li>C is bound to K: K owns it;</li>
 *   <li>C is bound to another open connection: with the same non-zero identity, the binding moves
 *       to K (a client that reconnected before the old connection's close was noticed); else
 *       {@link Verdict#BOUND_ELSEWHERE};</li>
 *   <li>C was released (its connection closed) less than {@code releasedTtlNs} ago: a binding
 *       that had an identity is reclaimed only by a connection with that identity (others get
 *       BOUND_ELSEWHERE); one without identity is reclaimed by the first connection that uses C.
 *       The reclaiming connection owns the session, its cached replies included;</li>
 *   <li>C was released longer ago: the session has ended ({@code onEnd} drops its cache) and C
 *       starts afresh as if not held.</li>
 * </ul>
 * Without identities the client id is therefore a bearer secret: while its connection is open
 * nobody else may use it; after its connection closed, the first connection to present it takes
 * the session. A client that picks its id at random (128 bits) keeps its session against anyone
 * who does not know the id; a stranger who learned it can race a reconnecting client after the
 * close, and then the client is refused (it learns so from {@link ReplyStatus#SESSION_BOUND}).
 * With client certificates the session stays with its identity until it ends.
 *
 * <p><b>Bounded memory.</b> At most {@code maxSessions} sessions (bound and released) and at most
 * {@code maxSessionsPerConnection} bound to one connection. A new session when {@code maxSessions}
 * are held ends the oldest released session (counted in {@link #evictions()} when it had not
 * expired); when every held session is bound to an open connection, or the connection already
 * holds its limit, the request gets {@link Verdict#FULL} (counted in {@link #limitRefusals()}).
 * A bound session is never dropped to make room: that would hand an open connection's session to
 * the next comer.
 *
 * <p><b>Sessions end together with their cache.</b> Whenever this table drops a session
 * (expired, evicted) it calls {@code onEnd}, and the caller drops the session's entries from its
 * {@link RequestDedup} ({@link RequestDedup#evictClient}), so a cached reply never outlives the
 * binding that guards it and a later owner of the id never sees an earlier owner's reply.
 *
 * <p><b>Cost.</b> Sessions are found in an open-addressing table keyed on both longs and
 * connections in an Agrona {@link Long2ObjectHashMap} (no boxing); records are reused. The
 * common call (C bound to K) is one lookup and allocates nothing; releasing a connection costs one
 * step per session it held, and expiry at most {@link #MAX_EXPIRIES_PER_CALL} per call.
 */
public final class SessionBindings implements AutoCloseable
{
    /** The default number of sessions held at once. */
    public static final int DEFAULT_MAX_SESSIONS = 65_536;

    /** The default number of sessions one connection may hold bound at once. */
    public static final int DEFAULT_MAX_SESSIONS_PER_CONNECTION = 64;

    /** The largest accepted {@code maxSessions}; keeps the table's size an int. */
    public static final int MAX_SESSIONS_LIMIT = 1 << 28;

    /** Released sessions past their TTL dropped by one call at most (the rest by later calls). */
    public static final int MAX_EXPIRIES_PER_CALL = 16;

    private static final int INITIAL_TABLE_LENGTH = 16;

    private static final VarHandle EVICTIONS;
    private static final VarHandle REFUSALS;
    private static final VarHandle LIMIT_REFUSALS;
    private static final VarHandle RECLAIMS;
    private static final VarHandle SESSION_COUNT;
    private static final VarHandle RELEASED_COUNT;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            EVICTIONS = lookup.findVarHandle(SessionBindings.class, "evictions", long.class);
            REFUSALS = lookup.findVarHandle(SessionBindings.class, "refusals", long.class);
            LIMIT_REFUSALS = lookup.findVarHandle(SessionBindings.class, "limitRefusals", long.class);
            RECLAIMS = lookup.findVarHandle(SessionBindings.class, "reclaims", long.class);
            SESSION_COUNT = lookup.findVarHandle(SessionBindings.class, "sessionCount", int.class);
            RELEASED_COUNT = lookup.findVarHandle(SessionBindings.class, "releasedCount", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** The answer of {@link #bind}. */
    public enum Verdict
    {
        /** The connection owns the session: go on (dedup, execution). */
        OWNER,
        /** The session belongs to another connection or identity: refuse with {@link ReplyStatus#SESSION_BOUND}. */
        BOUND_ELSEWHERE,
        /** No room for another session now: refuse with {@link ReplyStatus#SESSION_LIMIT}. */
        FULL
    }

    /** Told when a session ends, to drop what the caller keeps for it. Owning thread. */
    @FunctionalInterface
    public interface SessionEnd
    {
        /**
         * The session of client id (hi, lo) ended: drop its cached replies.
         *
         * @param clientHi high 64 bits of the client id
         * @param clientLo low 64 bits of the client id
         */
        void ended(long clientHi, long clientLo);
    }

    private final int maxSessions;
    private final int maxSessionsPerConnection;
    private final long releasedTtlNs;
    private final SessionEnd onEnd;

    /** Open-addressing (linear probing) table of sessions; length a power of two, load <= 1/2. */
    private Session[] table = new Session[INITIAL_TABLE_LENGTH];
    /** Connections that own at least one session, by connection id. */
    private final Long2ObjectHashMap<Owner> owners = new Long2ObjectHashMap<>();
    /** Released sessions, oldest release first (linked through Session.prev/next). */
    private Session releasedHead;
    private Session releasedTail;
    private Session freeSessions;
    private Owner freeOwners;
    private boolean closed;

    // ---- read by other threads (opaque): written only through the VarHandles ----
    private long evictions;
    private long refusals;
    private long limitRefusals;
    private long reclaims;
    private int sessionCount;
    private int releasedCount;

    /**
     * Creates a table.
     *
     * @param maxSessions              sessions held at once, bound and released,
     *                                 1..{@link #MAX_SESSIONS_LIMIT} (default {@link #DEFAULT_MAX_SESSIONS})
     * @param maxSessionsPerConnection sessions one connection may hold bound, at least 1 (default
     *                                 {@link #DEFAULT_MAX_SESSIONS_PER_CONNECTION})
     * @param releasedTtlNs            how long a released session may be reclaimed, in nanoseconds,
     *                                 at least 1: the dedup TTL, so it covers the cached replies
     * @param onEnd                    told of every session the table drops
     * @throws IllegalArgumentException naming the parameter when a number is out of range
     */
    public SessionBindings(final int maxSessions, final int maxSessionsPerConnection, final long releasedTtlNs,
        final SessionEnd onEnd)
    {
        if (maxSessions < 1 || maxSessions > MAX_SESSIONS_LIMIT)
        {
            throw new IllegalArgumentException("maxSessions must be in 1.." + MAX_SESSIONS_LIMIT + ": " + maxSessions);
        }
        if (maxSessionsPerConnection < 1)
        {
            throw new IllegalArgumentException("maxSessionsPerConnection must be >= 1: " + maxSessionsPerConnection);
        }
        if (releasedTtlNs < 1)
        {
            throw new IllegalArgumentException("releasedTtlNs must be >= 1: " + releasedTtlNs);
        }
        this.maxSessions = maxSessions;
        this.maxSessionsPerConnection = maxSessionsPerConnection;
        this.releasedTtlNs = releasedTtlNs;
        this.onEnd = Objects.requireNonNull(onEnd, "onEnd");
    }

    /**
     * The 128-bit identity of an authenticated peer: the first 16 bytes of SHA-256 over the UTF-8
     * of its certificate subject (RFC 2253), as {hi, lo}; {0, 0} for null (no identity). Allocates:
     * call it once per connection and keep the result.
     *
     * @param subject the peer's certificate subject, or null
     * @return {hi, lo}, never both zero for a non-null subject
     */
    public static long[] identityOf(final String subject)
    {
        if (subject == null)
        {
            return new long[] {0, 0};
        }
        final byte[] digest;
        try
        {
            digest = MessageDigest.getInstance("SHA-256").digest(subject.getBytes(StandardCharsets.UTF_8));
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("SHA-256 is required of every Java platform", ex);
        }
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < Long.BYTES; i++)
        {
            hi = (hi << 8) | (digest[i] & 0xFF);
            lo = (lo << 8) | (digest[Long.BYTES + i] & 0xFF);
        }
        if (hi == 0 && lo == 0)
        {
            lo = 1; // (0, 0) means "no identity"; a digest of zeros is as likely as a collision
        }
        return new long[] {hi, lo};
    }

    /**
     * Decides whether connection {@code connectionId} (with identity (identityHi, identityLo),
     * zero for none) may use the session of client id (clientHi, clientLo), binding or reclaiming
     * it when it may (see the class comment). Also drops a few released sessions past their TTL.
     *
     * @param clientHi     high 64 bits of the client id
     * @param clientLo     low 64 bits of the client id
     * @param connectionId the connection the request came on
     * @param identityHi   high 64 bits of the connection's identity ({@link #identityOf}), or 0
     * @param identityLo   low 64 bits of the connection's identity, or 0
     * @param nowNs        now; readings must not go back in time
     * @return OWNER (go on), BOUND_ELSEWHERE or FULL (refuse; nothing changed but expiry)
     */
    public Verdict bind(final long clientHi, final long clientLo, final long connectionId, final long identityHi,
        final long identityLo, final long nowNs)
    {
        if (closed)
        {
            return Verdict.FULL;
        }
        Session session = find(clientHi, clientLo);
        if (session != null && !session.released)
        {
            if (session.connectionId == connectionId)
            {
                return Verdict.OWNER;
            }
            if ((identityHi | identityLo) != 0 && session.identityHi == identityHi && session.identityLo == identityLo)
            {
                return moveTo(session, connectionId, identityHi, identityLo);
            }
            REFUSALS.setOpaque(this, refusals + 1);
            return Verdict.BOUND_ELSEWHERE;
        }
        expire(nowNs);
        session = find(clientHi, clientLo); // expiry may have ended it
        if (session != null)
        {
            if ((session.identityHi | session.identityLo) != 0 &&
                (session.identityHi != identityHi || session.identityLo != identityLo))
            {
                REFUSALS.setOpaque(this, refusals + 1);
                return Verdict.BOUND_ELSEWHERE;
            }
            final Verdict verdict = moveTo(session, connectionId, identityHi, identityLo);
            if (verdict == Verdict.OWNER)
            {
                RECLAIMS.setOpaque(this, reclaims + 1);
            }
            return verdict;
        }
        final Owner owner = owners.get(connectionId);
        if (owner != null && owner.count >= maxSessionsPerConnection)
        {
            LIMIT_REFUSALS.setOpaque(this, limitRefusals + 1);
            return Verdict.FULL;
        }
        if (sessionCount >= maxSessions)
        {
            if (releasedHead == null)
            {
                LIMIT_REFUSALS.setOpaque(this, limitRefusals + 1);
                return Verdict.FULL; // every session bound to an open connection
            }
            if (nowNs - releasedHead.releasedAtNs < releasedTtlNs)
            {
                EVICTIONS.setOpaque(this, evictions + 1); // a live session ended early; an expired one had no value left
            }
            end(releasedHead);
        }
        session = newSession();
        session.reset(clientHi, clientLo, Mix.clientIdHash(clientHi, clientLo));
        session.identityHi = identityHi;
        session.identityLo = identityLo;
        insert(session);
        link(owner != null ? owner : newOwner(connectionId), session);
        return Verdict.OWNER;
    }

    /**
     * The connection closed: every session it owned is released, to be reclaimed within
     * {@code releasedTtlNs} (see the class comment) and ended after it.
     *
     * @param connectionId the closed connection
     * @param nowNs        now; readings must not go back in time
     * @return the number of sessions released
     */
    public int release(final long connectionId, final long nowNs)
    {
        final Owner owner = closed ? null : owners.remove(connectionId);
        if (owner == null)
        {
            return 0;
        }
        int released = 0;
        for (Session session = owner.head; session != null; )
        {
            final Session next = session.next;
            session.released = true;
            session.releasedAtNs = nowNs;
            session.connectionId = 0;
            appendReleased(session);
            released++;
            session = next;
        }
        owner.head = null;
        owner.count = 0;
        owner.next = freeOwners;
        freeOwners = owner;
        return released;
    }

    /**
     * Whether the session of client id (hi, lo) is held (bound or released).
     *
     * @param clientHi high 64 bits of the client id
     * @param clientLo low 64 bits of the client id
     * @return true if held
     */
    public boolean isHeld(final long clientHi, final long clientLo)
    {
        return !closed && find(clientHi, clientLo) != null;
    }

    /**
     * The connection the session of client id (hi, lo) is bound to, or 0 when it is not held or
     * released.
     *
     * @param clientHi high 64 bits of the client id
     * @param clientLo low 64 bits of the client id
     * @return the owning connection id, or 0
     */
    public long ownerOf(final long clientHi, final long clientLo)
    {
        final Session session = closed ? null : find(clientHi, clientLo);
        return session == null || session.released ? 0 : session.connectionId;
    }

    /** Forgets every session without calling {@code onEnd} (the caller closes its cache too). Idempotent. */
    @Override
    public void close()
    {
        closed = true;
        Arrays.fill(table, null);
        owners.clear();
        releasedHead = releasedTail = null;
        freeSessions = null;
        freeOwners = null;
        SESSION_COUNT.setOpaque(this, 0);
        RELEASED_COUNT.setOpaque(this, 0);
    }

    /** Released sessions ended before their TTL to make room for a new one. Any thread. */
    public long evictions()
    {
        return (long)EVICTIONS.getOpaque(this);
    }

    /** Requests refused because their session belongs to another connection or identity. Any thread. */
    public long refusals()
    {
        return (long)REFUSALS.getOpaque(this);
    }

    /** Requests refused because no session could be made room for. Any thread. */
    public long limitRefusals()
    {
        return (long)LIMIT_REFUSALS.getOpaque(this);
    }

    /** Released sessions taken by a new connection. Any thread. */
    public long reclaims()
    {
        return (long)RECLAIMS.getOpaque(this);
    }

    /** Sessions held, bound and released. Any thread. */
    public int sessionCount()
    {
        return (int)SESSION_COUNT.getOpaque(this);
    }

    /** Released sessions held (reclaimable). Any thread. */
    public int releasedCount()
    {
        return (int)RELEASED_COUNT.getOpaque(this);
    }

    /** @return the most sessions held at once */
    public int maxSessions()
    {
        return maxSessions;
    }

    /** @return the most sessions one connection may hold bound */
    public int maxSessionsPerConnection()
    {
        return maxSessionsPerConnection;
    }

    // ---------------------------------------------------------------------------------------------

    /** Binds a held session (bound elsewhere with the same identity, or released) to connectionId. */
    private Verdict moveTo(final Session session, final long connectionId, final long identityHi,
        final long identityLo)
    {
        Owner owner = owners.get(connectionId);
        if (owner != null && owner.count >= maxSessionsPerConnection)
        {
            LIMIT_REFUSALS.setOpaque(this, limitRefusals + 1);
            return Verdict.FULL;
        }
        if (session.released)
        {
            unlinkReleased(session);
            session.released = false;
        }
        else
        {
            unlink(owners.get(session.connectionId), session);
        }
        if (owner == null)
        {
            owner = newOwner(connectionId);
        }
        session.identityHi = identityHi;
        session.identityLo = identityLo;
        link(owner, session);
        return Verdict.OWNER;
    }

    /** Ends released sessions past their TTL, oldest first, at most MAX_EXPIRIES_PER_CALL. */
    private void expire(final long nowNs)
    {
        for (int i = 0; i < MAX_EXPIRIES_PER_CALL; i++)
        {
            final Session oldest = releasedHead;
            if (oldest == null || nowNs - oldest.releasedAtNs < releasedTtlNs) // a difference: nanoTime may wrap
            {
                return;
            }
            end(oldest);
        }
    }

    /** Drops a released session and tells onEnd, after this table is consistent again. */
    private void end(final Session session)
    {
        unlinkReleased(session);
        remove(session);
        final long hi = session.hi;
        final long lo = session.lo;
        session.next = freeSessions;
        freeSessions = session;
        onEnd.ended(hi, lo);
    }

    private Owner newOwner(final long connectionId)
    {
        Owner owner = freeOwners;
        if (owner != null)
        {
            freeOwners = owner.next;
            owner.next = null;
        }
        else
        {
            owner = new Owner();
        }
        owner.connectionId = connectionId;
        owners.put(connectionId, owner);
        return owner;
    }

    private Session newSession()
    {
        final Session free = freeSessions;
        if (free != null)
        {
            freeSessions = free.next;
            return free;
        }
        return new Session();
    }

    private static void link(final Owner owner, final Session session)
    {
        session.connectionId = owner.connectionId;
        session.prev = null;
        session.next = owner.head;
        if (owner.head != null)
        {
            owner.head.prev = session;
        }
        owner.head = session;
        owner.count++;
    }

    private void unlink(final Owner owner, final Session session)
    {
        if (session.prev != null)
        {
            session.prev.next = session.next;
        }
        else
        {
            owner.head = session.next;
        }
        if (session.next != null)
        {
            session.next.prev = session.prev;
        }
        session.prev = null;
        session.next = null;
        if (--owner.count == 0)
        {
            owners.remove(owner.connectionId);
            owner.next = freeOwners;
            freeOwners = owner;
        }
    }

    private void appendReleased(final Session session)
    {
        session.prev = releasedTail;
        session.next = null;
        if (releasedTail != null)
        {
            releasedTail.next = session;
        }
        else
        {
            releasedHead = session;
        }
        releasedTail = session;
        RELEASED_COUNT.setOpaque(this, releasedCount + 1);
    }

    private void unlinkReleased(final Session session)
    {
        if (session.prev != null)
        {
            session.prev.next = session.next;
        }
        else
        {
            releasedHead = session.next;
        }
        if (session.next != null)
        {
            session.next.prev = session.prev;
        }
        else
        {
            releasedTail = session.prev;
        }
        session.prev = null;
        session.next = null;
        RELEASED_COUNT.setOpaque(this, releasedCount - 1);
    }

    // ---- session table: open addressing on (hi, lo), linear probing, backward-shift deletion ----

    private Session find(final long hi, final long lo)
    {
        return ClientIdTable.find(table, hi, lo);
    }

    private void insert(final Session session)
    {
        table = ClientIdTable.insert(table, sessionCount, session);
        SESSION_COUNT.setOpaque(this, sessionCount + 1);
    }

    private void remove(final Session session)
    {
        ClientIdTable.remove(table, session);
        SESSION_COUNT.setOpaque(this, sessionCount - 1);
    }

    /** One session: its client id, its identity, and its owner or its release time. */
    private static final class Session extends ClientIdTable.Key
    {
        long identityHi;
        long identityLo;
        /** The owning connection while bound; 0 once released. */
        long connectionId;
        boolean released;
        long releasedAtNs;
        /** Links of the owner's list while bound, of the released list once released, of the free list. */
        Session prev;
        Session next;

        void reset(final long hi, final long lo, final int hash)
        {
            this.hi = hi;
            this.lo = lo;
            this.hash = hash;
            identityHi = 0;
            identityLo = 0;
            connectionId = 0;
            released = false;
            releasedAtNs = 0;
            prev = null;
            next = null;
        }
    }

    /** One connection that owns sessions: their list and count. */
    private static final class Owner
    {
        long connectionId;
        int count;
        Session head;
        Owner next;
    }
}
