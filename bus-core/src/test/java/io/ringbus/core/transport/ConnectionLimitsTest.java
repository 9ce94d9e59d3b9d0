package io.ringbus.core.transport;

import io.ringbus.core.SendResult;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.IoResult;
import io.ringbus.core.backend.NioBackend;
import io.ringbus.core.config.IdleMode;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.frame.Frames;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.shard.Shard;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11, memory A and C, on one {@link Connection} driven by hand over a test double of its
 * socket: the outbound byte bound, reading paused on a full queue and resumed once it drained, the
 * watchdog's partial-frame, write-stall and idle closes, and the pool budget's named close. Timers
 * run on a real {@link Shard} polled by the test thread until the expected close, within a deadline.
 */
class ConnectionLimitsTest
{
    private static final int PAGE = FramePool.MIN_CLASS_SIZE;
    private static final long NO_LIMIT = Long.MAX_VALUE;
    private static final long ONE_MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private final Shard shard = new Shard(0, new NioBackend(), IdleMode.BLOCKING, 64, 64,
        (failed, ex) -> org.junit.jupiter.api.Assertions.fail("shard failed", ex));
    private final ByteBuffer discard = ByteBuffer.allocateDirect(64 * 1024);
    private FramePool pool = new FramePool(1 << 20, 1 << 20, true, 1);
    private final FakeChannel channel = new FakeChannel();
    private final Echo handler = new Echo();

    @AfterEach
    void tearDown()
    {
        shard.onClose();
        pool.assertNoLeaks();
    }

    private Connection connection(final int receiveBufferSize, final int maxMessageSize)
    {
        return new Connection(1, shard, handler, pool, receiveBufferSize, maxMessageSize, 0, 0, 256, 16,
            TimeUnit.SECONDS.toNanos(2), discard);
    }

    @Test
    void sendRefusesOnceTheHeldBytesReachPeerQueueMaxBytes()
    {
        final Connection connection = connection(64 * 1024, 1 << 20).limits(3 * PAGE, false, 0, 0);
        for (int i = 0; i < 3; i++)
        {
            assertEquals(SendResult.OK, connection.send(header()), "frame " + i);
        }
        assertEquals(SendResult.BACKPRESSURE, connection.send(header()), "a fourth 4 KiB buffer exceeds 12 KiB");
        assertEquals(3 * PAGE, connection.queuedBytes());
        assertEquals(3, connection.queuedFrames(), "far below peer_queue_capacity 256: the byte bound refused it");
        connection.abort(CloseReason.LOCAL, null);

        final Connection other = connection(64 * 1024, 1 << 20).limits(3 * PAGE, false, 0, 0);
        final FrameBuffer large = pool.acquire(60_000).frameLength(60_000);
        assertEquals(SendResult.OK, other.send(large), "a frame above the bound goes when nothing is held");
        assertEquals(SendResult.BACKPRESSURE, other.send(header()));
        other.abort(CloseReason.LOCAL, null);
    }

    @Test
    void readingPausesWhileTheQueueIsFullAndResumesOnceItDrained()
    {
        final Connection connection = connection(64 * 1024, 1 << 20).limits(4 * PAGE, true, 0, 0);
        connection.open(channel);
        final byte[] request = TestFrames.frame(Command.REQUEST, 0, 1);
        for (int i = 0; i < 4; i++)
        {
            assertTrue(channel.readPending, "reading before request " + i);
            channel.deliver(connection, request);
        }
        assertEquals(4, handler.frames);
        assertEquals(0, handler.backpressured, "four replies fit");
        assertEquals(4 * PAGE, connection.queuedBytes(), "one reply in the pending write, three queued");
        assertTrue(connection.isReadPaused(), "the queue holds peer_queue_max_bytes");
        assertFalse(channel.readPending, "no read is submitted: TCP flow control holds the peer back");

        channel.completeWrite(connection); // the first reply goes: three left, above half of the bound
        assertTrue(connection.isReadPaused());
        assertFalse(channel.readPending);
        channel.completeWrite(connection); // the other three go
        assertEquals(0, connection.queuedBytes());
        assertFalse(connection.isReadPaused());
        assertTrue(channel.readPending, "reading resumed once the queue drained");

        channel.deliver(connection, request);
        assertEquals(5, handler.frames);
        connection.abort(CloseReason.LOCAL, null);
    }

    @Test
    void aFrameLeftIncompleteClosesWithPartialFrameTimeout()
    {
        final Connection connection = connection(64 * 1024, 1 << 20).limits(NO_LIMIT, false, ONE_MS, 0);
        connection.open(channel);
        channel.deliver(connection, TestFrames.frame(Command.PING_CLIENT, 0, 1));
        channel.completeWrite(connection); // the pong
        final byte[] next = TestFrames.frame(Command.REQUEST, 1000, 2);
        channel.deliver(connection, java.util.Arrays.copyOf(next, 100));
        runShardUntil(() -> connection.state() == Connection.State.CLOSED, "the stalled frame closes it");
        assertEquals(CloseReason.PARTIAL_FRAME_TIMEOUT, connection.closeReason());
        assertTrue(connection.closeDetail().startsWith("100 bytes of an incomplete frame"), connection.closeDetail());
        assertTrue(channel.closed);
    }

    @Test
    void aWriteWithoutProgressClosesWithWriteStalled()
    {
        final Connection connection = connection(64 * 1024, 1 << 20).limits(NO_LIMIT, false, ONE_MS, 0);
        connection.open(channel);
        channel.deliver(connection, TestFrames.frame(Command.REQUEST, 10, 1));
        assertTrue(channel.writePending, "the reply is being written and the peer never reads it");
        runShardUntil(() -> connection.state() == Connection.State.CLOSED, "the stalled write closes it");
        assertEquals(CloseReason.WRITE_STALLED, connection.closeReason());
    }

    @Test
    void aSilentConnectionClosesWithIdleTimeout()
    {
        final Connection connection = connection(64 * 1024, 1 << 20).limits(NO_LIMIT, false, 0, ONE_MS);
        connection.open(channel);
        runShardUntil(() -> connection.state() != Connection.State.OPEN, "the idle connection closes");
        assertEquals(CloseReason.IDLE_TIMEOUT, connection.closeReason());
        assertEquals(Connection.State.CLOSING, connection.state(), "gracefully: FIN, then the peer's");
        connection.onRead(IoResult.EOF);
        assertEquals(Connection.State.CLOSED, connection.state());
    }

    @Test
    void noBufferForAReceivedFrameClosesWithMemoryBudget()
    {
        // The budget holds the hog and the first 4 KiB receive buffer, not the large frame's buffer.
        pool = new FramePool(128 * 1024, 1 << 20, true, 1, 132 * 1024);
        final FrameBuffer hog = pool.acquire(128 * 1024);
        final Connection connection = connection(PAGE, 128 * 1024).limits(NO_LIMIT, false, 0, 0);
        connection.open(channel);
        final byte[] large = TestFrames.frame(Command.REQUEST, 100_000, 1);
        channel.deliver(connection, java.util.Arrays.copyOf(large, PAGE)); // its header asks for 128 KiB
        assertEquals(CloseReason.MEMORY_BUDGET, connection.closeReason());
        assertTrue(connection.closeDetail().contains("direct_memory_budget"), connection.closeDetail());
        assertEquals(1, pool.refused());
        connection.abort(CloseReason.LOCAL, null);
        hog.release();
    }

    @Test
    void noBufferForTheAnswerClosesWithMemoryBudget()
    {
        // The budget holds the hog and the 4 KiB receive buffer, not the reply's buffer.
        pool = new FramePool(8 * 1024, 1 << 20, true, 1, 12 * 1024);
        final FrameBuffer hog = pool.acquire(8 * 1024);
        final Connection connection = connection(PAGE, 8 * 1024).limits(NO_LIMIT, false, 0, 0);
        connection.open(channel);
        channel.deliver(connection, TestFrames.frame(Command.REQUEST, 10, 1));
        assertEquals(1, handler.frames);
        assertEquals(CloseReason.MEMORY_BUDGET, connection.closeReason());
        assertEquals(Connection.State.CLOSING, connection.state(), "the other replies are still flushed");
        connection.abort(CloseReason.LOCAL, null);
        hog.release();
    }

    @Test
    void noBufferToReadIntoClosesWithMemoryBudgetInsteadOfThrowingIntoTheShard()
    {
        pool = new FramePool(8 * 1024, 1 << 20, true, 1, 8 * 1024);
        final FrameBuffer hog = pool.acquire(8 * 1024); // the whole budget: not even a receive buffer is left
        final Connection connection = connection(PAGE, 8 * 1024).limits(NO_LIMIT, false, 0, 0);
        connection.open(channel);
        assertEquals(Connection.State.CLOSED, connection.state());
        assertEquals(CloseReason.MEMORY_BUDGET, connection.closeReason());
        assertTrue(connection.closeDetail().contains("direct_memory_budget"), connection.closeDetail());
        hog.release();
    }

    private FrameBuffer header()
    {
        return Frames.headerOnly(pool, Command.PING, 0, 0, 0);
    }

    private void runShardUntil(final java.util.function.BooleanSupplier condition, final String what)
    {
        final long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("timed out waiting for: " + what);
            }
            try
            {
                shard.doWork();
            }
            catch (final Exception ex)
            {
                throw new AssertionError(ex);
            }
        }
    }

    /** Answers a request with a reply of its body and ping_client with pong_client, as the client plane does. */
    private final class Echo implements ConnectionHandler
    {
        int frames;
        int backpressured;

        @Override
        public void onOpen(final Connection connection)
        {
        }

        @Override
        public void onFrame(final Connection connection, final DirectBuffer buffer, final int offset, final int length)
        {
            frames++;
            final FrameBuffer reply = Frames.reply(pool, buffer, offset, buffer, offset + FrameHeader.HEADER_SIZE,
                length - FrameHeader.HEADER_SIZE, FrameHeader.REPLICA_NONE);
            if (connection.send(reply) == SendResult.BACKPRESSURE)
            {
                backpressured++;
            }
        }

        @Override
        public void onClosed(final Connection connection)
        {
        }
    }

    /** A socket that completes nothing by itself: the test delivers reads and completes writes. */
    private static final class FakeChannel implements IoChannel
    {
        ByteBuffer readBuffer;
        boolean readPending;
        boolean writePending;
        long writeBytes;
        boolean closed;

        @Override
        public void read(final ByteBuffer dst)
        {
            assertFalse(readPending, "one read at a time");
            readBuffer = dst;
            readPending = true;
        }

        /** The peer sent {@code bytes}: complete reads with them, as far as the connection reads. */
        void deliver(final Connection connection, final byte[] bytes)
        {
            int offset = 0;
            while (offset < bytes.length)
            {
                assertTrue(readPending, "the connection reads");
                final int chunk = Math.min(readBuffer.remaining(), bytes.length - offset);
                readBuffer.put(bytes, offset, chunk);
                readPending = false;
                offset += chunk;
                connection.onRead(chunk);
            }
        }

        @Override
        public void writev(final ByteBuffer[] srcs, final int count)
        {
            assertFalse(writePending, "one write at a time");
            long bytes = 0;
            for (int i = 0; i < count; i++)
            {
                bytes += srcs[i].remaining();
            }
            writeBytes = bytes;
            writePending = true;
        }

        /** The kernel took the whole pending write. */
        void completeWrite(final Connection connection)
        {
            assertTrue(writePending, "a write is pending");
            writePending = false;
            connection.onWrite(writeBytes);
        }

        @Override
        public void shutdownOutput()
        {
        }

        @Override
        public void close()
        {
            closed = true;
        }

        @Override
        public boolean isClosed()
        {
            return closed;
        }

        @Override
        public InetSocketAddress remoteAddress()
        {
            return null;
        }
    }
}
