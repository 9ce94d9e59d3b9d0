package io.ringbus.cli;

import io.ringbus.core.dedup.ReplyStatus;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameCodec;
import io.ringbus.core.frame.FrameHeader;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static io.ringbus.core.frame.FrameHeader.HEADER_SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fast load client ({@link LoadPipeline}, {@link LoadDriver}) against scripted servers: every
 * reply is checked (a wrong one fails the run, saying what was wrong), the window is never
 * exceeded, and a byte echo's echoed requests count as replies.
 */
class LoadPipelineTest
{
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);
    private static final int BODY = 64;
    /** The scripted faults hit this frame: two good replies come first. */
    private static final int FAULTY = 2;

    private static LoadPipeline connect(final LoadTestServer server, final int window, final boolean byteEcho)
        throws IOException
    {
        return LoadPipeline.connect(server.address(), BODY, window, 0, 0, byteEcho, SystemNanoClock.INSTANCE,
            new SplittableRandom(42));
    }

    /** Run {@code count} requests then the closing ping; the driver's failure, or null once the pong came. */
    private static IOException run(final LoadPipeline pipeline, final long count, final LoadDriver.Idle idle)
        throws IOException
    {
        pipeline.maxRequests(count);
        try (LoadDriver driver = new LoadDriver(new LoadPipeline[] {pipeline}, idle, SystemNanoClock.INSTANCE))
        {
            final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
            while (!pipeline.pongReceived() && driver.failure(0) == null)
            {
                if (!pipeline.isSending())
                {
                    pipeline.stopSending(true);
                }
                driver.step(TimeUnit.MILLISECONDS.toNanos(10));
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new AssertionError("run not over within 10 s: " + pipeline.received() + " replies");
                }
            }
            return driver.failure(0);
        }
    }

    @ParameterizedTest
    @EnumSource(LoadDriver.Idle.class)
    void everyReplyOfAnHonestServerPassesAndThePingEndsTheRun(final LoadDriver.Idle idle) throws Exception
    {
        try (LoadTestServer server = LoadTestServer.honest(false);
            LoadPipeline pipeline = connect(server, 16, false))
        {
            assertNull(run(pipeline, 10_000, idle));
            assertEquals(10_000, pipeline.sent());
            assertEquals(10_000, pipeline.received());
            assertEquals(10_001, server.framesRead(), "the requests and the ping");
        }
    }

    @Test
    void aByteEchoSendingTheRequestsBackCountsAsReplies() throws Exception
    {
        try (LoadTestServer server = LoadTestServer.honest(true);
            LoadPipeline pipeline = connect(server, 16, true))
        {
            assertNull(run(pipeline, 1_000, LoadDriver.Idle.BLOCK));
            assertEquals(1_000, pipeline.received());
        }
    }

    @Test
    void aByteEchoIsNotTakenForAServer() throws Exception
    {
        try (LoadTestServer server = LoadTestServer.honest(true);
            LoadPipeline pipeline = connect(server, 16, false))
        {
            final IOException failure = run(pipeline, 1_000, LoadDriver.Idle.BLOCK);
            assertInstanceOf(ProtocolException.class, failure);
            assertTrue(failure.getMessage().startsWith("expected a reply (command 8), got command 5"),
                failure.getMessage());
        }
    }

    /** A fault of one reply, and the start of what the client must say about it. */
    enum Fault
    {
        HEADER_CHECKSUM("reply header checksum mismatch")
        {
            @Override
            void apply(final UnsafeBuffer frame, final FrameCodec codec)
            {
                frame.putByte(FrameHeader.REQUEST_RESERVED_OFFSET + 10, (byte)1); // not resealed
            }
        },
        BODY_CORRUPTED("reply body checksum mismatch")
        {
            @Override
            void apply(final UnsafeBuffer frame, final FrameCodec codec)
            {
                frame.putByte(HEADER_SIZE + 3, (byte)(frame.getByte(HEADER_SIZE + 3) ^ 1));
                frame.putInt(FrameHeader.CHECKSUM_OFFSET, codec.computeHeaderChecksum(frame, 0), FrameHeader.ORDER);
            }
        },
        BODY_REPLACED("reply body differs from the request body")
        {
            @Override
            void apply(final UnsafeBuffer frame, final FrameCodec codec)
            {
                frame.putByte(HEADER_SIZE + 3, (byte)(frame.getByte(HEADER_SIZE + 3) ^ 1));
                codec.seal(frame, 0); // a consistent frame, but not with the body sent
            }
        },
        FOREIGN_CLIENT("reply for another client")
        {
            @Override
            void apply(final UnsafeBuffer frame, final FrameCodec codec)
            {
                new FrameHeader().wrap(frame, 0).client(7, 9);
                codec.seal(frame, 0);
            }
        },
        FOREIGN_CLUSTER("reply from another cluster")
        {
            @Override
            void apply(final UnsafeBuffer frame, final FrameCodec codec)
            {
                new FrameHeader().wrap(frame, 0).cluster(0, 5);
                codec.seal(frame, 0);
            }
        },
        WRONG_REQUEST_NUMBER("reply to request 4, expected 3")
        {
            @Override
            void apply(final UnsafeBuffer frame, final FrameCodec codec)
            {
                new FrameHeader().wrap(frame, 0).request(4);
                codec.seal(frame, 0);
            }
        },
        WRONG_OPERATION("reply operation 99, expected 3")
        {
            @Override
            void apply(final UnsafeBuffer frame, final FrameCodec codec)
            {
                new FrameHeader().wrap(frame, 0).operation(99);
                codec.seal(frame, 0);
            }
        },
        WRONG_TIMESTAMP("reply timestamp 1, expected ")
        {
            @Override
            void apply(final UnsafeBuffer frame, final FrameCodec codec)
            {
                new FrameHeader().wrap(frame, 0).timestamp(1);
                codec.seal(frame, 0);
            }
        },
        WRONG_COMMAND("expected a reply (command 8), got command 7")
        {
            @Override
            void apply(final UnsafeBuffer frame, final FrameCodec codec)
            {
                new FrameHeader().wrap(frame, 0).command(Command.PREPARE_OK);
                codec.seal(frame, 0);
            }
        },
        REFUSED("reply refused with status 1: bound elsewhere")
        {
            @Override
            void apply(final UnsafeBuffer frame, final FrameCodec codec)
            {
                ReplyStatus.put(frame, 0, ReplyStatus.SESSION_BOUND);
                final byte[] reason = "bound elsewhere".getBytes(StandardCharsets.UTF_8);
                frame.putBytes(HEADER_SIZE, reason);
                new FrameHeader().wrap(frame, 0).size(HEADER_SIZE + reason.length);
                codec.seal(frame, 0);
            }
        },
        TOO_LARGE("reply size = 100000: outside 256..320")
        {
            @Override
            void apply(final UnsafeBuffer frame, final FrameCodec codec)
            {
                new FrameHeader().wrap(frame, 0).size(100_000);
                codec.seal(frame, 0);
            }
        },
        EARLY_PONG("a pong_client but no ping was sent")
        {
            @Override
            void apply(final UnsafeBuffer frame, final FrameCodec codec)
            {
                // a pong while requests are in flight (and none was asked for yet)
                new FrameHeader().wrap(frame, 0).command(Command.PONG_CLIENT).size(HEADER_SIZE);
                codec.seal(frame, 0);
            }
        };

        final String reason;

        Fault(final String reason)
        {
            this.reason = reason;
        }

        abstract void apply(UnsafeBuffer frame, FrameCodec codec);
    }

    @ParameterizedTest
    @EnumSource(Fault.class)
    void aWrongReplyFailsTheRunSayingWhatWasWrong(final Fault fault) throws Exception
    {
        try (LoadTestServer server = new LoadTestServer(false, (index, frame, codec) ->
        {
            if (index == FAULTY)
            {
                fault.apply(frame, codec);
            }
            return true;
        });
            LoadPipeline pipeline = connect(server, 8, false))
        {
            final IOException failure = run(pipeline, 1_000, LoadDriver.Idle.BLOCK);
            assertInstanceOf(ProtocolException.class, failure, String.valueOf(failure));
            assertTrue(failure.getMessage().startsWith(fault.reason), failure.getMessage());
            assertTrue(failure.getMessage().endsWith("(after " + FAULTY + " good replies)"), failure.getMessage());
            assertEquals(FAULTY, pipeline.received());
        }
    }

    @Test
    void repliesOutOfOrderFailTheRun() throws Exception
    {
        try (LoadTestServer server = new LoadTestServer(false, (index, frame, codec) -> true, FAULTY);
            LoadPipeline pipeline = connect(server, 8, false))
        {
            final IOException failure = run(pipeline, 1_000, LoadDriver.Idle.SPIN);
            assertNotNull(failure);
            assertEquals("reply to request 4, expected 3 (after 2 good replies)", failure.getMessage());
        }
    }

    @Test
    void aServerThatClosesFailsTheRunWithWhatWasInFlight() throws Exception
    {
        try (LoadTestServer server = new LoadTestServer(false, (index, frame, codec) ->
        {
            if (index == FAULTY)
            {
                throw new IllegalStateException("closing"); // ends the server's thread, which closes the socket
            }
            return true;
        });
            LoadPipeline pipeline = connect(server, 8, false))
        {
            final IOException failure = run(pipeline, 1_000, LoadDriver.Idle.BLOCK);
            assertNotNull(failure);
            assertTrue(failure.getMessage().startsWith("the server closed the connection after 2 replies, with "),
                failure.getMessage());
        }
    }

    @Test
    void neverMoreThanTheWindowIsInFlight() throws Exception
    {
        final int window = 5;
        // Nothing is ever answered.
        try (LoadTestServer server = new LoadTestServer(false, (index, frame, codec) -> false);
            LoadPipeline pipeline = connect(server, window, false))
        {
            final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
            while (server.framesRead() < window && System.nanoTime() - deadlineNs < 0)
            {
                pipeline.writeStep();
                pipeline.readStep();
            }
            assertEquals(window, pipeline.sent());
            // However often it is asked, a full window sends nothing more.
            for (int i = 0; i < 1_000; i++)
            {
                assertEquals(0, pipeline.writeStep());
            }
            assertEquals(window, pipeline.inFlight());
            assertEquals(window, server.framesRead());
        }
    }

    @Test
    void eachReplyOpensRoomForExactlyOneMoreRequest() throws Exception
    {
        final int window = 4;
        try (LoadTestServer server = new LoadTestServer(false, (index, frame, codec) -> index == 0);
            LoadPipeline pipeline = connect(server, window, false))
        {
            final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
            while (pipeline.received() < 1 && System.nanoTime() - deadlineNs < 0)
            {
                pipeline.writeStep();
                pipeline.readStep();
            }
            assertEquals(1, pipeline.received());
            pipeline.writeStep();
            assertEquals(window + 1, pipeline.sent());
            assertEquals(0, pipeline.writeStep());
            Await.until("the server to read five requests", Duration.ofSeconds(10), () -> server.framesRead() == window + 1);
        }
    }

    @Test
    void latencyIsRecordedOnlyInsideTheMeasuredInterval() throws Exception
    {
        final Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        try (LoadTestServer server = LoadTestServer.honest(false);
            LoadPipeline pipeline = connect(server, 4, false))
        {
            pipeline.record(histogram, Long.MIN_VALUE / 2, Long.MAX_VALUE / 2, TimeUnit.SECONDS.toNanos(10));
            assertNull(run(pipeline, 100, LoadDriver.Idle.BLOCK));
            assertEquals(100, histogram.getTotalCount());
            assertEquals(100, pipeline.recorded());
        }
        final Histogram none = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        try (LoadTestServer server = LoadTestServer.honest(false);
            LoadPipeline pipeline = connect(server, 4, false))
        {
            final long farNs = System.nanoTime() + TimeUnit.DAYS.toNanos(1);
            pipeline.record(none, farNs, farNs + 1, TimeUnit.SECONDS.toNanos(10));
            assertNull(run(pipeline, 100, LoadDriver.Idle.BLOCK));
            assertEquals(0, none.getTotalCount());
        }
    }
}
