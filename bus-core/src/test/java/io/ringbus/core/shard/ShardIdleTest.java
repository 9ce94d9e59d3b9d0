package io.ringbus.core.shard;

import io.ringbus.core.backend.AcceptedSocket;
import io.ringbus.core.backend.IoBackend;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.IoChannelHandler;
import io.ringbus.core.backend.IoListener;
import io.ringbus.core.config.IdleMode;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12, point 4: a shard's idle cycle is its {@link IdleStrategy} (a blocking poll up to the next
 * timer deadline), the blocking poll's completions count as work, and the next deadline is known
 * without a walk. Driven by hand: a fake backend records each poll's timeout, a fake clock moves
 * only when told.
 */
class ShardIdleTest
{
    private static final long START_NS = 1_000_000_000L;
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final FakeBackend backend = new FakeBackend();
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private long clockNs = START_NS;
    private final Shard blocking = shard(IdleMode.BLOCKING);

    private Shard shard(final IdleMode mode)
    {
        final Shard shard = new Shard(0, backend, mode, 8, 16, (failed, ex) -> failures.add(ex), () -> clockNs);
        shard.onStart(); // this test thread is the shard
        return shard;
    }

    /** One turn of AgentRunner's loop. */
    private static int cycle(final Shard shard)
    {
        final int work = shard.doWork();
        shard.idleStrategy().idle(work);
        return work;
    }

    @Test
    void anIdleCycleBlocksInThePollUpToTheNextDeadlineAndTheNextCycleSkipsItsNonBlockingPoll()
    {
        final List<String> ran = new ArrayList<>();
        blocking.schedule(START_NS + 5 * MS, () -> ran.add("timer"));

        assertEquals(0, cycle(blocking));
        assertEquals(List.of(0L, 5 * MS), backend.timeoutsNs, "a non-blocking poll, then a block until the deadline");

        clockNs += 5 * MS; // the blocking poll timed out at the deadline
        assertEquals(1, cycle(blocking), "the timer ran");
        assertEquals(List.of("timer"), ran);
        assertEquals(List.of(0L, 5 * MS), backend.timeoutsNs,
            "no non-blocking poll right after the blocking one, and no block after a cycle with work");

        assertEquals(0, cycle(blocking));
        assertEquals(List.of(0L, 5 * MS, 0L, Shard.MAX_BLOCK_NS), backend.timeoutsNs,
            "no timer left: the longest block");
        assertEquals(3, blocking.dutyCycles());
    }

    @Test
    void theBlockingPollsCompletionsCountAsTheShardsWork()
    {
        backend.completionsPerPoll = 3;
        cycle(blocking); // the non-blocking poll delivers 3: work, so no block
        assertEquals(0, blocking.blockingPolls());
        backend.completionsPerPoll = 0;
        cycle(blocking); // nothing: block
        assertEquals(1, blocking.blockingPolls());
        assertEquals(0, blocking.blockingPollWork());

        backend.completionsPerBlockingPoll = 7;
        cycle(blocking); // skips its non-blocking poll (just polled), finds nothing, blocks: 7 delivered
        assertEquals(2, blocking.blockingPolls());
        assertEquals(7, blocking.blockingPollWork(), "counted although doWork never saw them");
        assertEquals(3, blocking.dutyCycles());
    }

    @Test
    void aTimerCancelledBeforeItFiresNeverWakesTheShard()
    {
        final long early = blocking.schedule(START_NS + 2 * MS, () -> { });
        blocking.schedule(START_NS + 50 * MS, () -> { });
        blocking.cancel(early);
        cycle(blocking);
        assertEquals(50 * MS, backend.lastTimeoutNs(), "blocks until the live timer, not the cancelled one");

        final long only = blocking.schedule(START_NS + 3 * MS, () -> { });
        blocking.cancel(only);
        for (int i = 0; i < 4; i++)
        {
            clockNs += 10 * MS;
            cycle(blocking);
            assertEquals(50 * MS - (i + 1) * 10 * MS, backend.lastTimeoutNs(), "cycle " + i);
        }
        clockNs += 10 * MS;
        assertEquals(1, cycle(blocking), "the live timer ran");
        cycle(blocking);
        assertEquals(Shard.MAX_BLOCK_NS, backend.lastTimeoutNs(), "nothing pending: no wake-up for a ghost");
        assertEquals(0, blocking.timersPending());
    }

    @Test
    void aTimerScheduledEarlierThanTheEarliestIsHonoured()
    {
        blocking.schedule(START_NS + 40 * MS, () -> { });
        cycle(blocking);
        assertEquals(40 * MS, backend.lastTimeoutNs());
        blocking.schedule(START_NS + 4 * MS, () -> { });
        cycle(blocking);
        assertEquals(4 * MS, backend.lastTimeoutNs());
    }

    @Test
    void aDeadlinePassedWhileTheCycleRanIsNotSleptThrough()
    {
        final List<String> ran = new ArrayList<>();
        blocking.schedule(START_NS + MS, () -> ran.add("timer"));
        assertEquals(0, blocking.doWork()); // the cycle's clock read: not due
        clockNs += MS; // due by the time the shard would idle
        blocking.idleStrategy().idle(0);
        assertEquals(List.of(0L), backend.timeoutsNs, "no blocking poll");
        assertEquals(1, blocking.doWork());
        assertEquals(List.of("timer"), ran);
    }

    @Test
    void theShardDoesNotBlockWhileItsMailboxHoldsATask() throws Exception
    {
        final Thread other = new Thread(() -> blocking.execute(() -> { }));
        other.start();
        other.join(20_000);
        blocking.idleStrategy().idle(0);
        assertEquals(List.of(), backend.timeoutsNs, "the task runs next cycle, not after a block");
        assertEquals(1, blocking.doWork());
    }

    @Test
    void anErrorFromAHandlerInTheBlockingPollEndsTheShardOnceAsInDoWork()
    {
        final Error injected = new StackOverflowError("injected");
        backend.throwFromBlockingPoll = injected;
        assertEquals(0, blocking.doWork());
        final AgentTerminationException end = assertThrows(AgentTerminationException.class,
            () -> blocking.idleStrategy().idle(0));
        assertTrue(end.isExpected(), "reported already: AgentRunner must not report it again");
        assertEquals(List.of(injected), failures);
        assertSame(injected, blocking.failure());
        assertTrue(blocking.isStopped());
        blocking.onClose();
    }

    @Test
    void aSpinningShardNeverBlocksAndPollsEveryCycle()
    {
        final Shard spinning = shard(IdleMode.SPINNING);
        for (int i = 0; i < 3; i++)
        {
            assertEquals(0, cycle(spinning));
        }
        assertEquals(List.of(0L, 0L, 0L), backend.timeoutsNs);
        assertEquals(0, spinning.blockingPolls());
    }

    /** Records each poll's timeout; delivers as many completions as told. */
    private static final class FakeBackend implements IoBackend
    {
        final List<Long> timeoutsNs = new ArrayList<>();
        int completionsPerPoll;
        int completionsPerBlockingPoll;
        Error throwFromBlockingPoll;

        long lastTimeoutNs()
        {
            return timeoutsNs.get(timeoutsNs.size() - 1);
        }

        @Override
        public String name()
        {
            return "fake";
        }

        @Override
        public int poll(final long timeoutNs)
        {
            timeoutsNs.add(timeoutNs);
            if (timeoutNs == 0)
            {
                return completionsPerPoll;
            }
            if (throwFromBlockingPoll != null)
            {
                throw throwFromBlockingPoll;
            }
            return completionsPerBlockingPoll;
        }

        @Override
        public void wakeup()
        {
        }

        @Override
        public IoListener listen(final InetSocketAddress address, final Consumer<AcceptedSocket> onAccept)
        {
            throw new UnsupportedOperationException();
        }

        @Override
        public IoChannel register(final AcceptedSocket socket, final IoChannelHandler handler)
        {
            throw new UnsupportedOperationException();
        }

        @Override
        public IoChannel connect(final InetSocketAddress address, final IoChannelHandler handler)
        {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close()
        {
        }
    }
}
