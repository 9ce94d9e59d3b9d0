package io.ringbus.bench.harness;

import org.agrona.concurrent.UnsafeBuffer;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.DefaultSSLWebSocketServerFactory;
import org.java_websocket.server.WebSocketServer;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLContext;

/**
 * The replicated echo on Java-WebSocket (org.java-websocket 1.6.0), the most used stand-alone
 * WebSocket server for Java: a {@link WebSocketServer} with one decoder worker (its selector
 * thread reads and writes, the worker decodes and runs the callbacks), TCP_NODELAY, no
 * connection-lost pings, RFC 6455 with no extension and a payload limit of
 * {@link EchoResponder#MAX_FRAME_SIZE}. Optionally wss: Java-WebSocket's own TLS channel
 * ({@link DefaultSSLWebSocketServerFactory}) over the JDK's SSLEngine, with {@link BenchTls}'s
 * certificate; the load client offers TLS 1.3 only.
 *
 * <p>Each binary message is checked and answered in place by an {@link EchoResponder} (one per
 * connection), exactly as the other servers do, and sent back with {@link WebSocket#send(ByteBuffer)}.
 * A text message closes with 1003, a bad bus frame with 1008 (WIRE.md).
 *
 * <p>A workaround for a race in Java-WebSocket 1.6.0 (seen here, then read in its bytecode): the
 * worker's {@code send} queues the message and sets OP_READ|OP_WRITE on the key
 * ({@code onWriteDemand}), while the selector thread, having just found the queue empty in
 * {@code SocketChannelIOHelper.batch}, sets OP_READ in {@code doWrite}; when the worker's two steps
 * fall between those two, the write interest is lost and the reply waits for the next event on
 * that connection. Pipelined load hides it (the next reply re-arms the key), but one request at a
 * time stalls until the load client gives up (1 to 4 round trips in 80,000 on the 2-core machine).
 * A {@link StallWatchdog} thread looks every {@value #WATCHDOG_PERIOD_MS} ms for a connection
 * whose queue holds data while its key waits only for reads, and sets the write interest again,
 * as the library would have; each repair is counted ({@link #repairedStalls()}) and reported at
 * {@link #close()}. A repaired round trip costs up to that period: it shows in the max latency.
 *
 * <p>{@link #start()} and {@link #close()} from one thread (the harness's); the callbacks run on
 * the decoder worker.
 */
public final class JavaWebSocketEchoServer implements EchoServer
{
    /** Decoder workers: one, as every other peer serves the connection with one I/O thread. */
    private static final int DECODERS = 1;
    private static final long START_TIMEOUT_MS = 10_000;
    private static final int STOP_TIMEOUT_MS = 2_000;
    /** How often the {@link StallWatchdog} looks for a lost write interest. */
    static final long WATCHDOG_PERIOD_MS = 5;

    private final boolean tls;
    private final AtomicLong protocolErrors = new AtomicLong();
    private final AtomicLong repairedStalls = new AtomicLong();
    private Server server;
    private StallWatchdog watchdog;

    /**
     * @param tls serve wss with Java-WebSocket's TLS channel instead of ws.
     */
    public JavaWebSocketEchoServer(final boolean tls)
    {
        this.tls = tls;
    }

    @Override
    public InetSocketAddress start() throws Exception
    {
        if (server != null)
        {
            throw new IllegalStateException(name() + " already started");
        }
        final InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        final List<Draft> drafts = List.of(new Draft_6455(Collections.emptyList(), EchoResponder.MAX_FRAME_SIZE));
        server = new Server(new InetSocketAddress(loopback, 0), drafts, protocolErrors, name());
        server.setReuseAddr(true);
        server.setTcpNoDelay(true);
        server.setConnectionLostTimeout(0); // no pings: the load client does not expect any
        if (tls)
        {
            server.setWebSocketFactory(new DefaultSSLWebSocketServerFactory(BenchTls.ringbusServerSettings().sslContext()));
        }
        try
        {
            server.start();
            server.started.get(START_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            watchdog = new StallWatchdog(server, repairedStalls, name());
            watchdog.start();
            return new InetSocketAddress(loopback, server.getPort());
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
        if (watchdog != null)
        {
            watchdog.interrupt();
            try
            {
                watchdog.join(STOP_TIMEOUT_MS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            watchdog = null;
        }
        if (server == null)
        {
            return;
        }
        try
        {
            server.stop(STOP_TIMEOUT_MS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            server = null;
        }
        final long repaired = repairedStalls.get();
        if (repaired > 0)
        {
            System.err.println(name() + ": " + repaired + " replies stalled by Java-WebSocket's lost write interest," +
                " released by the watchdog");
        }
    }

    @Override
    public String name()
    {
        return tls ? "java-websocket-wss" : "java-websocket";
    }

    /** Java-WebSocket's selector and decoder threads (WebSocketSelector-N, WebSocketWorker-N). */
    @Override
    public String ioThreadNamePrefix()
    {
        return "WebSocket";
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

    /** Times since construction that the {@link StallWatchdog} set a lost write interest again. */
    public long repairedStalls()
    {
        return repairedStalls.get();
    }

    /**
     * Sets OP_WRITE again on any connection whose outbound queue holds data while its key waits
     * only for reads (see the class comment). Its own thread, a daemon, until interrupted; it only
     * reads the queue and the key, both thread-safe, and does what {@code onWriteDemand} does.
     */
    private static final class StallWatchdog extends Thread
    {
        private final WebSocketServer server;
        private final AtomicLong repairedStalls;

        StallWatchdog(final WebSocketServer server, final AtomicLong repairedStalls, final String serverName)
        {
            super(serverName + "-stall-watchdog");
            setDaemon(true);
            this.server = server;
            this.repairedStalls = repairedStalls;
        }

        @Override
        public void run()
        {
            while (!isInterrupted())
            {
                try
                {
                    Thread.sleep(WATCHDOG_PERIOD_MS);
                }
                catch (final InterruptedException ex)
                {
                    return;
                }
                for (final WebSocket conn : server.getConnections())
                {
                    repair((WebSocketImpl)conn);
                }
            }
        }

        private void repair(final WebSocketImpl conn)
        {
            final SelectionKey key = conn.getSelectionKey();
            if (key == null || conn.outQueue.isEmpty())
            {
                return;
            }
            try
            {
                if ((key.interestOps() & SelectionKey.OP_WRITE) == 0 && !conn.outQueue.isEmpty())
                {
                    key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                    key.selector().wakeup();
                    repairedStalls.incrementAndGet();
                }
            }
            catch (final CancelledKeyException ex)
            {
                // The connection closed meanwhile: nothing is waiting to be sent on it any more.
            }
        }
    }

    /** What one connection holds: its responder and a view over the message being answered. */
    private static final class Connection
    {
        final EchoResponder responder = new EchoResponder();
        final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
    }

    private static final class Server extends WebSocketServer
    {
        final CompletableFuture<Void> started = new CompletableFuture<>();
        private final AtomicLong protocolErrors;
        private final String serverName;

        Server(
            final InetSocketAddress address,
            final List<Draft> drafts,
            final AtomicLong protocolErrors,
            final String serverName)
        {
            super(address, DECODERS, drafts);
            this.protocolErrors = protocolErrors;
            this.serverName = serverName;
        }

        @Override
        public void onStart()
        {
            started.complete(null);
        }

        @Override
        public void onOpen(final WebSocket conn, final ClientHandshake handshake)
        {
            // On the connection's decoder worker, which also runs its onMessage calls.
            conn.setAttachment(new Connection());
        }

        @Override
        public void onMessage(final WebSocket conn, final ByteBuffer message)
        {
            // The message is Java-WebSocket's own unmasked copy of the payload: answer in place.
            final Connection connection = conn.getAttachment();
            final int length = message.remaining();
            connection.view.wrap(message, message.position(), length);
            final String reason = connection.responder.checkFrame(connection.view, 0, length);
            if (reason != null)
            {
                fail(conn, WebSocketClientCodec.CLOSE_POLICY_VIOLATION, reason);
                return;
            }
            final int answerLength = connection.responder.answer(connection.view, 0);
            message.limit(message.position() + answerLength);
            conn.send(message);
        }

        @Override
        public void onMessage(final WebSocket conn, final String message)
        {
            fail(conn, WebSocketClientCodec.CLOSE_UNSUPPORTED_DATA, "a text message");
        }

        @Override
        public void onClose(final WebSocket conn, final int code, final String reason, final boolean remote)
        {
            // Nothing to release: the attachment goes with the connection.
        }

        @Override
        public void onError(final WebSocket conn, final Exception ex)
        {
            if (conn == null)
            {
                // The server itself failed (bind, selector): start() reports it if it was starting.
                started.completeExceptionally(ex);
                System.err.println(serverName + ": " + ex);
                return;
            }
            protocolErrors.incrementAndGet();
            System.err.println(serverName + ": error on " + conn.getRemoteSocketAddress() + ": " + ex);
        }

        private void fail(final WebSocket conn, final int code, final String reason)
        {
            protocolErrors.incrementAndGet();
            System.err.println(serverName + ": closing " + conn.getRemoteSocketAddress() + ": " + reason);
            conn.close(code, reason);
        }
    }
}
