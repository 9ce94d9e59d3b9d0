package io.ringbus.sim;

import java.net.InetSocketAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.ringbus.core.backend.IoResult;

import static io.ringbus.sim.SimStreamTest.SECOND_NS;
import static io.ringbus.sim.SimStreamTest.bytes;
import static io.ringbus.sim.SimStreamTest.serverAddress;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimFaultTest
{
    /** A connected pair: client on host 2, server on host 1 (accepted on shard 0, owned by shard 1). */
    static final class Pair
    {
        final SimHarness h;
        final SimServer server;
        final Peer client;
        final Peer serverPeer;

        Pair(final long seed, final NetworkConfig config) throws Exception
        {
            h = new SimHarness(seed, config);
            server = new SimServer(h.backend(1, 0), h.backend(1, 1), serverAddress());
            client = Peer.connect(h.backend(2, 0), serverAddress());
            assertTrue(h.runUntil(() -> client.connectResult != null && server.peer() != null, SECOND_NS));
            assertEquals(0, (int)client.connectResult);
            serverPeer = server.peer();
        }

        Pair(final long seed) throws Exception
        {
            this(seed, NetworkConfig.defaults());
        }

        void partition()
        {
            h.network.partition(List.of(SimHarness.host(1)), List.of(SimHarness.host(2)));
        }
    }

    @Test
    void aConnectAcrossAPartitionTimesOut() throws Exception
    {
        final SimHarness h = new SimHarness(20);
        new SimServer(h.backend(1, 0), h.backend(1, 1), serverAddress());
        h.network.partition(List.of(SimHarness.host(1)), List.of(SimHarness.host(2)));
        assertFalse(h.network.reachable(SimHarness.host(1), SimHarness.host(2)));
        assertFalse(h.network.reachable(SimHarness.host(2), SimHarness.host(1)));
        assertTrue(h.network.reachable(SimHarness.host(1), SimHarness.host(1)));
        final Peer client = Peer.connect(h.backend(2, 0), serverAddress());
        assertTrue(h.runUntil(() -> client.connectResult != null, 10 * SECOND_NS));
        assertEquals(IoResult.ERROR, (int)client.connectResult);
        assertTrue(h.clock.elapsedNs() >= h.network.config().connectTimeoutNs());
        assertEquals("connect timed out: no answer to the SYN within 3000 ms", client.channel.failure());
    }

    @Test
    void aConnectAcrossAPartitionHealedWithinTheTimeoutSucceeds() throws Exception
    {
        final SimHarness h = new SimHarness(21);
        final SimServer server = new SimServer(h.backend(1, 0), h.backend(1, 1), serverAddress());
        h.network.block(SimHarness.host(1), SimHarness.host(2));
        final Peer client = Peer.connect(h.backend(2, 0), serverAddress());
        h.runFor(SECOND_NS);
        assertNull(client.connectResult);
        h.network.healAll();
        assertTrue(h.network.reachable(SimHarness.host(1), SimHarness.host(2)));
        assertTrue(h.runUntil(() -> client.connectResult != null, 10 * SECOND_NS));
        assertEquals(0, (int)client.connectResult);
        assertTrue(h.runUntil(() -> server.peer() != null, SECOND_NS));
    }

    @Test
    void dataHeldByAPartitionIsDeliveredInOrderAfterTheHeal() throws Exception
    {
        final Pair p = new Pair(22);
        p.partition();
        final String dump = p.h.network.dump();
        assertTrue(dump.contains("host 1 10.0.0.1 up, crashes 0, tcp ports [7000], udp ports [], blocked to 2"), dump);
        assertTrue(dump.contains("SimStream#1[/10.0.0.2:"), dump);
        final byte[] data = bytes(7, 30_000);
        p.client.send(data);
        p.h.runFor(10 * SECOND_NS);
        assertEquals(0, p.serverPeer.received.size());
        assertTrue(p.h.network.streams().get(0).sendQueuedBytes(0) > 0);
        p.h.network.unblock(SimHarness.host(2), SimHarness.host(1));
        assertTrue(p.h.runUntil(() -> p.serverPeer.received.size() == data.length, 60 * SECOND_NS));
        assertArrayEquals(data, p.serverPeer.receivedBytes());
        assertEquals(0, p.client.writeError);
    }

    @Test
    void dataHeldLongerThanTheUserTimeoutResetsTheSenderAndThePeerLearnsOnlyFromAnRst() throws Exception
    {
        final Pair p = new Pair(23);
        p.partition();
        p.client.send(bytes(8, 1000));
        p.h.runFor(p.h.network.config().userTimeoutNs() + 5 * SECOND_NS);
        assertEquals(IoResult.RESET, p.client.readError, "the sender's pending read");
        assertEquals("user timeout: data unacknowledged for 30000 ms", p.client.channel.failure());
        assertEquals(0, p.serverPeer.readError, "the idle peer knows nothing");
        p.h.network.healAll();
        p.h.runFor(10 * SECOND_NS);
        assertEquals(0, p.serverPeer.readError, "the RST was lost in the partition; still nothing");
        p.serverPeer.send(bytes(9, 10));
        assertTrue(p.h.runUntil(() -> p.serverPeer.readError != 0, 10 * SECOND_NS));
        assertEquals(IoResult.RESET, p.serverPeer.readError);
    }

    @Test
    void aCrashResetsAPeerWithDataInFlightWhenTheHostComesBackAndTellsAnIdlePeerNothing() throws Exception
    {
        final SimHarness h = new SimHarness(24);
        final SimBackend serverAcceptor = h.backend(1, 0);
        final SimServer server = new SimServer(serverAcceptor, h.backend(1, 1), serverAddress());
        final Peer busy = Peer.connect(h.backend(2, 0), serverAddress());
        final Peer idle = Peer.connect(h.backend(3, 0), serverAddress());
        assertTrue(h.runUntil(() -> busy.connectResult != null && idle.connectResult != null &&
            server.peers.size() == 2, SECOND_NS));
        final int serverPeers = server.peers.size();
        busy.send(bytes(10, 500));
        h.network.crash(SimHarness.host(1));
        assertTrue(h.network.isDown(SimHarness.host(1)));
        assertTrue(serverAcceptor.isDead());
        assertEquals(0, serverAcceptor.poll(0));
        // The dead objects are silent: no exception to whoever still holds them.
        server.peers.get(0).channel.close();
        server.listener.close();
        h.runFor(5 * SECOND_NS);
        assertEquals(0, busy.readError, "the host is down: no one answers");
        // Restart: new backends on the same host bind the same port.
        final SimServer restarted = new SimServer(h.backend(1, 0), h.backend(1, 1), serverAddress());
        assertFalse(h.network.isDown(SimHarness.host(1)));
        assertTrue(h.runUntil(() -> busy.readError != 0, 10 * SECOND_NS));
        assertEquals(IoResult.RESET, busy.readError);
        h.runFor(60 * SECOND_NS);
        assertEquals(0, idle.readError, "an idle peer learns nothing");
        assertFalse(idle.eof);
        idle.send(bytes(11, 10));
        assertTrue(h.runUntil(() -> idle.readError != 0, 10 * SECOND_NS));
        assertEquals(IoResult.RESET, idle.readError);
        assertEquals(serverPeers, server.peers.size(), "nothing reached the crashed server's handlers");
        final Peer again = Peer.connect(h.backend(2, 1), serverAddress());
        assertTrue(h.runUntil(() -> again.connectResult != null, SECOND_NS));
        assertEquals(0, (int)again.connectResult);
        assertTrue(h.runUntil(() -> restarted.peer() != null, SECOND_NS));
    }

    @Test
    void aCrashedHostThatStaysDownLetsTheSendersUserTimeoutFire() throws Exception
    {
        final Pair p = new Pair(25);
        p.h.network.crash(SimHarness.host(1));
        p.client.send(bytes(12, 100));
        p.h.runFor(p.h.network.config().userTimeoutNs() + 5 * SECOND_NS);
        assertEquals(IoResult.RESET, p.client.readError);
    }

    @Test
    void aConnectToACrashedHostTimesOut() throws Exception
    {
        final SimHarness h = new SimHarness(26);
        new SimServer(h.backend(1, 0), h.backend(1, 1), serverAddress());
        h.network.crash(SimHarness.host(1));
        final Peer client = Peer.connect(h.backend(2, 0), serverAddress());
        assertTrue(h.runUntil(() -> client.connectResult != null, 10 * SECOND_NS));
        assertEquals(IoResult.ERROR, (int)client.connectResult);
    }

    @Test
    void aRandomStreamResetResetsBothSidesAndARandomFinEndsOneDirection() throws Exception
    {
        final Pair p = new Pair(27);
        assertEquals(1, p.h.network.openStreams());
        final long id = p.h.network.resetRandomStream();
        assertEquals(p.h.network.streams().get(0).id(), id);
        assertTrue(p.h.runUntil(() -> p.client.readError != 0 && p.serverPeer.readError != 0, SECOND_NS));
        assertEquals(IoResult.RESET, p.client.readError);
        assertEquals(IoResult.RESET, p.serverPeer.readError);
        assertEquals(-1, p.h.network.resetRandomStream());

        final Pair q = new Pair(28);
        final byte[] data = bytes(13, 3000);
        q.client.send(data);
        assertTrue(q.h.runUntil(() -> q.serverPeer.received.size() == data.length, 10 * SECOND_NS));
        final long finned = q.h.network.finStream(q.h.network.streams().get(0).id(), 0) ?
            q.h.network.streams().get(0).id() : -1;
        assertNotEquals(-1, finned);
        assertTrue(q.h.runUntil(() -> q.serverPeer.eof, SECOND_NS));
        assertArrayEquals(data, q.serverPeer.receivedBytes());
        q.client.send(bytes(14, 10));
        assertTrue(q.h.runUntil(() -> q.client.writeError != 0, SECOND_NS));
        assertEquals(IoResult.BROKEN_PIPE, q.client.writeError);
        assertNotEquals(-1, q.h.network.finRandomStream(), "the server side can still be shut");
        assertTrue(q.h.runUntil(() -> q.client.eof, SECOND_NS));
        assertEquals(-1, q.h.network.finRandomStream());
    }

    @Test
    void aSpontaneousRstPerSegmentResetsTheReceiver() throws Exception
    {
        final Pair p = new Pair(29, NetworkConfig.builder().streamResetProbability(1).build());
        p.client.send(bytes(15, 100));
        assertTrue(p.h.runUntil(() -> p.serverPeer.readError != 0, SECOND_NS));
        assertEquals(IoResult.RESET, p.serverPeer.readError);
        assertEquals(0, p.serverPeer.received.size());
        p.client.send(bytes(16, 100)); // reaches a reset socket: RST back
        assertTrue(p.h.runUntil(() -> p.client.readError != 0, SECOND_NS));
        assertEquals(IoResult.RESET, p.client.readError);
    }

    @Test
    void aSpontaneousFinPerSegmentEndsTheStreamAfterThatSegment() throws Exception
    {
        final Pair p = new Pair(30, NetworkConfig.builder().streamFinProbability(1).build());
        final byte[] data = bytes(17, 5000);
        p.client.send(data);
        assertTrue(p.h.runUntil(() -> p.serverPeer.eof, 10 * SECOND_NS));
        final byte[] got = p.serverPeer.receivedBytes();
        assertTrue(got.length > 0 && got.length <= data.length);
        assertArrayEquals(java.util.Arrays.copyOf(data, got.length), got, "a prefix, byte for byte");
        p.client.send(bytes(18, 10));
        assertTrue(p.h.runUntil(() -> p.client.writeError != 0, 10 * SECOND_NS));
        assertEquals(IoResult.BROKEN_PIPE, p.client.writeError);
    }

    @Test
    void aSeededFaultyRunIsDeterministic() throws Exception
    {
        assertEquals(faultyRun(31), faultyRun(31));
        assertNotEquals(faultyRun(31), faultyRun(32));
    }

    private static String faultyRun(final long seed) throws Exception
    {
        final SimHarness h = new SimHarness(seed, NetworkConfig.builder().sendBufferBytes(4000)
            .receiveBufferBytes(3000).maxChunkBytes(2000).userTimeoutNs(5 * SECOND_NS).build());
        final SimServer server = new SimServer(h.backend(1, 0), h.backend(1, 1), serverAddress());
        server.echo = true;
        final Peer[] clients = new Peer[4];
        for (int i = 0; i < clients.length; i++)
        {
            clients[i] = Peer.connect(h.backend(2 + i % 2, i / 2), serverAddress());
            clients[i].send(bytes(seed + i, 20_000));
        }
        for (int round = 0; round < 20; round++)
        {
            h.runFor(h.random.nextLong(SECOND_NS));
            switch (h.random.nextInt(5))
            {
                case 0:
                    h.network.partition(List.of(SimHarness.host(1)), List.of(SimHarness.host(2 + h.random.nextInt(2))));
                    break;
                case 1:
                    h.network.healAll();
                    break;
                case 2:
                    h.network.resetRandomStream();
                    break;
                case 3:
                    h.network.finRandomStream();
                    break;
                default:
                    break;
            }
        }
        h.network.healAll();
        h.runFor(20 * SECOND_NS);
        return h.trace.hex() + " " + h.trace.events();
    }

    @Test
    void connectToAnUnresolvedAddressFails() throws Exception
    {
        final SimHarness h = new SimHarness(33);
        final SimBackend b = h.backend(2, 0);
        org.junit.jupiter.api.Assertions.assertThrows(java.net.UnknownHostException.class,
            () -> b.connect(InetSocketAddress.createUnresolved("nowhere", 1), new Peer()));
    }

    @Test
    void aHostRestartedRightAfterItsCrashAnswersAnInFlightSegmentWithRstAtOnce() throws Exception
    {
        final Pair p = new Pair(34);
        p.client.send(bytes(19, 100));
        p.h.network.crash(SimHarness.host(1));
        p.h.network.restart(SimHarness.host(1));
        assertFalse(p.h.network.isDown(SimHarness.host(1)));
        assertTrue(p.h.runUntil(() -> p.client.readError != 0, SECOND_NS));
        assertEquals(IoResult.RESET, p.client.readError);
    }
}
