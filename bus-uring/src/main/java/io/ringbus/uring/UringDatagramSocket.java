package io.ringbus.uring;

import io.netty.channel.unix.DatagramSocketAddress;
import io.netty.channel.uring.IoUringIoOps;
import io.ringbus.core.backend.IoDatagramSocket;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.UnresolvedAddressException;

/**
 * A UDP socket on a shard's ring, for QUIC. Readiness comes through the ring, the data does not:
 * a POLL_ADD(POLLIN) watches the descriptor and each completion becomes one {@code onReadable} call
 * on the shard thread; the owner then {@link #receive}s with a non-blocking {@code recvfrom} until
 * it returns null (EAGAIN), and {@link #send}s with a non-blocking {@code sendto}/{@code send}
 * (false on EAGAIN). A datagram per syscall keeps the contract of the NIO backend: whole datagrams,
 * truncated to the room left, and the sender's address with each.
 *
 * <p>The POLL_ADD is multishot where the kernel has it (5.13+; one SQE, a completion per wake-up
 * while {@code IORING_CQE_F_MORE} is set), otherwise one-shot and re-armed after each
 * {@code onReadable} returned: a one-shot poll checks readiness when submitted, so datagrams left
 * unread fire it again at once. A multishot poll fires on arrivals, which is why the owner must
 * drain.
 *
 * <p>Buffers: direct buffers are read into and sent from in place (address + position); heap
 * buffers go through a direct bounce buffer of at most {@link #MAX_BOUNCE} bytes, as the JDK does.
 * Either way only inside the {@code recvfrom}/{@code sendto} of the call itself: the POLL_ADD on the
 * ring names no buffer, so nothing the caller owns is lent to the kernel past the call (unlike a
 * {@link UringChannel}'s RECV and WRITEV) and a QUIC endpoint may reuse its buffers at once.
 *
 * <p>States are its descriptor's ({@link InFlightOps}): {@code OPEN -> CLOSING -> CLOSE_SUBMITTED ->
 * CLOSED}. {@link #close()} cancels the poll (ASYNC_CANCEL) and CLOSEs the descriptor through the
 * ring once the poll is over; no
 * {@code onReadable} runs after it, and {@code receive}/{@code send} throw
 * {@link ClosedChannelException}. Owner shard thread only.
 */
final class UringDatagramSocket extends UringHandle implements IoDatagramSocket
{
    /** Life cycle of a datagram socket: its descriptor's {@link InFlightOps.State}, named here for tests and logs. */
    enum State
    {
        OPEN, CLOSING, CLOSE_SUBMITTED, CLOSED
    }

    /**
     * SO_RCVBUF and SO_SNDBUF: the NIO backend's value (its constant is private to bus-core), so a
     * QUIC endpoint absorbs the same bursts on either backend.
     */
    static final int BUFFER_SIZE = 4 << 20;
    /** Largest bounce for a heap buffer: the largest UDP payload (65,535 minus the 8-byte header) fits. */
    static final int MAX_BOUNCE = 64 * 1024;
    private static final int MIN_BOUNCE = 2 * 1024;
    private static final System.Logger LOG = System.getLogger(UringDatagramSocket.class.getName());

    private final UringSocket socket;
    private final Runnable onReadable;
    private final InetSocketAddress local;
    private final boolean connected;
    private final boolean multishot;
    /** The POLL_ADD, built once: a one-shot poll is re-armed after every datagram burst. */
    private final IoUringIoOps armSqe;
    private long pollFailures;
    private int lastPollErrno;
    private ByteBuffer bounce;

    UringDatagramSocket(final UringBackend backend, final UringSocket socket, final Runnable onReadable,
        final boolean connected, final boolean multishot)
    {
        super(backend, socket.intValue(), 0);
        this.socket = socket;
        this.onReadable = onReadable;
        this.local = socket.localAddress();
        this.connected = connected;
        this.multishot = multishot;
        this.armSqe = Sqes.pollIn(fd, multishot, ops.data(OpData.POLL_IN));
    }

    /**
     * A new non-blocking UDP socket, with the buffer sizes of the NIO backend, bound to
     * {@code address} (the wildcard if null) and connected to {@code connectTo} if not null. Its
     * family is IPv6 if either address is, else IPv4, so a sender's address reads back as on NIO.
     * Not yet registered with the ring; the caller closes it on failure.
     */
    static UringSocket newSocket(final InetSocketAddress address, final InetSocketAddress connectTo)
        throws IOException
    {
        final InetSocketAddress bindTo = address != null ? address : new InetSocketAddress(0);
        checkResolved(bindTo);
        if (connectTo != null)
        {
            checkResolved(connectTo);
        }
        final InetAddress family = connectTo != null && connectTo.getAddress() instanceof Inet6Address ?
            connectTo.getAddress() : bindTo.getAddress();
        final UringSocket socket = UringSocket.newDatagram(family);
        try
        {
            socket.setReceiveBufferSize(BUFFER_SIZE);
            socket.setSendBufferSize(BUFFER_SIZE);
            socket.bind(bindTo);
            if (connectTo != null)
            {
                socket.connect(connectTo); // UDP: sets the default peer and filters others at once
            }
            return socket;
        }
        catch (final IOException | RuntimeException ex)
        {
            UringSocket.closeQuietly(socket.intValue());
            throw ex;
        }
    }

    private static void checkResolved(final InetSocketAddress address) throws IOException
    {
        if (address.isUnresolved())
        {
            throw new IOException("unresolved address: " + address);
        }
    }

    /** True if one POLL_ADD SQE serves every wake-up. */
    boolean isMultishot()
    {
        return multishot;
    }

    /** The current state (tests, logs). */
    State state()
    {
        switch (ops.state())
        {
            case OPEN: return State.OPEN;
            case CLOSING: return State.CLOSING;
            case CLOSE_SUBMITTED: return State.CLOSE_SUBMITTED;
            default: return State.CLOSED;
        }
    }

    /** POLL_ADD completions that failed (logged when the errno changes). */
    long pollFailures()
    {
        return pollFailures;
    }

    /** Arm the POLL_ADD (at registration, and again when a one-shot or an ended multishot completed). */
    void arm()
    {
        if (!ops.isOpen() || ops.isArmed(OpData.POLL_IN))
        {
            return;
        }
        ops.arm(ops.data(OpData.POLL_IN), armSqe);
    }

    /** The POLL_ADD completed (its SQE is over unless {@code IORING_CQE_F_MORE} is set). */
    @Override
    void onCompletion(final int res, final int flags, final long data)
    {
        if (!ops.isOpen() || res == -Errno.ECANCELED)
        {
            return;
        }
        try
        {
            if (res >= 0)
            {
                // POLLIN, or POLLERR (an ICMP error on a connected socket): receive() reports which.
                onReadable.run();
            }
            else
            {
                onPollFailure(res);
            }
        }
        finally
        {
            arm(); // a one-shot poll (or a multishot the kernel ended) goes again, unless closed
        }
    }

    private void onPollFailure(final int res)
    {
        pollFailures++;
        if (res != lastPollErrno)
        {
            lastPollErrno = res;
            LOG.log(Level.WARNING, this + ": POLL_ADD on " + local + " failed, errno " + -res + " (re-armed)");
        }
    }

    @Override
    public InetSocketAddress receive(final ByteBuffer dst) throws IOException
    {
        ensureOpen();
        final int position = dst.position();
        if (dst.isDirect())
        {
            final DatagramSocketAddress sender = socket.recvFromAddress(BufferUtil.address(dst), position, dst.limit());
            if (sender == null)
            {
                return null; // EAGAIN: nothing waits
            }
            dst.position(position + sender.receivedAmount());
            return sender;
        }
        final int length = Math.min(dst.remaining(), MAX_BOUNCE);
        final ByteBuffer copy = bounce(length);
        final DatagramSocketAddress sender = socket.recvFromAddress(BufferUtil.address(copy), 0, length);
        if (sender == null)
        {
            return null;
        }
        dst.put(position, copy, 0, sender.receivedAmount());
        dst.position(position + sender.receivedAmount());
        return sender;
    }

    @Override
    public boolean send(final ByteBuffer src, final InetSocketAddress target) throws IOException
    {
        ensureOpen();
        if (!connected)
        {
            if (target == null)
            {
                throw new IllegalArgumentException("an unconnected datagram socket needs a target");
            }
            if (target.isUnresolved())
            {
                throw new UnresolvedAddressException();
            }
        }
        final int position = src.position();
        final int length = src.remaining();
        final long address;
        final int from;
        if (src.isDirect())
        {
            address = BufferUtil.address(src);
            from = position;
        }
        else
        {
            if (length > MAX_BOUNCE)
            {
                throw new IOException("datagram of " + length + " bytes is longer than UDP allows");
            }
            final ByteBuffer copy = bounce(length);
            copy.put(0, src, position, length);
            address = BufferUtil.address(copy);
            from = 0;
        }
        // Connected: send(2) to the peer (the target is ignored, as NIO's write does).
        final int sent = connected ? socket.sendAddress(address, from, from + length) :
            socket.sendToAddress(address, from, from + length, target.getAddress(), target.getPort());
        if (sent == 0 && length > 0)
        {
            return false; // EAGAIN (Netty maps it to 0): the send buffer is full, the datagram is dropped
        }
        src.position(position + sent);
        return true;
    }

    /** The heap-buffer bounce, grown by powers of two up to {@link #MAX_BOUNCE}. */
    private ByteBuffer bounce(final int length)
    {
        if (bounce == null || bounce.capacity() < length)
        {
            final int capacity = Math.min(MAX_BOUNCE, Math.max(MIN_BOUNCE, BitUtil.findNextPositivePowerOfTwo(length)));
            bounce = BufferUtil.allocateDirectAligned(capacity, 64);
        }
        return bounce;
    }

    private void ensureOpen() throws ClosedChannelException
    {
        if (!ops.isOpen())
        {
            throw new ClosedChannelException();
        }
    }

    @Override
    public InetSocketAddress localAddress()
    {
        return local;
    }
}
