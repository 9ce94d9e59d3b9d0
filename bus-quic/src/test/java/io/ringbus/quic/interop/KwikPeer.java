package io.ringbus.quic.interop;

import io.ringbus.core.frame.FramePool;
import io.ringbus.quic.packet.CipherSuite;
import org.agrona.DirectBuffer;
import tech.kwik.agent15.TlsConstants;
import tech.kwik.core.ConnectionTerminatedEvent;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicConnection;
import tech.kwik.core.QuicStream;
import tech.kwik.core.log.Logger;
import tech.kwik.core.log.NullLogger;
import tech.kwik.core.log.SysOutLogger;
import tech.kwik.core.server.ApplicationProtocolConnection;
import tech.kwik.core.server.ApplicationProtocolConnectionFactory;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Interop peers on Kwik 0.10.8 (pure-Java QUIC and TLS 1.3, its TLS stack is Agent15): an echo
 * {@link Server} and a blocking {@link Client}, both speaking Ringbus frames over one
 * client-opened bidirectional stream with ALPN {@code ringbus} (WIRE.md, {@code quic}).
 *
 * <p>Kwik specifics worth knowing: the server takes its key either as PEM streams (RSA keys only)
 * or as a KeyStore entry (RSA or EC on secp256r1/384r1/521r1; used here); its TLS 1.3 suites are
 * fixed (AES-128-GCM, AES-256-GCM, ChaCha20) while the client offers exactly the suites it is given,
 * only AES-128-GCM by default ({@link PeerOptions#cipherSuites()}). Logging is off unless
 * {@link PeerOptions#verbose()}. Two races in Kwik 0.10.8 / Agent15 3.1 are worked around here: a
 * lost wake-up of the stream sender ({@link KwikSendKicker}) and a ServerHello that arrives before
 * the client engine expects it ({@link FirstDatagramDelayingSocket}); without them a loopback
 * request/reply loop stalls within a few dozen round trips and about one connect in 50 hangs.
 *
 * <p>Kwik's stream I/O is blocking: the server runs one thread per stream, the client one reader
 * thread. The factories are thread-safe.
 */
public final class KwikPeer
{
    /** Application error code of a Ringbus protocol error (WIRE.md, QUIC specifics). */
    public static final long PROTOCOL_ERROR = 0x1;

    private static final String ALIAS = "ringbus";
    private static final char[] KEY_PASSWORD = "ringbus".toCharArray();
    private static final AtomicInteger THREADS = new AtomicInteger();

    private KwikPeer()
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
        return new Server(chain, key, options);
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

    /** As {@link #client(String, int, X509Certificate, PeerOptions)}, presenting {@code certificate} and {@code key} when asked. */
    public static Client client(final String host, final int port, final X509Certificate trusted,
        final PeerOptions options, final X509Certificate certificate, final PrivateKey key) throws IOException
    {
        return new Client(host, port, trusted, options, certificate, key);
    }

    private static Logger logger(final PeerOptions options)
    {
        if (!options.verbose())
        {
            return new NullLogger();
        }
        final Logger logger = new SysOutLogger();
        logger.logWarning(true);
        logger.logInfo(true);
        return logger;
    }

    private static Thread daemon(final Runnable task, final String name)
    {
        final Thread thread = new Thread(task, name + "-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    }

    /**
     * A Kwik echo server on 127.0.0.1, port 0. Limits: connection buffer and bidirectional stream
     * buffer from the options (16/8 MiB by default), one open peer-initiated bidirectional stream, no
     * unidirectional streams, max_idle_timeout from the options (30 s), Retry when
     * {@link PeerOptions#retry()}.
     */
    public static final class Server implements QuicPeerServer
    {
        private final PeerOptions options;
        private final EchoStats stats = new EchoStats();
        private final FramePool pool;
        private final ServerConnector connector;
        private final InetSocketAddress address;
        private final ExecutorService streamThreads =
            Executors.newCachedThreadPool(task -> daemon(task, "kwik-echo"));
        private final KwikSendKicker kicker = new KwikSendKicker("kwik-server-kick");

        private Server(final X509Certificate[] chain, final PrivateKey key, final PeerOptions options)
            throws IOException
        {
            this.options = options;
            this.pool = new FramePool(options.maxMessageSize());
            final DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            this.address = (InetSocketAddress)socket.getLocalSocketAddress();
            final ServerConnectionConfig config = ServerConnectionConfig.builder()
                .maxIdleTimeout((int)options.idleTimeout().toMillis())
                .maxConnectionBufferSize(options.connectionWindow())
                .maxBidirectionalStreamBufferSize(options.streamWindow())
                .maxUnidirectionalStreamBufferSize(0)
                .maxOpenPeerInitiatedBidirectionalStreams(1)
                .maxOpenPeerInitiatedUnidirectionalStreams(0)
                .retryRequired(options.retry())
                .connectionIdLength(8)
                .build();
            try
            {
                final KeyStore keyStore = KeyStore.getInstance("PKCS12");
                keyStore.load(null, null);
                keyStore.setKeyEntry(ALIAS, key, KEY_PASSWORD, chain);
                this.connector = ServerConnector.builder()
                    .withSocket(socket)
                    .withKeyStore(keyStore, ALIAS, KEY_PASSWORD)
                    .withConfiguration(config)
                    .withLogger(logger(options))
                    .build();
            }
            catch (final GeneralSecurityException | IOException | RuntimeException ex)
            {
                socket.close();
                kicker.close();
                throw new IOException("cannot start the Kwik server: " + ex, ex);
            }
            connector.registerApplicationProtocol(options.alpn(), new EchoFactory());
            connector.start();
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
            connector.close();
            streamThreads.shutdownNow();
            kicker.close();
        }

        @Override
        public String toString()
        {
            return "kwik server " + address;
        }

        /** Creates an echo per connection; called on Kwik's receiver thread. */
        private final class EchoFactory implements ApplicationProtocolConnectionFactory
        {
            @Override
            public ApplicationProtocolConnection createConnection(final String protocol, final QuicConnection connection)
            {
                stats.connections.incrementAndGet();
                connection.setConnectionListener(event -> kicker.unregister(connection));
                return new EchoConnection(connection);
            }

            @Override
            public int maxConcurrentPeerInitiatedUnidirectionalStreams()
            {
                return 0;
            }

            @Override
            public int maxConcurrentPeerInitiatedBidirectionalStreams()
            {
                return 1;
            }
        }

        /** One connection: hands its stream to a thread of its own (Kwik's callback must not block). */
        private final class EchoConnection implements ApplicationProtocolConnection
        {
            private final QuicConnection connection;

            EchoConnection(final QuicConnection connection)
            {
                this.connection = connection;
            }

            @Override
            public void acceptPeerInitiatedStream(final QuicStream stream)
            {
                if (!stream.isClientInitiatedBidirectional())
                {
                    connection.close(PROTOCOL_ERROR, "stream " + stream.getStreamId() +
                        ": only one client-opened bidirectional stream");
                    return;
                }
                stats.streams.incrementAndGet();
                kicker.register(connection, stream);
                streamThreads.execute(() -> echo(stream));
            }

            private void echo(final QuicStream stream)
            {
                final InputStream in = stream.getInputStream();
                final OutputStream out = stream.getOutputStream();
                final StreamOutput output = new StreamOutput(connection, out);
                final EchoStream echo = new EchoStream(options, pool, stats, output);
                final byte[] buffer = new byte[64 * 1024];
                try
                {
                    while (!output.failed)
                    {
                        final int read = in.read(buffer);
                        if (read < 0)
                        {
                            // The client finished its stream: finish ours after the replies, like a TCP echo.
                            if (echo.isMidFrame())
                            {
                                stats.lastError.set("the client finished the stream mid-frame");
                            }
                            out.close();
                            break;
                        }
                        echo.onBytes(buffer, 0, read);
                        out.flush();
                    }
                }
                catch (final IOException | UncheckedIOException ex)
                {
                    stats.lastError.set("stream " + stream.getStreamId() + ": " + ex);
                }
                finally
                {
                    echo.close();
                }
            }
        }
    }

    /** Writes an echo's answers to a Kwik stream; on the stream's thread. */
    private static final class StreamOutput implements EchoStream.Output
    {
        private final QuicConnection connection;
        private final OutputStream out;
        private byte[] scratch = new byte[64 * 1024];
        boolean failed;

        StreamOutput(final QuicConnection connection, final OutputStream out)
        {
            this.connection = connection;
            this.out = out;
        }

        @Override
        public void write(final DirectBuffer buffer, final int offset, final int length)
        {
            if (scratch.length < length)
            {
                scratch = new byte[length];
            }
            buffer.getBytes(offset, scratch, 0, length);
            try
            {
                out.write(scratch, 0, length);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }

        @Override
        public void protocolError(final String reason)
        {
            failed = true;
            connection.close(PROTOCOL_ERROR, reason);
        }
    }

    /**
     * A blocking Kwik client: connects, opens stream 0 and hands out the server's frames. Kwik's
     * client advertises the options' stream window as its default stream receive buffer.
     */
    public static final class Client implements QuicPeerClient
    {
        private final PeerOptions options;
        private final FrameReceiver receiver;
        private final QuicClientConnection connection;
        private final QuicStream stream;
        private final OutputStream out;
        private final Thread reader;
        private final CompletableFuture<PeerClose> closed = new CompletableFuture<>();
        private final ExecutorService sender = Executors.newSingleThreadExecutor(task -> daemon(task, "kwik-send"));
        private final KwikSendKicker kicker = new KwikSendKicker("kwik-client-kick");

        private Client(final String host, final int port, final X509Certificate trusted, final PeerOptions options,
            final X509Certificate certificate, final PrivateKey key) throws IOException
        {
            this.options = options;
            this.receiver = new FrameReceiver(options);
            final QuicClientConnection.Builder builder = QuicClientConnection.newBuilder()
                .host(host)
                .port(port)
                .applicationProtocol(options.alpn())
                .connectTimeout(options.connectTimeout())
                .maxIdleTimeout(options.idleTimeout())
                .defaultStreamReceiveBufferSize(options.streamWindow())
                .maxOpenPeerInitiatedBidirectionalStreams(0)
                .maxOpenPeerInitiatedUnidirectionalStreams(0)
                .logger(logger(options))
                .socketFactory(destination -> new FirstDatagramDelayingSocket());
            if (host.indexOf(':') < 0)
            {
                builder.preferIPv4();
            }
            for (final CipherSuite suite : options.cipherSuites())
            {
                builder.cipherSuite(TlsConstants.CipherSuite.valueOf("TLS_" + suite.name()));
            }
            if (trusted != null)
            {
                builder.customTrustStore(trustStore(trusted));
            }
            else
            {
                builder.noServerCertificateCheck();
            }
            if (key != null)
            {
                builder.clientCertificate(certificate).clientCertificateKey(key);
            }
            this.connection = builder.build();
            connection.setConnectionListener(this::onTerminated);
            try
            {
                connection.connect();
                this.stream = connection.createStream(true);
            }
            catch (final IOException | RuntimeException ex)
            {
                connection.close();
                sender.shutdownNow();
                kicker.close();
                throw ex;
            }
            kicker.register(connection, stream);
            this.out = stream.getOutputStream();
            this.reader = daemon(this::read, "kwik-read");
            reader.start();
        }

        private static KeyStore trustStore(final X509Certificate trusted) throws IOException
        {
            try
            {
                final KeyStore trustStore = KeyStore.getInstance("PKCS12");
                trustStore.load(null, null);
                trustStore.setCertificateEntry("server", trusted);
                return trustStore;
            }
            catch (final GeneralSecurityException ex)
            {
                throw new IOException("cannot build a trust store: " + ex, ex);
            }
        }

        private void onTerminated(final ConnectionTerminatedEvent event)
        {
            kicker.unregister(connection);
            final boolean application = event.hasApplicationError();
            final Long code = application ? event.applicationErrorCode() : event.transportErrorCode();
            final String description = event.errorDescription();
            closed.complete(new PeerClose(event.closedByPeer(), application, code != null ? code : -1,
                description != null ? description : event.closeReason().name()));
        }

        private void read()
        {
            final InputStream in = stream.getInputStream();
            final byte[] buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    final int read = in.read(buffer);
                    if (read < 0)
                    {
                        receiver.onEnd("the server finished the stream (FIN)");
                        return;
                    }
                    receiver.onBytes(buffer, 0, read);
                }
            }
            catch (final IOException ex)
            {
                final PeerClose close = closed.getNow(null);
                receiver.onEnd(close != null ? "connection closed: " + close : "stream error: " + ex);
            }
        }

        @Override
        public void send(final byte[] bytes) throws IOException
        {
            // Kwik's stream write blocks on flow control without a bound: run it on a thread we can time out.
            final Future<?> write = sender.submit(() ->
            {
                out.write(bytes);
                out.flush();
                return null;
            });
            awaitWrite(write, "sending " + bytes.length + " bytes");
        }

        @Override
        public byte[] receiveFrame(final Duration timeout) throws IOException, TimeoutException
        {
            return receiver.receive(timeout);
        }

        @Override
        public void shutdownOutput() throws IOException
        {
            awaitWrite(sender.submit(() ->
            {
                out.close();
                return null;
            }), "sending FIN");
        }

        private void awaitWrite(final Future<?> write, final String what) throws IOException
        {
            try
            {
                write.get(options.sendTimeout().toNanos(), TimeUnit.NANOSECONDS);
            }
            catch (final ExecutionException ex)
            {
                throw new IOException(what + " failed: " + ex.getCause(), ex.getCause());
            }
            catch (final TimeoutException ex)
            {
                write.cancel(true);
                throw new IOException(what + " did not complete within " + options.sendTimeout().toMillis() + " ms");
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while " + what, ex);
            }
        }

        @Override
        public PeerClose awaitClose(final Duration timeout)
            throws TimeoutException, InterruptedException
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

        /** Kwik's client API does not expose the negotiated suite. */
        @Override
        public String cipherSuite()
        {
            return null;
        }

        @Override
        public void close()
        {
            connection.close();
            sender.shutdownNow();
            kicker.close();
            try
            {
                reader.join(2_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public String toString()
        {
            return "kwik client " + connection.getServerAddress();
        }
    }
}
