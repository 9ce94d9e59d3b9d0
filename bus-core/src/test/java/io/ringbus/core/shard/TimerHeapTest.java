package io.ringbus.core.shard;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 12, point 4: the shard's timers know their earliest deadline without a walk; a cancel takes a timer out at once. */
class TimerHeapTest
{
    private final TimerHeap timers = new TimerHeap(4);

    @Test
    void theEarliestDeadlineIsAtHandAndACancelledOneStopsCountingAtOnce()
    {
        final long late = timers.schedule(5_000, () -> { });
        final long early = timers.schedule(1_000, () -> { });
        assertEquals(1_000, timers.earliestDeadlineNs(), "a timer earlier than the earliest is honoured");
        assertTrue(timers.cancel(early));
        assertEquals(5_000, timers.earliestDeadlineNs(), "the cancelled deadline is gone, not left to expire");
        assertTrue(timers.cancel(late));
        assertEquals(0, timers.size());
    }

    @Test
    void cancellingATimerThatRanOrWasCancelledIsHarmlessEvenWhenItsSlotIsReused()
    {
        final Runnable first = () -> { };
        final long ran = timers.schedule(10, first);
        assertSame(first, timers.pollDue(10));
        final long reused = timers.schedule(20, () -> { }); // takes the slot the first one left
        assertFalse(timers.cancel(ran), "the first timer ran: its id names nothing any more");
        assertEquals(1, timers.size(), "the newer timer in the same slot is untouched");
        assertTrue(timers.cancel(reused));
        assertFalse(timers.cancel(reused), "twice is harmless");
        assertFalse(timers.cancel(-1), "-1 is the callers' \"no timer\"");
    }

    @Test
    void nothingIsDueBeforeItsDeadlineAndEqualDeadlinesRunInScheduleOrder()
    {
        final List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 10; i++)
        {
            final int n = i;
            timers.schedule(100, () -> order.add(n));
        }
        assertNull(timers.pollDue(99));
        Runnable task;
        while ((task = timers.pollDue(100)) != null)
        {
            task.run();
        }
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), order);
    }

    @Test
    void deadlinesCompareAcrossAWrapOfTheClock()
    {
        final long beforeWrapNs = Long.MAX_VALUE - 10;
        timers.schedule(beforeWrapNs + 20, () -> { }); // past the wrap: negative, yet later
        timers.schedule(beforeWrapNs, () -> { });
        assertEquals(beforeWrapNs, timers.earliestDeadlineNs());
    }

    @Test
    void agreesWithASortedModelUnderRandomScheduleCancelAndExpiry()
    {
        final Random random = new Random(12);
        final TreeMap<Long, Long> model = new TreeMap<>(); // (deadline << 16 | sequence) -> timer id
        final List<Long> ids = new ArrayList<>();
        final List<Long> keys = new ArrayList<>();
        long nowNs = 0;
        int sequence = 0;
        for (int step = 0; step < 20_000; step++)
        {
            final int action = random.nextInt(10);
            if (action < 5)
            {
                final long deadlineNs = nowNs + random.nextInt(1_000);
                final long key = (deadlineNs << 16) | (sequence++ & 0xFFFF);
                final long id = timers.schedule(deadlineNs, () -> { });
                assertTrue(id >= 0, "ids are never negative");
                model.put(key, id);
                ids.add(id);
                keys.add(key);
            }
            else if (action < 8 && !ids.isEmpty())
            {
                final int pick = random.nextInt(ids.size());
                final boolean pending = model.remove(keys.get(pick)) != null;
                assertEquals(pending, timers.cancel(ids.get(pick)), "cancel takes exactly the pending ones");
            }
            else
            {
                nowNs += random.nextInt(200);
                while (timers.pollDue(nowNs) != null)
                {
                    final Long earliest = model.firstKey();
                    assertTrue((earliest >> 16) <= nowNs, "only due timers run");
                    model.remove(earliest);
                }
                assertTrue(model.isEmpty() || (model.firstKey() >> 16) > nowNs, "every due timer ran");
            }
            assertEquals(model.size(), timers.size());
            if (!model.isEmpty())
            {
                assertEquals(model.firstKey() >> 16, timers.earliestDeadlineNs());
            }
            if (sequence == 0xFFFF)
            {
                break; // the model's tie-break would wrap; plenty of steps by then
            }
        }
    }
}
