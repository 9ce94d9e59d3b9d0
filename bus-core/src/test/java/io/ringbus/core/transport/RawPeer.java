package io.ringbus.core.transport;

import java.io.IOException;
import java.time.Duration;

/**
 * A byte-level client of one transport for tests: writes whatever it is given as the frame stream
 * (wrapped in the transport's carrier, if any) and reads the frame stream back.
 */
public interface RawPeer extends AutoCloseable
{
    /** Write bytes of the frame stream. */
    void write(byte[] bytes) throws IOException;

    /**
     * Read the frame stream until the server closes it, then close this side too; fails if that
     * takes longer than {@code timeout}.
     */
    byte[] readUntilClosed(Duration timeout) throws IOException;

    /** Read exactly {@code length} bytes of the frame stream. */
    byte[] readFully(int length, Duration timeout) throws IOException;

    /** Close abruptly (no more reading or writing). */
    @Override
    void close() throws IOException;
}
