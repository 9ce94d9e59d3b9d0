package io.ringbus.core.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ringbus.core.dedup.RequestDedup.Status;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestDedupTest
{

    private static final long TTL = 1_000;
    private static final long A_HI = 0x0123_4567_89AB_CDEFL;
    private static final long A_LO = 1;
    private static final long B_HI = 0x0123_4567_89AB_CDEFL;
    private static final long B_LO = 2;
    private static final long C_HI = 7;
    private static final long C_LO = 1;

    private long now = 1_000_000;
    private final List<Object> discarded = new ArrayList<>();
    private long discardCount;

    private RequestDedup<Object> dedup(final int capacity, final int maxClients)
    {
        return new RequestDedup<>(capacity, TTL, maxClients, () -> now, discarded::add);
    }

    private static String reply(final long request)
    {
        return "reply-" + request;
    }

    /** Claims and completes a request of client A. */
    private static void execute(final RequestDedup<Object> d, final long hi, final long lo, final long request)
    {
        assertEquals(Status.FRESH, d.claim(hi, lo, request), "claim " + request);
        assertTrue(d.complete(hi, lo, request, reply(request)), "complete " + request);
    }

    @Test
    void freshThenInFlightThenDone()
    {
        final RequestDedup<Object> d = dedup(4, 4);
        assertEquals(Status.FRESH, d.status(A_HI, A_LO, 1));
        assertNull(d.reply());
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 1));
        assertEquals(Status.IN_FLIGHT, d.status(A_HI, A_LO, 1));
        assertEquals(Status.IN_FLIGHT, d.claim(A_HI, A_LO, 1), "a retry must not claim an IN_FLIGHT request");
        final Object reply = reply(1);
        assertTrue(d.complete(A_HI, A_LO, 1, reply));
        assertEquals(Status.DONE, d.status(A_HI, A_LO, 1));
        assertSame(reply, d.reply());
        assertSame(reply, d.reply(), "reply() is an accessor");
        assertEquals(Status.DONE, d.claim(A_HI, A_LO, 1), "a DONE request is not claimed again");
        assertSame(reply, d.reply(), "claim answers DONE with the cached reply");
        assertTrue(d.abandon(A_HI, A_LO, 2) == false);
        assertNull(d.reply(), "reply() is only valid until the next call");
        assertEquals(Status.FRESH, d.status(A_HI, A_LO, 2));
        assertNull(d.reply());
        assertEquals(List.of(), discarded);
        assertEquals(1, d.clientCount());
    }

    @Test
    void doneEntryExpiresAfterTtlAndIsReplaced()
    {
        final RequestDedup<Object> d = dedup(4, 4);
        final Object first = reply(1);
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 1));
        now += 5 * TTL; // time in flight does not count
        assertTrue(d.complete(A_HI, A_LO, 1, first));
        now += TTL - 1;
        assertEquals(Status.DONE, d.status(A_HI, A_LO, 1));
        assertEquals(Status.DONE, d.claim(A_HI, A_LO, 1));
        now += 1;
        assertEquals(Status.FRESH, d.status(A_HI, A_LO, 1), "expired at completedAt + ttl");
        assertNull(d.reply());
        assertEquals(List.of(), discarded, "lookup changes no entry");
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 1));
        assertEquals(List.of(first), discarded, "expired-and-replaced reply is discarded");
        assertEquals(Status.IN_FLIGHT, d.status(A_HI, A_LO, 1));
        final Object second = "second";
        assertTrue(d.complete(A_HI, A_LO, 1, second));
        assertEquals(Status.DONE, d.status(A_HI, A_LO, 1));
        assertSame(second, d.reply());
    }

    @Test
    void wrappingClockStillExpires()
    {
        now = Long.MAX_VALUE - 10;
        final RequestDedup<Object> d = dedup(4, 4);
        execute(d, A_HI, A_LO, 1);
        now += TTL - 1; // wraps past Long.MAX_VALUE
        assertEquals(Status.DONE, d.status(A_HI, A_LO, 1));
        now += 1;
        assertEquals(Status.FRESH, d.status(A_HI, A_LO, 1));
    }

    @Test
    void fullClientReplacesItsOldestCompletionFirstAndCountsIt()
    {
        final RequestDedup<Object> d = dedup(3, 4);
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 10));
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 11));
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 12));
        // completed out of order: the victim is the oldest completion, not the lowest request
        assertTrue(d.complete(A_HI, A_LO, 11, reply(11)));
        now++;
        assertTrue(d.complete(A_HI, A_LO, 12, reply(12)));
        now++;
        assertTrue(d.complete(A_HI, A_LO, 10, reply(10)));

        assertEquals(Status.FRESH, d.status(A_HI, A_LO, 13));
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 13));
        assertEquals(List.of(reply(11)), discarded);
        assertEquals(1, d.evictions(), "a live reply dropped for room is an eviction");
        assertEquals(Status.FRESH, d.status(A_HI, A_LO, 11));
        assertEquals(Status.DONE, d.status(A_HI, A_LO, 10));
        assertEquals(Status.DONE, d.status(A_HI, A_LO, 12));
        assertEquals(Status.IN_FLIGHT, d.status(A_HI, A_LO, 13));

        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 14));
        assertEquals(List.of(reply(11), reply(12)), discarded);
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 15));
        assertEquals(List.of(reply(11), reply(12), reply(10)), discarded);
        assertEquals(3, d.evictions());
        // now 13, 14, 15 are all IN_FLIGHT
        assertEquals(Status.REFUSED, d.status(A_HI, A_LO, 16));
        assertEquals(0, d.refusals(), "status() changes no counter");
        assertEquals(Status.REFUSED, d.claim(A_HI, A_LO, 16));
        assertEquals(1, d.refusals());
        assertEquals(3, d.entryCount());
    }

    @Test
    void expiredEntryIsEvictedBeforeLiveOnes()
    {
        final RequestDedup<Object> d = dedup(3, 4);
        execute(d, A_HI, A_LO, 1);
        execute(d, A_HI, A_LO, 2);
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 3));
        now += TTL / 2;
        assertTrue(d.complete(A_HI, A_LO, 3, reply(3)));
        now += TTL / 2; // 1 and 2 expired, 3 live
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 4));
        assertEquals(List.of(reply(1)), discarded, "lowest expired first");
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 5));
        assertEquals(List.of(reply(1), reply(2)), discarded, "then the next expired");
        assertEquals(Status.DONE, d.status(A_HI, A_LO, 3));
    }

    @Test
    void expiredEntryIsEvictedBeforeALowerLiveOne()
    {
        final RequestDedup<Object> d = dedup(2, 4);
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 1));
        execute(d, A_HI, A_LO, 2);
        now += TTL - 1;
        assertTrue(d.complete(A_HI, A_LO, 1, reply(1)));
        now += 1; // 2 expired, 1 live
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 3));
        assertEquals(List.of(reply(2)), discarded);
        assertEquals(Status.DONE, d.status(A_HI, A_LO, 1));
    }

    @Test
    void extremeRequestNumbersAreDistinctKeys()
    {
        final RequestDedup<Object> d = dedup(3, 4);
        execute(d, A_HI, A_LO, -1L); // 2^64 - 1 as u64
        execute(d, A_HI, A_LO, Long.MAX_VALUE);
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, Long.MIN_VALUE));
        assertEquals(Status.DONE, d.status(A_HI, A_LO, -1L));
        assertEquals(reply(-1L), d.reply());
        assertEquals(Status.DONE, d.status(A_HI, A_LO, Long.MAX_VALUE));
        assertEquals(reply(Long.MAX_VALUE), d.reply());
        assertEquals(List.of(), discarded);
    }

    @Test
    void refusedWhenEveryEntryOfTheClientIsInFlight()
    {
        final RequestDedup<Object> d = dedup(2, 4);
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 1));
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 2));
        assertEquals(Status.REFUSED, d.status(A_HI, A_LO, 3));
        assertEquals(Status.REFUSED, d.claim(A_HI, A_LO, 3));
        // nothing was evicted: both first executions are still protected
        assertEquals(Status.IN_FLIGHT, d.status(A_HI, A_LO, 1));
        assertEquals(Status.IN_FLIGHT, d.status(A_HI, A_LO, 2));
        assertEquals(Status.IN_FLIGHT, d.claim(A_HI, A_LO, 1));
        // other clients are not affected
        assertEquals(Status.FRESH, d.status(B_HI, B_LO, 3));

        assertTrue(d.complete(A_HI, A_LO, 1, reply(1)));
        assertEquals(Status.FRESH, d.status(A_HI, A_LO, 3));
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 3));
        assertEquals(List.of(reply(1)), discarded);
        assertEquals(Status.IN_FLIGHT, d.status(A_HI, A_LO, 2));
    }

    @Test
    void completeOfAnEntryThatIsNotInFlightDiscardsTheReply()
    {
        final RequestDedup<Object> d = dedup(1, 4);
        final Object stray = "stray";
        assertFalse(d.complete(A_HI, A_LO, 1, stray), "unknown client");
        assertEquals(List.of(stray), discarded);
        assertEquals(0, d.clientCount(), "complete does not create a client");

        final Object first = reply(1);
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 1));
        final Object unknownRequest = "unknown request";
        assertFalse(d.complete(A_HI, A_LO, 2, unknownRequest));
        assertEquals(Status.IN_FLIGHT, d.status(A_HI, A_LO, 1));
        assertTrue(d.complete(A_HI, A_LO, 1, first));

        final Object again = "again";
        assertFalse(d.complete(A_HI, A_LO, 1, again), "already DONE");
        assertEquals(Status.DONE, d.status(A_HI, A_LO, 1));
        assertSame(first, d.reply(), "the first reply stays");

        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 2)); // evicts 1
        final Object late = "late";
        assertFalse(d.complete(A_HI, A_LO, 1, late), "evicted");
        assertEquals(Status.IN_FLIGHT, d.status(A_HI, A_LO, 2));
        assertEquals(List.of(stray, unknownRequest, again, first, late), discarded);
    }

    @Test
    void abandonForgetsOneInFlightRequestAndNothingElse()
    {
        final RequestDedup<Object> d = dedup(4, 4);
        execute(d, A_HI, A_LO, 1);
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 2));
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 3));
        assertTrue(d.abandon(A_HI, A_LO, 2));
        assertEquals(Status.FRESH, d.status(A_HI, A_LO, 2), "a retry of an abandoned request runs again");
        assertEquals(Status.DONE, d.status(A_HI, A_LO, 1), "the client's completed request stays cached");
        assertEquals(Status.IN_FLIGHT, d.status(A_HI, A_LO, 3));
        assertEquals(2, d.entryCount());
        assertFalse(d.abandon(A_HI, A_LO, 2), "not in flight any more");
        assertFalse(d.abandon(A_HI, A_LO, 1), "a DONE entry is not abandoned");
        assertFalse(d.abandon(B_HI, B_LO, 1), "unknown client");
        final Object late = "late";
        assertFalse(d.complete(A_HI, A_LO, 2, late), "a late completion of an abandoned request is discarded");
        assertEquals(List.of(late), discarded);
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 2));
        assertEquals(0, d.evictions());

        // a client whose only entry is abandoned is removed
        assertEquals(Status.FRESH, d.claim(B_HI, B_LO, 1));
        assertEquals(2, d.clientCount());
        assertTrue(d.abandon(B_HI, B_LO, 1));
        assertEquals(1, d.clientCount());
    }

    /** A reply sized by its length: the bytes the table counts against maxReplyBytes. */
    private RequestDedup<Object> sized(final int capacity, final int maxClients, final int maxEntries,
        final long maxBytes)
    {
        return new RequestDedup<>(capacity, TTL, maxClients, maxEntries, maxBytes, () -> now, discarded::add,
            r -> ((String)r).length());
    }

    @Test
    void entryLimitEvictsTheOldestCompletionOfTheTableButNeverAnInFlightEntry()
    {
        final RequestDedup<Object> d = sized(4, 4, 3, 1_000);
        execute(d, A_HI, A_LO, 1);
        now++;
        execute(d, B_HI, B_LO, 1);
        assertEquals(Status.FRESH, d.claim(C_HI, C_LO, 1));
        assertEquals(3, d.entryCount());
        assertEquals(Status.FRESH, d.claim(C_HI, C_LO, 2));
        assertEquals(List.of(reply(1)), discarded, "A's reply, the oldest completion, made room");
        assertEquals(1, d.evictions());
        assertEquals(2, d.clientCount(), "A lost its only entry");
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 5)); // evicts B's entry
        assertEquals(2, d.evictions());
        // three IN_FLIGHT entries: nothing may be evicted, so a fourth is refused
        assertEquals(Status.REFUSED, d.claim(B_HI, B_LO, 2));
        assertEquals(Status.REFUSED, d.claim(C_HI, C_LO, 3));
        assertEquals(2, d.refusals());
        assertEquals(Status.IN_FLIGHT, d.status(C_HI, C_LO, 1));
        assertEquals(Status.IN_FLIGHT, d.status(C_HI, C_LO, 2));
        assertEquals(Status.IN_FLIGHT, d.status(A_HI, A_LO, 5));
        assertTrue(d.abandon(C_HI, C_LO, 2));
        assertEquals(Status.FRESH, d.claim(B_HI, B_LO, 2), "abandoning made room");
    }

    @Test
    void replyBytesStayWithinTheLimit()
    {
        final RequestDedup<Object> d = sized(8, 4, 100, 10);
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 1));
        assertTrue(d.complete(A_HI, A_LO, 1, "aaaa"));
        now++;
        assertEquals(Status.FRESH, d.claim(B_HI, B_LO, 1));
        assertTrue(d.complete(B_HI, B_LO, 1, "bbbb"));
        assertEquals(8, d.replyBytes());
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 2));
        assertTrue(d.complete(A_HI, A_LO, 2, "cccc"));
        assertEquals(List.of("aaaa"), discarded, "the oldest reply made room");
        assertEquals(8, d.replyBytes());
        assertEquals(1, d.evictions());

        assertEquals(Status.FRESH, d.claim(C_HI, C_LO, 1));
        assertFalse(d.complete(C_HI, C_LO, 1, "x".repeat(11)), "larger than the whole limit: not cached");
        assertEquals(List.of("aaaa", "x".repeat(11)), discarded);
        assertEquals(2, d.evictions());
        assertEquals(Status.FRESH, d.status(C_HI, C_LO, 1), "a retry runs again");
        assertEquals(8, d.replyBytes(), "the other replies stay");
        assertEquals(2, d.clientCount());
    }

    /**
     * Memory A: a flood of new client ids, each a new session with a few requests, against a
     * table with small limits: entries, bytes and clients stay within the limits at every step,
     * every live reply dropped is counted, and the IN_FLIGHT entries of an early client survive
     * the whole flood and complete normally.
     */
    @Test
    void aFloodOfNewClientIdsStaysWithinEveryLimitAndCountsItsEvictions()
    {
        final int maxClients = 1_000;
        final int maxEntries = 500;
        final long maxBytes = 10_000;
        final RequestDedup<Object> d = sized(8, maxClients, maxEntries, maxBytes);
        for (long request = 0; request < 5; request++)
        {
            assertEquals(Status.FRESH, d.claim(A_HI, A_LO, request)); // held IN_FLIGHT through the flood
        }
        final int floodClients = 100_000;
        long replies = 0;
        for (long client = 1; client <= floodClients; client++)
        {
            for (long request = 0; request < 3; request++)
            {
                assertEquals(Status.FRESH, d.claim(0x0F00L, client, request), "client " + client);
                assertTrue(d.complete(0x0F00L, client, request, "r".repeat(64)));
                replies++;
            }
            now++;
            assertTrue(d.entryCount() <= maxEntries, "entries " + d.entryCount());
            assertTrue(d.replyBytes() <= maxBytes, "bytes " + d.replyBytes());
            assertTrue(d.clientCount() <= maxClients, "clients " + d.clientCount());
        }
        assertEquals(0, d.refusals());
        final long cached = d.entryCount() - 5;
        assertEquals(replies - cached, d.evictions(), "every reply dropped before its TTL is counted");
        assertEquals(replies - cached, discarded.size());
        assertTrue(d.replyBytes() > maxBytes - 64, "the byte limit binds: " + d.replyBytes());
        for (long request = 0; request < 5; request++)
        {
            assertEquals(Status.IN_FLIGHT, d.status(A_HI, A_LO, request), "an IN_FLIGHT entry is never evicted");
            assertTrue(d.complete(A_HI, A_LO, request, "done"));
        }
    }

    @Test
    void completeRejectsNullReplyWithoutChangingState()
    {
        final RequestDedup<Object> d = dedup(1, 4);
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 1));
        assertThrows(NullPointerException.class, () -> d.complete(A_HI, A_LO, 1, null));
        assertEquals(Status.IN_FLIGHT, d.status(A_HI, A_LO, 1));
    }

    @Test
    void evictClientDropsAllItsEntries()
    {
        final RequestDedup<Object> d = dedup(4, 4);
        execute(d, A_HI, A_LO, 1);
        execute(d, A_HI, A_LO, 2);
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 3));
        execute(d, B_HI, B_LO, 1);

        assertTrue(d.evictClient(A_HI, A_LO));
        assertEquals(2, discarded.size());
        assertTrue(discarded.containsAll(List.of(reply(1), reply(2))));
        assertEquals(1, d.clientCount());
        assertEquals(Status.FRESH, d.status(A_HI, A_LO, 1));
        assertEquals(Status.FRESH, d.status(A_HI, A_LO, 3));
        assertEquals(Status.DONE, d.status(B_HI, B_LO, 1), "other clients keep their entries");

        final Object late = reply(3);
        assertFalse(d.complete(A_HI, A_LO, 3, late), "the in-flight entry went with its client");
        assertEquals(3, discarded.size());
        assertFalse(d.evictClient(A_HI, A_LO));
        assertFalse(d.evictClient(C_HI, C_LO));
        assertEquals(3, discarded.size());

        // the record is reused for a new client
        execute(d, C_HI, C_LO, 9);
        assertEquals(Status.DONE, d.status(C_HI, C_LO, 9));
        assertEquals(Status.FRESH, d.status(C_HI, C_LO, 1));
    }

    @Test
    void clientsDifferingOnlyInOneHalfAreDistinct()
    {
        final RequestDedup<Object> d = dedup(4, 8);
        execute(d, 0, 0, 1);
        assertEquals(Status.FRESH, d.status(0, 1, 1));
        assertEquals(Status.FRESH, d.status(1, 0, 1));
        assertEquals(Status.FRESH, d.status(-1, -1, 1));
        execute(d, 1, 0, 1);
        assertTrue(d.evictClient(0, 0));
        assertEquals(Status.DONE, d.status(1, 0, 1));
        assertEquals(Status.FRESH, d.status(0, 0, 1));
    }

    @Test
    void newClientEvictsTheLeastRecentlyUsedIdleClient()
    {
        final RequestDedup<Object> d = dedup(4, 2);
        execute(d, A_HI, A_LO, 1);
        execute(d, B_HI, B_LO, 1);
        assertEquals(Status.DONE, d.status(A_HI, A_LO, 1)); // status() does not count as a use
        assertEquals(Status.DONE, d.claim(A_HI, A_LO, 1)); // claim() does: A is now more recent than B
        assertEquals(Status.FRESH, d.status(C_HI, C_LO, 1));
        assertEquals(Status.FRESH, d.claim(C_HI, C_LO, 1));
        assertEquals(List.of(reply(1)), discarded);
        assertEquals(2, d.clientCount());
        assertEquals(Status.FRESH, d.status(B_HI, B_LO, 1), "B was evicted");
        assertEquals(Status.DONE, d.status(A_HI, A_LO, 1));
        assertEquals(Status.IN_FLIGHT, d.status(C_HI, C_LO, 1));
    }

    @Test
    void clientWithAnInFlightEntryIsNeverEvicted()
    {
        final RequestDedup<Object> d = dedup(4, 2);
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 1)); // A busy, least recently used
        execute(d, B_HI, B_LO, 1);
        assertEquals(Status.FRESH, d.claim(C_HI, C_LO, 1));
        assertEquals(Status.IN_FLIGHT, d.status(A_HI, A_LO, 1), "A kept, B evicted instead");
        assertEquals(List.of(reply(1)), discarded);
        // B is gone and both held clients are busy now: B is refused, not re-admitted
        assertEquals(Status.REFUSED, d.status(B_HI, B_LO, 1));
    }

    @Test
    void newClientIsRefusedWhenEveryClientHasInFlightEntries()
    {
        final RequestDedup<Object> d = dedup(4, 2);
        execute(d, A_HI, A_LO, 1);
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 2));
        assertEquals(Status.FRESH, d.claim(B_HI, B_LO, 1));
        assertEquals(Status.REFUSED, d.status(C_HI, C_LO, 1));
        assertEquals(Status.REFUSED, d.claim(C_HI, C_LO, 1));
        assertEquals(2, d.clientCount());
        assertEquals(List.of(), discarded);
        assertFalse(d.complete(C_HI, C_LO, 1, "c"), "a refused client has nothing to complete");

        assertTrue(d.complete(B_HI, B_LO, 1, reply(1)));
        assertEquals(Status.FRESH, d.status(C_HI, C_LO, 1));
        assertEquals(Status.FRESH, d.claim(C_HI, C_LO, 1));
        assertEquals(List.of("c", reply(1)), discarded);
        assertEquals(Status.IN_FLIGHT, d.status(A_HI, A_LO, 2));
        assertEquals(Status.REFUSED, d.status(B_HI, B_LO, 1), "B evicted, A and C busy");
        assertTrue(d.complete(A_HI, A_LO, 2, reply(2)));
        assertEquals(Status.FRESH, d.status(B_HI, B_LO, 1), "A is idle now, so B can be admitted");
    }

    @Test
    void closeDiscardsEverythingOnceAndRefusesAfterwards()
    {
        final RequestDedup<Object> d = dedup(4, 4);
        execute(d, A_HI, A_LO, 1);
        execute(d, B_HI, B_LO, 1);
        assertEquals(Status.FRESH, d.claim(B_HI, B_LO, 2));
        d.close();
        assertEquals(2, discarded.size());
        assertEquals(0, d.clientCount());
        d.close();
        assertEquals(2, discarded.size(), "close is idempotent");

        assertEquals(Status.REFUSED, d.status(A_HI, A_LO, 1));
        assertEquals(Status.REFUSED, d.claim(C_HI, C_LO, 1));
        final Object late = "late";
        assertFalse(d.complete(B_HI, B_LO, 2, late));
        assertSame(late, discarded.get(2), "a completion after close releases its reply");
        assertFalse(d.evictClient(A_HI, A_LO));
    }

    @Test
    void onDiscardIsCalledExactlyOncePerReply()
    {
        final Map<Object, Integer> counts = new IdentityHashMap<>();
        final RequestDedup<Object> d = new RequestDedup<>(
            3, TTL, 3, () -> now, r -> counts.merge(r, 1, Integer::sum));
        final List<Object> handedOver = new ArrayList<>();
        long seed = 42;
        for (int i = 0; i < 20_000; i++)
        {
            seed = seed * 6364136223846793005L + 1442695040888963407L;
            final int pick = (int) ((seed >>> 33) % 100);
            final long lo = (seed >>> 20) & 7; // 8 clients, 3 held
            final long request = (seed >>> 40) & 15;
            if (pick < 40)
            {
                d.claim(0, lo, request);
            }
            else if (pick < 80)
            {
                final Object reply = new Object();
                handedOver.add(reply);
                d.complete(0, lo, request, reply);
            }
            else if (pick < 85)
            {
                d.evictClient(0, lo);
            }
            else if (pick < 95)
            {
                now += (seed >>> 50) & 511;
            }
            else
            {
                d.status(0, lo, request);
            }
        }
        d.close();
        assertEquals(handedOver.size(), counts.size(), "every reply discarded");
        for (final Object reply : handedOver)
        {
            assertEquals(1, counts.get(reply), "discarded exactly once");
        }
    }

    @Test
    void throwingOnDiscardStillReleasesTheOtherReplies()
    {
        final List<Object> seen = new ArrayList<>();
        final RequestDedup<Object> d = new RequestDedup<>(4, TTL, 4, () -> now, r ->
        {
            seen.add(r);
            throw new IllegalStateException("boom " + r);
        });
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 1));
        assertTrue(d.complete(A_HI, A_LO, 1, "one"));
        assertEquals(Status.FRESH, d.claim(A_HI, A_LO, 2));
        assertTrue(d.complete(A_HI, A_LO, 2, "two"));
        final IllegalStateException ex = assertThrows(IllegalStateException.class, d::close);
        assertEquals(1, ex.getSuppressed().length);
        seen.sort(Comparator.comparing(Object::toString));
        assertEquals(List.of("one", "two"), seen);
    }

    @Test
    void manyClientsGrowAndShrinkTheClientTable()
    {
        final int n = 5_000;
        final RequestDedup<Object> d = dedup(2, n);
        final Map<Long, Boolean> present = new HashMap<>();
        for (long i = 0; i < n; i++)
        {
            // sequential ids in either half, the pattern a weak hash handles worst
            execute(d, i & 1, i, i);
            present.put(i, true);
        }
        assertEquals(n, d.clientCount());
        for (long i = 0; i < n; i += 3)
        {
            assertTrue(d.evictClient(i & 1, i));
            present.put(i, false);
        }
        for (long i = 0; i < n; i++)
        {
            final Status expected = present.get(i) ? Status.DONE : Status.FRESH;
            assertEquals(expected, d.status(i & 1, i, i), "client " + i);
            if (expected == Status.DONE)
            {
                assertEquals(reply(i), d.reply());
            }
        }
        assertEquals(Status.FRESH, d.status(n, n, 0), "room again after evictions");
        assertEquals(Status.FRESH, d.claim(n, n, 0));
    }

    @Test
    void validatesArguments()
    {
        assertThrowsNaming("capacityPerClient", () -> new RequestDedup<>(0, TTL, 1, () -> now, r -> { }));
        assertThrowsNaming("capacityPerClient", () -> new RequestDedup<>(
            RequestDedup.MAX_CAPACITY_PER_CLIENT + 1, TTL, 1, () -> now, r -> { }));
        assertThrowsNaming("ttlNs", () -> new RequestDedup<>(1, 0, 1, () -> now, r -> { }));
        assertThrowsNaming("maxClients", () -> new RequestDedup<>(1, TTL, 0, () -> now, r -> { }));
        assertThrowsNaming("maxClients", () -> new RequestDedup<>(
            1, TTL, RequestDedup.MAX_CLIENTS_LIMIT + 1, () -> now, r -> { }));
        final NullPointerException clock = assertThrows(NullPointerException.class,
            () -> new RequestDedup<>(1, TTL, 1, null, r -> { }));
        assertTrue(clock.getMessage().contains("nanoClock"));
        final NullPointerException discard = assertThrows(NullPointerException.class,
            () -> new RequestDedup<>(1, TTL, 1, () -> now, null));
        assertTrue(discard.getMessage().contains("onDiscard"));
    }

    @Test
    void defaults()
    {
        assertEquals(64, RequestDedup.DEFAULT_CAPACITY_PER_CLIENT);
        assertEquals(30_000_000_000L, RequestDedup.DEFAULT_TTL_NS);
        final RequestDedup<Object> d = new RequestDedup<>(() -> now, r -> { }, r -> 1);
        assertEquals(64, d.capacityPerClient());
        assertEquals(RequestDedup.DEFAULT_TTL_NS, d.ttlNs());
        assertEquals(RequestDedup.DEFAULT_MAX_CLIENTS, d.maxClients());
        assertEquals(RequestDedup.DEFAULT_MAX_ENTRIES, d.maxEntries());
        assertEquals(64L << 20, d.maxReplyBytes());
    }

    private static void assertThrowsNaming(final String parameter, final Runnable construct)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, construct::run);
        assertTrue(ex.getMessage().startsWith(parameter), ex.getMessage());
    }

    @Test
    void steadyStateAllocatesNothing()
    {
        final java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean);
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
        assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);

        final RequestDedup<Object> d = new RequestDedup<>(
            RequestDedup.DEFAULT_CAPACITY_PER_CLIENT, TTL, 16, () -> now, r -> discardCount++);
        final Object[] replies = new Object[64];
        for (int i = 0; i < replies.length; i++)
        {
            replies[i] = new Object();
        }
        runHotLoop(d, replies, 0, 50_000); // warm-up: creates the client records
        final long tid = Thread.currentThread().getId();
        final long before = threads.getThreadAllocatedBytes(tid);
        runHotLoop(d, replies, 50_000, 100_000);
        final long allocated = threads.getThreadAllocatedBytes(tid) - before;
        // 500k operations: boxing or an object per call would be megabytes
        assertTrue(allocated < 4_096, "allocated " + allocated + " bytes");
    }

    private void runHotLoop(final RequestDedup<Object> d, final Object[] replies, final int from, final int to)
    {
        for (int i = from; i < to; i++)
        {
            final long lo = i & 7;
            final long request = i >>> 3;
            if (d.claim(-lo, lo, request) != Status.FRESH)
            {
                throw new AssertionError("claim " + i);
            }
            if (d.status(-lo, lo, request) != Status.IN_FLIGHT)
            {
                throw new AssertionError("in flight " + i);
            }
            d.complete(-lo, lo, request, replies[i & 63]);
            if (d.status(-lo, lo, request) != Status.DONE || d.reply() != replies[i & 63])
            {
                throw new AssertionError("done " + i);
            }
            now++;
        }
    }
}
