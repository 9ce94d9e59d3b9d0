package io.ringbus.core.transport;

import io.ringbus.core.SendResult;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.IoChannelHandler;
import io.ringbus.core.backend.NioBackend;
import io.ringbus.core.config.IdleMode;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.shard.Shard;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11, correctness 1: a connection gives back the buffers it lent to its channel only once the
 * channel says no operation is in flight any more. The channel here is a double of an io_uring
 * socket whose cancel lost the race: after {@code close()} the "kernel" still completes the RECV
 * (writing into the buffer it was given) and the WRITEV (reading from the buffers it was given),
 * as a real ring may until it posts their completions. Driven by hand on the test thread.
 */
class ConnectionBufferLifetimeTest
{
    private static final int RECEIVE_BUFFER_SIZE = 4096;
    private static final int MAX_MESSAGE_SIZE = 64 * 1024;
    private static final byte REUSED = 0x5A;

    private final FramePool pool = new FramePool(MAX_MESSAGE_SIZE, FramePool.DEFAULT_MAX_POOLED_BYTES_PER_CLASS, true);
    private final NioBackend backend = new NioBackend();
    private final Shard shard = new Shard(0, backend, IdleMode.BLOCKING, 64, 64,
        (failed, ex) -> org.junit.jupiter.api.Assertions.fail("shard failed", ex));
    private final RecordingHandler handler = new RecordingHandler();
    private Connection connection;

    @BeforeEach
    void setUp()
    {
        connection = new Connection(1, shard, handler, pool, RECEIVE_BUFFER_SIZE, MAX_MESSAGE_SIZE, 0, 0, 16, 8,
            1_000_000_000L, ByteBuffer.allocateDirect(RECEIVE_BUFFER_SIZE));
    }

    @AfterEach
    void tearDown()
    {
        backend.close();
    }

    @Test
    void aRecvThatCompletesAfterCloseWritesIntoTheConnectionsBufferNotOneThePoolHandedOut()
    {
        final LaggingChannel channel = new LaggingChannel(connection, false);
        connection.open(channel);
        final byte[] frame = TestFrames.frame(Command.REQUEST, 20_000, 1);
        // The header and the start of the body: a frame larger than the receive buffer is assembled
        // in a pooled buffer, and the next RECV goes straight into it.
        channel.completeRead(Arrays.copyOf(frame, 1_256));
        assertEquals(1, pool.outstanding(), "the frame is being assembled in a pooled buffer");
        final ByteBuffer lent = channel.readDst;
        assertNotNull(lent, "a RECV into the pooled buffer is in flight");

        connection.abort(CloseReason.PEER_RESET, "test: reset while a RECV is in flight");
        assertEquals(Connection.State.CLOSED, connection.state());
        assertEquals(1, handler.closed, "the plane hears of the close at once, as before");
        assertFalse(channel.isQuiescent(), "the RECV has not completed");

        // Whoever asks the pool next for that size class must not share memory with the RECV.
        final FrameBuffer other = pool.acquire(frame.length);
        other.buffer().setMemory(0, other.capacity(), REUSED);

        final byte[] late = new byte[2_000];
        Arrays.fill(late, (byte)0xEE);
        channel.landLateRead(late); // the cancel lost the race: the kernel copies, then completes

        assertUntouched(other, "the late RECV wrote into a buffer the pool had handed out again");
        assertTrue(channel.isQuiescent());
        assertEquals(0, handler.frames, "nothing is delivered after close");
        other.release();
        pool.assertNoLeaks(); // the connection's pooled buffer came back once the RECV completed
    }

    @Test
    void aWritevThatCompletesAfterCloseSendsTheFramesItWasGivenNotWhatThePoolReusedThemFor()
    {
        final LaggingChannel channel = new LaggingChannel(connection, false);
        connection.open(channel);
        final byte[] bytes = TestFrames.frame(Command.REPLY, 3_000, 2);
        final FrameBuffer frame = pool.acquire(bytes.length);
        frame.buffer().putBytes(0, bytes);
        frame.frameLength(bytes.length);
        assertEquals(SendResult.OK, connection.send(frame));
        connection.flush(); // as the shard would: the frame goes into one WRITEV
        assertNotNull(channel.writeSrcs, "a WRITEV is in flight");

        connection.abort(CloseReason.PEER_RESET, "test: reset while a WRITEV is in flight");
        final FrameBuffer other = pool.acquire(bytes.length);
        other.buffer().setMemory(0, other.capacity(), REUSED);

        assertArrayEquals(bytes, channel.landLateWrite(), "the kernel sends the bytes it was given");
        assertEquals(3, pool.outstanding(), "the frame, the receive buffer the RECV still holds, and the other owner's buffer");
        channel.landLateRead(new byte[0]); // the cancel caught the RECV: -ECANCELED, nothing written
        other.release();
        pool.assertNoLeaks();
    }

    @Test
    void aChannelQuiescentAtCloseGetsItsBuffersBackAtOnce()
    {
        final LaggingChannel channel = new LaggingChannel(connection, true); // NIO-like: copies at the call
        connection.open(channel);
        channel.completeRead(Arrays.copyOf(TestFrames.frame(Command.REQUEST, 20_000, 3), 1_256));
        final FrameBuffer frame = pool.acquire(1_000);
        frame.frameLength(256);
        connection.send(frame);
        assertEquals(2, pool.outstanding());

        connection.abort(CloseReason.PEER_RESET, "test");
        assertEquals(0, pool.outstanding(), "released in finish, no callback needed");
        assertEquals(0, channel.quiescentCalls);
        pool.assertNoLeaks();
    }

    @Test
    void aChannelClosedUnderAnOpenConnectionClosesItAndReturnsItsBuffers()
    {
        final LaggingChannel channel = new LaggingChannel(connection, false);
        connection.open(channel);
        channel.completeRead(Arrays.copyOf(TestFrames.frame(Command.REQUEST, 20_000, 4), 1_256));
        assertEquals(1, pool.outstanding());

        channel.close(); // the backend's own teardown, not the connection
        channel.landLateRead(new byte[10]);
        assertEquals(Connection.State.CLOSED, connection.state());
        assertEquals(CloseReason.IO_ERROR, connection.closeReason());
        assertEquals(1, handler.closed);
        pool.assertNoLeaks();
    }

    private static void assertUntouched(final FrameBuffer buffer, final String message)
    {
        for (int i = 0; i < buffer.capacity(); i++)
        {
            if (buffer.buffer().getByte(i) != REUSED)
            {
                throw new AssertionError(message + ": byte " + i + " is 0x" +
                    Integer.toHexString(buffer.buffer().getByte(i) & 0xFF));
            }
        }
    }

    /**
     * A completion-shaped channel whose "kernel" is the test: it keeps the buffers it is given until
     * the test completes the operation, also after {@code close()} (a cancel that lost the race).
     * With {@code copiesAtCall} it behaves as NIO does instead: closing drops what it was given.
     */
    private static final class LaggingChannel implements IoChannel
    {
        private final IoChannelHandler handler;
        private final boolean copiesAtCall;
        ByteBuffer readDst;
        int readPosition;
        int readLength;
        ByteBuffer[] writeSrcs;
        boolean closed;
        int quiescentCalls;

        LaggingChannel(final IoChannelHandler handler, final boolean copiesAtCall)
        {
            this.handler = handler;
            this.copiesAtCall = copiesAtCall;
        }

        @Override
        public void read(final ByteBuffer dst)
        {
            if (readDst != null)
            {
                throw new IllegalStateException("a read is already pending");
            }
            if (!closed)
            {
                // As a ring's RECV: the address and length named at submission.
                readDst = dst;
                readPosition = dst.position();
                readLength = dst.remaining();
            }
        }

        @Override
        public void writev(final ByteBuffer[] srcs, final int count)
        {
            if (writeSrcs != null)
            {
                throw new IllegalStateException("a write is already pending");
            }
            if (!closed)
            {
                // As a ring's iovecs: the memory and range named at submission.
                writeSrcs = new ByteBuffer[count];
                for (int i = 0; i < count; i++)
                {
                    writeSrcs[i] = srcs[i].duplicate();
                }
            }
        }

        /** The RECV completes with {@code bytes} while the channel is open. */
        void completeRead(final byte[] bytes)
        {
            final ByteBuffer dst = readDst;
            readDst = null;
            dst.put(readPosition, bytes);
            handler.onRead(bytes.length);
        }

        /** The RECV the cancel did not catch completes: the bytes land, nothing is delivered. */
        void landLateRead(final byte[] bytes)
        {
            final ByteBuffer dst = readDst;
            readDst = null;
            dst.put(readPosition, bytes, 0, Math.min(bytes.length, readLength));
            quiescentIfIdle();
        }

        /** The WRITEV the cancel did not catch completes: returns what went on the wire. */
        byte[] landLateWrite()
        {
            int length = 0;
            for (final ByteBuffer src : writeSrcs)
            {
                length += src.remaining();
            }
            final byte[] sent = new byte[length];
            int offset = 0;
            for (final ByteBuffer src : writeSrcs)
            {
                final int n = src.remaining();
                src.get(src.position(), sent, offset, n);
                offset += n;
            }
            writeSrcs = null;
            quiescentIfIdle();
            return sent;
        }

        private void quiescentIfIdle()
        {
            if (closed && isQuiescent() && quiescentCalls++ == 0)
            {
                handler.onQuiescent();
            }
        }

        @Override
        public void shutdownOutput()
        {
        }

        @Override
        public void close()
        {
            closed = true;
            if (copiesAtCall)
            {
                readDst = null;
                writeSrcs = null;
            }
        }

        @Override
        public boolean isClosed()
        {
            return closed;
        }

        @Override
        public boolean isQuiescent()
        {
            return closed && readDst == null && writeSrcs == null;
        }

        @Override
        public InetSocketAddress remoteAddress()
        {
            return null;
        }
    }

    /** Counts what the plane hears. */
    private static final class RecordingHandler implements ConnectionHandler
    {
        int closed;
        int frames;

        @Override
        public void onOpen(final Connection connection)
        {
        }

        @Override
        public void onFrame(final Connection connection, final DirectBuffer buffer, final int offset, final int length)
        {
            frames++;
        }

        @Override
        public void onClosed(final Connection connection)
        {
            closed++;
        }
    }
}
