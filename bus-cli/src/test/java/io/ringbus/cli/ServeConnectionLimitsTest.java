package io.ringbus.cli;

import io.ringbus.core.client.BusClient;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameCodec;
import io.ringbus.core.frame.FrameHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13, point 7 through {@code ringbus serve}: {@code --max-connections-per-address} reaches
 * the running node, which closes a connection beyond it unread and logs the refusal.
 */
class ServeConnectionLimitsTest
{
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final Duration REPLY = Duration.ofSeconds(20);
    private static final Pattern LISTENING_TCP = Pattern.compile("listening tcp 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path temp;

    private ServeProcess node;

    @AfterEach
    void kill() throws InterruptedException
    {
        if (node != null)
        {
            node.kill();
        }
    }

    @Test
    void thePerAddressFlagRefusesTheSecondConnectionFromOneAddressWhileAnotherGetsIn() throws Exception
    {
        node = ServeProcess.start(temp, "serve", List.of(), List.of("--tcp", "127.0.0.1:0", "--shards", "1",
            "--max-connections-per-address", "1", "--max-connections", "10"));
        node.awaitLine("ready", STARTUP);
        final Matcher listening = LISTENING_TCP.matcher(node.seenStartingWith("listening tcp "));
        assertTrue(listening.matches(), node.describe());
        final int port = Integer.parseInt(listening.group(1));

        try (BusClient first = BusClient.connect(URI.create("tcp://127.0.0.1:" + port)))
        {
            assertArrayEquals(new byte[] {1}, first.request(1, new byte[] {1}, REPLY).body(), node.describe());
            try (Socket second = new Socket())
            {
                second.connect(new InetSocketAddress("127.0.0.1", port), (int)REPLY.toMillis());
                second.setSoTimeout((int)REPLY.toMillis());
                assertEquals(-1, readOrReset(second), "the second from 127.0.0.1 is closed unread");
            }
            try (Socket other = new Socket())
            {
                other.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
                other.connect(new InetSocketAddress("127.0.0.1", port), (int)REPLY.toMillis());
                other.setSoTimeout((int)REPLY.toMillis());
                other.getOutputStream().write(pingClient());
                final byte[] pong = other.getInputStream().readNBytes(FrameHeader.HEADER_SIZE);
                assertEquals(FrameHeader.HEADER_SIZE, pong.length, "127.0.0.2 is let in and answered");
                assertEquals(Command.PONG_CLIENT.code(), FrameHeader.command(new UnsafeBuffer(pong), 0));
            }
            Await.until("the refusal is logged", REPLY, () -> stderr().contains("refused connection from /127.0.0.1:") &&
                stderr().contains("max_connections_per_address 1 reached"));
        }
    }

    private static int readOrReset(final Socket socket) throws IOException
    {
        try
        {
            return socket.getInputStream().read();
        }
        catch (final SocketException ex)
        {
            return -1; // a reset: closed with nothing read
        }
    }

    private String stderr()
    {
        try
        {
            return node.stderrText();
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    /** A sealed ping_client frame of cluster 0 (serve's default). */
    private static byte[] pingClient()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[FrameHeader.HEADER_SIZE]);
        new FrameHeader().wrap(buffer, 0).clear().size(FrameHeader.HEADER_SIZE).command(Command.PING_CLIENT)
            .replica(FrameHeader.REPLICA_NONE).client(1, 2).request(1);
        new FrameCodec().seal(buffer, 0);
        return buffer.byteArray();
    }
}
