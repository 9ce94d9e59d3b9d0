package io.ringbus.quic.conn;

import java.nio.ByteBuffer;

/**
 * Where a {@link QuicConnection} sends its UDP datagrams: the owner's socket, or a test network.
 * Called on the connection's thread from {@link QuicConnection#flush(long)}.
 */
@FunctionalInterface
public interface DatagramSink
{
    /**
     * Send one datagram: the bytes from the buffer's position to its limit, valid only during the
     * call (copy them to keep them).
     */
    void send(ByteBuffer datagram);
}
