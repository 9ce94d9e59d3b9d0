package io.ringbus.bench.harness;

import io.netty.handler.codec.quic.QuicConnectionCloseEvent;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameCodec;
import io.ringbus.core.frame.FrameHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import static io.ringbus.core.frame.FrameHeader.HEADER_SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The QUIC servers of the harness's {@code quic} group against the QUIC load client
 * ({@link QuicLoadLink} under {@link LoadConnection}): a handful of checked request/reply round
 * trips (small and over-64-KiB bodies), a ping_client, and a corrupt frame, which must close the
 * connection with application error 0x1 (WIRE.md, QUIC specifics). No timing assertions; a few
 * seconds in all. {@link EchoServerTest} runs its longer suite on them too.
 */
class QuicEchoServerTest
{
    private static final int ROUND_TRIPS = 10;
    private static final int[] BODY_SIZES = {0, 64, 64 * 1024 + 1};
    /**
     * Longest wait for the server's close. Generous: ringbus-quic closes only after close_grace and
     * has been seen to take 5-10 s on a loaded machine (see ringbusQuicClosesTheConnectionOnABadFrame).
     */
    private static final long CLOSE_WAIT_MS = 20_000;

    private EchoServer server;

    private InetSocketAddress start(final String name) throws Exception
    {
        server = Harness.SERVERS.get(name).get();
        assertEquals(name, server.name());
        assertEquals(Framing.QUIC, server.clientFraming());
        assertNull(server.clientTls(), "QUIC brings its own TLS");
        return server.start();
    }

    @AfterEach
    void closeServer()
    {
        if (server != null)
        {
            server.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ringbus-quic", "netty-quic"}) // kwik-quic: see EchoServerTest.servers()
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void answersRequestsAndPingOverOneStream(final String name) throws Exception
    {
        final InetSocketAddress address = start(name);
        for (final int bodySize : BODY_SIZES)
        {
            try (LoadConnection connection =
                LoadConnection.open(address, null, Framing.QUIC, bodySize, LoadClient.READ_TIMEOUT_MS))
            {
                assertTrue(connection.security().contains("ALPN ringbus"), connection.security());
                for (long request = 1; request <= ROUND_TRIPS; request++)
                {
                    final long timestampNs = 0x0102_0304_0506_0708L ^ request;
                    final int operation = LoadConnection.operationOf(request * 3);
                    connection.writeRequest(request, timestampNs, operation);
                    connection.flush();
                    assertEquals(Command.REPLY.code(), connection.readFrame(), "command");
                    connection.checkReply(request, operation); // size, client, request, operation, body checksum
                    assertEquals(timestampNs, connection.replyTimestampNs(), "timestamp");
                }
                // Pipelined: a window's worth in one flush, replies in order.
                for (long request = ROUND_TRIPS + 1; request <= 2 * ROUND_TRIPS; request++)
                {
                    connection.writeRequest(request, request, LoadConnection.operationOf(request));
                }
                connection.writePing(42);
                connection.flush();
                for (long request = ROUND_TRIPS + 1; request <= 2 * ROUND_TRIPS; request++)
                {
                    assertEquals(Command.REPLY.code(), connection.readFrame(), "command");
                    connection.checkReply(request, LoadConnection.operationOf(request));
                }
                assertEquals(Command.PONG_CLIENT.code(), connection.readFrame(), "pong after the replies");
                final FrameHeader pong = new FrameHeader().wrap(connection.replyFrame(), 0);
                assertEquals(HEADER_SIZE, pong.size());
                assertEquals(connection.clientLo(), pong.clientLo());
                assertEquals(42, pong.timestamp());
            }
        }
    }

    /**
     * What ringbus-quic does today with a bad frame: no reply, FIN on the stream, and the connection
     * closed after close_grace (with application error 0: see the disabled test below).
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void ringbusQuicClosesTheConnectionOnABadFrame() throws Exception
    {
        final InetSocketAddress address = start("ringbus-quic");
        try (QuicLoadLink link = QuicLoadLink.connect(address, LoadClient.READ_TIMEOUT_MS))
        {
            assertClosedWithoutReply(link, corruptFrame());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"netty-quic"}) // kwik-quic: see EchoServerTest.servers()
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aBodyChecksumFailureClosesWithApplicationError1(final String name) throws Exception
    {
        final InetSocketAddress address = start(name);
        try (QuicLoadLink link = QuicLoadLink.connect(address, LoadClient.READ_TIMEOUT_MS))
        {
            assertClosedWithProtocolError(link, corruptFrame());
        }
    }

    /**
     * WIRE.md for the ringbus-quic server. Fails today: the bus closes a QUIC connection that sent
     * a bad frame with application error 0 and an empty reason, and only after close_grace, because
     * bus-core's {@code Connection} closes its {@code IoChannel} without a reason and bus-quic's
     * {@code QuicSession.close()} always sends {@code connection.close(0, "", true)}. Reported in
     * bench/RESULTS.md (QUIC, issue 6); enable once bus-quic passes the protocol error on.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void ringbusQuicClosesABadFrameWithApplicationError1() throws Exception
    {
        final InetSocketAddress address = start("ringbus-quic");
        try (QuicLoadLink link = QuicLoadLink.connect(address, LoadClient.READ_TIMEOUT_MS))
        {
            assertClosedWithProtocolError(link, corruptFrame());
        }
    }

    /** A request whose body checksum does not match its body. */
    static byte[] corruptFrame()
    {
        final int size = HEADER_SIZE + 16;
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[size]);
        new FrameHeader().wrap(frame, 0).clear()
            .cluster(EchoServer.CLUSTER_HI, EchoServer.CLUSTER_LO)
            .size(size)
            .command(Command.REQUEST)
            .replica(FrameHeader.REPLICA_NONE)
            .client(1, 2)
            .request(1);
        new FrameCodec().seal(frame, 0);
        frame.putByte(HEADER_SIZE + 3, (byte)(frame.getByte(HEADER_SIZE + 3) ^ 1));
        return frame.byteArray();
    }

    /** Send {@code frame}; the server must answer nothing and close the connection with application error 0x1. */
    static void assertClosedWithProtocolError(final QuicLoadLink link, final byte[] frame) throws IOException
    {
        final QuicConnectionCloseEvent event = assertClosedWithoutReply(link, frame);
        assertNotNull(event, "no CONNECTION_CLOSE from the server");
        assertTrue(event.isApplicationClose(), event.toString());
        assertEquals(QuicLoadLink.PROTOCOL_ERROR, event.error(), event.toString());
    }

    /**
     * Send {@code frame}; the server must answer nothing and close the connection.
     *
     * @return the server's CONNECTION_CLOSE, or null if the connection ended otherwise.
     */
    static QuicConnectionCloseEvent assertClosedWithoutReply(final QuicLoadLink link, final byte[] frame)
        throws IOException
    {
        final OutputStream out = link.output();
        out.write(frame);
        out.flush();
        final InputStream in = link.input();
        try
        {
            assertEquals(-1, in.read(), "the server answered a corrupt frame instead of closing");
        }
        catch (final IOException ex)
        {
            // Closed with an error: what the close event below checks.
        }
        final long startNs = System.nanoTime();
        assertTrue(link.awaitClosed(CLOSE_WAIT_MS), "the connection is still open");
        // Not asserted (no timing in unit tests); printed because ringbus-quic's close is slow.
        System.err.println("server closed the connection " + (System.nanoTime() - startNs) / 1_000_000 +
            " ms after the end of the stream: " + link.closeEvent());
        return link.closeEvent();
    }
}
