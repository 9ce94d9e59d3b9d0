package io.ringbus.bench.harness;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The WebSocket side of the harness (issue 7), fast: each ws and wss server answers the load
 * client's own runs for a handful of messages, the client's framing and masking follow RFC 6455,
 * and a server that echoes requests back unchanged is caught rather than measured. No timing
 * assertions.
 */
class WebSocketLoadClientTest
{
    private static final int HANDFUL = 8;

    private EchoServer server;

    @AfterEach
    void closeServer()
    {
        if (server != null)
        {
            server.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ringbus-ws", "netty-ws", "java-websocket", "ringbus-wss", "netty-wss", "java-websocket-wss"})
    void everyWebSocketServerAnswersTheLoadClient(final String name) throws Exception
    {
        server = Harness.SERVERS.get(name).get();
        assertEquals(Framing.WEBSOCKET, server.clientFraming());
        final InetSocketAddress address = server.start();
        final LoadClient client = LoadClient.forServer(server);
        assertTrue(client.isWebSocket());

        final String security = client.security(address);
        assertTrue(security.endsWith(", WebSocket"), security);
        assertEquals(name.endsWith("wss"), security.startsWith("TLSv1.3 "), security);

        // Each run checks every reply's command, size, client, request number, operation and body.
        assertEquals(HANDFUL, client.pipelinedCount(address, LoadClient.SMALL_BODY_SIZE, HANDFUL, 4).messages());
        assertEquals(HANDFUL, client.latency(address, LoadClient.SMALL_BODY_SIZE, 0, HANDFUL).samples());
        assertEquals(2, client.pipelinedCount(address, LoadClient.BULK_BODY_SIZE, 2, 2).messages());
    }

    @Test
    void headersUseTheShortestLengthAndCarryTheMaskKey()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[WebSocketClientCodec.MAX_HEADER_LENGTH]);
        final int key = 0x11223344;

        assertEquals(6, WebSocketClientCodec.writeHeader(buffer, 0, WebSocketClientCodec.OPCODE_BINARY, 125, key));
        assertEquals(0x82, buffer.getByte(0) & 0xFF, "FIN and binary");
        assertEquals(0x80 | 125, buffer.getByte(1) & 0xFF, "mask bit and 7-bit length");
        assertEquals(key, buffer.getInt(2, ByteOrder.BIG_ENDIAN));

        assertEquals(8, WebSocketClientCodec.writeHeader(buffer, 0, WebSocketClientCodec.OPCODE_BINARY, 126, key));
        assertEquals(0x80 | 126, buffer.getByte(1) & 0xFF);
        assertEquals(126, buffer.getShort(2, ByteOrder.BIG_ENDIAN));

        assertEquals(8, WebSocketClientCodec.writeHeader(buffer, 0, WebSocketClientCodec.OPCODE_BINARY, 0xFFFF, key));
        assertEquals(0xFFFF, buffer.getShort(2, ByteOrder.BIG_ENDIAN) & 0xFFFF);

        assertEquals(14, WebSocketClientCodec.writeHeader(buffer, 0, WebSocketClientCodec.OPCODE_BINARY, 0x10000, key));
        assertEquals(0x80 | 127, buffer.getByte(1) & 0xFF);
        assertEquals(0x10000, buffer.getLong(2, ByteOrder.BIG_ENDIAN));
        assertEquals(key, buffer.getInt(10, ByteOrder.BIG_ENDIAN));
    }

    @Test
    void maskingEightBytesAtATimeMatchesRfc6455ByteByByte()
    {
        final Random random = new Random(7);
        for (final int length : new int[] {0, 1, 7, 8, 9, 64, 320, 1001})
        {
            final byte[] payload = new byte[length];
            random.nextBytes(payload);
            final int key = random.nextInt();
            final byte[] masked = new byte[length + 3];
            WebSocketClientCodec.mask(new UnsafeBuffer(payload), 0, new UnsafeBuffer(masked), 3, length, key);
            for (int i = 0; i < length; i++)
            {
                // RFC 6455 5.3: octet i XOR octet (i mod 4) of the key, in wire order.
                final byte expected = (byte)(payload[i] ^ (key >>> (24 - 8 * (i % 4))));
                assertEquals(expected, masked[3 + i], "byte " + i + " of " + length);
            }
        }
    }

    @Test
    void aServerThatEchoesRequestsUnchangedIsCaught() throws Exception
    {
        try (ParrotServer parrot = new ParrotServer())
        {
            final LoadClient client = new LoadClient(null, Framing.WEBSOCKET);
            final ProtocolException ex = assertThrows(ProtocolException.class,
                () -> client.latency(parrot.address(), LoadClient.SMALL_BODY_SIZE, 0, 1));
            assertTrue(ex.getMessage().contains("expected a reply"), ex.getMessage());
        }
    }

    /**
     * A wrong WebSocket server for one connection: it upgrades correctly, then sends each
     * message's payload back as it came (a request, not a reply), so a client that checked only
     * sizes would take it for an echo server.
     */
    private static final class ParrotServer implements AutoCloseable
    {
        private final ServerSocket listener;
        private final Thread thread;

        ParrotServer() throws IOException
        {
            listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            thread = new Thread(this::serve, "parrot");
            thread.setDaemon(true);
            thread.start();
        }

        InetSocketAddress address()
        {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
        }

        private void serve()
        {
            try (Socket socket = listener.accept())
            {
                final DataInputStream in = new DataInputStream(socket.getInputStream());
                final OutputStream out = socket.getOutputStream();
                out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                    "Sec-WebSocket-Accept: " + WebSocketClientCodec.acceptValue(requestKey(in)) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
                while (true)
                {
                    final byte[] payload = readMaskedBinary(in);
                    out.write(new byte[] {(byte)0x82, 126, (byte)(payload.length >>> 8), (byte)payload.length});
                    out.write(payload);
                    out.flush();
                }
            }
            catch (final IOException ex)
            {
                // The client closed the connection after catching the bad reply: the test is over.
            }
        }

        private static String requestKey(final InputStream in) throws IOException
        {
            final StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n"))
            {
                head.append((char)in.read());
            }
            for (final String line : head.toString().split("\r\n"))
            {
                if (line.regionMatches(true, 0, "Sec-WebSocket-Key:", 0, 18))
                {
                    return line.substring(18).trim();
                }
            }
            throw new IOException("no Sec-WebSocket-Key in " + head);
        }

        /** One masked binary frame of 126..65535 bytes, unmasked. */
        private static byte[] readMaskedBinary(final DataInputStream in) throws IOException
        {
            assertEquals(0x82, in.readUnsignedByte(), "FIN and binary");
            assertEquals(0x80 | 126, in.readUnsignedByte(), "masked, 16-bit length");
            final byte[] payload = new byte[in.readUnsignedShort()];
            final byte[] key = new byte[4];
            in.readFully(key);
            in.readFully(payload);
            final byte[] unmasked = new byte[payload.length];
            for (int i = 0; i < payload.length; i++)
            {
                unmasked[i] = (byte)(payload[i] ^ key[i & 3]);
            }
            return unmasked;
        }

        @Override
        public void close() throws Exception
        {
            listener.close();
            thread.join(LoadClient.READ_TIMEOUT_MS);
        }
    }
}
