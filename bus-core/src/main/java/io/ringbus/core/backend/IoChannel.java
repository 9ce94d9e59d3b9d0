package io.ringbus.core.backend;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * A connected stream socket on a backend, completion-shaped: each call submits an operation whose
 * result arrives later through the channel's {@link IoChannelHandler}, from the owning shard's
 * poll. At most one read and one write are outstanding at a time. Owner thread only.
 */
public interface IoChannel
{
    /**
     * Read into {@code dst} from its position up to its limit; completion: {@link IoChannelHandler#onRead}.
     * The backend may move the buffer's position; callers account by the result only.
     *
     * @throws IllegalArgumentException if {@code dst} has no room: a zero-length read could not be
     *         told apart from end of stream, so no backend accepts one.
     */
    void read(ByteBuffer dst);

    /**
     * Gathering write of {@code srcs[0..count)} from their positions to their limits (one writev);
     * completion: {@link IoChannelHandler#onWrite}. The backend may move the positions; callers
     * account by the result only.
     */
    void writev(ByteBuffer[] srcs, int count);

    /** Send FIN: no more writes. Reads may go on. */
    void shutdownOutput();

    /**
     * Close the socket now. Pending operations complete with {@link IoResult#CLOSED} or not at all.
     * The buffers they were given stay lent to the backend until the channel is
     * {@link #isQuiescent() quiescent}: an operation the close could not stop in time (an
     * io_uring RECV whose data had arrived before its cancel) may still write into or read from
     * them. Release them when {@link #isQuiescent()} is true right after this call, else on
     * {@link IoChannelHandler#onQuiescent()}.
     */
    void close();

    /**
     * The reason-carrying part of a close: the owner says it ends this channel because the peer
     * broke the protocol, before the {@link #shutdownOutput()} or {@link #close()} that ends it. A
     * transport whose close carries an error code tells the peer there (QUIC: CONNECTION_CLOSE
     * with application error 0x1 and this detail, at once rather than FIN and a wait for the
     * peer's; WIRE.md, QUIC specifics); a plain stream has nothing to say and ignores it, the
     * default. Owner thread.
     *
     * @param detail what the peer broke, or null if the owner has no detail.
     */
    default void peerProtocolError(final String detail)
    {
    }

    /** True once {@link #close()} ran. */
    boolean isClosed();

    /**
     * True once {@link #close()} ran and no operation submitted on this channel is in flight: no
     * buffer it was given is touched any more. A channel that copies at the call (NIO, a QUIC
     * stream) is quiescent as soon as it is closed, which is this default; a channel that lends
     * buffers to the kernel (io_uring) overrides it and calls {@link IoChannelHandler#onQuiescent()}
     * when the last completion came back.
     */
    default boolean isQuiescent()
    {
        return isClosed();
    }

    /**
     * Why the last operation failed, when the channel knows more than its {@link IoResult} code
     * says (a QUIC handshake refused for a named certificate problem), else null.
     */
    default String failure()
    {
        return null;
    }

    /** The peer's address, or null if unknown. */
    InetSocketAddress remoteAddress();
}
