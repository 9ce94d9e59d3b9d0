package io.ringbus.ws;

import io.ringbus.core.frame.FrameDecodeException;
import io.ringbus.core.frame.FrameError;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.transport.Carrier;
import io.ringbus.core.transport.CarrierException;
import io.ringbus.core.transport.CloseReason;
import org.agrona.DirectBuffer;

import java.nio.ByteBuffer;
import java.security.cert.X509Certificate;
import java.util.function.BiConsumer;

/**
 * Two carriers stacked into one: the {@code lower} one (TLS) faces the socket, the {@code upper}
 * one (WebSocket) faces the frame stream. The lower carrier's application bytes are the upper
 * carrier's net bytes, and the upper carrier's net bytes are wrapped by the lower one. Both
 * handshakes run in turn on the connection's shard, bounded together by handshake_grace; the
 * connection is open once both are.
 *
 * <p>Close order: the upper carrier's close (the WebSocket close frame, then waiting for the
 * peer's) completes first, then the lower one's (TLS close_notify), then the connection sends
 * FIN. Owned by the connection's shard.
 */
public final class StackedCarrier implements Carrier
{
    private static final int UPPER_BUFFERS = 16;

    private final Carrier lower;
    private final Carrier upper;
    private final ByteBuffer[] upperOut = new ByteBuffer[UPPER_BUFFERS];
    private final LowerSink lowerSink = new LowerSink();

    private Sink connectionSink;
    private CarrierException upperFailure;
    private CarrierException pumpFailure;
    private boolean closeRequested;
    private CloseReason closeReason;
    private FrameError closeFrameError;
    private boolean lowerClosing;

    /**
     * @param lower the carrier facing the socket (TLS).
     * @param upper the carrier facing the frame stream (WebSocket).
     */
    public StackedCarrier(final Carrier lower, final Carrier upper)
    {
        this.lower = lower;
        this.upper = upper;
    }

    @Override
    public void start(final Sink sink)
    {
        connectionSink = sink;
        upper.start(sink); // a client's upgrade request waits in the upper carrier until the lower one is open
        lower.start(lowerSink);
    }

    @Override
    public ByteBuffer inboundSpace()
    {
        return lower.inboundSpace();
    }

    @Override
    public void onInbound(final int bytes) throws CarrierException, FrameDecodeException
    {
        lower.onInbound(bytes);
        pump(); // handshake answers, pongs and close frames the upper carrier queued, or an HTTP error answer
        final CarrierException failure = upperFailure;
        if (failure != null)
        {
            upperFailure = null;
            throw failure;
        }
        rethrowPumpFailure();
    }

    @Override
    public boolean isOpen()
    {
        return lower.isOpen() && upper.isOpen();
    }

    @Override
    public boolean isMidRecord()
    {
        return lower.isMidRecord() || upper.isMidRecord();
    }

    @Override
    public void wrap(final ByteBuffer[] frames, final int count) throws CarrierException
    {
        rethrowPumpFailure();
        upper.wrap(frames, count);
        pump();
        rethrowPumpFailure();
    }

    @Override
    public boolean hasOutbound()
    {
        return lower.hasOutbound();
    }

    @Override
    public int outbound(final ByteBuffer[] out)
    {
        return lower.outbound(out);
    }

    @Override
    public void onWritten(final long bytes)
    {
        lower.onWritten(bytes);
        pump(); // the lower carrier has room again
    }

    @Override
    public void closeOutbound(final CloseReason reason, final FrameError frameError)
    {
        closeRequested = true;
        closeReason = reason;
        closeFrameError = frameError;
        upper.closeOutbound(reason, frameError);
        pump();
    }

    @Override
    public boolean isOutboundDone()
    {
        return pumpFailure != null || (lowerClosing && lower.isOutboundDone());
    }

    @Override
    public boolean onEof()
    {
        final boolean upperOrderly = upper.onEof();
        final boolean lowerOrderly = lower.onEof();
        return upperOrderly && lowerOrderly;
    }

    @Override
    public void describe(final BiConsumer<String, String> details)
    {
        lower.describe(details);
        upper.describe(details);
    }

    /** The lower carrier's (TLS): the client certificate of a wss connection. */
    @Override
    public X509Certificate peerCertificate()
    {
        return lower.peerCertificate();
    }

    @Override
    public void release()
    {
        upper.release();
        lower.release();
    }

    /** Move the upper carrier's net bytes into the lower one as far as it takes them; then maybe close it. */
    private void pump()
    {
        if (pumpFailure != null)
        {
            return;
        }
        try
        {
            while (lower.isOpen() && !lowerClosing && upper.hasOutbound())
            {
                final int count = upper.outbound(upperOut);
                final long before = remaining(upperOut, count);
                lower.wrap(upperOut, count);
                final long consumed = before - remaining(upperOut, count);
                if (consumed == 0)
                {
                    break; // the lower carrier is full: resumes in onWritten
                }
                upper.onWritten(consumed);
            }
        }
        catch (final CarrierException ex)
        {
            pumpFailure = ex;
        }
        if (closeRequested && !lowerClosing &&
            (!lower.isOpen() || (!upper.hasOutbound() && upper.isOutboundDone())))
        {
            lowerClosing = true;
            lower.closeOutbound(closeReason, closeFrameError);
        }
    }

    private void rethrowPumpFailure() throws CarrierException
    {
        if (pumpFailure != null)
        {
            throw pumpFailure;
        }
    }

    private static long remaining(final ByteBuffer[] buffers, final int count)
    {
        long total = 0;
        for (int i = 0; i < count; i++)
        {
            total += buffers[i].remaining();
        }
        return total;
    }

    /** The lower carrier's application bytes become the upper carrier's net bytes. */
    private final class LowerSink implements Sink
    {
        @Override
        public void onApplicationBytes(final DirectBuffer buffer, final int offset, final int length)
            throws FrameDecodeException
        {
            int position = offset;
            final int end = offset + length;
            while (position < end && upperFailure == null)
            {
                final ByteBuffer space = upper.inboundSpace();
                final int chunk = Math.min(space.remaining(), end - position);
                if (chunk == 0)
                {
                    upperFailure = new CarrierException(CloseReason.IO_ERROR, "the upper carrier takes no more bytes");
                    return;
                }
                buffer.getBytes(position, space, space.position(), chunk);
                position += chunk;
                try
                {
                    upper.onInbound(chunk);
                }
                catch (final CarrierException ex)
                {
                    // The lower carrier's sink cannot throw it: it is rethrown once the lower carrier returns.
                    upperFailure = ex;
                }
            }
        }

        @Override
        public void onPeerClosing(final String detail)
        {
            if (upperFailure != null)
            {
                return; // the upper carrier's failure, rethrown next, is the reason to record
            }
            connectionSink.onPeerClosing(detail);
        }

        @Override
        public void offload(final Runnable task)
        {
            connectionSink.offload(task);
        }

        @Override
        public FramePool pool()
        {
            return connectionSink.pool();
        }
    }
}
