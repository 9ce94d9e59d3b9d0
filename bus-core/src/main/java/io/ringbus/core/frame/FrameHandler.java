package io.ringbus.core.frame;

import org.agrona.DirectBuffer;

/** Receives each whole, verified frame from a {@link FrameDecoder}, on the decoder's thread. */
@FunctionalInterface
public interface FrameHandler
{
    /**
     * A whole frame of {@code length} bytes at {@code offset} of {@code buffer}. The view is valid
     * only during the call: copy what must outlive it.
     */
    void onFrame(DirectBuffer buffer, int offset, int length);
}
