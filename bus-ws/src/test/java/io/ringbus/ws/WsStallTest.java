package io.ringbus.ws;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.CloseReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11, memory C, on ws and wss: half a WebSocket frame header (the carrier's own unit, before
 * any byte reaches the frame decoder) closes the connection with PARTIAL_FRAME_TIMEOUT.
 */
class WsStallTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final RecordingHandler handler = new RecordingHandler();
    private MessageBus bus;
    private WsTestPeer peer;

    @AfterEach
    void tearDown() throws Exception
    {
        if (peer != null)
        {
            peer.close();
        }
        if (bus != null)
        {
            bus.close();
            assertEquals(0, bus.stats().openConnections(), "every connection closed");
            bus.pool().assertNoLeaks();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ws", "wss"})
    void halfAWebSocketFrameHeaderClosesWithPartialFrameTimeout(final String scheme) throws Exception
    {
        upgrade(scheme, BusConfig.builder().partialFrameTimeout(Duration.ofMillis(100)));
        // FIN + binary, then the length byte never comes (RFC 6455 5.2: a header is 2..14 bytes).
        peer.writeRaw(new byte[] {(byte)0x82});
        final ClientConnMeta closed = awaitClosed();
        assertEquals(CloseReason.PARTIAL_FRAME_TIMEOUT, closed.closeReason(), closed.closeDetail());
        assertTrue(closed.closeDetail().startsWith("an incomplete carrier record"), closed.closeDetail());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ws", "wss"})
    void anIdleTimeoutClosesWithGoingAway(final String scheme) throws Exception
    {
        upgrade(scheme, BusConfig.builder().idleTimeout(Duration.ofMillis(100)));
        // RFC 6455 7.4.1: an endpoint "going away" says 1001; a plain 1000 would hide why it closed.
        assertEquals(WebSocketCodec.CLOSE_GOING_AWAY, peer.awaitCloseAndAnswer(TIMEOUT), "close code");
        final ClientConnMeta closed = awaitClosed();
        assertEquals(CloseReason.IDLE_TIMEOUT, closed.closeReason(), closed.closeDetail());
    }

    /** A bus on NIO with {@code builder}'s limits, and a peer upgraded to WebSocket over {@code scheme}. */
    private void upgrade(final String scheme, final BusConfig.Builder builder) throws Exception
    {
        bus = MessageBus.start(builder.shards(1).backend(Backend.NIO)
            .transportSettings("tls", TestTls.CERTIFICATE.serverSettings().build()).build(), handler);
        final InetSocketAddress address = bus.listen(URI.create(scheme + "://127.0.0.1:0"));
        final Socket socket = "wss".equals(scheme) ? TestTls.socket(address) :
            new Socket(address.getAddress(), address.getPort());
        peer = WsTestPeer.upgrade(socket);
    }

    /** The first connection the bus closed, within {@link #TIMEOUT}. */
    private ClientConnMeta awaitClosed()
    {
        final long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (handler.closed.isEmpty() && System.nanoTime() < deadline)
        {
            LockSupport.parkNanos(1_000_000L);
        }
        final ClientConnMeta closed = handler.closed.poll();
        assertTrue(closed != null, "the connection closed within " + TIMEOUT);
        return closed;
    }
}
