package io.ringbus.bench.harness;

import io.ringbus.cli.LoadDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The harness's {@link LoadClient} on its fast engine: against a byte echo (a server whose
 * {@link EchoServer#echoesRequests()} is true) the echoed requests count as replies, while a
 * client not made for one refuses them; an open-loop run reports its schedule.
 */
class LoadClientFastTest
{
    /** A byte echo on 127.0.0.1: one thread per connection copying every byte back. */
    static final class ByteEcho implements EchoServer
    {
        private ServerSocket server;
        private Thread acceptor;

        @Override
        public InetSocketAddress start() throws IOException
        {
            server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
            acceptor = new Thread(() ->
            {
                while (!server.isClosed())
                {
                    try (Socket socket = server.accept())
                    {
                        socket.setTcpNoDelay(true);
                        socket.getInputStream().transferTo(socket.getOutputStream());
                    }
                    catch (final IOException ex)
                    {
                        // the client went away, or close()
                    }
                }
            }, "byte-echo");
            acceptor.setDaemon(true);
            acceptor.start();
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
        }

        @Override
        public void close()
        {
            try
            {
                server.close();
                acceptor.join(10_000);
            }
            catch (final IOException | InterruptedException ex)
            {
                throw new IllegalStateException(ex);
            }
        }

        @Override
        public String name()
        {
            return "test-byte-echo";
        }

        @Override
        public boolean echoesRequests()
        {
            return true;
        }
    }

    @ParameterizedTest
    @EnumSource(LoadDriver.Idle.class)
    void aClientMadeForAByteEchoTakesTheEchoedRequestsAsReplies(final LoadDriver.Idle idle) throws Exception
    {
        try (ByteEcho echo = new ByteEcho())
        {
            final InetSocketAddress address = echo.start();
            final LoadClient client = LoadClient.forServer(echo).withIdle(idle);
            assertTrue(client.echoesRequests());
            assertTrue(client.isFast());
            assertEquals(idle, client.idle());
            final ThroughputResult result = client.pipelinedCount(address, LoadClient.SMALL_BODY_SIZE, 20_000,
                LoadClient.SMALL_WINDOW);
            assertEquals(20_000, result.messages());
            final ThroughputResult bulk = client.pipelinedCount(address, LoadClient.BULK_BODY_SIZE, 200,
                LoadClient.BULK_WINDOW);
            assertEquals(200, bulk.messages());
        }
    }

    @Test
    void aClientNotMadeForAByteEchoRefusesIt() throws Exception
    {
        try (ByteEcho echo = new ByteEcho())
        {
            final InetSocketAddress address = echo.start();
            final LoadClient client = new LoadClient();
            assertFalse(client.echoesRequests());
            final ProtocolException failure = assertThrows(ProtocolException.class,
                () -> client.pipelinedCount(address, LoadClient.SMALL_BODY_SIZE, 1_000, 8));
            assertEquals("expected a reply (command 8), got command 5 (after 0 good replies)", failure.getMessage());
        }
    }

    @Test
    void anOpenLoopRunKeepsItsScheduleAgainstAnEchoServer() throws Exception
    {
        try (EchoServer server = Harness.SERVERS.get("ringbus-nio").get())
        {
            final InetSocketAddress address = server.start();
            final OpenLoopResult result = LoadClient.forServer(server).openLoop(address, LoadClient.SMALL_BODY_SIZE,
                2_000, Duration.ofMillis(100), Duration.ofMillis(500), 256);
            assertEquals(1_000, result.due(), result.describe());
            assertTrue(result.sent() <= result.due(), result.describe());
            assertEquals(result.sent(), result.received(), "every request sent was answered before the end");
            assertTrue(result.latency().samples() <= result.received(), result.describe());
            assertEquals(result.sent() >= 990, result.keptUp(), result.describe());
            assertEquals(2_000, result.targetPerSecond());
        }
    }

    @Test
    void onlyPlainTcpRunsTheFastEngineAndTheOpenLoop() throws Exception
    {
        final LoadClient webSocket = new LoadClient(null, Framing.WEBSOCKET);
        assertFalse(webSocket.isFast());
        final InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 1);
        assertThrows(UnsupportedOperationException.class, () -> webSocket.openLoop(address, 64, 1_000,
            Duration.ZERO, Duration.ofMillis(100), 8));
        assertThrows(IllegalArgumentException.class, () -> new LoadClient(null, Framing.WEBSOCKET, true,
            LoadDriver.Idle.BLOCK).pipelinedCount(address, 64, 10, 8));
    }
}
