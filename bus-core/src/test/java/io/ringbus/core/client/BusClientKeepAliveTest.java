package io.ringbus.core.client;

import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * An idle client pings (issue 14: a node closes client connections silent for its idle timeout,
 * so that a client whose connection died unseen gets its session back; a live idle client must
 * not be taken for a dead one).
 */
class BusClientKeepAliveTest
{
    @Test
    void anIdleClientSendsPingClientEveryKeepAliveInterval() throws Exception
    {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            BusClient client = BusClient.connect(URI.create("tcp://127.0.0.1:" + server.getLocalPort()),
                ClientOptions.defaults().withKeepAlive(Duration.ofMillis(20)));
            Socket peer = server.accept())
        {
            peer.setSoTimeout(10_000); // a bound on the wait, not a timing assertion
            final DataInputStream in = new DataInputStream(peer.getInputStream());
            final byte[] header = new byte[FrameHeader.HEADER_SIZE];
            for (int i = 0; i < 3; i++)
            {
                in.readFully(header);
                final UnsafeBuffer frame = new UnsafeBuffer(header);
                assertEquals(Command.PING_CLIENT.code(), FrameHeader.command(frame, 0), "frame " + i);
                assertEquals(FrameHeader.HEADER_SIZE, FrameHeader.size(frame, 0));
                assertEquals(client.clientLo(), FrameHeader.clientLo(frame, 0));
            }
            assertEquals(0, client.pendingRequests(), "a keep-alive ping waits for nothing");
        }
    }

    @Test
    void theKeepAliveDefaultsToFifteenSecondsAndZeroIsOff()
    {
        assertEquals(Duration.ofSeconds(15), ClientOptions.defaults().keepAlive());
        assertEquals(Duration.ZERO, ClientOptions.defaults().withKeepAlive(Duration.ZERO).keepAlive());
        assertThrows(IllegalArgumentException.class, () -> ClientOptions.defaults().withKeepAlive(Duration.ofMillis(-1)));
    }
}
