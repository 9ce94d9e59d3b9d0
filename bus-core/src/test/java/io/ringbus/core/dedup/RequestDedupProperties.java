package io.ringbus.core.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringbus.core.dedup.RequestDedup.Status;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** Model-based properties of {@link RequestDedup}: random operation sequences against {@link DedupModel}. */
class RequestDedupProperties
{

    /** A few clients, some equal in one half so that both halves must be compared. */
    private static final long[][] FEW_CLIENTS = {
        {0, 0}, {1, 0}, {0, 1}, {-1, -1}, {Long.MIN_VALUE, 7}, {7, Long.MIN_VALUE},
    };

    /** Request numbers, with some beyond Long.MAX_VALUE as unsigned values. */
    private static final long[] REQUESTS = {0, 1, 2, 3, 4, 5, 6, -1L, Long.MIN_VALUE, Long.MAX_VALUE};

    /** Many clients, to make the client table grow and delete with collisions in one half. */
    private static final long[][] MANY_CLIENTS = new long[48][];

    static
    {
        for (int i = 0; i < MANY_CLIENTS.length; i++)
        {
            MANY_CLIENTS[i] = new long[] {i >> 2, i & 3};
        }
    }

    /** EXECUTE is markInFlight then, if it succeeded, complete on the same key. */
    enum Kind { LOOKUP, MARK, COMPLETE, EXECUTE, EVICT, ADVANCE }

    /** One step; {@code client} and {@code request} index the pools, {@code advanceNs} is for ADVANCE. */
    record Op(Kind kind, int client, int request, long advanceNs)
    {
        @Override
        public String toString()
        {
            switch (kind)
            {
                case EVICT:
                    return "evict(c" + client + ")";
                case ADVANCE:
                    return "advance(" + advanceNs + ")";
                default:
                    return kind.name().toLowerCase() + "(c" + client + ", r" + request + ")";
            }
        }
    }

    @Property(tries = 1000)
    void fewClientsAgreeWithTheModel(
        @ForAll @IntRange(min = 1, max = 4) final int capacity,
        @ForAll @IntRange(min = 1, max = 4) final int maxClients,
        @ForAll @LongRange(min = 1, max = 40) final long ttlNs,
        @ForAll("fewClientOps") final List<Op> ops)
    {
        runAgainstModel(capacity, ttlNs, maxClients, FEW_CLIENTS, ops);
    }

    /** Small tables over three clients and three requests: eviction and refusal all the time. */
    @Property(tries = 1000)
    void crowdedTablesAgreeWithTheModel(
        @ForAll @IntRange(min = 1, max = 2) final int capacity,
        @ForAll @IntRange(min = 1, max = 2) final int maxClients,
        @ForAll @LongRange(min = 1, max = 40) final long ttlNs,
        @ForAll("crowdedOps") final List<Op> ops)
    {
        runAgainstModel(capacity, ttlNs, maxClients, FEW_CLIENTS, ops);
    }

    @Property(tries = 300)
    void manyClientsAgreeWithTheModel(
        @ForAll @IntRange(min = 1, max = 3) final int capacity,
        @ForAll @IntRange(min = 1, max = 40) final int maxClients,
        @ForAll @LongRange(min = 1, max = 200) final long ttlNs,
        @ForAll("manyClientOps") final List<Op> ops)
    {
        runAgainstModel(capacity, ttlNs, maxClients, MANY_CLIENTS, ops);
    }

    /**
     * Lookup and markInFlight agree: a lookup followed at once by markInFlight on the same key
     * says FRESH iff the claim succeeds; a successful claim reads back IN_FLIGHT; a successful
     * completion reads back DONE with that very reply.
     */
    @Property(tries = 1000)
    void lookupFreshIffMarkInFlightSucceeds(
        @ForAll @IntRange(min = 1, max = 4) final int capacity,
        @ForAll @IntRange(min = 1, max = 4) final int maxClients,
        @ForAll @LongRange(min = 1, max = 40) final long ttlNs,
        @ForAll("fewClientOps") final List<Op> ops)
    {
        final long[] clock = {0};
        final RequestDedup<Object> real = new RequestDedup<>(capacity, ttlNs, maxClients, () -> clock[0], r -> { });
        int nextReply = 0;
        for (final Op op : ops)
        {
            final long hi = FEW_CLIENTS[op.client()][0];
            final long lo = FEW_CLIENTS[op.client()][1];
            final long request = REQUESTS[op.request()];
            switch (op.kind())
            {
                case LOOKUP:
                case MARK:
                case EXECUTE:
                {
                    final Status before = real.lookup(hi, lo, request);
                    final boolean claimed = real.markInFlight(hi, lo, request);
                    assertEquals(before == Status.FRESH, claimed, () -> op + " after lookup " + before);
                    if (claimed)
                    {
                        assertEquals(Status.IN_FLIGHT, real.lookup(hi, lo, request));
                        if (op.kind() == Kind.EXECUTE)
                        {
                            final Object reply = nextReply++;
                            assertTrue(real.complete(hi, lo, request, reply));
                            assertEquals(Status.DONE, real.lookup(hi, lo, request));
                            assertSame(reply, real.reply());
                        }
                    }
                    else
                    {
                        assertEquals(before, real.lookup(hi, lo, request), "a failed claim changes nothing");
                    }
                    break;
                }
                case COMPLETE:
                {
                    final Object reply = nextReply++;
                    final Status before = real.lookup(hi, lo, request);
                    final boolean done = real.complete(hi, lo, request, reply);
                    assertEquals(before == Status.IN_FLIGHT, done, () -> op + " after lookup " + before);
                    if (done)
                    {
                        assertEquals(Status.DONE, real.lookup(hi, lo, request));
                        assertSame(reply, real.reply());
                    }
                    break;
                }
                case EVICT:
                    if (real.evictClient(hi, lo))
                    {
                        assertEquals(Status.FRESH, real.lookup(hi, lo, request), "an evicted client leaves room");
                    }
                    break;
                case ADVANCE:
                    clock[0] += op.advanceNs();
                    break;
                default:
                    throw new AssertionError(op);
            }
        }
    }

    @Provide
    Arbitrary<List<Op>> fewClientOps()
    {
        return ops(FEW_CLIENTS.length, REQUESTS.length, 25).list().ofMaxSize(300);
    }

    @Provide
    Arbitrary<List<Op>> crowdedOps()
    {
        return ops(3, 3, 25).list().ofMaxSize(100);
    }

    @Provide
    Arbitrary<List<Op>> manyClientOps()
    {
        return ops(MANY_CLIENTS.length, 6, 60).list().ofMaxSize(400);
    }

    private static Arbitrary<Op> ops(final int clients, final int requests, final long maxAdvanceNs)
    {
        final Arbitrary<Kind> kinds = Arbitraries.frequency(
            net.jqwik.api.Tuple.of(3, Kind.LOOKUP),
            net.jqwik.api.Tuple.of(4, Kind.MARK),
            net.jqwik.api.Tuple.of(4, Kind.COMPLETE),
            net.jqwik.api.Tuple.of(3, Kind.EXECUTE),
            net.jqwik.api.Tuple.of(1, Kind.EVICT),
            net.jqwik.api.Tuple.of(2, Kind.ADVANCE));
        return Combinators.combine(
                kinds,
                Arbitraries.integers().between(0, clients - 1),
                Arbitraries.integers().between(0, requests - 1),
                Arbitraries.longs().between(0, maxAdvanceNs))
            .as(Op::new);
    }

    private static void runAgainstModel(
        final int capacity, final long ttlNs, final int maxClients, final long[][] clients, final List<Op> ops)
    {
        final long[] clock = {1_000};
        final List<Object> realDiscarded = new ArrayList<>();
        final RequestDedup<Object> real =
            new RequestDedup<>(capacity, ttlNs, maxClients, () -> clock[0], realDiscarded::add);
        final DedupModel model = new DedupModel(capacity, ttlNs, maxClients);
        model.now = clock[0];
        final List<Object> handedOver = new ArrayList<>();
        final int requests = clients == FEW_CLIENTS ? REQUESTS.length : 6;
        int nextReply = 0;
        int step = 0;
        for (final Op op : ops)
        {
            final String where = "step " + step + ": " + op;
            final long hi = clients[op.client()][0];
            final long lo = clients[op.client()][1];
            final long request = requests == REQUESTS.length ? REQUESTS[op.request()] : op.request();
            switch (op.kind())
            {
                case LOOKUP:
                    assertEquals(model.lookup(hi, lo, request), real.lookup(hi, lo, request), where);
                    assertSame(model.reply(), real.reply(), where);
                    break;
                case MARK:
                    assertEquals(model.markInFlight(hi, lo, request), real.markInFlight(hi, lo, request), where);
                    break;
                case COMPLETE:
                {
                    final Object reply = nextReply++;
                    handedOver.add(reply);
                    assertEquals(model.complete(hi, lo, request, reply), real.complete(hi, lo, request, reply), where);
                    break;
                }
                case EXECUTE:
                {
                    final boolean claimed = real.markInFlight(hi, lo, request);
                    assertEquals(model.markInFlight(hi, lo, request), claimed, where);
                    if (claimed)
                    {
                        final Object reply = nextReply++;
                        handedOver.add(reply);
                        assertEquals(model.complete(hi, lo, request, reply), real.complete(hi, lo, request, reply), where);
                    }
                    break;
                }
                case EVICT:
                    assertEquals(model.evictClient(hi, lo), real.evictClient(hi, lo), where);
                    break;
                case ADVANCE:
                    clock[0] += op.advanceNs();
                    model.now = clock[0];
                    break;
                default:
                    throw new AssertionError(op);
            }
            assertEquals(model.clientCount(), real.clientCount(), where);
            assertEquals(sorted(model.discarded), sorted(realDiscarded), where + ": discarded replies");
            step++;
        }
        // every (client, request) of the pools reads the same in both
        for (final long[] client : clients)
        {
            for (int r = 0; r < requests; r++)
            {
                final long request = requests == REQUESTS.length ? REQUESTS[r] : r;
                assertEquals(model.lookup(client[0], client[1], request), real.lookup(client[0], client[1], request));
                assertSame(model.reply(), real.reply());
            }
        }
        model.close();
        real.close();
        final List<Object> discarded = sorted(realDiscarded);
        assertEquals(sorted(model.discarded), discarded, "discarded at close");
        assertEquals(sorted(handedOver), discarded, "every reply handed over is discarded exactly once");
        assertTrue(real.clientCount() == 0);
    }

    private static List<Object> sorted(final List<Object> replies)
    {
        final List<Object> copy = new ArrayList<>(replies);
        copy.sort(Comparator.comparingInt(r -> (Integer) r));
        return copy;
    }
}
