package io.ringbus.cli;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link EchoReplica} with an injected clock and randomness, and its sequencer in stepped mode
 * (issue 14, point 1: the simulator steps it on its one thread): the test thread is the stepping
 * owner and moves a manual clock by hand. The buses run their shards on threads (bus-core's thread
 * mode); requests are fed to the handler directly, as the shards would.
 */
class EchoReplicaSteppedTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final long TICK_NS = EchoReplica.TICK_INTERVAL.toNanos();
    private static final long RETRANSMIT_NS = EchoReplica.RETRANSMIT_INTERVAL.toNanos();
    private static final String SEQUENCER_THREAD = "ringbus-echo-";

    /** The virtual clock: only the test moves it. */
    private final AtomicLong clock = new AtomicLong();
    private final UnsafeBuffer request = new UnsafeBuffer(new byte[FrameHeader.HEADER_SIZE + 64]);
    private final List<MessageBus> buses = new ArrayList<>();
    private final List<EchoReplica> echoes = new ArrayList<>();

    @AfterEach
    void closeEverything()
    {
        for (final MessageBus bus : buses)
        {
            bus.close();
        }
        for (final EchoReplica echo : echoes)
        {
            echo.close();
        }
        for (final MessageBus bus : buses)
        {
            if (bus.pool().isLeakDetectionEnabled())
            {
                bus.pool().assertNoLeaks();
            }
        }
    }

    private EchoReplica echo(final BusConfig config, final EchoReplica.Options options)
    {
        final EchoReplica echo = new EchoReplica(config, options);
        echoes.add(echo);
        return echo;
    }

    private MessageBus bus(final BusConfig config, final BusHandler handler)
    {
        final MessageBus bus = MessageBus.start(config, handler);
        buses.add(bus);
        return bus;
    }

    /** The stepped options on the manual clock. */
    private EchoReplica.Options stepped()
    {
        return EchoReplica.Options.defaults().withNanoClock(clock::get).withSteppedSequencer();
    }

    private static BusConfig replicaConfig(final int id, final SortedMap<Integer, InetSocketAddress> replicas)
        throws UsageException
    {
        return ServeOptions.replica(id, replicas, 1, Duration.ofMillis(500), Backend.NIO).config();
    }

    /** A cluster of one: every op has its majority at once. */
    private static BusConfig clusterOfOne() throws UsageException
    {
        final TreeMap<Integer, InetSocketAddress> replicas = new TreeMap<>();
        replicas.put(0, new InetSocketAddress("127.0.0.1", 0));
        return replicaConfig(0, replicas);
    }

    /** A connection id of bus-core's layout (shard 0), as in {@link EchoReplicaTest}. */
    private static ClientConnMeta connection(final int slot)
    {
        return new ClientConnMeta((1L << 32) | slot, new InetSocketAddress(0), "tcp");
    }

    private void request(final EchoReplica echo, final MessageBus bus, final ClientConnMeta meta,
        final long clientHi, final long clientLo, final long number)
    {
        Frames.header().wrap(request, 0).clear()
            .size(request.capacity())
            .command(Command.REQUEST)
            .client(clientHi, clientLo)
            .request(number);
        Frames.seal(request, 0);
        echo.onClientRequest(bus, meta, request, 0, request.capacity());
    }

    private static Set<Thread> sequencerThreads()
    {
        final Set<Thread> threads = new HashSet<>();
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (thread.getName().startsWith(SEQUENCER_THREAD))
            {
                threads.add(thread);
            }
        }
        return threads;
    }

    /** Step at each tick deadline while it is before {@code untilNs}; the clock ends on the last one. */
    private void stepTicksBefore(final EchoReplica echo, final long untilNs)
    {
        for (int i = 0; i < 1_000 && echo.nextSequencerDeadlineNs() < untilNs; i++)
        {
            clock.set(echo.nextSequencerDeadlineNs());
            echo.stepSequencer();
        }
        assertTrue(echo.nextSequencerDeadlineNs() >= untilNs);
    }

    /**
     * Stepped mode starts no {@code ringbus-echo-*} thread and nothing happens until the owner
     * steps; then one step takes the request and a cluster of one commits it. Thread mode (the
     * default) does start one, so the probe can see it. Thread mode refuses to be stepped.
     */
    @Test
    void aSteppedSequencerStartsNoThreadAndWorksOnlyWhenStepped() throws Exception
    {
        final BusConfig config = clusterOfOne();
        final Set<Thread> before = sequencerThreads();
        final EchoReplica echo = echo(config, stepped());
        final MessageBus bus = bus(config, echo);
        echo.start(bus);
        request(echo, bus, connection(0), 3, 3, 1);
        final Set<Thread> started = sequencerThreads();
        started.removeAll(before);
        assertEquals(Set.of(), started, "no sequencer thread in stepped mode");
        assertEquals(0, echo.preparedOps(), "queued, and nobody takes it but the owner");

        assertEquals(1, echo.stepSequencer(), "one request taken");
        assertEquals(1, echo.committedOps());
        assertEquals(1, echo.dedupEntries(), "its reply cached (released by close)");
        assertEquals(0, echo.stepSequencer(), "nothing left");

        final EchoReplica threaded = echo(config, EchoReplica.Options.defaults());
        final MessageBus threadedBus = bus(config, threaded);
        threaded.start(threadedBus);
        final Set<Thread> threads = sequencerThreads();
        threads.removeAll(before);
        assertEquals(1, threads.size(), "thread mode starts its sequencer thread: " + threads);
        assertThrows(IllegalStateException.class, threaded::stepSequencer);
        assertThrows(IllegalStateException.class, threaded::nextSequencerDeadlineNs);
    }

    /**
     * The pending timeout fires on the injected clock: an op without a majority (replica 2 of
     * three, alone) waits through every tick before its timeout, is still pending one nanosecond
     * before it, and is dropped by the tick at its timeout. A retry while it waits is a retry in
     * flight; a retry after the drop runs again. Its pending prepare is released by close.
     */
    @Test
    void thePendingTimeoutFiresWhenTheInjectedClockReachesIt() throws Exception
    {
        final BusConfig config = replicaConfig(2, DemoCommand.freeReplicaAddresses(3)); // dials nobody
        final long timeoutNs = TimeUnit.SECONDS.toNanos(1);
        clock.set(7_000_000_000L);
        final long startNs = clock.get();
        final EchoReplica echo = echo(config, stepped().withPendingTimeout(Duration.ofNanos(timeoutNs)));
        final MessageBus bus = bus(config, echo);
        echo.start(bus);
        assertEquals(startNs + TICK_NS, echo.nextSequencerDeadlineNs());

        final ClientConnMeta client = connection(0);
        request(echo, bus, client, 7, 7, 1);
        assertEquals(1, echo.stepSequencer());
        assertEquals(1, echo.preparedOps());
        assertEquals(1, echo.pendingOps());

        stepTicksBefore(echo, startNs + timeoutNs / 2);
        request(echo, bus, client, 7, 7, 1);
        assertEquals(1, echo.stepSequencer());
        assertEquals(1, echo.retriesInFlight(), "its first execution still waits");

        stepTicksBefore(echo, startNs + timeoutNs);
        assertEquals(startNs + timeoutNs, echo.nextSequencerDeadlineNs(), "the ticks land on the timeout");
        assertEquals(0, echo.droppedRequests(), "every tick before the timeout keeps it");
        clock.set(startNs + timeoutNs - 1);
        assertEquals(0, echo.stepSequencer());
        assertEquals(0, echo.droppedRequests(), "one nanosecond before");
        assertEquals(1, echo.pendingOps());

        clock.set(startNs + timeoutNs);
        echo.stepSequencer();
        assertEquals(1, echo.droppedRequests(), "dropped by the tick at its timeout");
        assertEquals(0, echo.pendingOps());
        assertEquals(startNs + timeoutNs + TICK_NS, echo.nextSequencerDeadlineNs());

        request(echo, bus, client, 7, 7, 1);
        assertEquals(1, echo.stepSequencer());
        assertEquals(2, echo.preparedOps(), "the retry after the drop runs again");
        assertEquals(1, echo.pendingOps(), "waits again; close releases its prepare");
    }

    /**
     * Close in stepped mode joins no thread and releases what the sequencer held: a pending
     * prepare, a request still queued (never stepped), a cached reply. Stepping after close does
     * nothing, and there is no deadline any more.
     */
    @Test
    void closeInSteppedModeReleasesWhatTheSequencerHeld() throws Exception
    {
        final BusConfig config = replicaConfig(2, DemoCommand.freeReplicaAddresses(3)); // dials nobody
        final EchoReplica echo = echo(config, stepped());
        final MessageBus bus = bus(config, echo);
        echo.start(bus);
        request(echo, bus, connection(0), 4, 4, 1);
        assertEquals(1, echo.stepSequencer());
        request(echo, bus, connection(0), 4, 4, 2);
        assertEquals(1, echo.pendingOps(), "one pending, one queued");

        bus.close();
        echo.close();
        assertEquals(0, echo.pendingOps());
        assertEquals(0, echo.stepSequencer(), "closed");
        assertEquals(Long.MAX_VALUE, echo.nextSequencerDeadlineNs());
        assertTrue(bus.pool().isLeakDetectionEnabled(), "the surefire argLine turns leak detection on");
        bus.pool().assertNoLeaks();
    }

    /**
     * Retransmission on the injected clock: a backup (replica 1) that receives prepares but never
     * acknowledges them gets the op once when it is prepared, again at the first tick
     * {@link EchoReplica#RETRANSMIT_INTERVAL} after that (not at the ticks before, nor one
     * nanosecond before it), and again one interval later. Every copy carries the incarnation the
     * seeded random gave.
     */
    @Test
    void aPrepareIsRetransmittedWhenTheInjectedClockPassesTheInterval() throws Exception
    {
        final SortedMap<Integer, InetSocketAddress> replicas = DemoCommand.freeReplicaAddresses(2);
        final ConcurrentLinkedQueue<long[]> received = new ConcurrentLinkedQueue<>();
        bus(replicaConfig(1, replicas), new BusHandler()
        {
            @Override
            public void onReplicaFrame(final MessageBus bus, final int replica, final DirectBuffer buffer,
                final int offset, final int length)
            {
                if (FrameHeader.command(buffer, offset) == Command.PREPARE.code())
                {
                    received.add(new long[] {PrepareFrame.op(buffer, offset), PrepareFrame.incarnation(buffer, offset)});
                }
            }
        });
        final BusConfig config = replicaConfig(0, replicas); // dials replica 1
        final EchoReplica echo = echo(config, stepped().withRandom(new Random(99)));
        final MessageBus bus = bus(config, echo);
        final long startNs = clock.get();
        echo.start(bus);
        Await.until("replica 1 connected and its event taken", TIMEOUT, () -> echo.stepSequencer() == 1);
        assertTrue(bus.isReplicaConnected(1));

        request(echo, bus, connection(0), 9, 9, 1);
        assertEquals(1, echo.stepSequencer());
        Await.until("the prepare at the backup", TIMEOUT, () -> received.size() == 1);
        assertEquals(1, echo.pendingOps(), "two replicas need both");

        stepTicksBefore(echo, startNs + RETRANSMIT_NS);
        assertEquals(startNs + RETRANSMIT_NS, echo.nextSequencerDeadlineNs());
        assertEquals(0, echo.retransmittedPrepares(), "not at the ticks before the interval");
        clock.set(startNs + RETRANSMIT_NS - 1);
        echo.stepSequencer();
        assertEquals(0, echo.retransmittedPrepares(), "not one nanosecond before");

        clock.set(startNs + RETRANSMIT_NS);
        echo.stepSequencer();
        assertEquals(1, echo.retransmittedPrepares(), "at the interval");
        Await.until("the second copy at the backup", TIMEOUT, () -> received.size() == 2);

        stepTicksBefore(echo, startNs + 2 * RETRANSMIT_NS);
        assertEquals(1, echo.retransmittedPrepares());
        clock.set(startNs + 2 * RETRANSMIT_NS);
        echo.stepSequencer();
        assertEquals(2, echo.retransmittedPrepares(), "and every interval after");
        Await.until("the third copy at the backup", TIMEOUT, () -> received.size() == 3);

        final long incarnation = new Random(99).nextLong();
        assertEquals(incarnation, echo.incarnation());
        for (final long[] prepare : received)
        {
            assertEquals(1, prepare[0], "op");
            assertEquals(incarnation, prepare[1], "incarnation");
        }
        assertEquals(0, echo.committedOps());
    }

    /**
     * The incarnation is drawn from the injected random: the same seed gives the same one, another
     * seed another; a seeded {@link SecureRandom} (SHA1PRNG seeded before first use is
     * deterministic) works as well as any generator. By default it is random and never 0.
     */
    @Test
    void theSameSeedGivesTheSameIncarnation() throws Exception
    {
        final BusConfig config = clusterOfOne();
        final long first = echo(config, EchoReplica.Options.defaults().withRandom(seeded(42))).incarnation();
        final long again = echo(config, EchoReplica.Options.defaults().withRandom(seeded(42))).incarnation();
        final long other = echo(config, EchoReplica.Options.defaults().withRandom(seeded(43))).incarnation();
        assertEquals(first, again);
        assertNotEquals(first, other);
        assertEquals(new Random(5).nextLong(),
            echo(config, EchoReplica.Options.defaults().withRandom(new Random(5))).incarnation());
        assertNotEquals(0, echo(config, EchoReplica.Options.defaults()).incarnation());
    }

    private static SecureRandom seeded(final long seed) throws Exception
    {
        final SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
        random.setSeed(seed);
        return random;
    }

    /**
     * A node without replicas (no sequencer: nothing to step) also binds sessions and caches
     * replies on the injected clock: a released session is reclaimed with its cache one nanosecond
     * before the dedup TTL ends and is gone at it, so the request runs again. On the wall clock the
     * TTL would not pass within a test.
     */
    @Test
    void aNodeWithoutReplicasReadsTheInjectedClock()
    {
        final Duration ttl = Duration.ofSeconds(30);
        final BusConfig config = BusConfig.builder().shards(1).backend(Backend.NIO).dedupTtl(ttl).build();
        final EchoReplica echo = echo(config, EchoReplica.Options.defaults().withNanoClock(clock::get));
        final MessageBus bus = bus(config, echo);
        echo.start(bus);
        assertEquals(0, echo.stepSequencer(), "no sequencer");
        assertEquals(Long.MAX_VALUE, echo.nextSequencerDeadlineNs(), "no timer");

        final ClientConnMeta first = connection(0);
        request(echo, bus, first, 1, 1, 1);
        request(echo, bus, first, 2, 2, 1);
        assertEquals(2, echo.committedOps());
        echo.onClientClosed(bus, first);
        assertEquals(2, echo.releasedSessions());

        clock.set(ttl.toNanos() - 1);
        request(echo, bus, connection(1), 1, 1, 1);
        assertEquals(1, echo.dedupHits(), "reclaimed with its cache within the TTL");
        assertEquals(1, echo.sessionReclaims());

        clock.set(ttl.toNanos());
        request(echo, bus, connection(2), 2, 2, 1);
        assertEquals(1, echo.sessionReclaims(), "the TTL is over: a new session, not a reclaim");
        assertEquals(3, echo.committedOps(), "and the request runs again");
        assertEquals(1, echo.dedupHits());
    }
}
