package io.ringbus.quic.interop;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.BoringSSLContextOption;
import io.netty.handler.codec.quic.InsecureQuicTokenHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicConnectionCloseEvent;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamFrame;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.concurrent.Future;
import io.ringbus.core.frame.FramePool;
import org.agrona.DirectBuffer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Interop peers on Netty's QUIC codec (quiche with BoringSSL, native, linux-x86_64 here): an echo
 * {@link Server} and a blocking {@link Client}, both speaking Ringbus frames over one
 * client-opened bidirectional stream with ALPN {@code ringbus} (WIRE.md, {@code quic}).
 *
 * <p>What Netty lets us control: flow-control windows, stream limits, idle timeout, Retry (the
 * server's token handler), key-exchange groups ({@link PeerOptions#groups()}). Not the TLS 1.3 cipher
 * suites: BoringSSL has no setting for them and picks AES-GCM when the CPU has AES instructions, else
 * ChaCha20, among what the client offers. Netty logs through its own logger (slf4j/JUL); it is quiet
 * unless something goes wrong.
 *
 * <p>Each server or client owns one event-loop thread; the factories are thread-safe.
 */
public final class NettyQuicPeer
{
    /** Application error code of a Ringbus protocol error (WIRE.md, QUIC specifics). */
    public static final int PROTOCOL_ERROR = 0x1;

    private NettyQuicPeer()
    {
    }

    /** An echo server presenting {@code chain} (leaf first) with {@code key}, default options. */
    public static Server server(final X509Certificate[] chain, final PrivateKey key) throws IOException
    {
        return server(chain, key, PeerOptions.defaults());
    }

    /** An echo server presenting {@code chain} (leaf first) with {@code key}. */
    public static Server server(final X509Certificate[] chain, final PrivateKey key, final PeerOptions options)
        throws IOException
    {
        return new Server(chain, key, options, new X509Certificate[0]);
    }

    /**
     * An echo server that requires every client to present a certificate chained to one of
     * {@code clientAuthorities} (BoringSSL's client authentication, ClientAuth.REQUIRE).
     */
    public static Server server(final X509Certificate[] chain, final PrivateKey key, final PeerOptions options,
        final X509Certificate... clientAuthorities) throws IOException
    {
        return new Server(chain, key, options, clientAuthorities);
    }

    /**
     * A client connected to {@code host:port} that trusts exactly {@code trusted} (the server's
     * self-signed certificate), or anything when {@code trusted} is null; default options.
     */
    public static Client client(final String host, final int port, final X509Certificate trusted) throws IOException
    {
        return client(host, port, trusted, PeerOptions.defaults());
    }

    /** A client that checks no certificate (insecure; tests only). */
    public static Client clientInsecure(final String host, final int port) throws IOException
    {
        return client(host, port, null, PeerOptions.defaults());
    }

    /**
     * A client connected to {@code host:port}; {@code trusted} null means insecure. Blocks until the
     * handshake completed and the stream is open, at most {@link PeerOptions#connectTimeout()}.
     */
    public static Client client(final String host, final int port, final X509Certificate trusted,
        final PeerOptions options) throws IOException
    {
        return new Client(host, port, trusted, options, null, null);
    }

    /** As {@link #client(String, int, X509Certificate, PeerOptions)}, presenting {@code chain} and {@code key} when asked. */
    public static Client client(final String host, final int port, final X509Certificate trusted,
        final PeerOptions options, final X509Certificate[] chain, final PrivateKey key) throws IOException
    {
        return new Client(host, port, trusted, options, chain, key);
    }

    private static QuicSslContextBuilder groups(final QuicSslContextBuilder builder, final PeerOptions options)
    {
        if (!options.groups().isEmpty())
        {
            builder.option(BoringSSLContextOption.GROUPS, options.groups().toArray(new String[0]));
        }
        return builder;
    }

    private static EventLoopGroup newGroup()
    {
        return new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    private static void shutdown(final EventLoopGroup group)
    {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Wait for {@code future} at most {@code timeout}; its failure or the timeout become an IOException. */
    private static <T> T await(final Future<T> future, final Duration timeout, final String what) throws IOException
    {
        if (!future.awaitUninterruptibly(timeout.toMillis()))
        {
            // Not cancelled: Netty's QUIC connect promise then logs a warning; closing the channel fails it.
            throw new IOException(what + " did not complete within " + timeout.toMillis() + " ms");
        }
        if (!future.isSuccess())
        {
            throw new IOException(what + " failed: " + future.cause(), future.cause());
        }
        return future.getNow();
    }

    /** Copy {@code length} bytes at {@code offset} of {@code src} onto the end of {@code out}. */
    private static void append(final ByteBuf out, final DirectBuffer src, final int offset, final int length)
    {
        out.ensureWritable(length);
        final ByteBuffer target = out.nioBuffer(out.writerIndex(), length);
        src.getBytes(offset, target, 0, length);
        out.writerIndex(out.writerIndex() + length);
    }

    /**
     * A Netty QUIC echo server on 127.0.0.1, port 0. Limits: initial_max_data and
     * initial_max_stream_data_bidi_* from the options (16/8 MiB by default), one peer-initiated
     * bidirectional stream, no unidirectional streams, max_idle_timeout from the options (30 s),
     * no 0-RTT; Retry when {@link PeerOptions#retry()}.
     */
    public static final class Server implements QuicPeerServer
    {
        private final PeerOptions options;
        private final EchoStats stats = new EchoStats();
        private final FramePool pool;
        private final EventLoopGroup group;
        private final Channel channel;
        private final InetSocketAddress address;

        private Server(final X509Certificate[] chain, final PrivateKey key, final PeerOptions options,
            final X509Certificate[] clientAuthorities) throws IOException
        {
            this.options = options;
            this.pool = new FramePool(options.maxMessageSize());
            final QuicSslContextBuilder sslBuilder = groups(QuicSslContextBuilder.forServer(key, null, chain), options)
                .applicationProtocols(options.alpn())
                .earlyData(false);
            if (clientAuthorities.length > 0)
            {
                sslBuilder.trustManager(clientAuthorities).clientAuth(ClientAuth.REQUIRE);
            }
            final QuicSslContext ssl = sslBuilder.build();
            final ChannelHandler codec = new QuicServerCodecBuilder()
                .sslContext(ssl)
                .maxIdleTimeout(options.idleTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .initialMaxData(options.connectionWindow())
                .initialMaxStreamDataBidirectionalLocal(options.streamWindow())
                .initialMaxStreamDataBidirectionalRemote(options.streamWindow())
                .initialMaxStreamsBidirectional(1)
                .initialMaxStreamsUnidirectional(0)
                // null: Netty's NoQuicTokenHandler, no Retry. The insecure handler sends a Retry to
                // every new client and accepts its own tokens: enough to exercise a client's Retry path.
                .tokenHandler(options.retry() ? InsecureQuicTokenHandler.INSTANCE : null)
                .handler(new ConnectionHandler())
                .streamOption(ChannelOption.ALLOW_HALF_CLOSURE, Boolean.TRUE)
                .streamHandler(new ChannelInitializer<QuicStreamChannel>()
                {
                    @Override
                    protected void initChannel(final QuicStreamChannel stream)
                    {
                        stream.pipeline().addLast(new EchoStreamHandler());
                    }
                })
                .build();
            this.group = newGroup();
            try
            {
                this.channel = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(codec)
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
            }
            catch (final InterruptedException ex)
            {
                shutdown(group);
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while binding", ex);
            }
            catch (final RuntimeException ex)
            {
                shutdown(group);
                throw new IOException("cannot bind the Netty QUIC server: " + ex, ex);
            }
            this.address = (InetSocketAddress)channel.localAddress();
        }

        @Override
        public int port()
        {
            return address.getPort();
        }

        @Override
        public InetSocketAddress address()
        {
            return address;
        }

        @Override
        public EchoStats stats()
        {
            return stats;
        }

        @Override
        public void close()
        {
            channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            shutdown(group);
        }

        @Override
        public String toString()
        {
            return "netty-quic server " + address;
        }

        /** Counts connections and notes the cipher suite; one instance for every QuicChannel. */
        @ChannelHandler.Sharable
        private final class ConnectionHandler extends ChannelInboundHandlerAdapter
        {
            @Override
            public void channelActive(final ChannelHandlerContext ctx)
            {
                // A server QuicChannel becomes active once the handshake is done.
                stats.connections.incrementAndGet();
                final SSLSession session = ((QuicChannel)ctx.channel()).sslEngine().getSession();
                stats.lastCipherSuite.set(session.getCipherSuite());
                try
                {
                    stats.lastPeerSubject.set(((X509Certificate)session.getPeerCertificates()[0])
                        .getSubjectX500Principal().getName());
                }
                catch (final SSLPeerUnverifiedException ex)
                {
                    stats.lastPeerSubject.set(null); // no client certificate asked for or given
                }
                ctx.fireChannelActive();
            }

            @Override
            public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
            {
                stats.lastError.set("connection: " + cause);
                ctx.close();
            }
        }

        /** The echo on one stream; one instance per stream, on the event loop. */
        private final class EchoStreamHandler extends ChannelInboundHandlerAdapter implements EchoStream.Output
        {
            private EchoStream echo;
            private ChannelHandlerContext ctx;
            private ByteBuf pending;
            private byte[] scratch = new byte[64 * 1024];

            @Override
            public void handlerAdded(final ChannelHandlerContext ctx)
            {
                this.ctx = ctx;
                this.echo = new EchoStream(options, pool, stats, this);
            }

            @Override
            public void channelActive(final ChannelHandlerContext ctx)
            {
                final QuicStreamChannel stream = (QuicStreamChannel)ctx.channel();
                if (stream.type() != QuicStreamType.BIDIRECTIONAL || stream.isLocalCreated())
                {
                    // The limits forbid it already; if it slips through, refuse as WIRE.md says.
                    protocolError("stream " + stream.streamId() + ": only one client-opened bidirectional stream");
                    return;
                }
                stats.streams.incrementAndGet();
                ctx.fireChannelActive();
            }

            @Override
            public void channelRead(final ChannelHandlerContext ctx, final Object msg)
            {
                final ByteBuf buf = (ByteBuf)msg;
                try
                {
                    final int length = buf.readableBytes();
                    if (scratch.length < length)
                    {
                        scratch = new byte[length];
                    }
                    buf.readBytes(scratch, 0, length);
                    echo.onBytes(scratch, 0, length);
                }
                finally
                {
                    buf.release();
                }
            }

            @Override
            public void channelReadComplete(final ChannelHandlerContext ctx)
            {
                flushPending();
            }

            @Override
            public void userEventTriggered(final ChannelHandlerContext ctx, final Object event)
            {
                if (event instanceof ChannelInputShutdownReadComplete)
                {
                    // The client finished its stream: finish ours after the replies, like a TCP echo.
                    flushPending();
                    if (echo.isMidFrame())
                    {
                        stats.lastError.set("the client finished the stream mid-frame");
                    }
                    ctx.writeAndFlush(QuicStreamFrame.EMPTY_FIN);
                }
                ctx.fireUserEventTriggered(event);
            }

            @Override
            public void channelInactive(final ChannelHandlerContext ctx)
            {
                releasePending();
                echo.close();
                ctx.fireChannelInactive();
            }

            @Override
            public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
            {
                stats.lastError.set("stream: " + cause);
                ctx.close();
            }

            @Override
            public void write(final DirectBuffer buffer, final int offset, final int length)
            {
                if (pending == null)
                {
                    pending = ctx.alloc().directBuffer(Math.max(length, 64 * 1024));
                }
                append(pending, buffer, offset, length);
            }

            @Override
            public void protocolError(final String reason)
            {
                releasePending();
                final QuicChannel connection = (QuicChannel)ctx.channel().parent();
                connection.close(true, PROTOCOL_ERROR, Unpooled.copiedBuffer(reason, StandardCharsets.UTF_8));
            }

            private void flushPending()
            {
                if (pending != null)
                {
                    final ByteBuf out = pending;
                    pending = null;
                    ctx.writeAndFlush(out);
                }
            }

            private void releasePending()
            {
                if (pending != null)
                {
                    pending.release();
                    pending = null;
                }
            }
        }
    }

    /**
     * A blocking Netty QUIC client: connects, opens stream 0 and hands out the server's frames.
     * Advertises the options' windows (16/8 MiB by default) and refuses server-opened streams.
     */
    public static final class Client implements QuicPeerClient
    {
        private final PeerOptions options;
        private final FrameReceiver receiver;
        private final EventLoopGroup group;
        private final CompletableFuture<PeerClose> closed = new CompletableFuture<>();
        private final AtomicReference<QuicConnectionCloseEvent> closeEvent = new AtomicReference<>();
        private final Channel udp;
        private final QuicChannel connection;
        private final QuicStreamChannel stream;

        private Client(final String host, final int port, final X509Certificate trusted, final PeerOptions options,
            final X509Certificate[] chain, final PrivateKey key) throws IOException
        {
            this.options = options;
            this.receiver = new FrameReceiver(options);
            final QuicSslContextBuilder sslBuilder = QuicSslContextBuilder.forClient()
                .applicationProtocols(options.alpn())
                .earlyData(false);
            if (trusted != null)
            {
                sslBuilder.trustManager(trusted);
            }
            else
            {
                sslBuilder.trustManager(InsecureTrustManagerFactory.INSTANCE);
            }
            if (key != null)
            {
                sslBuilder.keyManager(key, null, chain);
            }
            final QuicSslContext ssl = groups(sslBuilder, options).build();
            // SNI only for a DNS name (RFC 6066 3: literal IP addresses are not permitted).
            final String sniHost = isIpLiteral(host) ? null : host;
            final ChannelHandler codec = new QuicClientCodecBuilder()
                .sslEngineProvider(quic -> ssl.newEngine(quic.alloc(), sniHost, port))
                .maxIdleTimeout(options.idleTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .initialMaxData(options.connectionWindow())
                .initialMaxStreamDataBidirectionalLocal(options.streamWindow())
                .initialMaxStreamDataBidirectionalRemote(options.streamWindow())
                .initialMaxStreamsBidirectional(0)
                .initialMaxStreamsUnidirectional(0)
                .build();
            this.group = newGroup();
            QuicChannel quic = null;
            try
            {
                final ChannelFuture bind = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                    .handler(codec).bind(0);
                await(bind, options.connectTimeout(), "binding the client socket");
                this.udp = bind.channel();
                quic = await(QuicChannel.newBootstrap(udp)
                    .handler(new ConnectionHandler())
                    .remoteAddress(new InetSocketAddress(host, port))
                    .connect(), options.connectTimeout(), "QUIC handshake with " + host + ":" + port);
                this.stream = await(quic.newStreamBootstrap()
                    .type(QuicStreamType.BIDIRECTIONAL)
                    .option(ChannelOption.ALLOW_HALF_CLOSURE, Boolean.TRUE)
                    .handler(new StreamHandler())
                    .create(), options.connectTimeout(), "opening the stream");
                this.connection = quic;
            }
            catch (final IOException | RuntimeException ex)
            {
                if (quic != null)
                {
                    quic.close();
                }
                shutdown(group);
                throw ex;
            }
        }

        private static boolean isIpLiteral(final String host)
        {
            return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || Character.isDigit(c));
        }

        @Override
        public void send(final byte[] bytes) throws IOException
        {
            // Completes once quiche took every byte; flow control may hold it (a blocking socket's semantics).
            final ChannelFuture write = stream.writeAndFlush(Unpooled.wrappedBuffer(bytes));
            await(write, options.sendTimeout(), "sending " + bytes.length + " bytes");
        }

        @Override
        public byte[] receiveFrame(final Duration timeout) throws IOException, TimeoutException
        {
            return receiver.receive(timeout);
        }

        @Override
        public void shutdownOutput() throws IOException
        {
            await(stream.writeAndFlush(QuicStreamFrame.EMPTY_FIN), options.sendTimeout(), "sending FIN");
        }

        @Override
        public PeerClose awaitClose(final Duration timeout) throws TimeoutException, InterruptedException
        {
            try
            {
                return closed.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            }
            catch (final ExecutionException ex)
            {
                throw new IllegalStateException(ex.getCause());
            }
        }

        @Override
        public String cipherSuite()
        {
            return connection.sslEngine().getSession().getCipherSuite();
        }

        /** The negotiated ALPN protocol. */
        public String applicationProtocol()
        {
            return connection.sslEngine().getApplicationProtocol();
        }

        @Override
        public void close()
        {
            if (connection.isOpen())
            {
                connection.close(true, 0, Unpooled.EMPTY_BUFFER).awaitUninterruptibly(2, TimeUnit.SECONDS);
            }
            udp.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            shutdown(group);
        }

        @Override
        public String toString()
        {
            return "netty-quic client " + connection.remoteSocketAddress();
        }

        /** Notes how the connection ended; on the event loop. */
        private final class ConnectionHandler extends ChannelInboundHandlerAdapter
        {
            @Override
            public void userEventTriggered(final ChannelHandlerContext ctx, final Object event)
            {
                if (event instanceof QuicConnectionCloseEvent)
                {
                    closeEvent.set((QuicConnectionCloseEvent)event);
                }
                ctx.fireUserEventTriggered(event);
            }

            @Override
            public void channelInactive(final ChannelHandlerContext ctx)
            {
                final QuicConnectionCloseEvent event = closeEvent.get();
                final PeerClose close;
                if (event != null)
                {
                    close = new PeerClose(true, event.isApplicationClose(), event.error(),
                        new String(event.reason(), StandardCharsets.UTF_8));
                }
                else
                {
                    close = new PeerClose(false, false, -1,
                        ((QuicChannel)ctx.channel()).isTimedOut() ? "idle timeout" : "closed locally");
                }
                receiver.onEnd("connection closed: " + close);
                closed.complete(close);
                ctx.fireChannelInactive();
            }

            @Override
            public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
            {
                receiver.onEnd("connection error: " + cause);
                ctx.close();
            }
        }

        /** Feeds the stream's bytes to the receiver; on the event loop. */
        private final class StreamHandler extends ChannelInboundHandlerAdapter
        {
            private byte[] scratch = new byte[64 * 1024];

            @Override
            public void channelRead(final ChannelHandlerContext ctx, final Object msg)
            {
                final ByteBuf buf = (ByteBuf)msg;
                try
                {
                    final int length = buf.readableBytes();
                    if (scratch.length < length)
                    {
                        scratch = new byte[length];
                    }
                    buf.readBytes(scratch, 0, length);
                    receiver.onBytes(scratch, 0, length);
                }
                finally
                {
                    buf.release();
                }
            }

            @Override
            public void userEventTriggered(final ChannelHandlerContext ctx, final Object event)
            {
                if (event instanceof ChannelInputShutdownReadComplete)
                {
                    receiver.onEnd("the server finished the stream (FIN)");
                }
                ctx.fireUserEventTriggered(event);
            }

            @Override
            public void channelInactive(final ChannelHandlerContext ctx)
            {
                receiver.onEnd("stream closed");
                ctx.fireChannelInactive();
            }

            @Override
            public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
            {
                receiver.onEnd("stream error: " + cause);
            }
        }
    }
}
