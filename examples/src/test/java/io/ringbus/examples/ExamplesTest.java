package io.ringbus.examples;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.Reply;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 17, point 3: the README's server and client, run together on loopback. */
class ExamplesTest
{
    /** A TCP port free on loopback now (the README's server takes its client port from the configuration). */
    private static int freePort() throws Exception
    {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }

    @Test
    void theClientGetsEachBodyBackFromTheServer() throws Exception
    {
        final URI listen = URI.create("tcp://127.0.0.1:" + freePort());
        final MessageBus bus = EchoServer.start(0, Map.of(0, new InetSocketAddress("127.0.0.1", 0)), listen);
        try
        {
            assertTrue(bus.isRunning());
            final byte[] body = "pipelined".getBytes(StandardCharsets.US_ASCII);
            final List<Reply> replies = EchoClient.run(listen, body);
            assertEquals(2, replies.size());
            assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), replies.get(0).body());
            assertArrayEquals(body, replies.get(1).body());
            assertEquals(0, replies.get(0).replica(), "answered by replica 0");
        }
        finally
        {
            bus.close();
        }
        assertFalse(bus.isRunning());
        assertEquals(0, bus.stats().openConnections(), "the client's connection closed");
    }
}
