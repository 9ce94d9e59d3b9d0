package io.ringbus.bench.harness;

import io.ringbus.core.frame.FrameHeader;
import io.ringbus.quic.interop.KwikSendKicker;
import org.agrona.concurrent.UnsafeBuffer;
import tech.kwik.core.QuicConnection;
import tech.kwik.core.QuicStream;
import tech.kwik.core.log.NullLogger;
import tech.kwik.core.server.ApplicationProtocolConnection;
import tech.kwik.core.server.ApplicationProtocolConnectionFactory;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.ringbus.core.frame.FrameHeader.HEADER_SIZE;

/**
 * The replicated echo on Kwik 0.10.8 (pure-Java QUIC, TLS 1.3 by Agent15): Kwik's
 * {@link ServerConnector} on 127.0.0.1, ALPN {@code ringbus}, one client-opened bidirectional
 * stream, no unidirectional streams, the ringbus-quic listener's windows, {@link BenchTls}'s
 * certificate (as a PKCS#12 key store entry: Kwik takes EC keys only that way). Kwik's stream I/O
 * is blocking, so each stream is served like {@link BlockingEchoServer} serves a socket: a thread of
 * its own, {@code readFully} of header and body, checked and answered by an {@link EchoResponder},
 * replies buffered and flushed when no more input is waiting. A protocol error closes the
 * connection with application error 0x1. Adapted from bus-quic's test peer {@code KwikPeer.Server},
 * including its {@link KwikSendKicker} work-around (Kwik's stream sender can lose a wake-up; without
 * the kick a request/reply loop stalls).
 *
 * <p>{@link #start()} and {@link #close()} from one thread (the harness's); Kwik's own threads run
 * the connections, one thread of ours per stream.
 */
public final class KwikQuicEchoServer implements EchoServer
{
    private static final String ALIAS = "ringbus";
    private static final char[] KEY_PASSWORD = "ringbus".toCharArray();
    private static final int STREAM_BUFFER_SIZE = 64 * 1024;
    private static final int CONNECTION_ID_LENGTH = 8;
    private static final long SHUTDOWN_TIMEOUT_MS = 2_000;
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final AtomicLong protocolErrors = new AtomicLong();
    private ServerConnector connector;
    private ExecutorService streamThreads;
    private KwikSendKicker kicker;

    @Override
    public InetSocketAddress start() throws Exception
    {
        if (connector != null)
        {
            throw new IllegalStateException(name() + " already started");
        }
        final DatagramSocket socket =
            new DatagramSocket(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0));
        final InetSocketAddress address = (InetSocketAddress)socket.getLocalSocketAddress();
        final ServerConnectionConfig config = ServerConnectionConfig.builder()
            .maxIdleTimeout((int)QuicLoadLink.IDLE_TIMEOUT_MS)
            .maxConnectionBufferSize(RingbusEchoServer.QUIC_CONNECTION_WINDOW)
            .maxBidirectionalStreamBufferSize(RingbusEchoServer.QUIC_STREAM_WINDOW)
            .maxUnidirectionalStreamBufferSize(0)
            .maxOpenPeerInitiatedBidirectionalStreams(1)
            .maxOpenPeerInitiatedUnidirectionalStreams(0)
            .retryRequired(false)
            .connectionIdLength(CONNECTION_ID_LENGTH)
            .build();
        streamThreads = Executors.newCachedThreadPool(task ->
        {
            final Thread thread = new Thread(task, name() + "-" + THREADS.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        kicker = new KwikSendKicker(name() + "-kick");
        try
        {
            final KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(null, null);
            keyStore.setKeyEntry(ALIAS, BenchTls.privateKey(), KEY_PASSWORD, BenchTls.certificateChain());
            connector = ServerConnector.builder()
                .withSocket(socket)
                .withKeyStore(keyStore, ALIAS, KEY_PASSWORD)
                .withConfiguration(config)
                .withLogger(new NullLogger())
                .build();
            connector.registerApplicationProtocol(QuicLoadLink.ALPN, new EchoFactory());
            connector.start();
            return address;
        }
        catch (final Exception ex)
        {
            socket.close();
            close();
            throw ex;
        }
    }

    @Override
    public void close()
    {
        if (connector != null)
        {
            connector.close();
            connector = null;
        }
        if (streamThreads != null)
        {
            streamThreads.shutdownNow();
            try
            {
                streamThreads.awaitTermination(SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            streamThreads = null;
        }
        if (kicker != null)
        {
            kicker.close();
            kicker = null;
        }
    }

    @Override
    public String name()
    {
        return "kwik-quic";
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

    /** Creates an echo per connection; called on Kwik's receiver thread. */
    private final class EchoFactory implements ApplicationProtocolConnectionFactory
    {
        @Override
        public ApplicationProtocolConnection createConnection(final String protocol, final QuicConnection connection)
        {
            final KwikSendKicker connectionKicker = kicker;
            connection.setConnectionListener(event -> connectionKicker.unregister(connection));
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
                fail(connection, "stream " + stream.getStreamId() + ": only one client-opened bidirectional stream");
                return;
            }
            kicker.register(connection, stream);
            streamThreads.execute(new StreamEcho(connection, stream));
        }
    }

    /** Serves one stream on its own thread until FIN, an error or close(). */
    private final class StreamEcho implements Runnable
    {
        private final QuicConnection connection;
        private final QuicStream stream;
        private final EchoResponder responder = new EchoResponder();
        private byte[] bytes = new byte[STREAM_BUFFER_SIZE];
        private final UnsafeBuffer frame = new UnsafeBuffer(bytes);

        StreamEcho(final QuicConnection connection, final QuicStream stream)
        {
            this.connection = connection;
            this.stream = stream;
        }

        @Override
        public void run()
        {
            final DataInputStream in =
                new DataInputStream(new BufferedInputStream(stream.getInputStream(), STREAM_BUFFER_SIZE));
            final BufferedOutputStream out = new BufferedOutputStream(stream.getOutputStream(), STREAM_BUFFER_SIZE);
            try
            {
                serve(in, out);
            }
            catch (final EOFException ex)
            {
                // The client finished its stream (or went away): the normal end of a connection.
            }
            catch (final IOException ex)
            {
                if (!Thread.currentThread().isInterrupted())
                {
                    System.err.println(name() + ": stream " + stream.getStreamId() + " ended: " + ex);
                }
            }
        }

        private void serve(final DataInputStream in, final BufferedOutputStream out) throws IOException
        {
            while (true)
            {
                in.readFully(bytes, 0, HEADER_SIZE);
                String reason = responder.checkHeader(frame, 0);
                if (reason != null)
                {
                    fail(connection, reason);
                    return;
                }
                final int size = FrameHeader.size(frame, 0);
                if (size > bytes.length)
                {
                    bytes = Arrays.copyOf(bytes, size);
                    frame.wrap(bytes);
                }
                in.readFully(bytes, HEADER_SIZE, size - HEADER_SIZE);
                reason = responder.checkBody(frame, 0, size);
                if (reason != null)
                {
                    fail(connection, reason);
                    return;
                }
                out.write(bytes, 0, responder.answer(frame, 0));
                if (in.available() == 0)
                {
                    out.flush();
                }
            }
        }
    }

    /** WIRE.md, QUIC specifics: application error 0x1 with the reason phrase. */
    private void fail(final QuicConnection connection, final String reason)
    {
        protocolErrors.incrementAndGet();
        System.err.println(name() + ": closing a connection: " + reason);
        connection.close(QuicLoadLink.PROTOCOL_ERROR, reason);
    }
}
