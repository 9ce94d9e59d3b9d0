package io.ringbus.uring;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.backend.AcceptedSocket;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.IoChannelHandler;
import io.ringbus.core.backend.IoListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Steady state on the ring allocates nothing (issue 16 point 5): the thread driving the backend
 * (a shard thread's role) echoes frames read into one direct buffer and written back with one
 * gathering write, and the bytes that thread allocated over many echoes stay below a constant that
 * does not grow with the count. Before (issue 16), every poll went through Netty's
 * {@code IoUringIoHandler.run}, which makes a callback object per call (3.4 KB per echo when
 * spinning: many empty polls per echo), and every RECV re-arm and every WRITEV made one
 * {@code IoUringIoOps} (2 x 72 B per echo where C2 did not scalar-replace them). Both idle modes:
 * {@code poll(0)} (a spinning shard) and {@code poll(timeout)} (a blocking one, which also submits
 * a TIMEOUT each wait).
 */
class UringSteadyStateAllocationTest
{
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);
    private static final int FRAME = 64;
    private static final int WARM_UP_ECHOES = 30_000;
    private static final int MEASURED_ECHOES = 20_000;
    /**
     * What the measured echoes may allocate in all: room for the JIT's odd allocation (a deoptimised
     * frame, a lazily linked call site), far below the 2.8 MB that one object per submission makes.
     */
    private static final long ALLOWED_BYTES = 64 * 1024;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private UringBackend backend;

    @BeforeEach
    void setUp()
    {
        assumeTrue(IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
        backend = new UringBackend(0);
    }

    @AfterEach
    void tearDown() throws Exception
    {
        for (final AutoCloseable closeable : toClose)
        {
            closeable.close();
        }
        if (backend != null)
        {
            backend.close();
            assertEquals(0, backend.callbackFailures());
            assertEquals(0, backend.unexpectedCompletions());
        }
    }

    @Test
    void echoesAllocateNothingWhenSpinning() throws Exception
    {
        assertEchoesAllocateNothing(0L);
    }

    @Test
    void echoesAllocateNothingWhenBlocking() throws Exception
    {
        assertEchoesAllocateNothing(TimeUnit.MILLISECONDS.toNanos(10));
    }

    private void assertEchoesAllocateNothing(final long pollTimeoutNs) throws Exception
    {
        final List<AcceptedSocket> accepted = new ArrayList<>();
        final IoListener listener = backend.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            accepted::add);
        final Socket peer = new Socket(listener.localAddress().getAddress(), listener.localAddress().getPort());
        toClose.add(peer);
        peer.setTcpNoDelay(true);
        final long acceptDeadlineNs = System.nanoTime() + TIMEOUT_NS;
        while (accepted.isEmpty() && System.nanoTime() - acceptDeadlineNs < 0)
        {
            backend.poll(TimeUnit.MILLISECONDS.toNanos(1));
        }
        assertEquals(1, accepted.size(), "the peer was accepted");
        final Echo echo = new Echo();
        echo.channel = backend.register(accepted.get(0), echo);
        echo.readNext();

        final int total = WARM_UP_ECHOES + MEASURED_ECHOES;
        final AtomicReference<Throwable> peerFailure = new AtomicReference<>();
        final Thread peerThread = new Thread(() -> pingPong(peer, total, peerFailure), "echo-peer");
        peerThread.setDaemon(true);
        peerThread.start();

        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
        pollUntilEchoed(echo, WARM_UP_ECHOES, pollTimeoutNs, deadlineNs, peerFailure);
        final long before = threads.getCurrentThreadAllocatedBytes();
        pollUntilEchoed(echo, total, pollTimeoutNs, deadlineNs, peerFailure);
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        peerThread.join(TimeUnit.NANOSECONDS.toMillis(TIMEOUT_NS));
        assertNull(peerFailure.get(), "the peer got every echo back intact");
        assertEquals(total * (long)FRAME, echo.bytes, "every byte was echoed");
        System.out.println("poll timeout " + pollTimeoutNs + " ns: the polling thread allocated " + allocated + " B over " +
            MEASURED_ECHOES + " echoes");
        assertTrue(allocated < ALLOWED_BYTES, () -> "the ring allocated " + allocated + " B over " + MEASURED_ECHOES +
            " echoes (" + (double)allocated / MEASURED_ECHOES + " B/echo), poll timeout " + pollTimeoutNs + " ns");
    }

    private void pollUntilEchoed(final Echo echo, final long echoes, final long pollTimeoutNs, final long deadlineNs,
        final AtomicReference<Throwable> peerFailure) throws IOException
    {
        final long bytes = echoes * FRAME;
        while (echo.bytes < bytes)
        {
            if (System.nanoTime() - deadlineNs > 0 || peerFailure.get() != null)
            {
                throw new AssertionError("echoed " + echo.bytes + " of " + bytes + " B; peer: " + peerFailure.get());
            }
            backend.poll(pollTimeoutNs);
        }
    }

    /** One frame out, the same frame back, {@code count} times; each frame numbered so a mix-up shows. */
    private static void pingPong(final Socket peer, final int count, final AtomicReference<Throwable> failure)
    {
        try
        {
            final OutputStream out = peer.getOutputStream();
            final DataInputStream in = new DataInputStream(peer.getInputStream());
            final byte[] frame = new byte[FRAME];
            final byte[] back = new byte[FRAME];
            for (int i = 0; i < count; i++)
            {
                Arrays.fill(frame, (byte)i);
                out.write(frame);
                in.readFully(back);
                if (!Arrays.equals(frame, back))
                {
                    assertArrayEquals(frame, back, "echo " + i);
                }
            }
        }
        catch (final Throwable ex)
        {
            failure.set(ex);
        }
    }

    /**
     * Reads into one direct buffer and writes what came back from it with one gathering write, as
     * the pump does; no allocation of its own. Only the polling thread calls it.
     */
    private static final class Echo implements IoChannelHandler
    {
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
        private final ByteBuffer[] out = {buffer};
        IoChannel channel;
        long bytes;

        void readNext()
        {
            buffer.clear();
            channel.read(buffer);
        }

        @Override
        public void onConnect(final int result)
        {
        }

        @Override
        public void onRead(final int result)
        {
            if (result <= 0)
            {
                return; // the peer left: the test fails on the count
            }
            buffer.limit(result);
            channel.writev(out, 1);
        }

        @Override
        public void onWrite(final long result)
        {
            if (result <= 0)
            {
                return;
            }
            bytes += result;
            buffer.position(buffer.position() + (int)result);
            if (buffer.hasRemaining())
            {
                channel.writev(out, 1);
            }
            else
            {
                readNext();
            }
        }

        @Override
        public void onQuiescent()
        {
        }
    }
}
