package io.ringbus.core.dedup;

import io.ringbus.core.dedup.SessionBindings.Verdict;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The rules of {@link SessionBindings} (its class comment; issue 13, point 6). */
class SessionBindingsTest
{
    private static final long TTL = 1_000;
    private static final long A = 0xA;
    private static final long B = 0xB;
    private static final long C = 0xC;

    private final List<Long> ended = new ArrayList<>();
    private long now = 1;

    private SessionBindings table(final int maxSessions, final int perConnection)
    {
        return new SessionBindings(maxSessions, perConnection, TTL, (hi, lo) -> ended.add(lo));
    }

    private Verdict bind(final SessionBindings table, final long client, final long connection)
    {
        return table.bind(7, client, connection, 0, 0, now);
    }

    private Verdict bind(final SessionBindings table, final long client, final long connection, final long[] id)
    {
        return table.bind(7, client, connection, id[0], id[1], now);
    }

    @Test
    void theFirstConnectionOwnsTheSessionAndAnotherIsRefusedWhileItIsOpen()
    {
        final SessionBindings table = table(16, 4);
        assertEquals(Verdict.OWNER, bind(table, 1, A));
        assertEquals(Verdict.OWNER, bind(table, 1, A));
        assertEquals(Verdict.BOUND_ELSEWHERE, bind(table, 1, B));
        assertEquals(1, table.refusals());
        assertEquals(A, table.ownerOf(7, 1));
        assertEquals(Verdict.OWNER, bind(table, 2, B), "other sessions are unaffected");
    }

    @Test
    void aReleasedSessionWithoutIdentityIsReclaimedByTheFirstConnectionThatUsesIt()
    {
        final SessionBindings table = table(16, 4);
        bind(table, 1, A);
        assertEquals(1, table.release(A, now));
        assertEquals(1, table.releasedCount());
        now += TTL - 1;
        assertEquals(Verdict.OWNER, bind(table, 1, B), "any connection, before the TTL");
        assertEquals(1, table.reclaims());
        assertEquals(List.of(), ended, "reclaimed with its cache");
        assertEquals(Verdict.BOUND_ELSEWHERE, bind(table, 1, C), "and now B's");
        assertEquals(0, table.releasedCount());
    }

    @Test
    void aReleasedSessionPastItsTtlEndsAndStartsAfresh()
    {
        final SessionBindings table = table(16, 4);
        bind(table, 1, A);
        table.release(A, now);
        now += TTL;
        assertEquals(Verdict.OWNER, bind(table, 1, B));
        assertEquals(List.of(1L), ended, "its cache is dropped before B owns the id");
        assertEquals(0, table.reclaims());
    }

    @Test
    void anIdentitySessionMovesToANewConnectionOfTheSameIdentityOnly()
    {
        final SessionBindings table = table(16, 4);
        final long[] alice = SessionBindings.identityOf("CN=alice,O=Example");
        final long[] mallory = SessionBindings.identityOf("CN=mallory,O=Example");
        assertNotEquals(alice[0] + ":" + alice[1], mallory[0] + ":" + mallory[1]);
        assertArrayEquals(new long[] {0, 0}, SessionBindings.identityOf(null));
        assertArrayEquals(alice, SessionBindings.identityOf("CN=alice,O=Example"));

        assertEquals(Verdict.OWNER, bind(table, 1, A, alice));
        assertEquals(Verdict.BOUND_ELSEWHERE, bind(table, 1, B, mallory));
        assertEquals(Verdict.BOUND_ELSEWHERE, bind(table, 1, B));
        // Alice reconnects before her old connection's close is noticed: the session moves.
        assertEquals(Verdict.OWNER, bind(table, 1, C, alice));
        assertEquals(C, table.ownerOf(7, 1));
        assertEquals(0, table.release(A, now), "A no longer owns it");
        // Released: still Alice's until it ends.
        assertEquals(1, table.release(C, now));
        assertEquals(Verdict.BOUND_ELSEWHERE, bind(table, 1, B));
        assertEquals(Verdict.BOUND_ELSEWHERE, bind(table, 1, B, mallory));
        assertEquals(Verdict.OWNER, bind(table, 1, A, alice));
        assertEquals(1, table.reclaims());
        assertEquals(List.of(), ended);
    }

    @Test
    void anIdentitySessionEndsAtItsTtlAndThenAnyoneStartsAFreshOne()
    {
        final SessionBindings table = table(16, 4);
        final long[] alice = SessionBindings.identityOf("CN=alice");
        bind(table, 1, A, alice);
        table.release(A, now);
        now += TTL;
        assertEquals(Verdict.OWNER, bind(table, 1, B));
        assertEquals(List.of(1L), ended);
    }

    @Test
    void anUnauthenticatedSessionIsNotTakenOverByAnIdentityWhileItsConnectionIsOpen()
    {
        final SessionBindings table = table(16, 4);
        bind(table, 1, A);
        assertEquals(Verdict.BOUND_ELSEWHERE, bind(table, 1, B, SessionBindings.identityOf("CN=x")));
        table.release(A, now);
        assertEquals(Verdict.OWNER, bind(table, 1, B, SessionBindings.identityOf("CN=x")));
        table.release(B, now);
        assertEquals(Verdict.BOUND_ELSEWHERE, bind(table, 1, C), "now bound to CN=x");
    }

    @Test
    void aConnectionHoldsAtMostItsLimitOfSessions()
    {
        final SessionBindings table = table(16, 2);
        assertEquals(Verdict.OWNER, bind(table, 1, A));
        assertEquals(Verdict.OWNER, bind(table, 2, A));
        assertEquals(Verdict.FULL, bind(table, 3, A));
        assertEquals(1, table.limitRefusals());
        assertEquals(Verdict.OWNER, bind(table, 3, B));
        table.release(B, now);
        assertEquals(Verdict.FULL, bind(table, 3, A), "a reclaim counts against the limit too");
        assertFalse(table.isHeld(7, 4));
    }

    @Test
    void aFullTableEndsTheOldestReleasedSessionAndNeverABoundOne()
    {
        final SessionBindings table = table(3, 8);
        bind(table, 1, A);
        bind(table, 2, B);
        bind(table, 3, C);
        assertEquals(Verdict.FULL, bind(table, 4, A), "every session bound to an open connection");
        assertEquals(1, table.limitRefusals());
        table.release(B, now);
        now++;
        table.release(C, now);
        assertEquals(Verdict.OWNER, bind(table, 4, A));
        assertEquals(List.of(2L), ended, "the oldest released");
        assertEquals(1, table.evictions());
        assertEquals(3, table.sessionCount());
        now += TTL;
        assertEquals(Verdict.OWNER, bind(table, 5, A));
        assertEquals(List.of(2L, 3L), ended);
        assertEquals(1, table.evictions(), "an expired session ended is not an eviction");
        assertTrue(table.isHeld(7, 1));
    }

    /**
     * The request path allocates nothing: the owner's requests, and, once records exist, connections
     * that come and go, reclaim their sessions, and sessions that expire and start afresh.
     */
    @Test
    void steadyStateAllocatesNothing()
    {
        final ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean);
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)bean;
        assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        final long[] counter = new long[1];
        final SessionBindings table = new SessionBindings(64, 8, TTL, (hi, lo) -> counter[0]++);
        churn(table, 0, 20_000); // warm-up: records and map capacity
        final long tid = Thread.currentThread().getId();
        final long before = threads.getThreadAllocatedBytes(tid);
        churn(table, 20_000, 60_000);
        final long allocated = threads.getThreadAllocatedBytes(tid) - before;
        assertTrue(counter[0] > 0, "sessions expired and ended");
        // 40k connections and 400k binds: an object per call would be megabytes
        assertTrue(allocated < 4_096, "allocated " + allocated + " bytes");
    }

    private void churn(final SessionBindings table, final int from, final int to)
    {
        for (int c = from; c < to; c++)
        {
            final long connection = c + 1;
            for (int i = 0; i < 10; i++)
            {
                final long client = (c * 3L + (i & 1)) & 31;
                if (table.bind(7, client, connection, 0, 0, now) == Verdict.FULL)
                {
                    throw new AssertionError("full at " + c);
                }
            }
            table.release(connection, now);
            now += (c & 63) == 0 ? TTL : 1;
        }
    }

    @Test
    void rejectsBadLimits()
    {
        assertThrows(IllegalArgumentException.class, () -> table(0, 1));
        assertThrows(IllegalArgumentException.class, () -> table(SessionBindings.MAX_SESSIONS_LIMIT + 1, 1));
        assertThrows(IllegalArgumentException.class, () -> table(1, 0));
        assertThrows(IllegalArgumentException.class, () -> new SessionBindings(1, 1, 0, (hi, lo) -> { }));
    }

    /**
     * Many connections and ids at random against a plain model of the rules: the verdicts, the
     * ended sessions and the counts agree at every step, and the table stays within its bounds.
     */
    @Test
    void agreesWithAPlainModelOfTheRules()
    {
        final int maxSessions = 24;
        final int perConnection = 3;
        final SessionBindings table = table(maxSessions, perConnection);
        final Model model = new Model(maxSessions, perConnection);
        final Random random = new Random(13);
        final long[][] identities = {{0, 0}, SessionBindings.identityOf("CN=a"), SessionBindings.identityOf("CN=b")};
        final Map<Long, long[]> connectionIdentity = new HashMap<>();
        final Set<Long> open = new HashSet<>();
        long nextConnection = 1;
        for (int step = 0; step < 40_000; step++)
        {
            now += random.nextInt(40);
            if (open.isEmpty() || random.nextInt(8) == 0)
            {
                final long connection = nextConnection++;
                open.add(connection);
                connectionIdentity.put(connection, identities[random.nextInt(identities.length)]);
            }
            final Long[] conns = open.toArray(new Long[0]);
            final long connection = conns[random.nextInt(conns.length)];
            if (random.nextInt(10) == 0)
            {
                open.remove(connection);
                assertEquals(model.release(connection, now), table.release(connection, now), "release at " + step);
            }
            else
            {
                final long client = random.nextInt(40);
                final long[] id = connectionIdentity.get(connection);
                final Verdict expected = model.bind(client, connection, id, now);
                assertEquals(expected, table.bind(7, client, connection, id[0], id[1], now), "bind at " + step);
            }
            assertEquals(model.ended, ended, "ended at " + step);
            assertEquals(model.sessions.size(), table.sessionCount());
            assertTrue(table.sessionCount() <= maxSessions);
        }
        assertEquals(model.evictions, table.evictions());
        assertEquals(model.refusals, table.refusals());
        assertEquals(model.limitRefusals, table.limitRefusals());
        assertTrue(table.evictions() > 0 && table.refusals() > 0 && table.limitRefusals() > 0 && table.reclaims() > 0,
            "every path taken");
    }

    /** The rules, slowly and plainly. */
    private static final class Model
    {
        static final class Session
        {
            long connection;
            long[] identity;
            boolean released;
            long releasedAt;
            long releaseOrder;
            long linkOrder;
        }

        final int maxSessions;
        final int perConnection;
        final Map<Long, Session> sessions = new HashMap<>();
        final List<Long> ended = new ArrayList<>();
        long evictions;
        long refusals;
        long limitRefusals;
        long releases;
        long links;

        Model(final int maxSessions, final int perConnection)
        {
            this.maxSessions = maxSessions;
            this.perConnection = perConnection;
        }

        private static boolean has(final long[] id)
        {
            return id[0] != 0 || id[1] != 0;
        }

        private static boolean same(final long[] a, final long[] b)
        {
            return a[0] == b[0] && a[1] == b[1];
        }

        private long owned(final long connection)
        {
            return sessions.values().stream().filter(s -> !s.released && s.connection == connection).count();
        }

        private Map.Entry<Long, Session> oldestReleased()
        {
            Map.Entry<Long, Session> oldest = null;
            for (final Map.Entry<Long, Session> e : sessions.entrySet())
            {
                if (e.getValue().released && (oldest == null || e.getValue().releaseOrder < oldest.getValue().releaseOrder))
                {
                    oldest = e;
                }
            }
            return oldest;
        }

        Verdict bind(final long client, final long connection, final long[] id, final long now)
        {
            Session s = sessions.get(client);
            if (s != null && !s.released)
            {
                if (s.connection == connection)
                {
                    return Verdict.OWNER;
                }
                if (has(id) && same(id, s.identity))
                {
                    return move(s, connection, id);
                }
                refusals++;
                return Verdict.BOUND_ELSEWHERE;
            }
            for (int i = 0; i < SessionBindings.MAX_EXPIRIES_PER_CALL; i++)
            {
                final Map.Entry<Long, Session> oldest = oldestReleased();
                if (oldest == null || now - oldest.getValue().releasedAt < TTL)
                {
                    break;
                }
                sessions.remove(oldest.getKey());
                ended.add(oldest.getKey());
            }
            s = sessions.get(client);
            if (s != null)
            {
                if (has(s.identity) && !same(s.identity, id))
                {
                    refusals++;
                    return Verdict.BOUND_ELSEWHERE;
                }
                return move(s, connection, id);
            }
            if (owned(connection) >= perConnection)
            {
                limitRefusals++;
                return Verdict.FULL;
            }
            if (sessions.size() >= maxSessions)
            {
                final Map.Entry<Long, Session> oldest = oldestReleased();
                if (oldest == null)
                {
                    limitRefusals++;
                    return Verdict.FULL;
                }
                if (now - oldest.getValue().releasedAt < TTL)
                {
                    evictions++;
                }
                sessions.remove(oldest.getKey());
                ended.add(oldest.getKey());
            }
            s = new Session();
            s.connection = connection;
            s.identity = id;
            s.linkOrder = links++;
            sessions.put(client, s);
            return Verdict.OWNER;
        }

        private Verdict move(final Session s, final long connection, final long[] id)
        {
            if (owned(connection) >= perConnection)
            {
                limitRefusals++;
                return Verdict.FULL;
            }
            s.released = false;
            s.connection = connection;
            s.identity = id;
            s.linkOrder = links++;
            return Verdict.OWNER;
        }

        int release(final long connection, final long now)
        {
            // The table releases a connection's sessions most recently bound first.
            final List<Session> owned = new ArrayList<>(sessions.values());
            owned.sort((x, y) -> Long.compare(y.linkOrder, x.linkOrder));
            int count = 0;
            for (final Session s : owned)
            {
                if (!s.released && s.connection == connection)
                {
                    s.released = true;
                    s.releasedAt = now;
                    s.releaseOrder = releases++;
                    count++;
                }
            }
            return count;
        }
    }
}
