package io.ringbus.core.transport;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.TestFrames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11, memory C, on plain tcp: a frame that starts and never completes closes its connection
 * with PARTIAL_FRAME_TIMEOUT, a silent client with IDLE_TIMEOUT when that is on; other connections
 * are untouched. Small timeouts; the test waits for the close, never for a time.
 */
class StallTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final EchoHandler handler = new EchoHandler();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private MessageBus bus;
    private InetSocketAddress address;

    @AfterEach
    void tearDown() throws Exception
    {
        for (final AutoCloseable closeable : toClose)
        {
            closeable.close();
        }
        if (bus != null)
        {
            bus.close();
            assertEquals(0, bus.stats().openConnections(), "every connection closed");
            bus.pool().assertNoLeaks();
        }
    }

    private void start(final BusConfig.Builder builder)
    {
        bus = MessageBus.start(builder.shards(1).backend(Backend.NIO).build(), handler);
        address = bus.listen(URI.create("tcp://127.0.0.1:0"));
    }

    private TcpTransportTest.SocketPeer peer() throws IOException
    {
        final TcpTransportTest.SocketPeer peer =
            new TcpTransportTest.SocketPeer(new Socket(address.getAddress(), address.getPort()));
        toClose.add(peer);
        return peer;
    }

    private ClientConnMeta awaitClosed()
    {
        Await.until(TIMEOUT, () -> !handler.closed.isEmpty(), "a connection closed");
        return handler.closed.poll();
    }

    @Test
    void aFrameThatNeverCompletesClosesWithPartialFrameTimeout() throws Exception
    {
        start(BusConfig.builder().partialFrameTimeout(Duration.ofMillis(100)));
        final TcpTransportTest.SocketPeer healthy = peer();
        final TcpTransportTest.SocketPeer slow = peer();
        final byte[] first = TestFrames.frame(Command.REQUEST, 50, 1);
        healthy.write(first);
        assertEquals(first.length, healthy.readFully(first.length, TIMEOUT).length);
        final byte[] frame = TestFrames.frame(Command.REQUEST, 1000, 2);
        slow.write(Arrays.copyOf(frame, 300)); // the header and a little body: the rest never comes
        slow.readUntilClosed(TIMEOUT);
        final ClientConnMeta closed = awaitClosed();
        assertEquals(CloseReason.PARTIAL_FRAME_TIMEOUT, closed.closeReason());
        assertTrue(closed.closeDetail().startsWith("300 bytes of an incomplete frame"), closed.closeDetail());

        // The healthy connection, at a frame boundary all along, still answers.
        final byte[] second = TestFrames.frame(Command.REQUEST, 50, 3);
        healthy.write(second);
        final byte[] reply = healthy.readFully(second.length, TIMEOUT);
        assertArrayEquals(Arrays.copyOfRange(second, 256, second.length), Arrays.copyOfRange(reply, 256, reply.length));
        assertTrue(handler.closed.isEmpty());
    }

    @Test
    void aSlowlorisByteByByteClosesWithPartialFrameTimeout() throws Exception
    {
        start(BusConfig.builder().partialFrameTimeout(Duration.ofMillis(100)));
        final TcpTransportTest.SocketPeer slow = peer();
        final byte[] frame = TestFrames.frame(Command.REQUEST, 64 * 1024, 2);
        // One byte per write: every read makes progress, which does not reset the bound: the frame
        // must complete within it. Bounded by the frame's length (its last byte is never sent).
        for (int i = 0; i < frame.length - 1 && handler.closed.isEmpty(); i++)
        {
            try
            {
                slow.write(new byte[] {frame[i]});
            }
            catch (final IOException ex)
            {
                break; // closed by the server
            }
        }
        final ClientConnMeta closed = awaitClosed();
        assertEquals(CloseReason.PARTIAL_FRAME_TIMEOUT, closed.closeReason());
    }

    @Test
    void aSilentClientClosesWithIdleTimeoutWhenItIsOn() throws Exception
    {
        start(BusConfig.builder().idleTimeout(Duration.ofMillis(100)));
        final TcpTransportTest.SocketPeer quiet = peer();
        final byte[] request = TestFrames.frame(Command.REQUEST, 10, 1);
        quiet.write(request);
        assertEquals(request.length, quiet.readFully(request.length, TIMEOUT).length);
        quiet.readUntilClosed(TIMEOUT); // no more traffic
        final ClientConnMeta closed = awaitClosed();
        assertEquals(CloseReason.IDLE_TIMEOUT, closed.closeReason());
    }
}
