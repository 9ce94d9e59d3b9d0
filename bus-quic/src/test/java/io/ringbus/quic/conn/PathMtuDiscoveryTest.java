package io.ringbus.quic.conn;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static io.ringbus.quic.conn.TestNetwork.MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Path MTU discovery above 1200 bytes (RFC 9000 14.3, RFC 8899), over the in-memory network. */
class PathMtuDiscoveryTest
{
    private static final int BASE = 1200;
    private static final int MAX = QuicConnectionConfig.DEFAULT_MAX_UDP_PAYLOAD_BYTES;

    /** NewReno that counts the losses it is told of. */
    static final class CountingCongestion implements CongestionController
    {
        final NewRenoCongestionController delegate = new NewRenoCongestionController(BASE);
        int losses;

        @Override
        public void onPacketSent(final int bytes, final long nowNs)
        {
            delegate.onPacketSent(bytes, nowNs);
        }

        @Override
        public void onPacketAcked(final int bytes, final long timeSentNs, final long nowNs)
        {
            delegate.onPacketAcked(bytes, timeSentNs, nowNs);
        }

        @Override
        public void onPacketLost(final int bytes, final long timeSentNs, final long nowNs)
        {
            losses++;
            delegate.onPacketLost(bytes, timeSentNs, nowNs);
        }

        @Override
        public void onPacketDiscarded(final int bytes)
        {
            delegate.onPacketDiscarded(bytes);
        }

        @Override
        public long bytesInFlight()
        {
            return delegate.bytesInFlight();
        }

        @Override
        public long congestionWindow()
        {
            return delegate.congestionWindow();
        }
    }

    private static TestNetwork network(final long seed, final QuicConnectionConfig.Builder config)
    {
        return new TestNetwork(seed, config.build(), 30_000, 2000);
    }

    private static void transfer(final TestNetwork net, final int bytes)
    {
        final long before = net.server.received;
        final ByteBuffer data = ByteBuffer.allocate(bytes);
        net.onStep = () ->
        {
            if (data.hasRemaining())
            {
                net.client.write(data);
            }
        };
        assertTrue(net.runUntil(() -> net.server.received == before + bytes, 600_000 * MS), net.client::toString);
        net.onStep = () -> { };
    }

    @Test
    void aProbeOfTheLargestSizeIsAckedAndAdoptedByBothSides()
    {
        final TestNetwork net = network(71, QuicConnectionConfig.builder());
        net.record = true;
        assertTrue(net.handshake());
        assertEquals(BASE, net.client.connection.datagramSizeBytes(), "1200 until a probe is acknowledged");
        assertTrue(net.runUntil(() -> net.client.connection.datagramSizeBytes() == MAX &&
            net.server.connection.datagramSizeBytes() == MAX, 10_000 * MS));
        assertEquals(1, net.client.connection.pathMtu().probesSent(), "the maximum first: one probe settles it");
        assertEquals(1, net.server.connection.pathMtu().probesSent());
        assertFalse(net.client.connection.pathMtu().isSearching());
        boolean probeSeen = false;
        for (final byte[] datagram : net.clientDatagrams)
        {
            probeSeen |= datagram.length == MAX;
        }
        assertTrue(probeSeen, "a " + MAX + "-byte probe went out");
        final List<PacketBatchingTest.Frames> frames;
        try
        {
            frames = PacketBatchingTest.clientFrames(net, 0);
        }
        catch (final io.ringbus.quic.packet.QuicException ex)
        {
            throw new AssertionError(ex);
        }
        boolean pingPadding = false;
        for (final PacketBatchingTest.Frames f : frames)
        {
            pingPadding |= f.length == MAX && f.ping && f.streams.isEmpty();
        }
        assertTrue(pingPadding, "the probe is PING and PADDING");
        transfer(net, 256 << 10);
        assertEquals(MAX, net.client.connection.datagramSizeBytes());
    }

    @Test
    void thePeersMaxUdpPayloadSizeAndTheConfiguredMaximumBoundTheSearch()
    {
        final TestNetwork net = network(72, QuicConnectionConfig.builder().maxUdpPayloadBytes(9000));
        net.server.params.maxUdpPayloadSize = 1350;
        assertTrue(net.handshake());
        assertTrue(net.runUntil(() -> !net.client.connection.pathMtu().isSearching() &&
            !net.server.connection.pathMtu().isSearching(), 10_000 * MS));
        assertEquals(1350, net.client.connection.datagramSizeBytes(), "the server's max_udp_payload_size");
        assertEquals(9000, net.server.connection.datagramSizeBytes(), "the configured maximum");
    }

    @Test
    void aPathThatDropsLargeDatagramsStaysAt1200AndItsLostProbesAreNoCongestion()
    {
        final CountingCongestion congestion = new CountingCongestion();
        final TestNetwork net = network(73, QuicConnectionConfig.builder().congestionControllers(() -> congestion));
        net.dropFilter = (fromClient, datagram) -> datagram.remaining() > BASE;
        assertTrue(net.handshake());
        transfer(net, 1 << 20);
        final PathMtu client = net.client.connection.pathMtu();
        // each size is tried MAX_PROBES times; the last probes are found lost by the probe timeout
        assertTrue(net.runUntil(() -> !client.isSearching(), 60_000 * MS), () -> client.probesLost() + " probes lost");
        assertEquals(BASE, net.client.connection.datagramSizeBytes());
        assertFalse(client.isSearching(), "the search gave up below " + (BASE + PathMtu.MIN_STEP));
        assertTrue(client.probesLost() >= PathMtu.MAX_PROBES, "probes lost: " + client.probesLost());
        assertEquals(0, net.client.connection.stats().packetsLost(), "a lost probe is not a lost packet");
        assertEquals(0, congestion.losses, "nor a congestion signal");
        assertEquals(0, client.blackHoles());
    }

    @Test
    void aPathThatStartsDroppingLargeDatagramsFallsBackTo1200()
    {
        final TestNetwork net = network(74, QuicConnectionConfig.builder());
        assertTrue(net.handshake());
        transfer(net, 64 << 10);
        assertEquals(MAX, net.client.connection.datagramSizeBytes());
        // the route changes: nothing above 1200 bytes gets through any more (a black hole, RFC 8899 4.3)
        net.dropFilter = (fromClient, datagram) -> datagram.remaining() > BASE;
        transfer(net, 1 << 20);
        assertEquals(BASE, net.client.connection.datagramSizeBytes());
        assertTrue(net.client.connection.pathMtu().blackHoles() >= 1);
        assertFalse(net.client.closed);
    }

    @Test
    void congestionAvoidanceGrowsByTheDiscoveredDatagramSize()
    {
        final NewRenoCongestionController congestion = new NewRenoCongestionController(BASE);
        congestion.onPacketSent(BASE, 0);
        congestion.onPacketLost(BASE, 0, 1); // half the initial window: congestion avoidance
        final long window = congestion.congestionWindow();
        congestion.onDatagramSizeChanged(MAX);
        long acked = 0;
        while (acked < window)
        {
            congestion.onPacketSent(MAX, 2);
            congestion.onPacketAcked(MAX, 2, 3);
            acked += MAX;
        }
        assertEquals(window + MAX, congestion.congestionWindow(), "one datagram of the new size per window");
    }

    @Test
    void withDiscoveryOffEveryDatagramIs1200BytesAtMost()
    {
        final TestNetwork net = network(75, QuicConnectionConfig.builder().pathMtuDiscovery(false));
        net.record = true;
        assertTrue(net.handshake());
        transfer(net, 256 << 10);
        assertEquals(0, net.client.connection.pathMtu().probesSent());
        for (final byte[] datagram : net.clientDatagrams)
        {
            assertTrue(datagram.length <= BASE, datagram.length + " bytes");
        }
    }
}
