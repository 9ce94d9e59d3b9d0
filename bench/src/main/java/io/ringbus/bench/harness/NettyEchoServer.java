package io.ringbus.bench.harness;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoHandle;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SelectStrategy;
import io.netty.channel.SelectStrategyFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ThreadAwareExecutor;
import io.ringbus.core.frame.FrameHeader;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.spi.SelectorProvider;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLContext;

/**
 * The replicated echo on Netty 4.2, over the NIO, the native epoll or the io_uring transport: the
 * peer a well-tuned conventional Java server would be. Optionally TLS 1.3: Netty's
 * {@link io.netty.handler.ssl.SslHandler} first in the pipeline, on the JDK's provider
 * ({@link BenchTls#nettyServerContext()}), so that it runs the same engine as bus-tls.
 *
 * <p>Frames are cut by {@link LengthFieldBasedFrameDecoder} on WIRE.md's {@code size} field (which
 * counts the whole frame, hence the negative length adjustment), checked and answered in place by
 * an {@link EchoResponder} (the reply is the request's own bytes, rewritten), written without a
 * flush and flushed once per read batch in {@code channelReadComplete}. When the channel stops
 * being writable, reading stops until it drains.
 *
 * <p>Spinning ({@code -spin} servers, issue 16): the event loop never blocks when idle, as a ringbus
 * shard with {@code IdleMode.SPINNING}: epoll with Netty's {@link SelectStrategy#BUSY_WAIT}
 * ({@code epoll_wait} with timeout 0 in a loop, in native code), NIO with a strategy that always
 * {@code selectNow()}s (Netty's NIO handler treats BUSY_WAIT as a blocking select), and io_uring,
 * which in Netty 4.2.18 has no select strategy, with its handler told it may never block
 * ({@link IoHandlerContext#canBlock()} false: it submits and reaps without waiting).
 *
 * <p>{@link #start()} and {@link #close()} from one thread (the harness's); the handlers run on
 * the event loop.
 */
public final class NettyEchoServer implements EchoServer
{
    /** Which Netty transport carries the connections. */
    public enum Transport
    {
        NIO("netty-nio"),
        EPOLL("netty-epoll"),
        IO_URING("netty-uring");

        private final String serverName;

        Transport(final String serverName)
        {
            this.serverName = serverName;
        }
    }

    private static final int LENGTH_FIELD_LENGTH = Integer.BYTES;
    /** Replies written but not flushed that trigger a flush before the read batch ends. */
    private static final int FLUSH_THRESHOLD_BYTES = 64 * 1024;
    private static final long SHUTDOWN_QUIET_MS = 0;
    private static final long SHUTDOWN_TIMEOUT_MS = 2_000;
    /** Epoll when idle: Netty's busy wait (epoll_wait(0) in a native loop); pending tasks first, as the default does. */
    private static final SelectStrategyFactory BUSY_WAIT = () -> (selectNow, hasTasks) ->
        hasTasks ? selectNow.get() : SelectStrategy.BUSY_WAIT;
    /** NIO when idle: selectNow() every turn; a non-negative strategy means "process what it found". */
    private static final SelectStrategyFactory SELECT_NOW = () -> (selectNow, hasTasks) -> selectNow.get();

    private final Transport transport;
    private final int ioThreads;
    private final boolean tls;
    private final boolean spin;
    private final AtomicLong protocolErrors = new AtomicLong();
    private EventLoopGroup group;
    private Channel serverChannel;

    /** A server on {@code transport} with one event loop thread (accepts and connections alike). */
    public NettyEchoServer(final Transport transport)
    {
        this(transport, 1, false);
    }

    /**
     * @param transport NIO, epoll or io_uring.
     * @param ioThreads event loop threads; connections are spread over them.
     * @param tls       put an SslHandler (TLS 1.3, JDK provider) first in every connection's pipeline.
     */
    public NettyEchoServer(final Transport transport, final int ioThreads, final boolean tls)
    {
        this(transport, ioThreads, tls, false);
    }

    /**
     * @param transport NIO, epoll or io_uring.
     * @param ioThreads event loop threads; connections are spread over them.
     * @param tls       put an SslHandler (TLS 1.3, JDK provider) first in every connection's pipeline.
     * @param spin      the event loops busy-poll when idle instead of blocking (name suffix {@code -spin}).
     */
    public NettyEchoServer(final Transport transport, final int ioThreads, final boolean tls, final boolean spin)
    {
        if (ioThreads < 1)
        {
            throw new IllegalArgumentException("ioThreads = " + ioThreads + ": at least 1");
        }
        this.transport = transport;
        this.ioThreads = ioThreads;
        this.tls = tls;
        this.spin = spin;
    }

    @Override
    public InetSocketAddress start() throws Exception
    {
        if (group != null)
        {
            throw new IllegalStateException(name() + " already started");
        }
        final IoHandlerFactory ioHandlerFactory;
        final Class<? extends ServerChannel> channelClass;
        if (transport == Transport.EPOLL)
        {
            if (!Epoll.isAvailable())
            {
                throw new IllegalStateException("epoll transport unavailable: " + Epoll.unavailabilityCause());
            }
            ioHandlerFactory = spin ? EpollIoHandler.newFactory(0, BUSY_WAIT) : EpollIoHandler.newFactory();
            channelClass = EpollServerSocketChannel.class;
        }
        else if (transport == Transport.IO_URING)
        {
            if (!IoUring.isAvailable())
            {
                throw new IllegalStateException("io_uring transport unavailable: " + IoUring.unavailabilityCause());
            }
            ioHandlerFactory = spin ? new NeverBlocking(IoUringIoHandler.newFactory()) : IoUringIoHandler.newFactory();
            channelClass = IoUringServerSocketChannel.class;
        }
        else
        {
            ioHandlerFactory = spin ?
                NioIoHandler.newFactory(SelectorProvider.provider(), SELECT_NOW) : NioIoHandler.newFactory();
            channelClass = NioServerSocketChannel.class;
        }

        final SslContext sslContext = tls ? BenchTls.nettyServerContext() : null;
        group = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory(name()), ioHandlerFactory);
        try
        {
            final ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(channelClass)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new Initializer(protocolErrors, name(), sslContext));
            serverChannel = bindLoopback(bootstrap);
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
        shutdown(serverChannel, group);
        serverChannel = null;
        group = null;
    }

    /** Bind a server bootstrap to a free port of 127.0.0.1; the server channel. */
    static Channel bindLoopback(final ServerBootstrap bootstrap) throws Exception
    {
        return bootstrap.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0))
            .sync().channel();
    }

    /** Close a server channel (may be null) and its event loop group (may be null), bounded. */
    static void shutdown(final Channel serverChannel, final EventLoopGroup group)
    {
        if (serverChannel != null)
        {
            serverChannel.close().syncUninterruptibly();
        }
        if (group != null)
        {
            // Closes every child channel too; bounded so that a stuck connection cannot hang the harness.
            group.shutdownGracefully(SHUTDOWN_QUIET_MS, SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(2 * SHUTDOWN_TIMEOUT_MS);
        }
    }

    @Override
    public String name()
    {
        final String suffix = spin ? "-spin" : "";
        if (!tls)
        {
            return transport.serverName + suffix;
        }
        return (transport == Transport.NIO ? "netty-tls" : transport.serverName + "-tls") + suffix;
    }

    @Override
    public boolean spinsWhenIdle()
    {
        return spin;
    }

    @Override
    public String ioThreadNamePrefix()
    {
        return name() + "-"; // DefaultThreadFactory(name()): name-POOL-N
    }

    @Override
    public SSLContext clientTls()
    {
        return tls ? BenchTls.clientContext() : null;
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

        Initializer(final AtomicLong protocolErrors, final String serverName, final SslContext sslContext)
        {
            this.protocolErrors = protocolErrors;
            this.serverName = serverName;
            this.sslContext = sslContext;
        }

        @Override
        protected void initChannel(final SocketChannel channel)
        {
            if (sslContext != null)
            {
                // First: the frame decoder sees plaintext, as bus-tls's carrier gives the bus's decoder.
                channel.pipeline().addLast(sslContext.newHandler(channel.alloc()));
            }
            channel.pipeline().addLast(newFrameDecoder(), new EchoHandler(protocolErrors, serverName));
        }
    }

    /**
     * Cuts frames on WIRE.md's {@code size} field (which counts the whole frame, hence the negative
     * length adjustment); one per connection (or QUIC stream).
     */
    static LengthFieldBasedFrameDecoder newFrameDecoder()
    {
        return new LengthFieldBasedFrameDecoder(
            FrameHeader.ORDER,
            EchoResponder.MAX_FRAME_SIZE,
            FrameHeader.SIZE_OFFSET,
            LENGTH_FIELD_LENGTH,
            -(FrameHeader.SIZE_OFFSET + LENGTH_FIELD_LENGTH), // size counts the whole frame
            0,
            true);
    }

    /**
     * The echo of one connection (or one QUIC stream, {@link NettyQuicEchoServer}), on its event
     * loop: after {@link #newFrameDecoder()}, checks and answers each frame in place, flushes per
     * read batch. {@link #closeOnError} decides how a protocol error ends the connection.
     */
    static class EchoHandler extends ChannelInboundHandlerAdapter
    {
        private final EchoResponder responder = new EchoResponder();
        private final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
        private final AtomicLong protocolErrors;
        private final String serverName;
        private int unflushedBytes;

        EchoHandler(final AtomicLong protocolErrors, final String serverName)
        {
            this.protocolErrors = protocolErrors;
            this.serverName = serverName;
        }

        @Override
        public void channelRead(final ChannelHandlerContext ctx, final Object msg)
        {
            ByteBuf frame = (ByteBuf)msg;
            if (frame.nioBufferCount() != 1)
            {
                // Only a composite cumulation gets here; make the frame contiguous.
                final ByteBuf copy = ctx.alloc().directBuffer(frame.readableBytes()).writeBytes(frame);
                frame.release();
                frame = copy;
            }
            echoInPlace(ctx, frame, frame);
        }

        /**
         * Check {@code frame} (the contiguous bytes of {@code message}) and answer it in place, then
         * write {@code message} back: the checks read the frame's own memory and the answer is
         * written into it, so the reply goes out as the request's bytes, without a copy. Takes
         * over {@code message}.
         */
        final void echoInPlace(final ChannelHandlerContext ctx, final Object message, final ByteBuf frame)
        {
            final int length = frame.readableBytes();
            final ByteBuffer nio = frame.internalNioBuffer(frame.readerIndex(), length);
            view.wrap(nio, nio.position(), length);
            final String reason = responder.checkFrame(view, 0, length);
            if (reason != null)
            {
                ReferenceCountUtil.release(message);
                fail(ctx, reason);
                return;
            }
            final int answerLength = responder.answer(view, 0);
            frame.writerIndex(frame.readerIndex() + answerLength);
            ctx.write(message, ctx.voidPromise());
            unflushedBytes += answerLength;
            if (unflushedBytes >= FLUSH_THRESHOLD_BYTES)
            {
                // A read batch can hold a megabyte of bulk frames: start sending before it ends.
                flush(ctx);
            }
        }

        @Override
        public void channelReadComplete(final ChannelHandlerContext ctx)
        {
            flush(ctx);
        }

        private void flush(final ChannelHandlerContext ctx)
        {
            unflushedBytes = 0;
            ctx.flush();
        }

        @Override
        public void channelWritabilityChanged(final ChannelHandlerContext ctx)
        {
            // Backpressure: a client that does not read its replies stops being read.
            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            fail(ctx, cause.toString());
        }

        /** Count and log a protocol error, then end the connection with {@link #closeOnError}. */
        final void fail(final ChannelHandlerContext ctx, final String reason)
        {
            protocolErrors.incrementAndGet();
            System.err.println(serverName + ": closing " + ctx.channel().remoteAddress() + ": " + reason);
            closeOnError(ctx, reason);
        }

        /** End the connection after a protocol error: over TCP, close the channel. Overridden per transport. */
        void closeOnError(final ChannelHandlerContext ctx, final String reason)
        {
            ctx.close();
        }
    }

    /**
     * An {@link IoHandlerFactory} whose handlers are told they may never block: Netty's event loop
     * then calls {@link IoHandler#run} in a busy loop, the handler polling without waiting. The
     * busy-wait policy for a transport without a select strategy (io_uring in Netty 4.2.18).
     */
    static final class NeverBlocking implements IoHandlerFactory
    {
        private final IoHandlerFactory delegate;

        NeverBlocking(final IoHandlerFactory delegate)
        {
            this.delegate = delegate;
        }

        @Override
        public IoHandler newHandler(final ThreadAwareExecutor executor)
        {
            return new Handler(delegate.newHandler(executor));
        }

        @Override
        public boolean isChangingThreadSupported()
        {
            return delegate.isChangingThreadSupported();
        }

        /** Delegates everything; {@link #run} passes a context that forbids blocking. Event loop thread. */
        private static final class Handler implements IoHandler, IoHandlerContext
        {
            private final IoHandler delegate;
            private IoHandlerContext context;

            Handler(final IoHandler delegate)
            {
                this.delegate = delegate;
            }

            @Override
            public void initialize()
            {
                delegate.initialize();
            }

            @Override
            public int run(final IoHandlerContext context)
            {
                this.context = context;
                return delegate.run(this);
            }

            @Override
            public boolean canBlock()
            {
                return false;
            }

            @Override
            public long delayNanos(final long currentTimeNanos)
            {
                return context.delayNanos(currentTimeNanos);
            }

            @Override
            public long deadlineNanos()
            {
                return context.deadlineNanos();
            }

            @Override
            public void reportActiveIoTime(final long activeNanos)
            {
                context.reportActiveIoTime(activeNanos);
            }

            @Override
            public boolean shouldReportActiveIoTime()
            {
                return context.shouldReportActiveIoTime();
            }

            @Override
            public void prepareToDestroy()
            {
                delegate.prepareToDestroy();
            }

            @Override
            public void destroy()
            {
                delegate.destroy();
            }

            @Override
            public IoRegistration register(final IoHandle handle) throws Exception
            {
                return delegate.register(handle);
            }

            @Override
            public void wakeup()
            {
                delegate.wakeup();
            }

            @Override
            public boolean isCompatible(final Class<? extends IoHandle> handleType)
            {
                return delegate.isCompatible(handleType);
            }
        }
    }
}
