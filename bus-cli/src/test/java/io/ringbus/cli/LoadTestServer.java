package io.ringbus.cli;

import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameCodec;
import io.ringbus.core.frame.FrameHeader;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicLong;

import static io.ringbus.core.frame.FrameHeader.HEADER_SIZE;

/**
 * A scripted WIRE.md server for the load client's tests: one connection on 127.0.0.1, one thread;
 * each request read is turned into its reply (or left as it is, a byte echo), handed to a
 * {@link Script} that may change it, and written back, unless the script holds it. Frames read
 * are counted. Closed by {@link #close()}.
 */
final class LoadTestServer implements AutoCloseable
{
    /** What the server does with frame {@code index} (0 for the first) once it is an answer. */
    interface Script
    {
        /** @return true to send the frame now, false to leave it unanswered. */
        boolean answer(int index, UnsafeBuffer frame, FrameCodec codec);
    }

    private final ServerSocket server;
    private final Thread thread;
    private final boolean byteEcho;
    private final Script script;
    private final AtomicLong framesRead = new AtomicLong();
    private final int swapAt;
    private volatile Socket socket;

    LoadTestServer(final boolean byteEcho, final Script script) throws IOException
    {
        this(byteEcho, script, -1);
    }

    /** A server that also sends the answers to frames {@code swapAt} and {@code swapAt + 1} in swapped order. */
    LoadTestServer(final boolean byteEcho, final Script script, final int swapAt) throws IOException
    {
        this.byteEcho = byteEcho;
        this.script = script;
        this.swapAt = swapAt;
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        thread = new Thread(this::serve, "load-test-server");
        thread.setDaemon(true);
        thread.start();
    }

    /** A server that answers every request correctly (a reply, or the request itself for a byte echo). */
    static LoadTestServer honest(final boolean byteEcho) throws IOException
    {
        return new LoadTestServer(byteEcho, (index, frame, codec) -> true);
    }

    InetSocketAddress address()
    {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    /** Frames read so far. */
    long framesRead()
    {
        return framesRead.get();
    }

    private void serve()
    {
        try (Socket accepted = server.accept())
        {
            socket = accepted;
            accepted.setTcpNoDelay(true);
            final DataInputStream in = new DataInputStream(new BufferedInputStream(accepted.getInputStream(), 1 << 16));
            final OutputStream out = accepted.getOutputStream();
            final byte[] bytes = new byte[1 << 20];
            final UnsafeBuffer frame = new UnsafeBuffer(bytes);
            final FrameCodec codec = new FrameCodec();
            final FrameHeader header = new FrameHeader();
            final byte[] held = new byte[1 << 20];
            int heldLength = 0;
            for (int index = 0; ; index++)
            {
                in.readFully(bytes, 0, HEADER_SIZE);
                final int size = FrameHeader.size(frame, 0);
                in.readFully(bytes, HEADER_SIZE, size - HEADER_SIZE);
                framesRead.incrementAndGet();
                if (!byteEcho)
                {
                    final boolean request = FrameHeader.command(frame, 0) == Command.REQUEST.code();
                    header.wrap(frame, 0).command(request ? Command.REPLY : Command.PONG_CLIENT);
                    codec.seal(frame, 0);
                }
                if (!script.answer(index, frame, codec))
                {
                    continue;
                }
                if (index == swapAt)
                {
                    System.arraycopy(bytes, 0, held, 0, size);
                    heldLength = size;
                    continue;
                }
                out.write(bytes, 0, size);
                if (index == swapAt + 1 && heldLength > 0)
                {
                    out.write(held, 0, heldLength);
                }
                out.flush();
            }
        }
        catch (final IOException ex)
        {
            // the client closed, or the test closed the server
        }
    }

    @Override
    public void close() throws Exception
    {
        server.close();
        final Socket accepted = socket;
        if (accepted != null)
        {
            accepted.close();
        }
        thread.join(10_000);
    }
}
