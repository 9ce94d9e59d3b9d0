package io.ringbus.bench.harness;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicConnectionCloseEvent;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One QUIC connection of the load client, seen as a blocking byte stream: a Netty QUIC client
 * (quiche with BoringSSL, the same native codec for every QUIC server measured) that connects with
 * ALPN {@code ringbus}, trusts exactly {@link BenchTls}'s certificate, opens one bidirectional
 * stream (id 0, WIRE.md {@code quic}) and offers it as an {@link InputStream} and an
 * {@link OutputStream}, so that {@link LoadConnection} frames, checks and times requests exactly as
 * it does over a socket.
 *
 * <p>Threads: the connection runs on one event-loop thread of its own (NIO datagram channel,
 * blocking select: nothing spins). {@link #output()} belongs to one writer thread: each write of
 * the stream (a {@link java.io.BufferedOutputStream} flush) becomes one {@code writeAndFlush} on
 * the event loop, without waiting for it; when the stream channel is not writable the writer waits
 * for its previous write. {@link #input()} belongs to one reader thread: the event loop queues the
 * stream's buffers (retained, not copied) and the reader blocks on the queue, at most the read
 * timeout. {@link #close()} from any thread.
 *
 * <p>States: OPEN; then ENDED once the server finished the stream or the connection closed (the
 * reader gets the queued bytes, then end of stream or an {@link IOException} naming the close);
 * CLOSED after {@link #close()}.
 */
final class QuicLoadLink implements AutoCloseable
{
    /** The ALPN protocol of WIRE.md's {@code quic} transport. */
    static final String ALPN = "ringbus";
    /** The host name the client sends as SNI (the shared certificate's DNS name). */
    static final String SERVER_NAME = "localhost";
    /** Connection flow-control window the client advertises (initial_max_data), bytes. */
    static final long CONNECTION_WINDOW = 16L * 1024 * 1024;
    /** Stream flow-control window the client advertises (initial_max_stream_data_bidi_*), bytes. */
    static final long STREAM_WINDOW = 8L * 1024 * 1024;
    /** max_idle_timeout the client advertises, ms. */
    static final long IDLE_TIMEOUT_MS = 30_000;
    /** Application error code of a Ringbus protocol error (WIRE.md, QUIC specifics). */
    static final long PROTOCOL_ERROR = 0x1;

    private static final long SHUTDOWN_TIMEOUT_MS = 2_000;
    /** Marks the end of the stream in the receive queue (data buffers queued are never empty). */
    private static final ByteBuf END = Unpooled.EMPTY_BUFFER;

    /** The client TLS context, built once per JVM (it is immutable and BoringSSL-backed). */
    private static final class Ssl
    {
        static final QuicSslContext CONTEXT = QuicSslContextBuilder.forClient()
            .trustManager(BenchTls.trustedCertificate())
            .applicationProtocols(ALPN)
            .earlyData(false)
            .build();
    }

    private final int readTimeoutMs;
    private final EventLoopGroup group;
    private final LinkedBlockingQueue<ByteBuf> received = new LinkedBlockingQueue<>();
    private final StreamInput input = new StreamInput();
    private final StreamOutput output = new StreamOutput();
    private final WriteFailureListener writeFailures = new WriteFailureListener();
    private volatile String endReason;
    private volatile QuicConnectionCloseEvent closeEvent;
    private volatile Throwable writeFailure;
    private Channel udp;
    private QuicChannel connection;
    private QuicStreamChannel stream;

    private QuicLoadLink(final int readTimeoutMs)
    {
        this.readTimeoutMs = readTimeoutMs;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("quic-load", true),
            NioIoHandler.newFactory());
    }

    /**
     * Connect to {@code address} (loopback), complete the handshake and open the stream, each step
     * bounded by {@code timeoutMs}; reads later time out after {@code timeoutMs} too.
     */
    static QuicLoadLink connect(final InetSocketAddress address, final int timeoutMs) throws IOException
    {
        final QuicLoadLink link = new QuicLoadLink(timeoutMs);
        try
        {
            link.open(address);
            return link;
        }
        catch (final IOException | RuntimeException ex)
        {
            link.close();
            throw ex;
        }
    }

    private void open(final InetSocketAddress address) throws IOException
    {
        final ChannelHandler codec = new QuicClientCodecBuilder()
            .sslEngineProvider(quic -> Ssl.CONTEXT.newEngine(quic.alloc(), SERVER_NAME, address.getPort()))
            .maxIdleTimeout(IDLE_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .initialMaxData(CONNECTION_WINDOW)
            .initialMaxStreamDataBidirectionalLocal(STREAM_WINDOW)
            .initialMaxStreamDataBidirectionalRemote(STREAM_WINDOW)
            .initialMaxStreamsBidirectional(0)
            .initialMaxStreamsUnidirectional(0)
            .build();
        final ChannelFuture bind = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(codec)
            .bind(new InetSocketAddress(address.getAddress(), 0)); // the loopback address the server is on
        await(bind, "binding the client socket");
        udp = bind.channel();
        connection = await(QuicChannel.newBootstrap(udp)
            .handler(new ConnectionHandler())
            .remoteAddress(address)
            .connect(), "QUIC handshake with " + address);
        stream = await(connection.newStreamBootstrap()
            .type(QuicStreamType.BIDIRECTIONAL)
            .option(ChannelOption.ALLOW_HALF_CLOSURE, Boolean.TRUE)
            .handler(new StreamHandler())
            .create(), "opening the stream");
    }

    private <T> T await(final Future<T> future, final String what) throws IOException
    {
        if (!future.awaitUninterruptibly(readTimeoutMs))
        {
            throw new SocketTimeoutException(what + " did not complete within " + readTimeoutMs + " ms");
        }
        if (!future.isSuccess())
        {
            throw new IOException(what + " failed: " + future.cause(), future.cause());
        }
        return future.getNow();
    }

    /** The stream's bytes from the server; one reader thread. */
    InputStream input()
    {
        return input;
    }

    /** The stream's bytes to the server; one writer thread. */
    OutputStream output()
    {
        return output;
    }

    /** "QUIC v1" with the TLS protocol and cipher suite and the ALPN the handshake agreed on. */
    String security()
    {
        return "QUIC v1 " + connection.sslEngine().getSession().getProtocol() + " " +
            connection.sslEngine().getSession().getCipherSuite() + ", ALPN " +
            connection.sslEngine().getApplicationProtocol();
    }

    /**
     * How the server closed the connection, once it did: null while open, else whether it was an
     * application close and its error code ({@link #PROTOCOL_ERROR} for a bad frame).
     */
    QuicConnectionCloseEvent closeEvent()
    {
        return closeEvent;
    }

    /**
     * Wait up to {@code timeoutMs} for the connection to close (the server closed it, or it timed
     * out); true if it is closed.
     */
    boolean awaitClosed(final long timeoutMs)
    {
        return connection.closeFuture().awaitUninterruptibly(timeoutMs);
    }

    @Override
    public void close()
    {
        if (connection != null && connection.isOpen())
        {
            connection.close(true, 0, Unpooled.EMPTY_BUFFER)
                .awaitUninterruptibly(SHUTDOWN_TIMEOUT_MS);
        }
        if (udp != null)
        {
            udp.close().awaitUninterruptibly(SHUTDOWN_TIMEOUT_MS);
        }
        group.shutdownGracefully(0, SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .awaitUninterruptibly(2 * SHUTDOWN_TIMEOUT_MS);
        onEnd("closed locally");
        for (ByteBuf buf = received.poll(); buf != null; buf = received.poll())
        {
            buf.release();
        }
        received.add(END); // a reader still blocked, or coming later, sees the end
    }

    /** The stream or connection ended (event loop or closing thread): the reader sees it after the queued bytes. */
    private void onEnd(final String reason)
    {
        if (endReason == null)
        {
            endReason = reason;
            received.add(END);
        }
    }

    /** Blocking reads from the receive queue: one thread. */
    private final class StreamInput extends InputStream
    {
        private ByteBuf current;

        @Override
        public int read() throws IOException
        {
            final byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(final byte[] bytes, final int offset, final int length) throws IOException
        {
            if (length == 0)
            {
                return 0;
            }
            while (current == null || !current.isReadable())
            {
                if (current != null && current != END)
                {
                    current.release();
                }
                current = null;
                final ByteBuf next;
                try
                {
                    next = received.poll(readTimeoutMs, TimeUnit.MILLISECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while reading the QUIC stream");
                }
                if (next == null)
                {
                    throw new SocketTimeoutException("nothing from the server within " + readTimeoutMs + " ms");
                }
                if (next == END)
                {
                    received.add(END); // later reads see the end too
                    return endOfStream();
                }
                current = next;
            }
            final int count = Math.min(length, current.readableBytes());
            current.readBytes(bytes, offset, count);
            return count;
        }

        private int endOfStream() throws IOException
        {
            final QuicConnectionCloseEvent event = closeEvent;
            if (event != null && (event.error() != 0 || !event.isApplicationClose()))
            {
                throw new IOException("connection closed by the server: " + describe(event));
            }
            return -1;
        }

        @Override
        public int available()
        {
            final ByteBuf head = current;
            return head == null || head == END ? 0 : head.readableBytes();
        }
    }

    /** Writes on the event loop without waiting; one writer thread. */
    private final class StreamOutput extends OutputStream
    {
        private ChannelFuture lastWrite;

        @Override
        public void write(final int b) throws IOException
        {
            write(new byte[] {(byte)b}, 0, 1);
        }

        @Override
        public void write(final byte[] bytes, final int offset, final int length) throws IOException
        {
            final Throwable failure = writeFailure;
            if (failure != null)
            {
                throw new IOException("an earlier write to the QUIC stream failed: " + failure, failure);
            }
            if (endReason != null)
            {
                throw new IOException("the QUIC stream has ended: " + endReason);
            }
            if (lastWrite != null && !stream.isWritable())
            {
                // Backpressure: quiche has not taken the previous write yet (flow control or congestion).
                await(lastWrite, "writing to the QUIC stream");
            }
            final ByteBuf buf = stream.alloc().directBuffer(length).writeBytes(bytes, offset, length);
            lastWrite = stream.writeAndFlush(buf).addListener(writeFailures);
        }
    }

    /** Notes a failed write; one instance for every write. */
    private final class WriteFailureListener implements ChannelFutureListener
    {
        @Override
        public void operationComplete(final ChannelFuture future)
        {
            if (!future.isSuccess() && writeFailure == null)
            {
                writeFailure = future.cause();
                onEnd("write failed: " + future.cause());
            }
        }
    }

    private static String describe(final QuicConnectionCloseEvent event)
    {
        return (event.isApplicationClose() ? "application" : "transport") + " error 0x" +
            Long.toHexString(event.error()) + " \"" + new String(event.reason(), StandardCharsets.UTF_8) + "\"";
    }

    /** Notes how the connection ended; on the event loop. */
    private final class ConnectionHandler extends ChannelInboundHandlerAdapter
    {
        @Override
        public void userEventTriggered(final ChannelHandlerContext ctx, final Object event)
        {
            if (event instanceof QuicConnectionCloseEvent)
            {
                closeEvent = (QuicConnectionCloseEvent)event;
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void channelInactive(final ChannelHandlerContext ctx)
        {
            final QuicConnectionCloseEvent event = closeEvent;
            onEnd(event != null ? "connection closed: " + describe(event) :
                ((QuicChannel)ctx.channel()).isTimedOut() ? "idle timeout" : "connection closed");
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            onEnd("connection error: " + cause);
            ctx.close();
        }
    }

    /** Queues the stream's buffers for the reader; on the event loop. */
    private final class StreamHandler extends ChannelInboundHandlerAdapter
    {
        @Override
        public void channelRead(final ChannelHandlerContext ctx, final Object msg)
        {
            final ByteBuf buf = (ByteBuf)msg;
            if (endReason != null || !buf.isReadable())
            {
                buf.release();
                return;
            }
            received.add(buf);
        }

        @Override
        public void userEventTriggered(final ChannelHandlerContext ctx, final Object event)
        {
            if (event instanceof ChannelInputShutdownReadComplete)
            {
                onEnd("the server finished the stream (FIN)");
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void channelInactive(final ChannelHandlerContext ctx)
        {
            onEnd("stream closed");
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            onEnd("stream error: " + cause);
            ctx.close();
        }
    }
}
