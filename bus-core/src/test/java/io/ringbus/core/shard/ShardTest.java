package io.ringbus.core.shard;

import io.ringbus.core.backend.NioBackend;
import io.ringbus.core.config.IdleMode;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 11, points 2 and 6 at the shard: no call ever waits on a mailbox; a failure ends the shard once, told. */
class ShardTest
{
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private final Shard shard = new Shard(0, new NioBackend(), IdleMode.BLOCKING, 2, 16,
        (failed, ex) -> failures.add(ex));
    private AgentRunner runner;
    private boolean closed;

    @AfterEach
    void tearDown()
    {
        if (runner != null)
        {
            runner.close();
        }
        else if (!closed)
        {
            shard.onClose();
        }
    }

    @Test
    void onItsOwnThreadATaskRunsInlineEvenWithTheMailboxFull()
    {
        shard.onStart(); // this test thread is the shard
        final Thread other = new Thread(() ->
        {
            shard.tryExecute(() -> { });
            shard.tryExecute(() -> { });
        });
        other.start();
        joinQuietly(other);
        final AtomicInteger ran = new AtomicInteger();
        assertTrue(shard.execute(ran::incrementAndGet));
        assertTrue(shard.tryExecute(ran::incrementAndGet));
        assertEquals(2, ran.get(), "both ran inline, before returning");
    }

    @Test
    void fromAnotherThreadTryExecuteRefusesAFullMailboxAndExecuteOverflowsInOrder() throws Exception
    {
        final List<Integer> order = new CopyOnWriteArrayList<>();
        // Not started: nothing drains, so the mailbox's two slots fill.
        assertTrue(shard.tryExecute(() -> order.add(0)));
        assertTrue(shard.tryExecute(() -> order.add(1)));
        assertFalse(shard.tryExecute(() -> order.add(-1)), "mailbox full");
        for (int i = 2; i < 1_000; i++)
        {
            final int n = i;
            assertTrue(shard.execute(() -> order.add(n)), "control tasks are never refused by a live shard");
        }
        assertFalse(shard.tryExecute(() -> order.add(-1)), "refused while control tasks spill over");
        runner = new AgentRunner(shard.idleStrategy(), Throwable::printStackTrace, null, shard); // blocks: execute() must wake it
        AgentRunner.startOnThread(runner);
        final CountDownLatch done = new CountDownLatch(1);
        assertTrue(shard.execute(done::countDown));
        assertTrue(done.await(20, TimeUnit.SECONDS));
        assertEquals(1_000, order.size());
        for (int i = 0; i < 1_000; i++)
        {
            assertEquals(i, order.get(i), "in execution order");
        }
        assertTrue(failures.isEmpty());
    }

    @Test
    void anErrorEscapingTheDutyCycleIsReportedOnceAndEndsTheShard() throws Exception
    {
        final Error injected = new StackOverflowError("injected");
        final AtomicReference<Runnable> afterwards = new AtomicReference<>();
        shard.execute(() ->
        {
            throw injected;
        });
        shard.execute(() -> afterwards.set(() -> { })); // queued behind the failure: still run while stopping
        shard.onStart();
        final AgentTerminationException end = assertThrows(AgentTerminationException.class, shard::doWork);
        assertTrue(end.isExpected(), "reported already: AgentRunner must not report it again");
        assertEquals(List.of(injected), failures);
        assertSame(injected, shard.failure());
        assertTrue(shard.isStopped());
        assertFalse(new ExecuteFromOtherThread(shard).result(), "a failed shard takes no tasks");
        shard.onClose();
        closed = true;
        assertTrue(afterwards.get() != null, "tasks already queued still ran, releasing what they hold");
    }

    @Test
    void aRuntimeExceptionInATaskCostsOnlyThatTask() throws Exception
    {
        shard.execute(() ->
        {
            throw new IllegalStateException("one task's bug");
        });
        shard.onStart();
        shard.doWork();
        assertNull(shard.failure());
        assertFalse(shard.isStopped());
    }

    private static void joinQuietly(final Thread thread)
    {
        try
        {
            thread.join(20_000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /** execute() from a thread that is not the shard's. */
    private static final class ExecuteFromOtherThread
    {
        private final List<Boolean> result = new ArrayList<>();

        ExecuteFromOtherThread(final Shard shard)
        {
            final Thread thread = new Thread(() -> result.add(shard.execute(() -> { })));
            thread.start();
            joinQuietly(thread);
        }

        boolean result()
        {
            return result.get(0);
        }
    }
}
