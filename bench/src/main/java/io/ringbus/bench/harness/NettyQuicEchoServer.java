package io.ringbus.bench.harness;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The replicated echo on Netty's QUIC codec (quiche with BoringSSL, native, linux-x86_64), on one
 * NIO event-loop thread, like the netty-nio peer: the same frame pipeline as {@link NettyEchoServer}
 * ({@link NettyEchoServer#newFrameDecoder()} and its {@link NettyEchoServer.EchoHandler}) on each
 * QUIC stream channel. Limits as WIRE.md's {@code quic} transport wants them: ALPN {@code ringbus},
 * one client-opened bidirectional stream, no unidirectional streams, no 0-RTT, no Retry; the
 * flow-control windows of the ringbus-quic listener ({@link RingbusEchoServer#QUIC_STREAM_WINDOW},
 * {@link RingbusEchoServer#QUIC_CONNECTION_WINDOW}); {@link BenchTls}'s certificate. A protocol
 * error closes the connection with application error 0x1 and the reason (WIRE.md, QUIC
 * specifics). Adapted from bus-quic's test peer {@code NettyQuicPeer.Server}.
 *
 * <p>{@link #start()} and {@link #close()} from one thread (the harness's); the handlers run on
 * the event loop.
 */
public final class NettyQuicEchoServer implements EchoServer
{
    private static final long SHUTDOWN_TIMEOUT_MS = 2_000;

    private final AtomicLong protocolErrors = new AtomicLong();
    private EventLoopGroup group;
    private Channel channel;

    @Override
    public InetSocketAddress start() throws Exception
    {
        if (group != null)
        {
            throw new IllegalStateException(name() + " already started");
        }
        final QuicSslContext ssl = QuicSslContextBuilder.forServer(BenchTls.privateKey(), null, BenchTls.certificateChain())
            .applicationProtocols(QuicLoadLink.ALPN)
            .earlyData(false)
            .build();
        final ChannelHandler codec = new QuicServerCodecBuilder()
            .sslContext(ssl)
            .maxIdleTimeout(QuicLoadLink.IDLE_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .initialMaxData(RingbusEchoServer.QUIC_CONNECTION_WINDOW)
            .initialMaxStreamDataBidirectionalLocal(RingbusEchoServer.QUIC_STREAM_WINDOW)
            .initialMaxStreamDataBidirectionalRemote(RingbusEchoServer.QUIC_STREAM_WINDOW)
            .initialMaxStreamsBidirectional(1)
            .initialMaxStreamsUnidirectional(0)
            .tokenHandler(null) // Netty's NoQuicTokenHandler: no Retry, as the ringbus listener
            .handler(new ConnectionHandler())
            .streamOption(ChannelOption.ALLOW_HALF_CLOSURE, Boolean.TRUE)
            .streamHandler(new StreamInitializer(protocolErrors, name()))
            .build();
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(name(), true), NioIoHandler.newFactory());
        try
        {
            channel = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(codec)
                .bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0)).sync().channel();
            return (InetSocketAddress)channel.localAddress();
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
        if (channel != null)
        {
            channel.close().awaitUninterruptibly(SHUTDOWN_TIMEOUT_MS);
            channel = null;
        }
        if (group != null)
        {
            group.shutdownGracefully(0, SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(2 * SHUTDOWN_TIMEOUT_MS);
            group = null;
        }
    }

    @Override
    public String name()
    {
        return "netty-quic";
    }

    @Override
    public String ioThreadNamePrefix()
    {
        return name() + "-";
    }

    @Override
    public Framing clientFraming()
    {
        return Framing.QUIC;
    }

    /** Connections closed for a protocol error (or an I/O error) since start. */
    public long protocolErrors()
    {
        return protocolErrors.get();
    }

    /** Logs connection-level exceptions; one instance for every QuicChannel. */
    @ChannelHandler.Sharable
    private static final class ConnectionHandler extends ChannelInboundHandlerAdapter
    {
        @Override
        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            System.err.println("netty-quic: closing connection " + ctx.channel() + ": " + cause);
            ctx.close();
        }
    }

    /** The echo pipeline of each client-opened bidirectional stream; refuses any other stream. */
    private static final class StreamInitializer extends ChannelInitializer<QuicStreamChannel>
    {
        private final AtomicLong protocolErrors;
        private final String serverName;

        StreamInitializer(final AtomicLong protocolErrors, final String serverName)
        {
            this.protocolErrors = protocolErrors;
            this.serverName = serverName;
        }

        @Override
        protected void initChannel(final QuicStreamChannel stream)
        {
            if (stream.type() != QuicStreamType.BIDIRECTIONAL || stream.isLocalCreated())
            {
                // The limits forbid it already; if it slips through, refuse as WIRE.md says.
                protocolErrors.incrementAndGet();
                closeConnection(stream, "stream " + stream.streamId() + ": only one client-opened bidirectional stream");
                return;
            }
            stream.pipeline().addLast(NettyEchoServer.newFrameDecoder(), new QuicEchoHandler(protocolErrors, serverName));
        }
    }

    /** {@link NettyEchoServer.EchoHandler} on a QUIC stream: a protocol error closes the whole connection. */
    private static final class QuicEchoHandler extends NettyEchoServer.EchoHandler
    {
        QuicEchoHandler(final AtomicLong protocolErrors, final String serverName)
        {
            super(protocolErrors, serverName);
        }

        @Override
        void closeOnError(final ChannelHandlerContext ctx, final String reason)
        {
            closeConnection((QuicStreamChannel)ctx.channel(), reason);
        }
    }

    /** WIRE.md, QUIC specifics: application error 0x1 with the reason phrase. */
    private static void closeConnection(final QuicStreamChannel stream, final String reason)
    {
        final QuicChannel connection = stream.parent();
        connection.close(true, (int)QuicLoadLink.PROTOCOL_ERROR, Unpooled.copiedBuffer(reason, StandardCharsets.UTF_8));
    }
}
