package io.ringbus.quic.conn;

import java.nio.ByteBuffer;

/**
 * Writes a deterministic byte pattern of a given length into a connection as fast as it takes it,
 * then shuts the output down; and checks a received pattern byte for byte without storing it.
 */
final class StreamPump
{
    private final TestPeer peer;
    private final long total;
    private final ByteBuffer chunk = ByteBuffer.allocate(64 << 10);
    private final ByteBuffer[] srcs = {chunk};
    private long written;
    private boolean shutdown;

    StreamPump(final TestPeer peer, final long total)
    {
        this.peer = peer;
        this.total = total;
        chunk.limit(0);
    }

    static byte at(final long offset)
    {
        return (byte)(offset * 31 + (offset >>> 9) * 7 + (offset >>> 17));
    }

    /** Write as much as the connection takes. */
    void pump()
    {
        while (written < total)
        {
            if (!chunk.hasRemaining())
            {
                chunk.clear();
                final int length = (int)Math.min(chunk.capacity(), total - written);
                for (int i = 0; i < length; i++)
                {
                    chunk.put(i, at(written + i));
                }
                chunk.limit(length);
            }
            final int taken = peer.connection.write(srcs, 1);
            if (taken == 0)
            {
                return;
            }
            written += taken;
        }
        if (!shutdown && peer.connection.isHandshakeComplete())
        {
            shutdown = true;
            peer.connection.shutdownOutput();
        }
    }

    long written()
    {
        return written;
    }

    /** A checker for data received from a pump: fails on the first wrong byte. */
    static final class Checker
    {
        long offset;

        void check(final ByteBuffer data)
        {
            while (data.hasRemaining())
            {
                final byte got = data.get();
                if (got != at(offset))
                {
                    throw new AssertionError("byte " + offset + ": got " + got + ", expected " + at(offset));
                }
                offset++;
            }
        }
    }
}
