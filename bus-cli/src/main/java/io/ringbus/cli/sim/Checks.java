package io.ringbus.cli.sim;

import io.ringbus.sim.World;

import java.util.HashMap;
import java.util.Map;

/**
 * The invariants of a simulation run and the first violation found. Checks are called from the
 * actors (a client that got a reply, a node that got a request or a prepare) and from the run's
 * loop (connectivity after a heal, leaks at the end); a violation is recorded, never thrown into
 * the code under test (a handler's exception would be caught and logged there), and the run stops
 * after the tick in which it was found.
 *
 * <p>World thread only.
 */
final class Checks
{
    private final World world;
    private String violation;
    /**
     * Per request, per primary incarnation: {highest op a backup has seen, highest op seen when the
     * client got its reply (-1 before)}.
     */
    private final Map<ClientRequest, Map<Long, long[]>> ops = new HashMap<>();
    private final Map<ClientRequest, Boolean> acked = new HashMap<>();
    private long repliesChecked;
    private long requestsChecked;
    private long preparesChecked;

    Checks(final World world)
    {
        this.world = world;
    }

    /** Record a violation (the first one wins) named by what was broken and where. */
    void fail(final String invariant, final String detail)
    {
        if (violation == null)
        {
            violation = invariant + ": " + detail + " (t=" + virtualMs() + " ms, tick " + world.ticks() + ")";
        }
    }

    boolean failed()
    {
        return violation != null;
    }

    String violation()
    {
        return violation;
    }

    String virtualMs()
    {
        return String.valueOf(world.clock().nanoTime() / 1_000_000L);
    }

    // ---- per request, per reply, per prepare ----

    /** A node's handler saw a request that a client sent; its body must be the one the client built. */
    void requestSeen()
    {
        requestsChecked++;
    }

    /** A client received an OK reply to {@code request}: it is acknowledged. */
    void acknowledged(final long clientHi, final long clientLo, final long request)
    {
        repliesChecked++;
        final ClientRequest key = new ClientRequest(clientHi, clientLo, request);
        if (acked.put(key, Boolean.TRUE) == null)
        {
            noteOpsAtAck(key);
        }
    }

    boolean isAcknowledged(final long clientHi, final long clientLo, final long request)
    {
        return acked.containsKey(new ClientRequest(clientHi, clientLo, request));
    }

    /**
     * A backup received a prepare: primary {@code incarnation} gave {@code op} to the client's
     * request. Ops of one incarnation only grow, so a request prepared again after its client was
     * answered shows as an op above the highest seen at that answer: executed twice.
     */
    void prepareSeen(final int backup, final int primary, final long incarnation, final long op,
        final long clientHi, final long clientLo, final long request)
    {
        preparesChecked++;
        final long[] seen = ops.computeIfAbsent(new ClientRequest(clientHi, clientLo, request), k -> new HashMap<>())
            .computeIfAbsent(incarnation, k -> new long[] {0, -1});
        if (seen[1] >= 0 && op > seen[1])
        {
            fail("executed twice", "request " + request + " of client " + Long.toHexString(clientLo) +
                " was answered, then primary " + primary + " (incarnation " + Long.toHexString(incarnation) +
                ") prepared it again as op " + op + " (seen by backup " + backup + "; highest op before the reply: " +
                seen[1] + ")");
        }
        seen[0] = Math.max(seen[0], op);
    }

    /** Remember, at a reply, the highest op the request had under every incarnation seen so far. */
    private void noteOpsAtAck(final ClientRequest key)
    {
        final Map<Long, long[]> byIncarnation = ops.get(key);
        if (byIncarnation != null)
        {
            for (final long[] seen : byIncarnation.values())
            {
                if (seen[1] < 0)
                {
                    seen[1] = seen[0];
                }
            }
        }
    }

    long repliesChecked()
    {
        return repliesChecked;
    }

    long requestsChecked()
    {
        return requestsChecked;
    }

    long preparesChecked()
    {
        return preparesChecked;
    }

    private record ClientRequest(long clientHi, long clientLo, long request)
    {
    }
}
