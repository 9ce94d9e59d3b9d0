package io.ringbus.core.replica;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.SendResult;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.Await;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replica plane on one backend, with and without a cluster key ({@link #clusterKey()}): lower id
 * dials higher, a valid handshake within handshake_grace,
 * exactly one connection per pair, reconnect after a late start and after a kill, one lost
 * notification per loss, FIFO per connection. Run per backend from {@code TransportPermutations}
 * (the replica plane is tcp): {@code ReplicaPlaneTest} here, {@code ReplicaPlaneMatrixTest} in bus-uring.
 */
public abstract class ReplicaPlaneSuite
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final List<MessageBus> buses = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();
    private Map<Integer, InetSocketAddress> replicas;
    /** Short, so the heartbeat runs in every test; off where a test counts frames exactly. */
    private Duration heartbeat = Duration.ofMillis(20);

    /** Adjust the configuration (backend). */
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return builder;
    }

    /** The cluster key every replica of a test shares, or null for the unauthenticated plane. */
    protected byte[] clusterKey()
    {
        return null;
    }

    /** Records what a replica saw. */
    static final class Recorder implements BusHandler
    {
        final AtomicIntegerArray connected = new AtomicIntegerArray(8);
        final AtomicIntegerArray lost = new AtomicIntegerArray(8);
        final ConcurrentLinkedQueue<Long> frames = new ConcurrentLinkedQueue<>();

        @Override
        public void onReplicaConnected(final MessageBus bus, final int replica)
        {
            connected.incrementAndGet(replica);
        }

        @Override
        public void onReplicaLost(final MessageBus bus, final int replica)
        {
            lost.incrementAndGet(replica);
        }

        @Override
        public void onReplicaFrame(final MessageBus bus, final int replica, final DirectBuffer buffer, final int offset,
            final int length)
        {
            frames.add(FrameHeader.request(buffer, offset));
        }
    }

    private static Map<Integer, InetSocketAddress> freeAddresses(final int count) throws IOException
    {
        final Map<Integer, InetSocketAddress> map = new TreeMap<>();
        for (int i = 0; i < count; i++)
        {
            try (ServerSocket probe = new ServerSocket(0))
            {
                map.put(i, new InetSocketAddress("127.0.0.1", probe.getLocalPort()));
            }
        }
        return map;
    }

    private MessageBus start(final int replica, final Recorder recorder)
    {
        return start(replica, recorder, 2);
    }

    private MessageBus start(final int replica, final Recorder recorder, final int shards)
    {
        final MessageBus bus = MessageBus.start(configure(BusConfig.builder()
            .shards(shards)
            .replicaId(replica)
            .replicas(replicas)
            .handshakeGrace(Duration.ofMillis(300))
            .reconnectBackoffMin(Duration.ofMillis(20))
            .reconnectBackoffMax(Duration.ofMillis(200))
            .replicaHeartbeat(heartbeat)
            .peerQueueCapacity(16_384)
            // Queued bytes count each frame's pooled capacity (4 KiB at least): 5,000 broadcasts
            // queued faster than a loaded machine writes them must not meet the 16 MiB default.
            .peerQueueMaxBytes(64L * 1024 * 1024)
            .clusterKey(clusterKey())).build(), recorder);
        buses.add(bus);
        return bus;
    }

    @AfterEach
    void tearDown() throws IOException
    {
        for (final Socket socket : sockets)
        {
            socket.close();
        }
        for (final MessageBus bus : buses)
        {
            bus.close();
            assertEquals(0, bus.stats().openConnections());
            if (bus.pool().isLeakDetectionEnabled())
            {
                bus.pool().assertNoLeaks();
            }
        }
    }

    @Test
    void threeReplicasConnectEveryPairExactlyOnce() throws IOException
    {
        replicas = freeAddresses(3);
        final Recorder[] recorders = {new Recorder(), new Recorder(), new Recorder()};
        final MessageBus[] bus = new MessageBus[3];
        for (int i = 0; i < 3; i++)
        {
            bus[i] = start(i, recorders[i]);
        }
        Await.until(TIMEOUT, () -> allConnected(bus), "every pair connected");
        // The table entry is set just before the connected callback runs on the owning shard.
        Await.until(TIMEOUT, () -> sum(recorders[0].connected) + sum(recorders[1].connected) +
            sum(recorders[2].connected) >= 6, "every connected callback ran");
        for (int i = 0; i < 3; i++)
        {
            assertEquals(2, bus[i].stats().openConnections(), "replica " + i + " holds one connection per peer");
            for (int peer = 0; peer < 3; peer++)
            {
                assertEquals(peer == i ? 0 : 1, recorders[i].connected.get(peer), "replica " + i + " saw " + peer);
            }
        }
    }

    @Test
    void heartbeatsFlowBothWaysOnAnIdleLinkAndNeverReachTheHandler() throws IOException
    {
        replicas = freeAddresses(2);
        final Recorder zero = new Recorder();
        final Recorder one = new Recorder();
        final MessageBus bus0 = start(0, zero);
        final MessageBus bus1 = start(1, one);
        Await.until(TIMEOUT, () -> bus0.replicaHeartbeatsReceived() >= 5 && bus1.replicaHeartbeatsReceived() >= 5,
            "heartbeats arrived both ways");
        assertTrue(zero.frames.isEmpty() && one.frames.isEmpty(), "a heartbeat reached a handler");
        assertTrue(bus0.isReplicaConnected(1) && bus1.isReplicaConnected(0));
    }

    private static int sum(final AtomicIntegerArray counts)
    {
        int total = 0;
        for (int i = 0; i < counts.length(); i++)
        {
            total += counts.get(i);
        }
        return total;
    }

    private static boolean allConnected(final MessageBus[] bus)
    {
        for (int i = 0; i < bus.length; i++)
        {
            for (int peer = 0; peer < bus.length; peer++)
            {
                if (peer != i && !bus[i].isReplicaConnected(peer))
                {
                    return false;
                }
            }
        }
        return true;
    }

    @Test
    void reconnectsAfterALateStartAndAfterAKillWithOneLostNotificationPerLoss() throws IOException
    {
        replicas = freeAddresses(2);
        final Recorder zero = new Recorder();
        final MessageBus bus0 = start(0, zero);
        assertFalse(bus0.isReplicaConnected(1));

        final MessageBus bus1 = start(1, new Recorder());
        Await.until(TIMEOUT, () -> bus0.isReplicaConnected(1) && bus1.isReplicaConnected(0), "late start joined");

        bus1.close();
        Await.until(TIMEOUT, () -> zero.lost.get(1) == 1, "replica 0 noticed the loss");
        assertFalse(bus0.isReplicaConnected(1));

        final MessageBus restarted = start(1, new Recorder());
        Await.until(TIMEOUT, () -> zero.connected.get(1) == 2 && restarted.isReplicaConnected(0), "rejoined");
        assertEquals(1, zero.lost.get(1), "exactly one lost notification for one loss");
    }

    @Test
    void framesBetweenTwoReplicasArriveInOrder() throws IOException
    {
        replicas = freeAddresses(2);
        final Recorder one = new Recorder();
        final MessageBus bus0 = start(0, new Recorder());
        final MessageBus bus1 = start(1, one);
        Await.until(TIMEOUT, () -> bus0.isReplicaConnected(1), "connected");
        final int count = 10_000;
        for (int i = 0; i < count; i++)
        {
            final FrameBuffer frame = bus0.allocate(FrameHeader.HEADER_SIZE + 16);
            Frames.header().wrap(frame.buffer(), 0).clear().size(FrameHeader.HEADER_SIZE + 16)
                .command(Command.PREPARE).replica(0).request(i);
            Frames.seal(frame.buffer(), 0);
            assertEquals(SendResult.OK, bus0.sendToReplica(1, frame));
        }
        Await.until(TIMEOUT, () -> one.frames.size() == count, "every frame arrived");
        long expected = 0;
        for (final long request : one.frames)
        {
            assertEquals(expected++, request, "FIFO");
        }
        assertTrue(bus0.stats().maxFramesPerWrite() > 1, "frames left in batches: " + bus0.stats());
        assertTrue(bus1.isReplicaConnected(0));
    }

    @Test
    void replicaCountersFollowFramesConnectionsAndReconnects() throws IOException
    {
        heartbeat = Duration.ZERO; // heartbeats are frames too (counted both ways): none here, the counts are exact
        replicas = freeAddresses(2);
        final Recorder one = new Recorder();
        final MessageBus bus0 = start(0, new Recorder());
        final MessageBus bus1 = start(1, one);
        Await.until(TIMEOUT, () -> bus0.isReplicaConnected(1) && bus1.isReplicaConnected(0), "connected");
        Await.until(TIMEOUT, () -> bus0.counters().value("replica.1.connected") == 1 &&
            bus1.counters().value("replica.0.connected") == 1, "replica.N.connected is 1 on both sides");
        final int count = 100;
        final int frameLength = FrameHeader.HEADER_SIZE + 16;
        for (int i = 0; i < count; i++)
        {
            final FrameBuffer frame = bus0.allocate(frameLength);
            Frames.header().wrap(frame.buffer(), 0).clear().size(frameLength).command(Command.PREPARE).replica(0)
                .request(i);
            Frames.seal(frame.buffer(), 0);
            assertEquals(SendResult.OK, bus0.sendToReplica(1, frame));
        }
        Await.until(TIMEOUT, () -> one.frames.size() == count, "every frame arrived");
        Await.until(TIMEOUT, () -> bus0.counters().value("replica.1.frames_out") == count,
            "the sender counted every frame written");
        assertEquals((long)count * frameLength, bus0.counters().value("replica.1.bytes_out"));
        assertEquals(count, bus1.counters().value("replica.0.frames_in"));
        assertEquals((long)count * frameLength, bus1.counters().value("replica.0.bytes_in"));
        assertEquals(0, bus0.counters().value("replica.1.frames_in"), "after the handshake nothing came back");
        assertEquals(0, bus0.counters().value("replica.1.reconnects"));
        assertFalse(bus0.counters().snapshot().containsKey("replica.0.frames_in"), "no counters for ourselves");

        bus1.close();
        Await.until(TIMEOUT, () -> bus0.counters().value("replica.1.connected") == 0, "the loss is counted");
        final MessageBus restarted = start(1, new Recorder());
        Await.until(TIMEOUT, () -> bus0.isReplicaConnected(1) && restarted.isReplicaConnected(0), "rejoined");
        Await.until(TIMEOUT, () -> bus0.counters().value("replica.1.connected") == 1, "connected again");
        assertEquals(1, bus0.counters().value("replica.1.reconnects"), "one reconnect");
        assertEquals(0, bus0.counters().value("replica.1.queued_frames"));
    }

    @Test
    void broadcastSendsOneBufferToEveryReplica() throws IOException
    {
        replicas = freeAddresses(3);
        final Recorder[] recorders = {new Recorder(), new Recorder(), new Recorder()};
        final MessageBus[] bus = new MessageBus[3];
        for (int i = 0; i < 3; i++)
        {
            bus[i] = start(i, recorders[i]);
        }
        Await.until(TIMEOUT, () -> allConnected(bus), "every pair connected");
        final FrameBuffer frame = bus[0].allocate(FrameHeader.HEADER_SIZE);
        Frames.header().wrap(frame.buffer(), 0).clear().size(FrameHeader.HEADER_SIZE).command(Command.COMMIT)
            .replica(0).request(77);
        Frames.seal(frame.buffer(), 0);
        assertEquals(2, bus[0].broadcastToReplicas(frame));
        Await.until(TIMEOUT, () -> recorders[1].frames.contains(77L) && recorders[2].frames.contains(77L),
            "both replicas got the broadcast");
    }

    @Test
    void manyBroadcastsFromOneShardArriveIntactAndInOrderEverywhere() throws IOException
    {
        // Both replica connections of replica 0 live on its only shard and write the same buffers.
        replicas = freeAddresses(3);
        final Recorder[] recorders = {new Recorder(), new Recorder(), new Recorder()};
        final MessageBus[] bus = {start(0, recorders[0], 1), start(1, recorders[1]), start(2, recorders[2])};
        Await.until(TIMEOUT, () -> allConnected(bus), "every pair connected");
        final int count = 5_000;
        for (int i = 0; i < count; i++)
        {
            final FrameBuffer frame = bus[0].allocate(FrameHeader.HEADER_SIZE + 100);
            Frames.header().wrap(frame.buffer(), 0).clear().size(FrameHeader.HEADER_SIZE + 100)
                .command(Command.PREPARE).replica(0).request(i);
            Frames.seal(frame.buffer(), 0);
            assertEquals(2, bus[0].broadcastToReplicas(frame), "broadcast " + i + " queued on both links");
        }
        Await.until(TIMEOUT, () -> recorders[1].frames.size() == count && recorders[2].frames.size() == count,
            "every broadcast arrived at both replicas");
        for (int r = 1; r <= 2; r++)
        {
            long expected = 0;
            for (final long request : recorders[r].frames)
            {
                assertEquals(expected++, request, "FIFO at replica " + r);
            }
            assertEquals(0, recorders[r].lost.get(0), "no connection was lost to a corrupted stream");
        }
    }

    @Test
    void theSameBufferQueuedTwiceOnOneConnectionIsWrittenTwice() throws IOException
    {
        replicas = freeAddresses(2);
        final Recorder one = new Recorder();
        final MessageBus bus0 = start(0, new Recorder(), 1);
        start(1, one);
        Await.until(TIMEOUT, () -> bus0.isReplicaConnected(1), "connected");
        for (int i = 0; i < 100; i++)
        {
            final FrameBuffer frame = bus0.allocate(FrameHeader.HEADER_SIZE + 8);
            Frames.header().wrap(frame.buffer(), 0).clear().size(FrameHeader.HEADER_SIZE + 8)
                .command(Command.COMMIT).replica(0).request(i);
            Frames.seal(frame.buffer(), 0);
            assertEquals(SendResult.OK, bus0.sendToReplica(1, frame.retain()));
            assertEquals(SendResult.OK, bus0.sendToReplica(1, frame));
        }
        Await.until(TIMEOUT, () -> one.frames.size() == 200, "both copies of every frame arrived");
        int i = 0;
        for (final long request : one.frames)
        {
            assertEquals(i / 2, request, "frame " + i);
            i++;
        }
        assertEquals(0, one.lost.get(0));
    }

    @Test
    void aDuplicateRegistrationLosesCleanly() throws IOException
    {
        replicas = freeAddresses(2);
        final Recorder one = new Recorder();
        final MessageBus bus0 = start(0, new Recorder());
        final MessageBus bus1 = start(1, one);
        Await.until(TIMEOUT, () -> one.connected.get(0) == 1, "connected");

        // Without a key the first connection keeps the id (anyone could claim it); with a key the
        // unauthenticated ping is refused before it could claim anything (ReplicaAuthSuite has the rest).
        final Socket impostor = connect(replicas.get(1));
        impostor.getOutputStream().write(ping(0));
        assertTrue(closedByPeer(impostor), "the duplicate was closed");
        assertTrue(bus1.isReplicaConnected(0) && bus0.isReplicaConnected(1), "the first connection stays");
        assertEquals(0, one.lost.get(0), "no loss was reported for the duplicate");
        assertEquals(1, one.connected.get(0));
        Await.until(TIMEOUT, () -> bus1.replicaHandshakesRefused() == (clusterKey() == null ? 0 : 1),
            "a keyless duplicate passed the handshake, a keyed one did not: " + bus1.replicaHandshakesRefused());
    }

    @Test
    void handshakeMustBeAValidPingWithinHandshakeGrace() throws IOException
    {
        replicas = freeAddresses(2);
        final Recorder one = new Recorder();
        final MessageBus bus1 = start(1, one);

        final Socket silent = connect(replicas.get(1));
        assertTrue(closedByPeer(silent), "a silent dialer is closed at handshake_grace");

        final Socket higher = connect(replicas.get(1));
        higher.getOutputStream().write(ping(1));
        assertTrue(closedByPeer(higher), "a ping from an id not lower than ours is refused");

        final Socket notPing = connect(replicas.get(1));
        notPing.getOutputStream().write(TestFrames.frame(Command.PREPARE, 0, 1));
        assertTrue(closedByPeer(notPing), "a first frame other than ping is refused");

        final Socket garbage = connect(replicas.get(1));
        garbage.getOutputStream().write(new byte[512]);
        assertTrue(closedByPeer(garbage), "garbage is refused");
        assertEquals(0, one.connected.get(0));
        assertTrue(one.frames.isEmpty(), "no frame was delivered");
        Await.until(TIMEOUT, () -> bus1.replicaHandshakesRefused() == 4, "every refusal counted: " +
            bus1.replicaHandshakesRefused());
    }

    private Socket connect(final InetSocketAddress address) throws IOException
    {
        final Socket socket = new Socket(address.getAddress(), address.getPort());
        sockets.add(socket);
        return socket;
    }

    static byte[] ping(final int replica)
    {
        final byte[] frame = TestFrames.frame(Command.PING, 0, 1);
        frame[FrameHeader.REPLICA_OFFSET] = (byte)replica;
        final org.agrona.concurrent.UnsafeBuffer view = new org.agrona.concurrent.UnsafeBuffer(frame);
        Frames.seal(view, 0);
        return frame;
    }

    static boolean closedByPeer(final Socket socket) throws IOException
    {
        socket.setSoTimeout((int)TIMEOUT.toMillis());
        final InputStream in = socket.getInputStream();
        try
        {
            while (in.read() >= 0)
            {
                // a replica sends nothing before the handshake; drain whatever comes
            }
            return true;
        }
        catch (final SocketException ex)
        {
            return true; // reset
        }
    }
}
