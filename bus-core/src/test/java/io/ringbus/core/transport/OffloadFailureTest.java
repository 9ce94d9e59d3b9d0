package io.ringbus.core.transport;

import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.NioBackend;
import io.ringbus.core.config.IdleMode;
import io.ringbus.core.frame.FrameError;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.shard.Shard;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15, point 4: a carrier task that fails on the offload pool (a TLS delegated task, whose
 * trust manager may be the application's) is reported through System.Logger, never printed to
 * System.err by the JDK's default uncaught-exception handler.
 */
class OffloadFailureTest
{
    private static final String FAILURE = "trust manager says no";

    private final NioBackend backend = new NioBackend();
    private final Shard shard = new Shard(0, backend, IdleMode.BLOCKING, 64, 64,
        (failed, ex) -> org.junit.jupiter.api.Assertions.fail("shard failed", ex));
    private final FramePool pool = new FramePool(64 * 1024, FramePool.DEFAULT_MAX_POOLED_BYTES_PER_CLASS, true);

    @AfterEach
    void tearDown()
    {
        backend.close();
    }

    @Test
    void aFailedOffloadedTaskIsLoggedNotPrinted() throws Exception
    {
        final Logger logger = Logger.getLogger(Connection.class.getName());
        final List<LogRecord> records = new CopyOnWriteArrayList<>();
        final Handler capture = new Handler()
        {
            @Override
            public void publish(final LogRecord record)
            {
                records.add(record);
            }

            @Override
            public void flush()
            {
            }

            @Override
            public void close()
            {
            }
        };
        logger.addHandler(capture);
        final PrintStream stderr = System.err;
        final ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setErr(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try
        {
            final Connection connection = new Connection(1, shard, new NoHandler(), pool, 4096, 64 * 1024, 0, 0, 16, 8,
                1_000_000_000L, ByteBuffer.allocateDirect(4096));
            connection.carrier(new OffloadingCarrier(), 1_000_000_000L);
            connection.open(new IdleChannel());
            Await.until(Duration.ofSeconds(20), () -> !records.isEmpty() || printed(printed).contains(FAILURE),
                "the failure reported somewhere");
        }
        finally
        {
            System.setErr(stderr);
            logger.removeHandler(capture);
        }
        // Only the failure is looked for: another agent (Jazzer's, in a full build) may print its own lines.
        assertFalse(printed(printed).contains(FAILURE), "printed to System.err: " + printed(printed));
        assertEquals(1, records.size());
        assertEquals(Level.SEVERE, records.get(0).getLevel());
        assertTrue(records.get(0).getMessage().contains("offloaded carrier task failed"), records.get(0).getMessage());
        assertEquals(FAILURE, records.get(0).getThrown().getMessage());
    }

    private static String printed(final ByteArrayOutputStream stream)
    {
        return stream.toString(StandardCharsets.UTF_8);
    }

    /** A carrier whose handshake hands the shard's sink one task that throws. */
    private static final class OffloadingCarrier implements Carrier
    {
        private final ByteBuffer inbound = ByteBuffer.allocate(1024);

        @Override
        public void start(final Sink sink)
        {
            sink.offload(() ->
            {
                throw new IllegalStateException(FAILURE);
            });
        }

        @Override
        public ByteBuffer inboundSpace()
        {
            return inbound;
        }

        @Override
        public void onInbound(final int bytes)
        {
        }

        @Override
        public boolean isOpen()
        {
            return false;
        }

        @Override
        public void wrap(final ByteBuffer[] frames, final int count)
        {
        }

        @Override
        public boolean hasOutbound()
        {
            return false;
        }

        @Override
        public int outbound(final ByteBuffer[] out)
        {
            return 0;
        }

        @Override
        public void onWritten(final long bytes)
        {
        }

        @Override
        public void closeOutbound(final CloseReason reason, final FrameError frameError)
        {
        }

        @Override
        public boolean isOutboundDone()
        {
            return true;
        }

        @Override
        public boolean onEof()
        {
            return true;
        }

        @Override
        public void describe(final BiConsumer<String, String> details)
        {
        }

        @Override
        public void release()
        {
        }
    }

    /** A channel that takes a read and never completes it. */
    private static final class IdleChannel implements IoChannel
    {
        private boolean closed;

        @Override
        public void read(final ByteBuffer dst)
        {
        }

        @Override
        public void writev(final ByteBuffer[] srcs, final int count)
        {
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
            return new InetSocketAddress("127.0.0.1", 1);
        }
    }

    private static final class NoHandler implements ConnectionHandler
    {
        @Override
        public void onOpen(final Connection connection)
        {
        }

        @Override
        public void onFrame(final Connection connection, final DirectBuffer buffer, final int offset, final int length)
        {
        }

        @Override
        public void onClosed(final Connection connection)
        {
        }
    }
}
