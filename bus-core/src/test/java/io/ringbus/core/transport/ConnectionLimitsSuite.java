package io.ringbus.core.transport;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.TestFrames;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 13, point 7 on the transports that accept on the backend's sockets (tcp, tls, ws, wss):
 * max_connections and max_connections_per_address refuse a connection on shard 0 before any
 * handshake (the socket is closed with nothing written), count the refusal by reason, give a place
 * back on every way a connection ends, and a flood of bad peers logs a few lines, not one per peer.
 *
 * <p>Each peer is a plain socket that sends what a real client of the scheme sends first (a
 * ping_client frame, a TLS ClientHello, an HTTP upgrade request): an admitted connection answers it
 * (a pong, a ServerHello, a 101), a refused one is closed without a byte. A subclass per module
 * names its combinations ({@link TransportPermutations}) and the scheme's server settings.
 */
public abstract class ConnectionLimitsSuite
{
    protected static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final Duration SHORT_GRACE = Duration.ofMillis(300);
    private static final Pattern HELD = Pattern.compile("and (\\d+) more like it");

    protected final TransportPermutation permutation;
    private final List<Socket> sockets = new ArrayList<>();
    private final List<Runnable> undo = new ArrayList<>();
    private final AtomicInteger closedAtBus = new AtomicInteger();
    private MessageBus bus;
    private InetSocketAddress address;

    protected ConnectionLimitsSuite(final TransportPermutation permutation)
    {
        this.permutation = permutation;
    }

    /** The scheme's server settings (certificates for tls and wss) on top of the permutation's. */
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return permutation.configure(builder);
    }

    @BeforeEach
    void assumeRunnable()
    {
        permutation.assumeRunnable();
    }

    @AfterEach
    void tearDown() throws Exception
    {
        for (final Socket socket : sockets)
        {
            socket.close();
        }
        if (bus != null)
        {
            bus.close();
            assertEquals(0, bus.stats().openConnections(), "every connection closed");
            assertEquals(0, bus.stats().limitedConnections(), "every place given back");
            bus.pool().assertNoLeaks();
        }
        for (final Runnable action : undo)
        {
            action.run();
        }
    }

    private void start(final BusConfig.Builder builder)
    {
        bus = MessageBus.start(configure(builder.shards(2)).build(), new BusHandler()
        {
            @Override
            public void onClientRequest(final MessageBus bus, final ClientConnMeta client, final DirectBuffer buffer,
                final int offset, final int length)
            {
            }

            @Override
            public void onClientClosed(final MessageBus bus, final ClientConnMeta client)
            {
                closedAtBus.incrementAndGet();
            }
        });
        address = bus.listen(URI.create(permutation.scheme().uri() + "://127.0.0.1:0"));
    }

    @Test
    void theTotalLimitRefusesTheNextConnectionBeforeAnyHandshake() throws Exception
    {
        start(BusConfig.builder().maxConnections(2));
        final Socket first = open(null);
        final Socket second = open(null);
        assertTrue(answered(first), "the first connection is served");
        assertTrue(answered(second), "the second connection is served");

        assertFalse(answered(open(null)), "the third is closed without a byte: no handshake answer");
        assertEquals(1, bus.stats().refusedMaxConnections());
        assertEquals(0, bus.stats().refusedMaxConnectionsPerAddress());
        assertEquals(2, bus.stats().limitedConnections());
        assertEquals(0, bus.refusedConnections(), "not a mailbox or table refusal");

        first.close();
        awaitPlaces(1);
        assertTrue(answered(open(null)), "a place given back takes the next connection");
        assertEquals(1, bus.stats().refusedMaxConnections());
    }

    @Test
    void thePerAddressLimitRefusesTheThirdFromOneAddressWhileAnotherAddressGetsIn() throws Exception
    {
        start(BusConfig.builder().maxConnectionsPerAddress(2));
        final InetAddress one = InetAddress.getByName("127.0.0.1");
        final InetAddress two = InetAddress.getByName("127.0.0.2"); // Linux routes all of 127/8 to loopback
        final Socket first = open(one);
        assertTrue(answered(first));
        assertTrue(answered(open(one)));

        assertFalse(answered(open(one)), "the third from 127.0.0.1 is closed without a byte");
        assertTrue(answered(open(two)), "127.0.0.2 still gets in");
        assertEquals(1, bus.stats().refusedMaxConnectionsPerAddress());
        assertEquals(0, bus.stats().refusedMaxConnections());
        assertEquals(3, bus.stats().limitedConnections());

        first.close();
        awaitPlaces(2);
        assertTrue(answered(open(one)), "127.0.0.1 has a place again");
    }

    /**
     * With room for one connection, any place not given back refuses every later connection: each
     * way out is followed by a connection that must be served.
     */
    @Test
    void aPlaceComesBackOnEveryWayAConnectionEnds() throws Exception
    {
        start(BusConfig.builder().maxConnections(1).handshakeGrace(SHORT_GRACE).idleTimeout(SHORT_GRACE));

        final Socket peerCloses = open(null);
        assertTrue(answered(peerCloses));
        peerCloses.close();
        awaitPlaces(0);

        final Socket peerResets = open(null);
        assertTrue(answered(peerResets));
        peerResets.setSoLinger(true, 0);
        peerResets.close();
        awaitPlaces(0);

        final Socket garbage = open(null, garbage());
        assertTrue(closedAfterAnything(garbage), "garbage: closed by the bus (protocol error or failed handshake)");
        awaitPlaces(0);

        final Socket silent = open(null, new byte[0]);
        assertTrue(closedAfterAnything(silent), "a silent peer: closed at handshake_grace (tls, ws) or idle_timeout");
        awaitPlaces(0);

        assertTrue(answered(open(null)), "the one place is free after all of them");
        assertEquals(0, bus.stats().refusedMaxConnections(), "no connection was refused on the way");
        assertEquals(1, bus.stats().limitedConnections());
        bus.close();
        assertEquals(0, bus.stats().limitedConnections(), "the bus's stop gave the last place back");
        assertEquals(5, closedAtBus.get());
    }

    @Test
    void aFloodOfGarbageLogsAFewLinesWhileEveryConnectionIsClosed() throws Exception
    {
        final Capture closes = capture(Connection.class.getName(), "closed:");
        start(BusConfig.builder());
        final int peers = 500;
        final int threads = 4;
        final long startNs = System.nanoTime();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final AtomicInteger closed = new AtomicInteger();
        final List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++)
        {
            final Thread worker = new Thread(() ->
            {
                try
                {
                    for (int i = 0; i < peers / threads; i++)
                    {
                        try (Socket socket = connect(null, garbage()))
                        {
                            if (closedAfterAnything(socket))
                            {
                                closed.incrementAndGet();
                            }
                        }
                    }
                }
                catch (final Throwable ex)
                {
                    errors.add(ex);
                }
            }, "garbage-" + t);
            worker.setDaemon(true);
            worker.start();
            workers.add(worker);
        }
        for (final Thread worker : workers)
        {
            worker.join(TIMEOUT.toMillis() * 2);
            assertFalse(worker.isAlive(), "the flood finished");
        }
        assertEquals(List.of(), errors);
        assertEquals(peers, closed.get(), "the bus closed every garbage connection");
        Await.until(TIMEOUT, () -> closes.all() == peers, "one close line per connection, at some level");
        final long seconds = (System.nanoTime() - startNs) / 1_000_000_000L + 1;
        // One line per reason per second: a handful of reasons over the run's seconds, never one per peer.
        assertTrue(closes.admitted() <= 3 * (seconds + 1), () -> closes.admitted() + " lines in " + seconds + " s: " +
            closes.admittedLines());
        assertTrue(closes.admitted() < peers / 10, closes::admittedLines);
        assertTrue(closes.admitted() + closes.heldReported() <= peers, "held counts add up");
        assertEquals(peers - closes.admitted(), closes.debug(), "every line held back went to DEBUG");
        awaitPlaces(0);
    }

    @Test
    void aFloodOfRefusedConnectionsLogsAFewLinesAndCountsEach() throws Exception
    {
        final Capture refusals = capture(MessageBus.class.getName(), "refused connection from");
        start(BusConfig.builder().maxConnections(1));
        assertTrue(answered(open(null)));
        final long startNs = System.nanoTime();
        final int refused = 300;
        for (int i = 0; i < refused; i++)
        {
            try (Socket socket = connect(null, firstFlight()))
            {
                assertFalse(answered(socket), "connection " + i + " refused");
            }
        }
        final long seconds = (System.nanoTime() - startNs) / 1_000_000_000L + 1;
        assertEquals(refused, bus.stats().refusedMaxConnections(), "each refusal counted");
        assertTrue(refusals.admitted() >= 1, "the refusals are logged");
        assertTrue(refusals.admitted() <= seconds + 1, () -> refusals.admitted() + " lines in " + seconds + " s: " +
            refusals.admittedLines());
        assertTrue(refusals.admittedLines().contains(ConnectionLimits.REFUSED_TOTAL), refusals::admittedLines);
        assertEquals(1, bus.stats().limitedConnections());
    }

    private void awaitPlaces(final int expected)
    {
        Await.until(TIMEOUT, () -> bus.stats().limitedConnections() == expected,
            "places held: " + expected + ", now " + bus.stats());
    }

    /** A connection from {@code local} (null: any) that sends the scheme's first flight; closed after the test. */
    private Socket open(final InetAddress local) throws IOException
    {
        return open(local, firstFlight());
    }

    private Socket open(final InetAddress local, final byte[] first) throws IOException
    {
        final Socket socket = connect(local, first);
        sockets.add(socket);
        return socket;
    }

    private Socket connect(final InetAddress local, final byte[] first) throws IOException
    {
        final Socket socket = new Socket();
        if (local != null)
        {
            socket.bind(new InetSocketAddress(local, 0));
        }
        socket.connect(address, (int)TIMEOUT.toMillis());
        socket.setTcpNoDelay(true);
        socket.setSoTimeout((int)TIMEOUT.toMillis());
        if (first.length > 0)
        {
            socket.getOutputStream().write(first);
        }
        return socket;
    }

    /**
     * True if the bus answered (a first byte came), false if it closed the connection without a
     * byte (end of stream, or a reset: our bytes were left unread). A silent bus fails the test.
     */
    private static boolean answered(final Socket socket) throws IOException
    {
        try
        {
            return socket.getInputStream().read() >= 0;
        }
        catch (final SocketTimeoutException ex)
        {
            throw new AssertionError("neither answered nor closed within " + TIMEOUT.toMillis() + " ms", ex);
        }
        catch (final SocketException ex)
        {
            return false;
        }
    }

    /** Read whatever the bus sends until it closes; true once it did (end of stream or reset). */
    private static boolean closedAfterAnything(final Socket socket) throws IOException
    {
        final InputStream in = socket.getInputStream();
        final byte[] sink = new byte[4096];
        try
        {
            while (in.read(sink) >= 0)
            {
                // until the bus closes
            }
            return true;
        }
        catch (final SocketTimeoutException ex)
        {
            throw new AssertionError("not closed within " + TIMEOUT.toMillis() + " ms", ex);
        }
        catch (final SocketException ex)
        {
            return true;
        }
    }

    /** What a real client of the scheme sends first, which an admitted connection answers. */
    private byte[] firstFlight()
    {
        switch (permutation.scheme())
        {
            case TCP:
                return TestFrames.frame(Command.PING_CLIENT, 0, 1);
            case WS:
                return ("GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            default:
                return clientHello();
        }
    }

    /**
     * Bytes no scheme accepts: a frame size far above max_message_size (tcp), a record of no TLS
     * content type (tls, wss), a request line of no HTTP method (ws), ending the head as HTTP does.
     */
    private static byte[] garbage()
    {
        final byte[] bytes = new byte[512];
        Arrays.fill(bytes, (byte)0xFF);
        System.arraycopy("\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0, bytes, bytes.length - 4, 4);
        return bytes;
    }

    /** A TLS 1.3 ClientHello from the JDK's engine (it trusts anything: the handshake never gets further). */
    private static byte[] clientHello()
    {
        try
        {
            final SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(null, new TrustManager[] {new TrustAll()}, null);
            final SSLEngine engine = context.createSSLEngine("localhost", 443);
            engine.setUseClientMode(true);
            engine.beginHandshake();
            final ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
            engine.wrap(ByteBuffer.allocate(0), out);
            out.flip();
            final byte[] hello = new byte[out.remaining()];
            out.get(hello);
            return hello;
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static final class TrustAll implements X509TrustManager
    {
        @Override
        public void checkClientTrusted(final X509Certificate[] chain, final String authType)
        {
        }

        @Override
        public void checkServerTrusted(final X509Certificate[] chain, final String authType)
        {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers()
        {
            return new X509Certificate[0];
        }
    }

    /** Records of one logger containing {@code marker}, at every level (DEBUG included) while the test runs. */
    private Capture capture(final String loggerName, final String marker)
    {
        final Logger logger = Logger.getLogger(loggerName);
        final Level before = logger.getLevel();
        final Capture capture = new Capture(marker);
        logger.setLevel(Level.ALL);
        logger.addHandler(capture);
        undo.add(() ->
        {
            logger.removeHandler(capture);
            logger.setLevel(before);
        });
        return capture;
    }

    private static final class Capture extends Handler
    {
        private final String marker;
        private final List<LogRecord> records = new CopyOnWriteArrayList<>();

        Capture(final String marker)
        {
            this.marker = marker;
            setLevel(Level.ALL);
        }

        @Override
        public void publish(final LogRecord record)
        {
            if (record.getMessage() != null && record.getMessage().contains(marker))
            {
                records.add(record);
            }
        }

        int all()
        {
            return records.size();
        }

        /** Lines let through at INFO or above. */
        int admitted()
        {
            return (int)records.stream().filter(r -> r.getLevel().intValue() >= Level.INFO.intValue()).count();
        }

        int debug()
        {
            return all() - admitted();
        }

        /** The held-back counts the admitted lines report. */
        long heldReported()
        {
            long sum = 0;
            for (final LogRecord record : records)
            {
                final Matcher held = HELD.matcher(record.getMessage());
                if (record.getLevel().intValue() >= Level.INFO.intValue() && held.find())
                {
                    sum += Long.parseLong(held.group(1));
                }
            }
            return sum;
        }

        String admittedLines()
        {
            final StringBuilder lines = new StringBuilder();
            for (final LogRecord record : records)
            {
                if (record.getLevel().intValue() >= Level.INFO.intValue())
                {
                    lines.append(record.getLevel()).append(' ').append(record.getMessage()).append('\n');
                }
            }
            return lines.toString();
        }

        @Override
        public void flush()
        {
        }

        @Override
        public void close()
        {
        }
    }
}
