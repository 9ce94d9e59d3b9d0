package io.ringbus.quic.conn;

import io.ringbus.quic.frame.FrameType;
import io.ringbus.quic.packet.QuicException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.ringbus.quic.conn.TestNetwork.MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The AEAD limits and key updates of RFC 9001 6 (issue 13 point 5), with the limits made small:
 * we initiate a key update before the confidentiality limit and the peer follows; a second waits
 * for the first to be acknowledged, and without that the connection closes with
 * AEAD_LIMIT_REACHED rather than use the keys past their limit; failed decryptions close it at the
 * integrity limit; an old-phase packet above the update is KEY_UPDATE_ERROR; the previous read keys
 * go three PTOs after the update.
 */
class KeyUpdateLimitsTest
{
    private static final byte[] PING = {FrameType.PING};
    private static final int LIMIT = 1024;

    @Test
    void weUpdateTheKeysBeforeTheConfidentialityLimitAndThePeerFollows()
    {
        // A small window and a long RTT keep the packets sent in the three PTOs an update waits for
        // (RFC 9001 6.5) below the quarter of the limit left after the update starts.
        final QuicConnectionConfig config = QuicConnectionConfig.builder().confidentialityLimitPackets(LIMIT)
            .streamWindowBytes(16 << 10).connectionWindowBytes(32 << 10).build();
        final TestNetwork net = new TestNetwork(140, config, 30_000, 2000);
        net.latencyNs = 20 * MS;
        assertTrue(net.handshake());
        final StreamPump toServer = new StreamPump(net.client, 3_000_000);
        final StreamPump.Checker checker = new StreamPump.Checker();
        net.server.onData = checker::check;
        net.onStep = toServer::pump;
        assertTrue(net.runUntil(() -> net.server.fin, 600_000 * MS), net.server::toString);
        assertEquals(3_000_000, checker.offset, "every byte arrived, in order, across the updates");
        assertFalse(net.client.closed || net.server.closed, () -> net.client + " / " + net.server);
        final QuicConnectionStats stats = net.client.connection.stats();
        assertTrue(stats.packetsSent() > 2 * LIMIT, stats::toString);
        assertTrue(stats.keyUpdatesInitiated() >= stats.packetsSent() / LIMIT, "an update every 768 packets: " + stats);
        assertEquals(stats.keyUpdatesInitiated(), net.server.connection.stats().keyUpdates(),
            "the server followed each one");
        assertEquals(net.client.connection.writeKeyPhase(), net.server.connection.readKeyPhase());
        assertEquals(net.server.connection.writeKeyPhase(), net.client.connection.readKeyPhase());
    }

    @Test
    void withoutAnAcknowledgmentNoSecondUpdateAndTheLimitClosesTheConnection()
    {
        final QuicConnectionConfig config = QuicConnectionConfig.builder().confidentialityLimitPackets(64).build();
        final TestNetwork net = new TestNetwork(141, config, 30_000, 2000);
        assertTrue(net.handshake());
        final long[] updatedAt = {-1};
        // once the client updated its keys, the server hears it but nothing comes back
        net.dropFilter = (fromClient, datagram) -> !fromClient && updatedAt[0] >= 0;
        net.onStep = () ->
        {
            if (updatedAt[0] < 0 && net.client.connection.stats().keyUpdatesInitiated() > 0)
            {
                updatedAt[0] = net.client.connection.stats().packetsSent();
            }
            net.client.write(ByteBuffer.allocate(4096));
        };
        assertTrue(net.runUntil(() -> net.client.closed, 120_000 * MS), net.client::toString);
        assertEquals(KeyPhases.AEAD_LIMIT_REACHED, net.client.closeCode, net.client::toString);
        assertEquals(1, net.client.connection.stats().keyUpdatesInitiated(),
            "no second update before the first was acknowledged (RFC 9001 6.1)");
        assertTrue(net.client.connection.stats().packetsSent() - updatedAt[0] <= 64,
            "no more than the limit with the new keys: " + net.client);
    }

    @Test
    void failedDecryptionsCloseAtTheIntegrityLimit() throws QuicException
    {
        final QuicConnectionConfig config = QuicConnectionConfig.builder().integrityLimitPackets(5).build();
        final TestNetwork net = new TestNetwork(142, config, 30_000, 2000);
        assertTrue(net.handshake());
        final byte[] forged = FakeTls.filled(0x55);
        for (int i = 0; i < 4; i++)
        {
            net.inject(true, Packets.shortHeader(forged, 0, FakeTls.CLIENT_APP_SECRET,
                net.server.connection.localConnectionId(), 100 + i, PING));
        }
        assertEquals(4, net.server.connection.stats().authenticationFailures());
        assertFalse(net.server.closed, "under the limit the forgeries are dropped");
        net.inject(true, Packets.shortHeader(forged, 0, FakeTls.CLIENT_APP_SECRET,
            net.server.connection.localConnectionId(), 104, PING));
        assertTrue(net.server.closed, net.server::toString);
        assertEquals(KeyPhases.AEAD_LIMIT_REACHED, net.server.closeCode);
        assertTrue(net.runUntil(() -> net.client.closed, 5_000 * MS), net.client::toString);
        assertEquals(KeyPhases.AEAD_LIMIT_REACHED, net.client.closeCode, "the CONNECTION_CLOSE carries 0xf");
    }

    /** The server, its peer's update applied at packet number 10,000 (injected, phase 1). */
    private static TestNetwork updatedAt10000(final long seed) throws QuicException
    {
        final TestNetwork net = new TestNetwork(seed);
        assertTrue(net.handshake());
        assertTrue(net.server.connection.hasNextReadKeys(), "the next read keys exist before any update (RFC 9001 6.3)");
        net.inject(true, Packets.shortHeader(Packets.nextSecret(FakeTls.CLIENT_APP_SECRET), 1,
            FakeTls.CLIENT_APP_SECRET, net.server.connection.localConnectionId(), 10_000, PING));
        assertEquals(1, net.server.connection.readKeyPhase(), net.server::toString);
        assertEquals(1, net.server.connection.writeKeyPhase(), "the server updated its write keys too");
        assertTrue(net.server.connection.hasNextReadKeys(), "and derived the next read keys at once");
        return net;
    }

    private static byte[] oldPhase(final TestNetwork net, final long packetNumber) throws QuicException
    {
        return Packets.shortHeader(FakeTls.CLIENT_APP_SECRET, 0, FakeTls.CLIENT_APP_SECRET,
            net.server.connection.localConnectionId(), packetNumber, PING);
    }

    @Test
    void anOldPhasePacketAboveTheUpdateIsAKeyUpdateError() throws QuicException
    {
        final TestNetwork net = updatedAt10000(143);
        final long received = net.server.connection.stats().packetsReceived();
        net.inject(true, oldPhase(net, 9_990));
        assertEquals(received + 1, net.server.connection.stats().packetsReceived(),
            "an old-phase packet below the update opens with the previous keys");
        assertFalse(net.server.closed);
        net.inject(true, oldPhase(net, 10_001));
        assertTrue(net.server.closed, net.server::toString);
        assertEquals(QuicException.KEY_UPDATE_ERROR, net.server.closeCode, net.server::toString);
        assertTrue(net.runUntil(() -> net.client.closed, 5_000 * MS), net.client::toString);
        assertEquals(QuicException.KEY_UPDATE_ERROR, net.client.closeCode);
    }

    @Test
    void thePreviousReadKeysGoThreePtosAfterTheUpdate() throws QuicException
    {
        final TestNetwork net = updatedAt10000(144);
        final long updateNs = net.nowNs;
        final long deadline = net.server.connection.previousReadKeysDeadlineNs();
        assertEquals(updateNs + 3 * net.server.connection.ptoNs(), deadline);
        assertTrue(net.server.connection.nextTimeoutNs() <= deadline, "a timer is due by then");
        net.nowNs = deadline - 1;
        net.server.connection.onTimeout(net.nowNs);
        long received = net.server.connection.stats().packetsReceived();
        net.inject(true, oldPhase(net, 9_990));
        assertEquals(received + 1, net.server.connection.stats().packetsReceived(), "still there just before");
        net.nowNs = deadline;
        net.server.connection.onTimeout(net.nowNs);
        assertEquals(Long.MAX_VALUE, net.server.connection.previousReadKeysDeadlineNs(), "dropped");
        received = net.server.connection.stats().packetsReceived();
        final long dropped = net.server.connection.stats().packetsDropped();
        net.inject(true, oldPhase(net, 9_991));
        assertEquals(received, net.server.connection.stats().packetsReceived(), "gone at 3 PTO");
        assertEquals(dropped + 1, net.server.connection.stats().packetsDropped());
        assertFalse(net.server.closed, net.server::toString);
    }
}
