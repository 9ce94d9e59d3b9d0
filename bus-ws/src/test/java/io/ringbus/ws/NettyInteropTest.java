package io.ringbus.ws;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.client.Reply;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameCodec;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our BusClient against a Netty 4.2 WebSocket server (HttpServerCodec, HttpObjectAggregator,
 * WebSocketServerProtocolHandler), over ws and over wss (Netty's SslHandler on the JDK provider,
 * TLS 1.3, presenting bus-tls's self-signed certificate). The Netty side answers every binary
 * message carrying a request frame with one binary message carrying the reply: the request copied,
 * its command set to reply and the copy sealed again. 1,000 round trips whose bodies span the
 * WebSocket 7-, 16- and 64-bit payload lengths must come back byte for byte, and the server must
 * have seen exactly the bytes the client sent.
 */
class NettyInteropTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final String PATH = "/netty-bus";
    private static final int ROUND_TRIPS = 1_000;
    /** Requests in flight at once: pipelined, so one read often carries several messages. */
    private static final int BATCH = 8;
    /**
     * Body lengths in turn. A frame is the 256-byte header plus the body, so the WebSocket payload
     * length takes 16 bits up to 65,535 bytes (a 65,279-byte body) and 64 bits from 65,536.
     */
    private static final int[] BODY_LENGTHS = {0, 1, 125, 126, 1_000, 65_279, 65_280, 100_000};
    private static final int MAX_MESSAGE = 1 << 20;

    private EventLoopGroup group;
    private Channel serverChannel;

    @AfterEach
    void stopNetty() throws Exception
    {
        if (serverChannel != null)
        {
            serverChannel.close().await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        if (group != null)
        {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ws", "wss"})
    void ourClientTalksToANettyWebSocketServer(final String scheme) throws Exception
    {
        final ReplyingHandler replying = new ReplyingHandler();
        final InetSocketAddress address = startNetty("wss".equals(scheme), replying);
        final ClientOptions options = ClientOptions.defaults()
            .withTransportSettings("wss", TestTls.CERTIFICATE.clientSettings().build());
        final List<byte[]> sentDigests = new ArrayList<>();
        try (BusClient client = BusClient.connect(URI.create(scheme + "://127.0.0.1:" + address.getPort() + PATH),
            options))
        {
            for (int first = 0; first < ROUND_TRIPS; first += BATCH)
            {
                final List<byte[]> bodies = new ArrayList<>();
                final List<CompletableFuture<Reply>> replies = new ArrayList<>();
                for (int i = first; i < Math.min(ROUND_TRIPS, first + BATCH); i++)
                {
                    final byte[] body = body(i);
                    bodies.add(body);
                    sentDigests.add(sha256(body));
                    replies.add(client.requestAsync(i % 256, body));
                }
                for (int k = 0; k < replies.size(); k++)
                {
                    final int index = first + k;
                    final byte[] body = bodies.get(k);
                    final Reply reply = replies.get(k).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                    assertEquals(index % 256, reply.operation(), "operation of round trip " + index);
                    assertEquals(FrameHeader.REPLICA_NONE, reply.replica(), "replica of round trip " + index);
                    assertArrayEquals(body, reply.body(), () -> "body of round trip " + index + " (" + body.length +
                        " bytes); server failures: " + replying.failures);
                }
            }
        }
        assertTrue(replying.failures.isEmpty(), () -> "the Netty server saw bad requests: " + replying.failures);
        assertEquals(PATH, replying.handshakeUri.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        if ("wss".equals(scheme))
        {
            assertEquals("TLSv1.3", replying.tlsProtocol.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        }
        final List<byte[]> received = new ArrayList<>(replying.requestDigests);
        assertEquals(ROUND_TRIPS, received.size(), "one binary message per request frame");
        for (int i = 0; i < ROUND_TRIPS; i++)
        {
            assertArrayEquals(sentDigests.get(i), received.get(i), "request body " + i + " as the server saw it");
        }
    }

    /** The body of round trip {@code index}: a length from {@link #BODY_LENGTHS}, random bytes. */
    private static byte[] body(final int index)
    {
        final byte[] body = new byte[BODY_LENGTHS[index % BODY_LENGTHS.length]];
        new Random(index).nextBytes(body);
        return body;
    }

    private static byte[] sha256(final byte[] bytes)
    {
        return sha256(bytes, 0, bytes.length);
    }

    private static byte[] sha256(final byte[] bytes, final int offset, final int length)
    {
        try
        {
            final MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(bytes, offset, length);
            return digest.digest();
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private InetSocketAddress startNetty(final boolean tls, final ReplyingHandler replying) throws Exception
    {
        final SslContext sslContext = tls ? SslContextBuilder
            .forServer(TestTls.CERTIFICATE.privateKey(), TestTls.CERTIFICATE.certificate())
            .sslProvider(SslProvider.JDK)
            .protocols("TLSv1.3")
            .build() : null;
        final WebSocketServerProtocolConfig webSocket = WebSocketServerProtocolConfig.newBuilder()
            .websocketPath(PATH)
            .maxFramePayloadLength(MAX_MESSAGE)
            .build();
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        serverChannel = new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(new ChannelInitializer<SocketChannel>()
            {
                @Override
                protected void initChannel(final SocketChannel channel)
                {
                    if (sslContext != null)
                    {
                        channel.pipeline().addLast(sslContext.newHandler(channel.alloc()));
                    }
                    channel.pipeline().addLast(
                        new HttpServerCodec(),
                        new HttpObjectAggregator(8192),
                        new WebSocketServerProtocolHandler(webSocket),
                        new WebSocketFrameAggregator(MAX_MESSAGE),
                        replying);
                }
            })
            .bind("127.0.0.1", 0)
            .sync()
            .channel();
        return (InetSocketAddress)serverChannel.localAddress();
    }

    /**
     * Answers each binary message holding one request frame with the reply frame: the message
     * copied, the command set to {@link Command#REPLY} and the replica to none through
     * {@link FrameHeader}, the copy sealed with {@link Frames#seal}. Anything else is recorded as
     * a failure and closes the connection with 1008 (1003 for text). Shared by the connections of
     * a one-thread event loop group, so its codec is confined to that thread.
     */
    @ChannelHandler.Sharable
    private static final class ReplyingHandler extends SimpleChannelInboundHandler<WebSocketFrame>
    {
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<byte[]> requestDigests = new ConcurrentLinkedQueue<>();
        final CompletableFuture<String> handshakeUri = new CompletableFuture<>();
        final CompletableFuture<String> tlsProtocol = new CompletableFuture<>();
        private final FrameCodec codec = new FrameCodec();

        @Override
        public void userEventTriggered(final ChannelHandlerContext ctx, final Object event) throws Exception
        {
            if (event instanceof WebSocketServerProtocolHandler.HandshakeComplete)
            {
                handshakeUri.complete(((WebSocketServerProtocolHandler.HandshakeComplete)event).requestUri());
                final SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                if (ssl != null)
                {
                    tlsProtocol.complete(ssl.engine().getSession().getProtocol());
                }
            }
            super.userEventTriggered(ctx, event);
        }

        @Override
        protected void channelRead0(final ChannelHandlerContext ctx, final WebSocketFrame frame)
        {
            if (!(frame instanceof BinaryWebSocketFrame))
            {
                failures.add("a " + frame.getClass().getSimpleName());
                ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.INVALID_MESSAGE_TYPE));
                return;
            }
            final byte[] copy = ByteBufUtil.getBytes(frame.content());
            final UnsafeBuffer buffer = new UnsafeBuffer(copy);
            final String problem = problemOf(buffer, copy.length);
            if (problem != null)
            {
                failures.add(problem);
                ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.POLICY_VIOLATION));
                return;
            }
            requestDigests.add(sha256(copy, FrameHeader.HEADER_SIZE, copy.length - FrameHeader.HEADER_SIZE));
            Frames.header().wrap(buffer, 0).command(Command.REPLY).replica(FrameHeader.REPLICA_NONE);
            Frames.seal(buffer, 0);
            ctx.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(copy)));
        }

        /** Why the message of {@code length} bytes is not one sealed request frame, or null. */
        private String problemOf(final UnsafeBuffer buffer, final int length)
        {
            if (length < FrameHeader.HEADER_SIZE)
            {
                return "a " + length + "-byte message, shorter than a frame header";
            }
            final int size = FrameHeader.size(buffer, 0);
            if (size != length)
            {
                return "size field " + size + " in a " + length + "-byte message";
            }
            if (FrameHeader.command(buffer, 0) != (Command.REQUEST.code() & 0xFF))
            {
                return "command " + FrameHeader.command(buffer, 0) + ", not a request";
            }
            if (!codec.isHeaderValid(buffer, 0) || !codec.isBodyValid(buffer, 0, size))
            {
                return "a bad checksum in a " + length + "-byte request: " +
                    Arrays.toString(Arrays.copyOf(buffer.byteArray(), 64));
            }
            return null;
        }

        @Override
        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            failures.add(String.valueOf(cause));
            ctx.close();
        }
    }
}
