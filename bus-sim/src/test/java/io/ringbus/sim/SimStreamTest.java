package io.ringbus.sim;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.IoChannelHandler;
import io.ringbus.core.backend.IoListener;
import io.ringbus.core.backend.IoResult;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimStreamTest
{
    static final long SECOND_NS = 1_000_000_000L;
    static final int PORT = 7000;

    static NetworkConfig smallBuffers()
    {
        return NetworkConfig.builder().sendBufferBytes(3000).receiveBufferBytes(2000).maxChunkBytes(1500).build();
    }

    static InetSocketAddress serverAddress()
    {
        return new InetSocketAddress(SimHarness.host(1), PORT);
    }

    static byte[] bytes(final long seed, final int length)
    {
        final byte[] data = new byte[length];
        new Random(seed).nextBytes(data);
        return data;
    }

    /** Runs the echo scenario and returns the trace's hash. */
    static String echo(final long seed, final int length) throws Exception
    {
        final SimHarness h = new SimHarness(seed, smallBuffers());
        final SimBackend acceptor = h.backend(1, 0);
        final SimBackend owner = h.backend(1, 1);
        final SimBackend clientBackend = h.backend(2, 0);
        final SimServer server = new SimServer(acceptor, owner, serverAddress());
        server.echo = true;
        final Peer client = Peer.connect(clientBackend, serverAddress());
        final byte[] data = bytes(seed, length);
        client.send(data);
        assertTrue(h.runUntil(() -> client.received.size() >= length, 600 * SECOND_NS),
            "seed " + seed + ": echoed " + client.received.size() + " of " + length);
        assertArrayEquals(data, client.receivedBytes(), "seed " + seed);
        final Peer serverPeer = server.peer();
        assertArrayEquals(data, serverPeer.receivedBytes());
        assertEquals(0, (int)client.connectResult);
        assertFalse(client.inlineCompletion || serverPeer.inlineCompletion, "a completion inside a call");
        assertFalse(client.positionMismatch || serverPeer.positionMismatch, "positions disagree with the result");
        assertTrue(client.readResults.size() > 3, "random splits give many reads");
        assertEquals(new InetSocketAddress(SimHarness.host(1), PORT), client.channel.remoteAddress());
        assertEquals(SimHarness.host(2), serverPeer.channel.remoteAddress().getAddress());
        assertTrue(serverPeer.channel.remoteAddress().getPort() >= 40_000);
        return h.trace.hex();
    }

    @Test
    void bytesEchoInOrderByteForByteOverRandomSplitsForManySeeds() throws Exception
    {
        for (long seed = 1; seed <= 40; seed++)
        {
            echo(seed, 20_000);
        }
    }

    @Test
    void theSameSeedGivesTheSameTraceAndOtherSeedsOtherTraces() throws Exception
    {
        final String first = echo(42, 8_000);
        assertEquals(first, echo(42, 8_000));
        int distinct = 0;
        for (long seed = 43; seed < 48; seed++)
        {
            distinct += echo(seed, 8_000).equals(first) ? 0 : 1;
        }
        assertEquals(5, distinct);
    }

    @Test
    void aConnectToNoListenerOrNoHostIsRefusedAfterTheRoundTrip() throws Exception
    {
        final SimHarness h = new SimHarness(3);
        h.backend(1, 0); // a host with no listener
        final SimBackend clientBackend = h.backend(2, 0);
        final Peer noListener = Peer.connect(clientBackend, serverAddress());
        final Peer noHost = Peer.connect(clientBackend, new InetSocketAddress(SimHarness.host(99), PORT));
        h.step();
        assertNull(noListener.connectResult, "not before the round trip");
        assertTrue(h.runUntil(() -> noListener.connectResult != null && noHost.connectResult != null, SECOND_NS));
        assertEquals(IoResult.REFUSED, (int)noListener.connectResult);
        assertEquals(IoResult.REFUSED, (int)noHost.connectResult);
        assertTrue(h.clock.elapsedNs() >= 2 * h.network.config().latencyMinNs());
        assertFalse(noListener.inlineCompletion);
        h.runFor(SECOND_NS);
        assertEquals(0, h.network.openStreams());
    }

    @Test
    void aListenersPortConflictsOnItsHostOnlyAndIsFreeAgainAfterClose() throws Exception
    {
        final SimHarness h = new SimHarness(4);
        final SimBackend a = h.backend(1, 0);
        final SimBackend b = h.backend(1, 1);
        final SimBackend other = h.backend(2, 0);
        final IoListener first = a.listen(serverAddress(), s -> { });
        final BindException ex = assertThrows(BindException.class, () -> b.listen(serverAddress(), s -> { }));
        assertEquals("Address already in use", ex.getMessage());
        other.listen(new InetSocketAddress(SimHarness.host(2), PORT), s -> { }).close();
        assertThrows(BindException.class, () -> a.listen(new InetSocketAddress(SimHarness.host(2), PORT), s -> { }));
        first.close();
        b.listen(serverAddress(), s -> { }).close();
        final IoListener ephemeral = a.listen(new InetSocketAddress(0), s -> { });
        assertEquals(SimHarness.host(1), ephemeral.localAddress().getAddress());
        assertTrue(ephemeral.localAddress().getPort() >= 40_000);
        assertNotEquals(ephemeral.localAddress().getPort(), a.listen(new InetSocketAddress(0), s -> { })
            .localAddress().getPort());
    }

    @Test
    void finHalfClosesThePeerReadsEofAfterTheDataAndMayStillWrite() throws Exception
    {
        final SimHarness h = new SimHarness(5, smallBuffers());
        final SimServer server = new SimServer(h.backend(1, 0), h.backend(1, 1), serverAddress());
        final Peer client = Peer.connect(h.backend(2, 0), serverAddress());
        final byte[] request = bytes(1, 5000);
        client.send(request);
        assertTrue(h.runUntil(() -> client.written == request.length, 10 * SECOND_NS));
        client.channel.shutdownOutput();
        final Peer[] serverPeer = new Peer[1];
        assertTrue(h.runUntil(() -> (serverPeer[0] = server.peer()) != null && serverPeer[0].eof, 10 * SECOND_NS));
        assertArrayEquals(request, serverPeer[0].receivedBytes());
        assertEquals(IoResult.EOF, (int)serverPeer[0].readResults.get(serverPeer[0].readResults.size() - 1));
        // Half-closed: the server still writes, the client still reads.
        final byte[] reply = bytes(2, 4000);
        serverPeer[0].send(reply);
        assertTrue(h.runUntil(() -> client.received.size() == reply.length, 10 * SECOND_NS));
        assertArrayEquals(reply, client.receivedBytes());
        // A write after our own FIN is a broken pipe.
        client.send(new byte[] {1});
        assertTrue(h.runUntil(() -> client.writeError != 0, SECOND_NS));
        assertEquals(IoResult.BROKEN_PIPE, client.writeError);
        serverPeer[0].channel.close();
        assertTrue(h.runUntil(() -> client.eof, 10 * SECOND_NS));
        client.channel.close();
        h.runFor(SECOND_NS);
        assertEquals(0, h.network.openStreams());
    }

    @Test
    void closingWithUnreadDataResetsThePeer() throws Exception
    {
        final SimHarness h = new SimHarness(6, smallBuffers());
        final SimServer server = new SimServer(h.backend(1, 0), h.backend(1, 1), serverAddress());
        server.reading = false;
        final Peer client = Peer.connect(h.backend(2, 0), serverAddress());
        client.send(bytes(3, 100));
        assertTrue(h.runUntil(() -> server.peer() != null && client.written == 100, SECOND_NS));
        h.runFor(SECOND_NS); // the bytes reach the server's receive buffer, unread
        assertEquals(100, h.network.streams().get(0).receiveQueuedBytes(1));
        server.peer().channel.close();
        assertTrue(server.peer().channel.isQuiescent());
        assertTrue(h.runUntil(() -> client.readError != 0, SECOND_NS));
        assertEquals(IoResult.RESET, client.readError);
        client.send(new byte[] {1});
        assertTrue(h.runUntil(() -> client.writeError != 0, SECOND_NS));
        assertEquals(IoResult.RESET, client.writeError);
    }

    @Test
    void closingWithNothingUnreadSendsFinAndDataSentAfterwardsIsAnsweredByRst() throws Exception
    {
        final SimHarness h = new SimHarness(7);
        final SimServer server = new SimServer(h.backend(1, 0), h.backend(1, 1), serverAddress());
        final Peer client = Peer.connect(h.backend(2, 0), serverAddress());
        assertTrue(h.runUntil(() -> server.peer() != null && client.connectResult != null, SECOND_NS));
        server.peer().channel.close();
        assertTrue(h.runUntil(() -> client.eof, SECOND_NS));
        client.send(bytes(4, 10)); // into a closed socket: the peer's kernel answers RST
        assertTrue(h.runUntil(() -> h.network.streams().isEmpty() ||
            "GONE".equals(h.network.streams().get(0).state(0)), SECOND_NS));
        client.send(bytes(5, 10));
        assertTrue(h.runUntil(() -> client.writeError != 0, SECOND_NS));
        assertEquals(IoResult.RESET, client.writeError);
    }

    /** A writer facing a peer that does not read fills both buffers and then makes no progress. */
    @Test
    void aWriterFacingANonReadingPeerStallsWithinTheBuffersAndResumesWhenItReads() throws Exception
    {
        final NetworkConfig config = smallBuffers();
        final SimHarness h = new SimHarness(8, config);
        final SimServer server = new SimServer(h.backend(1, 0), h.backend(1, 1), serverAddress());
        server.reading = false;
        final Peer client = Peer.connect(h.backend(2, 0), serverAddress());
        final byte[] data = bytes(6, 50_000);
        client.send(data);
        h.runFor(30 * SECOND_NS);
        final long stalledAt = client.written;
        assertTrue(stalledAt > 0 && stalledAt <= config.sendBufferBytes() + config.receiveBufferBytes(),
            "written " + stalledAt);
        assertTrue(client.writing, "the last write waits for room");
        assertTrue(client.writeResults.contains(0L) || client.writeResults.get(client.writeResults.size() - 1) > 0);
        assertTrue(h.network.bytesQueued(SimHarness.host(2)) <= config.sendBufferBytes());
        assertTrue(h.network.bytesQueued(SimHarness.host(1)) <= config.receiveBufferBytes());
        assertEquals(config.receiveBufferBytes(), h.network.streams().get(0).receiveQueuedBytes(1));
        h.runFor(30 * SECOND_NS);
        assertEquals(stalledAt, client.written, "no progress while nobody reads");
        final Peer serverPeer = server.peer();
        serverPeer.reading = true;
        serverPeer.armRead();
        assertTrue(h.runUntil(() -> serverPeer.received.size() == data.length, 600 * SECOND_NS));
        assertArrayEquals(data, serverPeer.receivedBytes());
    }

    @Test
    void completionsComeOnlyFromPollAndAClosedChannelCompletesNothing() throws Exception
    {
        final SimHarness h = new SimHarness(9);
        final SimServer server = new SimServer(h.backend(1, 0), h.backend(1, 1), serverAddress());
        final Peer client = Peer.connect(h.backend(2, 0), serverAddress());
        assertTrue(h.runUntil(() -> client.connectResult != null && server.peer() != null, SECOND_NS));
        client.send(bytes(1, 10));
        assertTrue(client.writeResults.isEmpty(), "the write completes on the next poll");
        final int readsBefore = client.readResults.size();
        client.channel.close();
        assertTrue(client.channel.isClosed() && client.channel.isQuiescent());
        h.runFor(SECOND_NS);
        assertTrue(client.writeResults.isEmpty());
        assertEquals(readsBefore, client.readResults.size());
        assertTrue(server.peer().eof);
    }

    @Test
    void aReadNeedsRoomAndOneOperationOfEachKindAtATime() throws Exception
    {
        final SimHarness h = new SimHarness(10);
        h.backend(1, 0).listen(serverAddress(), s -> { });
        final IoChannel channel = h.backend(2, 0).connect(serverAddress(), new IoChannelHandler()
        {
            @Override
            public void onConnect(final int result)
            {
            }

            @Override
            public void onRead(final int result)
            {
            }

            @Override
            public void onWrite(final long result)
            {
            }
        });
        assertThrows(IllegalArgumentException.class, () -> channel.read(java.nio.ByteBuffer.allocate(0)));
        channel.read(java.nio.ByteBuffer.allocate(1));
        assertThrows(IllegalStateException.class, () -> channel.read(java.nio.ByteBuffer.allocate(1)));
        channel.close();
    }

    @Test
    void aListenerClosedWithConnectionsInItsQueueResetsThem() throws Exception
    {
        final SimHarness h = new SimHarness(11);
        final SimBackend serverBackend = h.network.backend(SimHarness.host(1), 0); // never polled: accepts queue up
        final IoListener listener = serverBackend.listen(serverAddress(), s -> { });
        final Peer client = Peer.connect(h.backend(2, 0), serverAddress());
        assertTrue(h.runUntil(() -> client.connectResult != null, SECOND_NS));
        assertEquals(0, (int)client.connectResult);
        assertTrue(serverBackend.hasReady());
        listener.close();
        assertTrue(h.runUntil(() -> client.readError != 0, SECOND_NS));
        assertEquals(IoResult.RESET, client.readError);
        assertEquals(0, serverBackend.poll(0));
    }

    @Test
    void anAcceptedSocketIsRegisteredOnlyOnceAndOnlyOnItsHost() throws Exception
    {
        final SimHarness h = new SimHarness(12);
        final java.util.List<io.ringbus.core.backend.AcceptedSocket> accepted = new java.util.ArrayList<>();
        h.backend(1, 0).listen(serverAddress(), accepted::add);
        final SimBackend otherHost = h.backend(3, 0);
        final SimBackend owner = h.backend(1, 1);
        Peer.connect(h.backend(2, 0), serverAddress());
        assertTrue(h.runUntil(() -> !accepted.isEmpty(), SECOND_NS));
        assertThrows(IllegalArgumentException.class, () -> otherHost.register(accepted.get(0), new Peer()));
        owner.register(accepted.get(0), new Peer());
        assertThrows(java.io.IOException.class, () -> owner.register(accepted.get(0), new Peer()));
        assertEquals(Arrays.asList(SimHarness.host(2)), Arrays.asList(accepted.get(0).remoteAddress().getAddress()));
    }

    @Test
    void loopbackStaysOnTheHostAndTheProviderMakesBackendsThere() throws Exception
    {
        final SimHarness h = new SimHarness(13);
        final io.ringbus.core.backend.IoBackendProvider provider = h.network.provider(SimHarness.host(1));
        assertEquals("sim", provider.name());
        assertTrue(provider.isAvailable());
        final SimBackend backend = (SimBackend)provider.create(0);
        h.backends.add(backend);
        assertEquals(SimHarness.host(1), backend.host());
        final SimServer server = new SimServer(backend, backend,
            new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), PORT));
        assertEquals(SimHarness.host(1), server.listener.localAddress().getAddress());
        final Peer client = Peer.connect(backend, new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), PORT));
        assertTrue(h.runUntil(() -> client.connectResult != null, SECOND_NS));
        assertEquals(0, (int)client.connectResult);
        assertEquals(SimHarness.host(1), server.peer().channel.remoteAddress().getAddress());
    }
}
