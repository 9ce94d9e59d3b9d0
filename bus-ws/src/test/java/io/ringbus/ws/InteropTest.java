package io.ringbus.ws;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.frame.Frames;
import io.ringbus.core.frame.TestFrames;
import org.agrona.concurrent.UnsafeBuffer;
import org.java_websocket.WebSocket;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.ServerHandshake;
import org.java_websocket.server.DefaultSSLWebSocketServerFactory;
import org.java_websocket.server.WebSocketServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Interoperability with independent RFC 6455 implementations: the JDK's java.net.http.WebSocket
 * client and the Java-WebSocket client against our server, and our BusClient against a
 * Java-WebSocket server that answers each binary message with a ringbus reply; ws and wss.
 */
class InteropTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private MessageBus bus;
    private WebSocketServer server;

    @AfterEach
    void tearDown() throws Exception
    {
        if (bus != null)
        {
            bus.close();
            assertEquals(0, bus.stats().openConnections());
        }
        if (server != null)
        {
            server.stop(5_000);
        }
    }

    private InetSocketAddress startBus(final String scheme)
    {
        bus = MessageBus.start(BusConfig.builder().shards(1).maxMessageSize(1 << 20).backend(Backend.NIO)
            .transportSettings("wss", TestTls.CERTIFICATE.serverSettings().build()).build(), new RecordingHandler());
        return bus.listen(URI.create(scheme + "://127.0.0.1:0"));
    }

    private static void assertReplyTo(final byte[] request, final byte[] reply)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(reply);
        assertEquals(reply.length, FrameHeader.size(buffer, 0));
        assertEquals(Command.REPLY.code(), FrameHeader.command(buffer, 0));
        assertArrayEquals(Arrays.copyOfRange(request, FrameHeader.HEADER_SIZE, request.length),
            Arrays.copyOfRange(reply, FrameHeader.HEADER_SIZE, reply.length));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ws", "wss"})
    void jdkWebSocketClientTalksToOurServer(final String scheme) throws Exception
    {
        final InetSocketAddress address = startBus(scheme);
        final CompletableFuture<byte[]> reply = new CompletableFuture<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        final java.net.http.WebSocket.Listener listener = new java.net.http.WebSocket.Listener()
        {
            private final ByteArrayOutputStream message = new ByteArrayOutputStream();

            @Override
            public CompletionStage<?> onBinary(final java.net.http.WebSocket webSocket, final ByteBuffer data,
                final boolean last)
            {
                final byte[] bytes = new byte[data.remaining()];
                data.get(bytes);
                message.writeBytes(bytes);
                if (last)
                {
                    reply.complete(message.toByteArray());
                }
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(final java.net.http.WebSocket webSocket, final int statusCode,
                final String reason)
            {
                closed.complete(statusCode);
                return null;
            }
        };
        final HttpClient http = HttpClient.newBuilder().sslContext(TestTls.CLIENT_CONTEXT).build();
        final java.net.http.WebSocket socket = http.newWebSocketBuilder()
            .buildAsync(URI.create(scheme + "://localhost:" + address.getPort() + "/jdk"), listener)
            .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        final byte[] request = TestFrames.frame(Command.REQUEST, 70_000, 5);
        // The JDK client garbles a little-endian ByteBuffer while masking: hand it a big-endian one.
        socket.sendBinary(ByteBuffer.wrap(request), true).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertReplyTo(request, reply.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        socket.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "done").get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(1000, closed.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "our server echoes the close code");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ws", "wss"})
    void javaWebSocketClientTalksToOurServer(final String scheme) throws Exception
    {
        final InetSocketAddress address = startBus(scheme);
        final BlockingQueue<byte[]> replies = new LinkedBlockingQueue<>();
        final CompletableFuture<Void> failed = new CompletableFuture<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        final WebSocketClient client = new WebSocketClient(URI.create(scheme + "://localhost:" + address.getPort() + "/jw"))
        {
            @Override
            public void onOpen(final ServerHandshake handshake)
            {
            }

            @Override
            public void onMessage(final String message)
            {
                failed.completeExceptionally(new AssertionError("text from the server: " + message));
            }

            @Override
            public void onMessage(final ByteBuffer bytes)
            {
                final byte[] copy = new byte[bytes.remaining()];
                bytes.get(copy);
                replies.add(copy);
            }

            @Override
            public void onClose(final int code, final String reason, final boolean remote)
            {
                closed.complete(code);
            }

            @Override
            public void onError(final Exception ex)
            {
                failed.completeExceptionally(ex);
            }
        };
        if ("wss".equals(scheme))
        {
            client.setSocketFactory(TestTls.CLIENT_CONTEXT.getSocketFactory());
        }
        assertTrue(client.connectBlocking(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "connected");
        for (final int bodyLength : new int[] {1000, 200_000})
        {
            final byte[] request = TestFrames.frame(Command.REQUEST, bodyLength, bodyLength);
            client.send(request);
            final byte[] reply = replies.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertTrue(reply != null, "a reply to the " + bodyLength + "-byte body; failure: " + failed);
            assertReplyTo(request, reply);
        }
        client.closeBlocking();
        assertEquals(1000, closed.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ws", "wss"})
    void ourClientTalksToAJavaWebSocketServer(final String scheme) throws Exception
    {
        final FramePool pool = new FramePool(1 << 20);
        final CountDownLatch started = new CountDownLatch(1);
        final CompletableFuture<String> path = new CompletableFuture<>();
        server = new WebSocketServer(new InetSocketAddress("127.0.0.1", 0))
        {
            @Override
            public void onOpen(final WebSocket conn, final ClientHandshake handshake)
            {
                path.complete(handshake.getResourceDescriptor());
            }

            @Override
            public void onClose(final WebSocket conn, final int code, final String reason, final boolean remote)
            {
            }

            @Override
            public void onMessage(final WebSocket conn, final String message)
            {
                conn.close(1003);
            }

            @Override
            public void onMessage(final WebSocket conn, final ByteBuffer message)
            {
                final UnsafeBuffer request = new UnsafeBuffer(message);
                final FrameBuffer reply = Frames.reply(pool, request, 0, request, FrameHeader.HEADER_SIZE,
                    message.remaining() - FrameHeader.HEADER_SIZE, FrameHeader.REPLICA_NONE);
                final byte[] bytes = new byte[reply.frameLength()];
                reply.buffer().getBytes(0, bytes);
                reply.release();
                conn.send(bytes);
            }

            @Override
            public void onError(final WebSocket conn, final Exception ex)
            {
                path.completeExceptionally(ex);
            }

            @Override
            public void onStart()
            {
                started.countDown();
            }
        };
        if ("wss".equals(scheme))
        {
            server.setWebSocketFactory(new DefaultSSLWebSocketServerFactory(
                TestTls.CERTIFICATE.serverSettings().build().sslContext()));
        }
        server.setReuseAddr(true);
        server.start();
        assertTrue(started.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "server started");
        final ClientOptions options = ClientOptions.defaults()
            .withTransportSettings("wss", TestTls.CERTIFICATE.clientSettings().build());
        try (BusClient client = BusClient.connect(URI.create(scheme + "://127.0.0.1:" + server.getPort() + "/bus?x=1"),
            options))
        {
            for (int size : new int[] {0, 1, 125, 126, 65_535, 65_536, 300_000})
            {
                final byte[] body = new byte[size];
                Arrays.fill(body, (byte)size);
                assertArrayEquals(body, client.request(2, body, TIMEOUT).body(), "body of " + size + " bytes");
            }
        }
        assertEquals("/bus?x=1", path.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
    }
}
