package io.ringbus.core.stat;

import org.agrona.concurrent.status.AtomicCounter;

/**
 * The frame counters a connection moves: frames and frame bytes each way, for one client scheme
 * (or one replica peer) on one shard. {@link #onFrameIn} and {@link #onFrameOut} are for the
 * owning shard only (plain reads, ordered stores, no allocation, no lock: the frame path);
 * {@link #onBackpressure} may come from any thread (an atomic add, off the accepted-send path).
 */
public final class ConnectionCounters
{
    private final AtomicCounter framesIn;
    private final AtomicCounter framesOut;
    private final AtomicCounter bytesIn;
    private final AtomicCounter bytesOut;
    private final AtomicCounter backpressure;

    ConnectionCounters(final AtomicCounter framesIn, final AtomicCounter framesOut, final AtomicCounter bytesIn,
        final AtomicCounter bytesOut, final AtomicCounter backpressure)
    {
        this.framesIn = framesIn;
        this.framesOut = framesOut;
        this.bytesIn = bytesIn;
        this.bytesOut = bytesOut;
        this.backpressure = backpressure;
    }

    /** A frame of {@code length} bytes was delivered. Owning shard. */
    public void onFrameIn(final int length)
    {
        framesIn.incrementRelease();
        bytesIn.getAndAddRelease(length);
    }

    /** A frame of {@code length} bytes was written completely. Owning shard. */
    public void onFrameOut(final int length)
    {
        framesOut.incrementRelease();
        bytesOut.getAndAddRelease(length);
    }

    /** A send was refused with BACKPRESSURE. Any thread (the sender's): an atomic add. */
    public void onBackpressure()
    {
        if (backpressure != null)
        {
            backpressure.increment();
        }
    }
}
