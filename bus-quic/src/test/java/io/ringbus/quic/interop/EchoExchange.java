package io.ringbus.quic.interop;

import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.frame.Frames;
import io.ringbus.core.frame.TestFrames;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The request/reply checks the interop tests share: the exact reply bus-core's echo sends for a
 * request, and a pipelined transfer checked byte for byte by a second thread.
 */
final class EchoExchange
{
    /** Body size of each pipelined request. */
    static final int PIPELINED_BODY = 64 * 1024;
    /** Requests in a 10 MiB pipelined transfer. */
    static final int PIPELINED_FRAMES = 10 * 1024 * 1024 / PIPELINED_BODY;

    private static final FramePool POOL = new FramePool(1 << 20);

    private EchoExchange()
    {
    }

    /** The reply bus-core's EchoHandler sends for {@code request}: Frames.reply, replica none. */
    static byte[] expectedReply(final byte[] request)
    {
        final UnsafeBuffer view = new UnsafeBuffer(request);
        final FrameBuffer reply = Frames.reply(POOL, view, 0, view, FrameHeader.HEADER_SIZE,
            request.length - FrameHeader.HEADER_SIZE, FrameHeader.REPLICA_NONE);
        try
        {
            final byte[] bytes = new byte[reply.frameLength()];
            reply.buffer().getBytes(0, bytes);
            return bytes;
        }
        finally
        {
            reply.release();
        }
    }

    /** The next frame within {@code timeout}, or a failure naming {@code what}. */
    static byte[] receive(final QuicPeerClient client, final String what, final Duration timeout)
    {
        try
        {
            return client.receiveFrame(timeout);
        }
        catch (final IOException | TimeoutException ex)
        {
            throw new AssertionError(what + ": " + ex, ex);
        }
    }

    /**
     * Send 10 MiB of requests back to back while another thread checks every reply byte for byte.
     *
     * @return the bytes sent.
     */
    static long pipelined(final QuicPeerClient client, final Duration replyTimeout, final Duration totalTimeout)
        throws Exception
    {
        final List<byte[]> requests = new ArrayList<>(PIPELINED_FRAMES);
        final List<byte[]> expected = new ArrayList<>(PIPELINED_FRAMES);
        for (int i = 0; i < PIPELINED_FRAMES; i++)
        {
            final byte[] request = TestFrames.frame(Command.REQUEST, PIPELINED_BODY, 1_000_000 + i);
            requests.add(request);
            expected.add(expectedReply(request));
        }
        final CompletableFuture<Integer> replies = CompletableFuture.supplyAsync(() ->
        {
            for (int i = 0; i < PIPELINED_FRAMES; i++)
            {
                assertArrayEquals(expected.get(i), receive(client, "pipelined reply " + i + " of " + PIPELINED_FRAMES,
                    replyTimeout), "pipelined reply " + i);
            }
            return PIPELINED_FRAMES;
        });
        long sent = 0;
        for (final byte[] request : requests)
        {
            client.send(request);
            sent += request.length;
        }
        try
        {
            assertEquals(PIPELINED_FRAMES, replies.get(totalTimeout.toMillis(), TimeUnit.MILLISECONDS));
        }
        catch (final ExecutionException ex)
        {
            if (ex.getCause() instanceof AssertionError)
            {
                throw (AssertionError)ex.getCause();
            }
            throw ex;
        }
        catch (final TimeoutException ex)
        {
            fail("the pipelined replies did not all arrive within " + totalTimeout.toSeconds() + " s");
        }
        return sent;
    }
}
