package io.ringbus.bench.harness;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLContext;

/**
 * The replicated echo behind Netty 4.2's WebSocket codec, on the NIO transport with one event
 * loop thread: {@link HttpServerCodec}, {@link HttpObjectAggregator} and
 * {@link WebSocketServerProtocolHandler} (opening handshake, close and ping handling, unmasking,
 * the payload limit), then a {@link WebSocketFrameAggregator} so that a fragmented message reaches
 * the handler whole, as WIRE.md's one-frame-per-message rule asks. Optionally wss: Netty's
 * {@link io.netty.handler.ssl.SslHandler} first, TLS 1.3 on the JDK provider with
 * {@link BenchTls}'s certificate, as {@link NettyEchoServer} does for tls.
 *
 * <p>Each binary message is checked and answered in place by an {@link EchoResponder}, exactly
 * as the stream servers do, and goes back as the same {@link BinaryWebSocketFrame}; writes are
 * flushed once per read batch. A text message closes with 1003, a bad bus frame with 1008
 * (WIRE.md).
 *
 * <p>{@link #start()} and {@link #close()} from one thread (the harness's); the handlers run on
 * the event loop.
 */
public final class NettyWebSocketEchoServer implements EchoServer
{
    /** The opening request has no body; this bounds what the aggregator would buffer. */
    private static final int MAX_HTTP_CONTENT = 8 * 1024;

    private final boolean tls;
    private final AtomicLong protocolErrors = new AtomicLong();
    private EventLoopGroup group;
    private Channel serverChannel;

    /**
     * @param tls put an SslHandler (TLS 1.3, JDK provider) first in every connection's pipeline: wss.
     */
    public NettyWebSocketEchoServer(final boolean tls)
    {
        this.tls = tls;
    }

    @Override
    public InetSocketAddress start() throws Exception
    {
        if (group != null)
        {
            throw new IllegalStateException(name() + " already started");
        }
        final SslContext sslContext = tls ? BenchTls.nettyServerContext() : null;
        final WebSocketServerProtocolConfig webSocket = WebSocketServerProtocolConfig.newBuilder()
            .websocketPath(WebSocketClientCodec.PATH)
            .maxFramePayloadLength(EchoResponder.MAX_FRAME_SIZE)
            .allowExtensions(false)
            .build();
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(name()), NioIoHandler.newFactory());
        try
        {
            final ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new Initializer(protocolErrors, name(), sslContext, webSocket));
            serverChannel = NettyEchoServer.bindLoopback(bootstrap);
            return (InetSocketAddress)serverChannel.localAddress();
        }
        catch (final Exception ex)
        {
            close();
            throw ex;
        }
    }

    @Override
    public void close()
    {
        NettyEchoServer.shutdown(serverChannel, group);
        serverChannel = null;
        group = null;
    }

    @Override
    public String name()
    {
        return tls ? "netty-wss" : "netty-ws";
    }

    @Override
    public String ioThreadNamePrefix()
    {
        return name() + "-";
    }

    @Override
    public SSLContext clientTls()
    {
        return tls ? BenchTls.clientContext() : null;
    }

    @Override
    public Framing clientFraming()
    {
        return Framing.WEBSOCKET;
    }

    /** Connections closed for a protocol error (or an I/O error) since start. */
    public long protocolErrors()
    {
        return protocolErrors.get();
    }

    private static final class Initializer extends ChannelInitializer<SocketChannel>
    {
        private final AtomicLong protocolErrors;
        private final String serverName;
        private final SslContext sslContext;
        private final WebSocketServerProtocolConfig webSocket;

        Initializer(
            final AtomicLong protocolErrors,
            final String serverName,
            final SslContext sslContext,
            final WebSocketServerProtocolConfig webSocket)
        {
            this.protocolErrors = protocolErrors;
            this.serverName = serverName;
            this.sslContext = sslContext;
            this.webSocket = webSocket;
        }

        @Override
        protected void initChannel(final SocketChannel channel)
        {
            if (sslContext != null)
            {
                channel.pipeline().addLast(sslContext.newHandler(channel.alloc()));
            }
            channel.pipeline().addLast(
                new HttpServerCodec(),
                new HttpObjectAggregator(MAX_HTTP_CONTENT),
                new WebSocketServerProtocolHandler(webSocket),
                new WebSocketFrameAggregator(EchoResponder.MAX_FRAME_SIZE),
                new EchoHandler(protocolErrors, serverName));
        }
    }

    /**
     * The echo of one WebSocket connection: each binary message is one bus frame, checked and
     * answered in place by {@link NettyEchoServer.EchoHandler}; a protocol error sends a close frame
     * (1003 for a text message, 1008 for a bad frame, as WIRE.md says) and then closes.
     */
    private static final class EchoHandler extends NettyEchoServer.EchoHandler
    {
        private WebSocketCloseStatus closeStatus = WebSocketCloseStatus.POLICY_VIOLATION;

        EchoHandler(final AtomicLong protocolErrors, final String serverName)
        {
            super(protocolErrors, serverName);
        }

        @Override
        public void channelRead(final ChannelHandlerContext ctx, final Object msg)
        {
            if (!(msg instanceof BinaryWebSocketFrame))
            {
                // Only a text message gets here: the protocol handler answers close, ping and pong.
                ReferenceCountUtil.release(msg);
                closeStatus = WebSocketCloseStatus.INVALID_MESSAGE_TYPE;
                fail(ctx, "a " + msg.getClass().getSimpleName());
                return;
            }
            BinaryWebSocketFrame message = (BinaryWebSocketFrame)msg;
            ByteBuf frame = message.content();
            if (frame.nioBufferCount() != 1)
            {
                // Only an aggregated (composite) message gets here; make the frame contiguous.
                final ByteBuf copy = ctx.alloc().directBuffer(frame.readableBytes()).writeBytes(frame);
                final BinaryWebSocketFrame contiguous = message.replace(copy);
                message.release();
                message = contiguous;
                frame = copy;
            }
            echoInPlace(ctx, message, frame);
        }

        @Override
        void closeOnError(final ChannelHandlerContext ctx, final String reason)
        {
            ctx.writeAndFlush(new CloseWebSocketFrame(closeStatus)).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
