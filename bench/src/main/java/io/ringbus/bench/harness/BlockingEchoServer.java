package io.ringbus.bench.harness;

import io.ringbus.core.frame.FrameHeader;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static io.ringbus.core.frame.FrameHeader.HEADER_SIZE;

/**
 * The replicated echo the plainest way Java allows: a {@link ServerSocket}, one platform thread per
 * connection, {@code readFully} of the header then of the body, and a {@link BufferedOutputStream}
 * flushed when no more input is waiting. The floor every other server should beat.
 *
 * <p>{@link #start()} and {@link #close()} from one thread (the harness's); each connection is
 * served by its own thread.
 */
public final class BlockingEchoServer implements EchoServer
{
    /** Stream buffer size on each side of a connection, and the initial frame buffer. */
    private static final int STREAM_BUFFER_SIZE = 64 * 1024;
    private static final int BACKLOG = 64;
    private static final long JOIN_TIMEOUT_MS = 2_000;

    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final AtomicLong protocolErrors = new AtomicLong();
    private volatile boolean closed;
    private ServerSocket serverSocket;
    private Thread acceptor;

    @Override
    public InetSocketAddress start() throws IOException
    {
        if (serverSocket != null)
        {
            throw new IllegalStateException(name() + " already started");
        }
        serverSocket = new ServerSocket();
        serverSocket.setReuseAddress(true);
        serverSocket.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), BACKLOG);
        acceptor = new Thread(this::acceptLoop, name() + "-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
        return (InetSocketAddress)serverSocket.getLocalSocketAddress();
    }

    @Override
    public void close()
    {
        closed = true;
        closeQuietly(serverSocket);
        for (final Socket socket : connections)
        {
            closeQuietly(socket);
        }
        join(acceptor);
        for (final Thread thread : threads)
        {
            join(thread);
        }
    }

    @Override
    public String name()
    {
        return "blocking";
    }

    @Override
    public String ioThreadNamePrefix()
    {
        return name() + "-";
    }

    /** Connections closed for a protocol error (or an I/O error) since start. */
    public long protocolErrors()
    {
        return protocolErrors.get();
    }

    private void acceptLoop()
    {
        while (!closed)
        {
            final Socket socket;
            try
            {
                socket = serverSocket.accept();
            }
            catch (final IOException ex)
            {
                if (!closed)
                {
                    System.err.println(name() + ": accept failed, no longer accepting: " + ex);
                }
                return;
            }
            connections.add(socket);
            final Thread thread = new Thread(new Connection(socket), name() + "-" + socket.getPort());
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
            if (closed)
            {
                closeQuietly(socket); // close() may have run between accept and add
            }
        }
    }

    /** Serves one connection on its own thread until EOF, an error or close(). */
    private final class Connection implements Runnable
    {
        private final Socket socket;
        private final EchoResponder responder = new EchoResponder();
        private byte[] bytes = new byte[STREAM_BUFFER_SIZE];
        private final UnsafeBuffer frame = new UnsafeBuffer(bytes);

        Connection(final Socket socket)
        {
            this.socket = socket;
        }

        @Override
        public void run()
        {
            try
            {
                socket.setTcpNoDelay(true);
                final DataInputStream in =
                    new DataInputStream(new BufferedInputStream(socket.getInputStream(), STREAM_BUFFER_SIZE));
                final BufferedOutputStream out = new BufferedOutputStream(socket.getOutputStream(), STREAM_BUFFER_SIZE);
                serve(in, out);
            }
            catch (final EOFException | SocketException ex)
            {
                // The peer went away (or close() closed the socket): the normal end of a connection.
            }
            catch (final IOException ex)
            {
                fail(ex.toString());
            }
            finally
            {
                closeQuietly(socket);
                connections.remove(socket);
                threads.remove(Thread.currentThread());
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
                    fail(reason);
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
                    fail(reason);
                    return;
                }
                out.write(bytes, 0, responder.answer(frame, 0));
                if (in.available() == 0)
                {
                    out.flush();
                }
            }
        }

        private void fail(final String reason)
        {
            protocolErrors.incrementAndGet();
            System.err.println(name() + ": closing " + socket.getRemoteSocketAddress() + ": " + reason);
        }
    }

    private static void closeQuietly(final AutoCloseable closeable)
    {
        if (closeable == null)
        {
            return;
        }
        try
        {
            closeable.close();
        }
        catch (final Exception ex)
        {
            // Closing on the way out: the socket is unusable either way; say so rather than swallow it.
            System.err.println("blocking: close failed: " + ex);
        }
    }

    private static void join(final Thread thread)
    {
        if (thread == null)
        {
            return;
        }
        try
        {
            thread.join(JOIN_TIMEOUT_MS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
