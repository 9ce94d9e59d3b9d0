package io.ringbus.quic.conn;

import io.ringbus.quic.packet.QuicException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.ringbus.quic.conn.TestNetwork.MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Closing, draining, idle timeout, anti-amplification, key update, loss during the handshake. */
class QuicConnectionLifecycleTest
{
    @Test
    void applicationCloseReachesThePeerWithCodeAndReason()
    {
        final TestNetwork net = new TestNetwork(40);
        assertTrue(net.handshake());
        net.client.connection.close(0x42, "bye now", true);
        assertEquals(ConnectionState.CLOSING, net.client.connection.state());
        assertTrue(net.client.closed);
        assertFalse(net.client.closedByPeer);
        assertEquals(0, net.client.write(ByteBuffer.allocate(10)), "no writes once closing");
        assertTrue(net.runUntil(() -> net.server.closed, 5_000 * MS));
        assertEquals(0x42, net.server.closeCode);
        assertEquals("bye now", net.server.closeReason);
        assertTrue(net.server.closedByPeer);
        assertEquals(ConnectionState.DRAINING, net.server.connection.state());
        assertTrue(net.runUntil(() -> net.client.connection.state() == ConnectionState.CLOSED &&
            net.server.connection.state() == ConnectionState.CLOSED, 60_000 * MS));
        assertEquals(Long.MAX_VALUE, net.client.connection.nextTimeoutNs());
    }

    @Test
    void anApplicationCloseBeforeTheHandshakeIsATransportApplicationError()
    {
        final TestNetwork net = new TestNetwork(41);
        net.client.connection.flush(net.nowNs); // the ClientHello goes out
        net.client.connection.close(0x42, "secret reason", true);
        assertTrue(net.runUntil(() -> net.server.closed, 5_000 * MS), net.server::toString);
        assertEquals(QuicException.APPLICATION_ERROR, net.server.closeCode, "RFC 9000 10.2.3");
        assertEquals("", net.server.closeReason);
    }

    @Test
    void theClosingEndpointRepeatsItsCloseWhenPacketsKeepComing()
    {
        final TestNetwork net = new TestNetwork(42);
        assertTrue(net.handshake());
        net.server.write(ByteBuffer.allocate(1)); // not opened yet: stays buffered
        net.client.write(ByteBuffer.allocate(10_000));
        net.client.connection.close(0x7, "first close is lost", true);
        final boolean[] droppedOnce = {false};
        net.dropFilter = (fromClient, datagram) ->
        {
            if (fromClient && !droppedOnce[0])
            {
                droppedOnce[0] = true;
                return true;
            }
            return false;
        };
        // the server, unaware, keeps probing; each probe makes the client repeat its close
        net.server.connection.write(new ByteBuffer[] {ByteBuffer.allocate(1)}, 1);
        assertTrue(net.runUntil(() -> net.server.closed, 30_000 * MS), net.server::toString);
        assertEquals(0x7, net.server.closeCode);
        assertTrue(net.client.connection.stats().datagramsSent() >= 2);
    }

    @Test
    void idleTimeoutClosesBothSidesSilently()
    {
        final TestNetwork net = new TestNetwork(43, QuicConnectionConfig.DEFAULT, 5_000, 1000);
        assertTrue(net.handshake());
        final long start = net.nowNs;
        final long sentBefore = net.client.connection.stats().datagramsSent() + net.server.connection.stats().datagramsSent();
        assertTrue(net.runUntil(() -> net.client.connection.state() == ConnectionState.CLOSED &&
            net.server.connection.state() == ConnectionState.CLOSED, 60_000 * MS));
        assertTrue(net.nowNs - start >= 5_000 * MS, "not before the idle timeout");
        assertTrue(net.nowNs - start < 6_000 * MS, "soon after it");
        assertTrue(net.client.closeReason.contains("idle"), net.client.closeReason);
        assertEquals(QuicException.NO_ERROR, net.client.closeCode);
        assertFalse(net.client.closedByPeer);
        assertFalse(net.server.closedByPeer);
        assertTrue(net.client.connection.stats().datagramsSent() + net.server.connection.stats().datagramsSent() -
            sentBefore <= 4, "silently: no CONNECTION_CLOSE");
    }

    @Test
    void theSmallerIdleTimeoutApplies()
    {
        final TestNetwork net = new TestNetwork(44, QuicConnectionConfig.DEFAULT, 0, 1000);
        net.server.params.maxIdleTimeoutMs = 3_000;
        assertTrue(net.handshake());
        final long start = net.nowNs;
        assertTrue(net.runUntil(() -> net.client.closed && net.server.closed, 60_000 * MS));
        assertTrue(net.nowNs - start < 4_000 * MS);
    }

    @Test
    void theServerNeverSendsMoreThanThreeTimesWhatItReceivedBeforeValidation()
    {
        final TestNetwork net = new TestNetwork(45, QuicConnectionConfig.DEFAULT, 30_000, 12_000);
        final int[] fromClient = {0};
        net.dropFilter = (client, datagram) -> client && ++fromClient[0] > 1; // only the first Initial arrives
        net.runUntil(() -> false, 20_000 * MS);
        assertTrue(net.clientBytes >= 1200);
        assertTrue(net.serverBytes > 0);
        assertTrue(net.serverBytes <= 3 * 1200, "server sent " + net.serverBytes + " bytes for 1200 received");
    }

    @Test
    void aLargeServerFlightCompletesDespiteTheAmplificationLimit()
    {
        final TestNetwork net = new TestNetwork(46, QuicConnectionConfig.DEFAULT, 30_000, 12_000);
        assertTrue(net.handshake(), () -> net.client + " / " + net.server);
    }

    @Test
    void handshakeSurvivesLossReorderingAndDuplicates()
    {
        for (int seed = 0; seed < 50; seed++)
        {
            final TestNetwork net = new TestNetwork(100 + seed, QuicConnectionConfig.DEFAULT, 60_000, 4000);
            net.lossRate = 0.2;
            net.jitterNs = 8 * MS;
            net.duplicateRate = 0.1;
            final int s = seed;
            assertTrue(net.handshake(), () -> "seed " + s + ": " + net.client + " / " + net.server);
            net.client.write(ByteBuffer.allocate(5000));
            net.client.connection.shutdownOutput();
            assertTrue(net.runUntil(() -> net.server.fin, 120_000 * MS), () -> "seed " + s + ": " + net.server);
            assertEquals(5000, net.server.received);
        }
    }

    @Test
    void aKeyUpdateFromThePeerIsFollowed()
    {
        final TestNetwork net = new TestNetwork(47);
        assertTrue(net.handshake());
        final StreamPump toServer = new StreamPump(net.client, 300_000);
        final StreamPump.Checker checker = new StreamPump.Checker();
        net.server.onData = checker::check;
        net.onStep = toServer::pump;
        assertTrue(net.runUntil(() -> net.server.received > 50_000, 60_000 * MS));
        net.client.connection.initiateKeyUpdate();
        assertEquals(1, net.client.connection.writeKeyPhase());
        assertEquals(0, net.client.connection.readKeyPhase());
        assertTrue(net.runUntil(() -> net.server.fin, 60_000 * MS), net.server::toString);
        assertEquals(300_000, checker.offset);
        assertEquals(1, net.server.connection.readKeyPhase(), "the server followed the update");
        assertEquals(1, net.server.connection.writeKeyPhase(), "and updated its own keys");
        assertEquals(1, net.client.connection.readKeyPhase());
        assertEquals(1, net.server.connection.stats().keyUpdates());
        assertEquals(1, net.client.connection.stats().keyUpdates());
        assertFalse(net.client.closed || net.server.closed);
    }
}
