package io.ringbus.core.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringbus.core.dedup.DedupModel.Reply;
import io.ringbus.core.dedup.RequestDedup.Status;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A model test of {@link RequestDedup}'s API ({@code claim}, {@code status}, {@code complete},
 * {@code abandon}, {@code evictClient}, {@code close}): seeded random operation sequences run
 * against the table and against {@link DedupModel}, a plain transcription of the documented rules,
 * and every answer, counter and discarded reply must agree after every step. Plain JUnit over a
 * {@link SplittableRandom} per seed; a failure names its seed, and
 * {@code -Ddedup.model.seed=N} reruns just that seed.
 */
class RequestDedupModelTest
{
    private static final boolean TRACE = Boolean.getBoolean("dedup.model.trace");
    private static final int SEEDS = Integer.getInteger("dedup.model.seeds", 3_000);

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

    enum Kind { STATUS, CLAIM, COMPLETE, EXECUTE, ABANDON, EVICT, ADVANCE }

    /** The operation mix: claims and completions most, evictions of whole clients rarely. */
    private static final Kind[] MIX = {
        Kind.STATUS, Kind.STATUS, Kind.CLAIM, Kind.CLAIM, Kind.CLAIM, Kind.CLAIM,
        Kind.COMPLETE, Kind.COMPLETE, Kind.COMPLETE, Kind.EXECUTE, Kind.EXECUTE, Kind.EXECUTE,
        Kind.ABANDON, Kind.ABANDON, Kind.EVICT, Kind.ADVANCE, Kind.ADVANCE,
    };

    @Test
    void randomOperationSequencesAgreeWithTheModel()
    {
        final Integer only = Integer.getInteger("dedup.model.seed");
        final int from = only != null ? only : 0;
        final int to = only != null ? only + 1 : SEEDS;
        for (int seed = from; seed < to; seed++)
        {
            try
            {
                runSeed(seed);
            }
            catch (final AssertionError | RuntimeException ex)
            {
                throw new AssertionError("seed " + seed + " (rerun: -Ddedup.model.seed=" + seed + "): " +
                    ex.getMessage(), ex);
            }
        }
    }

    /** One seed: a random table shape (crowded, few clients or many) and up to 400 operations. */
    private static void runSeed(final int seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final int shape = random.nextInt(3);
        final long[][] clients = shape == 2 ? MANY_CLIENTS : FEW_CLIENTS;
        final int clientPool = shape == 0 ? 3 : clients.length;
        final int requestPool = shape == 0 ? 3 : shape == 1 ? REQUESTS.length : 6;
        final int capacity = 1 + random.nextInt(shape == 0 ? 2 : 4);
        final int maxClients = 1 + random.nextInt(shape == 2 ? 40 : shape == 0 ? 2 : 4);
        final int maxEntries = 1 + random.nextInt(shape == 2 ? 60 : 10);
        final long maxBytes = random.nextInt(4) == 0 ? Long.MAX_VALUE : random.nextLong(0, 60);
        final long ttl = 1 + random.nextLong(shape == 2 ? 200 : 40);
        final long maxAdvance = shape == 2 ? 60 : 25;
        final int steps = random.nextInt(shape == 0 ? 100 : 400);

        final long[] clock = {1_000};
        final List<Reply> realDiscarded = new ArrayList<>();
        final RequestDedup<Reply> real = new RequestDedup<>(
            capacity, ttl, maxClients, maxEntries, maxBytes, () -> clock[0], realDiscarded::add, Reply::bytes);
        final DedupModel model = new DedupModel(capacity, ttl, maxClients, maxEntries, maxBytes);
        model.now = clock[0];
        final List<Reply> handedOver = new ArrayList<>();
        int nextReply = 0;
        for (int step = 0; step < steps; step++)
        {
            final Kind kind = MIX[random.nextInt(MIX.length)];
            final int clientIndex = random.nextInt(clientPool);
            final long hi = clients[clientIndex][0];
            final long lo = clients[clientIndex][1];
            final int requestIndex = random.nextInt(requestPool);
            final long request = requestPool == REQUESTS.length ? REQUESTS[requestIndex] : requestIndex;
            final String where = "step " + step + ": " + kind + "(c" + clientIndex + ", r" + requestIndex + ")";
            if (TRACE)
            {
                System.out.println(where + " clock " + clock[0] + " shape " + shape + " cap " + capacity +
                    " maxClients " + maxClients + " maxEntries " + maxEntries + " maxBytes " + maxBytes + " ttl " + ttl);
            }
            switch (kind)
            {
                case STATUS:
                    assertEquals(model.status(hi, lo, request), real.status(hi, lo, request), where);
                    assertSame(model.reply(), real.reply(), where);
                    break;
                case CLAIM:
                case EXECUTE:
                {
                    final Status predicted = real.status(hi, lo, request);
                    assertEquals(model.status(hi, lo, request), predicted, where + ": status");
                    // the clock read by the table, or a reading passed in: the same
                    final Status claimed = random.nextBoolean() ? real.claim(hi, lo, request) :
                        real.claim(hi, lo, request, clock[0]);
                    assertEquals(predicted, claimed, where + ": status() predicts claim()");
                    assertEquals(model.claim(hi, lo, request), claimed, where);
                    assertSame(model.reply(), real.reply(), where);
                    if (claimed == Status.FRESH)
                    {
                        if (kind == Kind.EXECUTE) // completed at once: the direct path of complete
                        {
                            final Reply reply = new Reply(nextReply++, random.nextLong(0, 20));
                            handedOver.add(reply);
                            assertEquals(model.complete(hi, lo, request, reply), random.nextBoolean() ?
                                real.complete(hi, lo, request, reply) :
                                real.complete(hi, lo, request, reply, clock[0]), where);
                        }
                        else if (random.nextBoolean()) // else a later complete may still be direct
                        {
                            assertEquals(Status.IN_FLIGHT, model.status(hi, lo, request), where + ": claimed");
                            assertEquals(Status.IN_FLIGHT, real.status(hi, lo, request), where + ": claimed");
                        }
                    }
                    break;
                }
                case COMPLETE:
                {
                    final Reply reply = new Reply(nextReply++, random.nextLong(0, 20));
                    handedOver.add(reply);
                    final boolean done = real.complete(hi, lo, request, reply);
                    assertEquals(model.complete(hi, lo, request, reply), done, where);
                    if (done)
                    {
                        assertEquals(Status.DONE, model.status(hi, lo, request), where);
                        assertEquals(Status.DONE, real.status(hi, lo, request), where);
                        assertSame(reply, real.reply(), where);
                    }
                    break;
                }
                case ABANDON:
                {
                    final boolean abandoned = real.abandon(hi, lo, request);
                    assertEquals(model.abandon(hi, lo, request), abandoned, where);
                    if (abandoned)
                    {
                        assertEquals(model.status(hi, lo, request), real.status(hi, lo, request), where);
                        assertTrue(model.status(hi, lo, request) != Status.IN_FLIGHT, where + ": abandoned");
                    }
                    break;
                }
                case EVICT:
                    assertEquals(model.evictClient(hi, lo), real.evictClient(hi, lo), where);
                    break;
                case ADVANCE:
                    clock[0] += random.nextLong(0, maxAdvance + 1);
                    model.now = clock[0];
                    break;
                default:
                    throw new AssertionError(kind);
            }
            assertEquals(model.clientCount(), real.clientCount(), where + ": clients");
            assertEquals(model.entryCount(), real.entryCount(), where + ": entries");
            assertEquals(model.replyBytes(), real.replyBytes(), where + ": reply bytes");
            assertEquals(model.evictions, real.evictions(), where + ": evictions");
            assertEquals(model.refusals, real.refusals(), where + ": refusals");
            assertTrue(real.clientCount() <= maxClients && real.entryCount() <= maxEntries &&
                real.replyBytes() <= maxBytes, where + ": within the limits");
            assertEquals(sorted(model.discarded), sorted(realDiscarded), where + ": discarded replies");
        }
        // every (client, request) of the pools reads the same in both
        for (int c = 0; c < clientPool; c++)
        {
            for (int r = 0; r < requestPool; r++)
            {
                final long request = requestPool == REQUESTS.length ? REQUESTS[r] : r;
                assertEquals(model.status(clients[c][0], clients[c][1], request),
                    real.status(clients[c][0], clients[c][1], request), "final c" + c + " r" + r);
                assertSame(model.reply(), real.reply());
            }
        }
        model.close();
        real.close();
        final List<Reply> discarded = sorted(realDiscarded);
        assertEquals(sorted(model.discarded), discarded, "discarded at close");
        assertEquals(sorted(handedOver), discarded, "every reply handed over is discarded exactly once");
        assertEquals(0, real.clientCount());
        assertEquals(0, real.entryCount());
    }

    private static List<Reply> sorted(final List<Reply> replies)
    {
        final List<Reply> copy = new ArrayList<>(replies);
        copy.sort(Comparator.comparingInt(Reply::id));
        return copy;
    }
}
