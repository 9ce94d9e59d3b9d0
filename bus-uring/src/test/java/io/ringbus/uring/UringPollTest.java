package io.ringbus.uring;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.backend.AcceptedSocket;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.IoListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * How a poll uses the kernel ({@link RingDriver}, issue 16): at most one {@code io_uring_enter} per
 * poll, which both submits what the last cycle queued and collects what completed; none at all for
 * a non-blocking poll with nothing queued (a spinning shard's idle cycles).
 */
class UringPollTest
{
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(20);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private UringBackend backend;

    @BeforeEach
    void setUp()
    {
        assumeTrue(IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
        backend = new UringBackend(0);
        assertTrue(backend.pollEnters() >= 0, () -> "polling falls back to IoUringIoHandler.run: " +
            RingDriver.UNAVAILABILITY);
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
    void anEmptyNonBlockingPollMakesNoSystemCall() throws Exception
    {
        final Connected connected = connect();
        connected.channel.read(ByteBuffer.allocateDirect(64));
        backend.poll(0); // the RECV goes out
        final long enters = backend.pollEnters();
        final int polls = 10_000;
        for (int i = 0; i < polls; i++)
        {
            backend.poll(0);
        }
        assertTrue(connected.recorder.reads.isEmpty(), "nothing arrived");
        // Only work the kernel flags (IORING_SQ_TASKRUN: the TIMEOUT of an earlier blocking poll firing) enters.
        final long used = backend.pollEnters() - enters;
        assertTrue(used <= 2, () -> used + " io_uring_enter calls in " + polls + " empty polls");
    }

    @Test
    void onePollSubmitsTheQueuedWriteAndDeliversItsCompletionWithOneEnter() throws Exception
    {
        final Connected connected = connect();
        final byte[] bytes = "ping".getBytes(StandardCharsets.US_ASCII);
        final ByteBuffer out = ByteBuffer.allocateDirect(16).put(bytes).flip();
        connected.channel.writev(new ByteBuffer[] {out}, 1);
        final long enters = backend.pollEnters();
        // A SENDMSG to a socket with room completes when submitted; its CQE is there for the same poll.
        final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
        int polls = 0;
        while (connected.recorder.writes.isEmpty() && System.nanoTime() - deadlineNs < 0)
        {
            backend.poll(TimeUnit.MILLISECONDS.toNanos(10));
            polls++;
        }
        assertEquals(List.of(4L), connected.recorder.writes);
        assertEquals(1, polls, "submitted and completed within one poll");
        assertEquals(enters + 1, backend.pollEnters(), "with one io_uring_enter");
        assertArrayEquals(bytes, connected.peer.getInputStream().readNBytes(4));
    }

    @Test
    void aBlockingPollSubmitsAndWaitsInOneEnter() throws Exception
    {
        final Connected connected = connect();
        final ByteBuffer in = ByteBuffer.allocateDirect(64);
        connected.channel.read(in); // queued, not yet submitted
        final long enters = backend.pollEnters();
        connected.peer.getOutputStream().write(7);
        final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
        int polls = 0;
        while (connected.recorder.reads.isEmpty() && System.nanoTime() - deadlineNs < 0)
        {
            backend.poll(TimeUnit.MILLISECONDS.toNanos(10));
            polls++;
        }
        assertEquals(List.of(1), connected.recorder.reads);
        assertEquals(7, in.get(0));
        assertEquals(polls, backend.pollEnters() - enters,
            "each blocking poll with nothing completed is one io_uring_enter: submit and wait together");
    }

    /** A connection accepted by the backend, with the plain socket at the other end. */
    private static final class Connected
    {
        final Socket peer;
        final IoChannel channel;
        final UringBackendTest.Recorder recorder;

        Connected(final Socket peer, final IoChannel channel, final UringBackendTest.Recorder recorder)
        {
            this.peer = peer;
            this.channel = channel;
            this.recorder = recorder;
        }
    }

    private Connected connect() throws IOException
    {
        final List<AcceptedSocket> accepted = new ArrayList<>();
        final IoListener listener = backend.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            accepted::add);
        final Socket peer = new Socket(listener.localAddress().getAddress(), listener.localAddress().getPort());
        toClose.add(peer);
        pollUntil(() -> !accepted.isEmpty(), "the connection was accepted");
        final UringBackendTest.Recorder recorder = new UringBackendTest.Recorder();
        final IoChannel channel = backend.register(accepted.get(0), recorder);
        backend.poll(0);
        return new Connected(peer, channel, recorder);
    }

    private void pollUntil(final BooleanSupplier condition, final String what) throws IOException
    {
        final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new AssertionError("timed out waiting for: " + what);
            }
            backend.poll(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }
}
