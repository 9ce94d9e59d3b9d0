package io.ringbus.quic.conn;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static io.ringbus.quic.conn.TestNetwork.MS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuicConnectionHandshakeTest
{
    @Test
    void handshakeCompletesAndHandshakeDoneConfirmsTheClient()
    {
        final TestNetwork net = new TestNetwork(1);
        assertTrue(net.runUntil(() -> net.client.connection.isHandshakeComplete(), 10_000 * MS), net.client::toString);
        assertEquals(ConnectionState.HANDSHAKING, net.client.connection.state(), "client waits for HANDSHAKE_DONE");
        assertTrue(net.handshake(), () -> net.client + " / " + net.server);
        assertEquals(ConnectionState.ESTABLISHED, net.client.connection.state());
        assertEquals(ConnectionState.ESTABLISHED, net.server.connection.state());
        assertNotNull(net.client.connection.peerTransportParameters());
        assertEquals(1, net.client.connection.peerTransportParameters().initialMaxStreamsBidi);
        assertEquals(0, net.client.connection.peerTransportParameters().initialMaxStreamsUni);
        assertArrayEquals(net.server.connection.localConnectionId(),
            net.client.connection.peerTransportParameters().initialSourceConnectionId);
    }

    @Test
    void smallExchange()
    {
        final TestNetwork net = new TestNetwork(2);
        assertTrue(net.handshake());
        final StringBuilder atServer = new StringBuilder();
        final StringBuilder atClient = new StringBuilder();
        net.server.onData = data -> atServer.append(StandardCharsets.UTF_8.decode(data));
        net.client.onData = data -> atClient.append(StandardCharsets.UTF_8.decode(data));
        assertEquals(5, net.client.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.UTF_8))));
        net.client.connection.shutdownOutput();
        assertTrue(net.runUntil(() -> net.server.fin, 5_000 * MS));
        assertEquals("hello", atServer.toString());
        assertEquals(5, net.server.write(ByteBuffer.wrap("world".getBytes(StandardCharsets.UTF_8))));
        net.server.connection.shutdownOutput();
        assertTrue(net.runUntil(() -> net.client.fin, 5_000 * MS));
        assertEquals("world", atClient.toString());
        assertFalse(net.client.closed);
    }
}
