package io.ringbus.quic.interop;

import io.ringbus.core.frame.FrameDecodeException;
import io.ringbus.core.frame.FrameDecoder;
import io.ringbus.core.frame.FrameHandler;
import io.ringbus.core.frame.FramePool;
import org.agrona.DirectBuffer;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The receiving half of both client peers: reassembles the server's byte stream into frames with
 * bus-core's {@link FrameDecoder} (so every WIRE.md check applies to the server under test) and
 * queues a copy of each for {@link #receive}.
 *
 * <p>States: OPEN, then ENDED (stream finished, connection closed, or a frame failed a check); the
 * frames queued before the end are still handed out. Bytes come from the one thread that reads the
 * stream, the end from it or a connection callback (both synchronized); {@link #receive} is called
 * by one other thread.
 */
final class FrameReceiver implements FrameHandler
{
    private static final byte[] END = new byte[0];

    private final BlockingQueue<byte[]> frames = new LinkedBlockingQueue<>();
    private final FrameDecoder decoder;
    private volatile String endReason;

    FrameReceiver(final PeerOptions options)
    {
        final FramePool pool = new FramePool(options.maxMessageSize());
        this.decoder = new FrameDecoder(64 * 1024, options.maxMessageSize(), options.clusterHi(), options.clusterLo(),
            pool, this);
    }

    /** Stream bytes arrived (reading thread). */
    synchronized void onBytes(final byte[] bytes, final int offset, final int length)
    {
        if (endReason != null)
        {
            return;
        }
        try
        {
            decoder.feed(bytes, offset, length);
        }
        catch (final FrameDecodeException ex)
        {
            onEnd("the server sent a bad frame: " + ex.error() + ": " + ex.getMessage());
        }
    }

    /** The stream or connection ended; {@code reason} is what {@link #receive} reports after the queued frames. */
    synchronized void onEnd(final String reason)
    {
        if (endReason == null)
        {
            endReason = decoder.isMidFrame() ? reason + " (mid-frame, " + decoder.bufferedBytes() + " bytes buffered)" :
                reason;
            decoder.close();
            frames.add(END);
        }
    }

    @Override
    public void onFrame(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        frames.add(copy);
    }

    /** The next frame, waiting at most {@code timeout}. */
    byte[] receive(final Duration timeout) throws IOException, TimeoutException
    {
        final byte[] frame;
        try
        {
            frame = frames.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for a frame", ex);
        }
        if (frame == null)
        {
            throw new TimeoutException("no frame from the server within " + timeout.toMillis() + " ms");
        }
        if (frame == END)
        {
            frames.add(END); // later calls see the end too
            throw new IOException(endReason);
        }
        return frame;
    }
}
