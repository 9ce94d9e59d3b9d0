package io.ringbus.core;

import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.Reply;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.shard.Shard;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17, point 4: the shard threads come from the user's {@code BusConfig.Builder.shardThreadFactory}
 * (one thread per shard, in shard order, keeping the name the factory gave); without one they are
 * Agrona's plain threads named {@code ringbus-shard-N}.
 */
class ShardThreadFactoryTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    /** Names its threads {@code app-shard-<count>} and remembers them. */
    private static final class CountingFactory implements ThreadFactory
    {
        final AtomicInteger calls = new AtomicInteger();
        final List<Thread> made = new CopyOnWriteArrayList<>();

        @Override
        public Thread newThread(final Runnable runnable)
        {
            final Thread thread = new Thread(runnable, "app-shard-" + calls.getAndIncrement());
            thread.setDaemon(true);
            made.add(thread);
            return thread;
        }
    }

    private static BusConfig.Builder config(final int shards)
    {
        return BusConfig.builder().shards(shards).backend(Backend.NIO);
    }

    /** The thread that runs {@code shard}'s tasks, asked through its mailbox. */
    private static Thread threadOf(final Shard shard) throws Exception
    {
        final CompletableFuture<Thread> ran = new CompletableFuture<>();
        assertTrue(shard.execute(() -> ran.complete(Thread.currentThread())), "shard took the task");
        return ran.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Test
    void everyShardRunsOnAThreadOfTheFactoryInShardOrderKeepingItsName() throws Exception
    {
        final CountingFactory factory = new CountingFactory();
        final ShardGroup group = new ShardGroup(config(3).shardThreadFactory(factory).build(),
            (shard, failure) -> { });
        group.start((shard, ex) -> { });
        try
        {
            assertEquals(3, factory.calls.get(), "one thread per shard");
            for (int i = 0; i < 3; i++)
            {
                final Thread thread = threadOf(group.shards()[i]);
                assertSame(factory.made.get(i), thread, "shard " + i + " runs on the factory's thread " + i);
                assertEquals("app-shard-" + i, thread.getName(), "the factory's name is kept");
            }
        }
        finally
        {
            group.stopAndJoin();
        }
        for (final Thread thread : factory.made)
        {
            thread.join(TIMEOUT.toMillis());
            assertFalse(thread.isAlive(), thread.getName() + " ended with the bus");
        }
    }

    @Test
    void withoutAFactoryShardThreadsAreNamedRingbusShardN() throws Exception
    {
        final ShardGroup group = new ShardGroup(config(2).build(), (shard, failure) -> { });
        group.start((shard, ex) -> { });
        try
        {
            assertEquals("ringbus-shard-0", threadOf(group.shards()[0]).getName());
            assertEquals("ringbus-shard-1", threadOf(group.shards()[1]).getName());
        }
        finally
        {
            group.stopAndJoin();
        }
    }

    @Test
    void aBusOnTheFactorysThreadsServesAClient() throws Exception
    {
        final CountingFactory factory = new CountingFactory();
        final MessageBus bus = MessageBus.start(config(2).shardThreadFactory(factory).build(), new GateHandler());
        try
        {
            assertEquals(2, factory.calls.get());
            final InetSocketAddress address = bus.listen(URI.create("tcp://127.0.0.1:0"));
            try (BusClient client = BusClient.connect(URI.create("tcp://127.0.0.1:" + address.getPort())))
            {
                final Reply reply = client.request(1, "hi".getBytes(StandardCharsets.UTF_8), TIMEOUT);
                assertArrayEquals("hi".getBytes(StandardCharsets.UTF_8), reply.body());
            }
        }
        finally
        {
            AcceptStormTest.closeWithin(bus, TIMEOUT);
        }
        for (final Thread thread : factory.made)
        {
            thread.join(TIMEOUT.toMillis());
            assertFalse(thread.isAlive(), thread.getName() + " ended with the bus");
        }
        bus.pool().assertNoLeaks();
    }

    @Test
    void aFactoryThatFailsFailsTheStartAndLeavesNoShardThreadRunning() throws Exception
    {
        final CountingFactory good = new CountingFactory();
        final ThreadFactory failsOnThird = runnable ->
        {
            if (good.calls.get() == 2)
            {
                throw new IllegalStateException("no more threads");
            }
            return good.newThread(runnable);
        };
        final ShardGroup group = new ShardGroup(config(3).shardThreadFactory(failsOnThird).build(),
            (shard, failure) -> { });
        final IllegalStateException thrown = assertThrows(IllegalStateException.class,
            () -> group.start((shard, ex) -> { }));
        assertEquals("no more threads", thrown.getMessage());
        assertEquals(2, good.made.size());
        for (final Thread thread : good.made)
        {
            thread.join(TIMEOUT.toMillis());
            assertFalse(thread.isAlive(), thread.getName() + " was stopped");
        }
        for (final Shard shard : group.shards())
        {
            assertTrue(shard.isStopped(), "every shard closed");
        }
    }
}
