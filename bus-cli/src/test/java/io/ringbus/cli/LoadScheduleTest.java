package io.ringbus.cli;

import org.HdrHistogram.Histogram;
import org.agrona.concurrent.NanoClock;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The open-loop schedule: intended send times on a fixed grid that does not drift, what is due
 * at a given time, and a pipeline that sends on it (clock injected: no sleeps, no timing).
 */
class LoadScheduleTest
{
    /** A clock the test moves by hand. */
    private static final class ManualClock implements NanoClock
    {
        long nowNs;

        @Override
        public long nanoTime()
        {
            return nowNs;
        }
    }

    @Test
    void intendedTimesLieOnAFixedGrid()
    {
        final LoadSchedule schedule = new LoadSchedule(5_000, 1_000_000, 0);
        assertEquals(5_000, schedule.intendedNs(0));
        assertEquals(6_000, schedule.intendedNs(1));
        assertEquals(5_000 + 1_000L * 123_456_789, schedule.intendedNs(123_456_789));
        // A rate whose period is no whole number of ns does not drift either.
        final LoadSchedule third = new LoadSchedule(0, 3, 0);
        assertEquals(TimeUnit.SECONDS.toNanos(1), third.intendedNs(3));
        assertEquals(TimeUnit.HOURS.toNanos(1), third.intendedNs(3 * 3600));
    }

    @Test
    void dueCountsTheRequestsWhoseIntendedTimeHasComeBoundariesIncluded()
    {
        final LoadSchedule schedule = new LoadSchedule(10_000, 1_000_000, 0);
        assertEquals(0, schedule.dueCount(9_999));
        assertEquals(1, schedule.dueCount(10_000));
        assertEquals(1, schedule.dueCount(10_999));
        assertEquals(2, schedule.dueCount(11_000));
        assertEquals(1_001, schedule.dueCount(1_010_000));
        assertEquals(1_000, schedule.dueBefore(1_010_000), "a run ending at 1 010 000 ns does not owe the one due then");
        final LoadSchedule third = new LoadSchedule(0, 3, 0);
        for (long i = 0; i < 10_000; i++)
        {
            final long intendedNs = third.intendedNs(i);
            assertEquals(i, third.dueCount(intendedNs - 1));
            assertEquals(i + 1, third.dueCount(intendedNs));
        }
    }

    @Test
    void aPhaseShiftsTheWholeSchedule()
    {
        final LoadSchedule schedule = new LoadSchedule(0, 1_000, 250_000);
        assertEquals(250_000, schedule.intendedNs(0));
        assertEquals(0, schedule.dueCount(249_999));
        assertEquals(1, schedule.dueCount(250_000));
    }

    @Test
    void aRateMustBePositiveAndFinite()
    {
        assertThrows(IllegalArgumentException.class, () -> new LoadSchedule(0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new LoadSchedule(0, -5, 0));
        assertThrows(IllegalArgumentException.class, () -> new LoadSchedule(0, Double.NaN, 0));
        assertThrows(IllegalArgumentException.class, () -> new LoadSchedule(0, Double.POSITIVE_INFINITY, 0));
        assertThrows(IllegalArgumentException.class, () -> new LoadSchedule(0, 10, -1));
    }

    @Test
    void aPipelineSendsWhatIsDueAndMeasuresLatencyFromTheIntendedTime() throws Exception
    {
        final ManualClock clock = new ManualClock();
        final Histogram latencyNs = new Histogram(TimeUnit.SECONDS.toNanos(1), 3);
        try (LoadTestServer server = LoadTestServer.honest(false);
            LoadPipeline pipeline = LoadPipeline.connect(server.address(), 64, 4, 0, 0, false, clock,
                new SplittableRandom(1)))
        {
            pipeline.schedule(new LoadSchedule(1_000, 1_000_000, 0)).record(latencyNs, 0, Long.MAX_VALUE,
                TimeUnit.SECONDS.toNanos(1));
            clock.nowNs = 999;
            assertEquals(0, pipeline.writeStep(), "nothing is due yet");
            assertEquals(1_000, pipeline.nextDueNs());
            clock.nowNs = 1_000;
            pipeline.writeStep();
            assertEquals(1, pipeline.sent());
            clock.nowNs = 3_500; // two more due (2 000 and 3 000): both sent, late
            pipeline.writeStep();
            assertEquals(3, pipeline.sent());
            assertEquals(1_500, pipeline.maxSendLagNs());
            assertEquals(4_000, pipeline.nextDueNs());

            clock.nowNs = 50_000; // 50 due, but the window holds 4
            pipeline.writeStep();
            assertEquals(4, pipeline.sent());
            assertEquals(Long.MAX_VALUE, pipeline.nextDueNs(), "the window is full: no send before a reply");

            clock.nowNs = 100_000; // every reply is read at 100 µs
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (pipeline.received() < 4 && System.nanoTime() - deadlineNs < 0)
            {
                pipeline.readStep();
            }
            assertEquals(4, pipeline.received());
            assertEquals(4, latencyNs.getTotalCount());
            assertTrue(latencyNs.valuesAreEquivalent(99_000, latencyNs.getMaxValue()), "request 1, intended at 1 000");
            assertTrue(latencyNs.valuesAreEquivalent(96_000, latencyNs.getMinValue()), "request 4, intended at 4 000");
            assertEquals(50_000 - 4_000, pipeline.maxSendLagNs(), "request 4, intended at 4 000, went out at 50 000");
        }
    }
}
