package io.ringbus.core.backend;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * A bound UDP socket on a backend, for transports that carry their own streams over datagrams
 * (QUIC). Readiness-shaped: the backend calls the socket's readable callback on the owner thread
 * when datagrams wait, and the owner then {@link #receive}s until none is left. Owner thread only.
 *
 * <p>Buffers are used only during the call that is given them ({@link #receive} and {@link #send}
 * copy before they return, on every backend): none is lent beyond it, so a caller may reuse or
 * release one at once, also after {@link #close()}.
 */
public interface IoDatagramSocket
{
    /**
     * Receive one datagram into {@code dst} from its position (a datagram longer than the room
     * left is truncated, as UDP does).
     *
     * @return the sender, or null if no datagram is waiting.
     */
    InetSocketAddress receive(ByteBuffer dst) throws IOException;

    /**
     * Send the bytes of {@code src} from its position to its limit as one datagram.
     *
     * @return false if the socket's send buffer is full and the datagram was not sent (as a
     *         router might drop it; the sender's loss recovery resends).
     */
    boolean send(ByteBuffer src, InetSocketAddress target) throws IOException;

    /**
     * The end of a batch of {@link #send}s (one wake-up's worth, e.g. a QUIC endpoint's service
     * pass): a backend that queues sends to submit them together (io_uring SQEs, {@code sendmmsg},
     * UDP GSO) hands them to the kernel here, at the latest. A backend whose {@link #send} is
     * already the system call (NIO, whose {@code DatagramChannel} has no vectored send) does
     * nothing. Owner thread only; callers may call it with nothing queued.
     */
    default void flush() throws IOException
    {
    }

    /** The bound address (with the real port when 0 was asked). */
    InetSocketAddress localAddress();

    /** Close the socket; no further callbacks. */
    void close();
}
