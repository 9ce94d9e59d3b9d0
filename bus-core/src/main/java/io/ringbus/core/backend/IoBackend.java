package io.ringbus.core.backend;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * One shard's I/O engine (NIO selector, io_uring ring). Completion-shaped: operations are
 * submitted on {@link IoChannel}s and their results delivered from {@link #poll(long)} on the
 * owning shard's thread, which is the only thread that may call anything here except
 * {@link #wakeup()}.
 */
public interface IoBackend extends AutoCloseable
{
    /** Short name for logs: "nio", "io_uring". */
    String name();

    /**
     * Submit what is pending, then deliver completions.
     *
     * @param timeoutNs 0 to return at once; otherwise block up to this long (or until
     *                  {@link #wakeup()}) when there is nothing to deliver; negative blocks without bound.
     * @return how many completions were delivered.
     */
    int poll(long timeoutNs) throws IOException;

    /** Make a blocked or the next {@link #poll(long)} return promptly. Any thread. */
    void wakeup();

    /**
     * Listen on {@code address}; each accepted socket is handed to {@code onAccept} on this
     * backend's thread without a byte read.
     *
     * @return the listener; close it to stop accepting.
     */
    IoListener listen(InetSocketAddress address, Consumer<AcceptedSocket> onAccept) throws IOException;

    /** Register a socket accepted by any backend of the same kind; owner thread. */
    IoChannel register(AcceptedSocket socket, IoChannelHandler handler) throws IOException;

    /** Start connecting; the result arrives at {@link IoChannelHandler#onConnect(int)}. */
    IoChannel connect(InetSocketAddress address, IoChannelHandler handler) throws IOException;

    /**
     * Open a UDP socket bound to {@code address} (port 0 for any) or, if {@code connectTo} is not
     * null, bound to an ephemeral port and connected to it. {@code onReadable} runs on this
     * backend's thread whenever datagrams wait (then the owner receives until none is left).
     *
     * @throws UnsupportedOperationException if this backend has no datagram sockets.
     */
    default IoDatagramSocket openDatagram(final InetSocketAddress address, final InetSocketAddress connectTo,
        final Runnable onReadable) throws IOException
    {
        throw new UnsupportedOperationException("the " + name() + " backend has no datagram sockets");
    }

    /** Release the backend's resources; channels must be closed first. */
    @Override
    void close();
}
