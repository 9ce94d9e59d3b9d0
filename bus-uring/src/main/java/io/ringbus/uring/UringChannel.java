package io.ringbus.uring;

import io.netty.channel.uring.IoUringIoOps;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.IoChannelHandler;
import io.ringbus.core.backend.IoResult;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * A connected TCP socket on a shard's ring. Each call submits one SQE; its completion comes back
 * through {@link #onCompletion} and becomes one {@link IoChannelHandler} call:
 * <ul>
 *   <li>{@link #read}: RECV (a RECVMSG with one iovec) straight into the caller's direct buffer
 *       (address + position, remaining bytes) -> {@code onRead(bytes)}; a result of 0 is the peer's
 *       FIN ({@link IoResult#EOF});</li>
 *   <li>{@link #writev}: WRITEV (a SENDMSG) of this channel's iovec array, filled from the buffers'
 *       addresses (positions are not moved) -> {@code onWrite(bytes)}, possibly short: the pump
 *       resubmits the rest;</li>
 *   <li>both SQEs are built once per channel and submitted again each time: they name a
 *       per-channel {@code struct msghdr} (native, 192 bytes with the read's iovec), whose iovec
 *       fields are written before each submission (the kernel copies the header when the SQE is
 *       submitted, and at most one read and one write are in flight), so the frame path allocates
 *       nothing;</li>
 *   <li>heap buffers (a TLS carrier's records) go through per-channel direct bounce buffers, as the
 *       JDK does for NIO: a RECV into the bounce is copied to the caller's buffer at its position
 *       on completion; heap sources are copied into the write bounce and their iovecs point there
 *       (at most {@link #MAX_BOUNCE} bytes per write: a longer one completes short);</li>
 *   <li>CONNECT -> {@code onConnect(0)} or the failure; {@link #shutdownOutput}: SHUTDOWN(SHUT_WR).</li>
 * </ul>
 * Errors map through {@link Errno} to the codes NIO gives. After {@link #close()} nothing is
 * delivered any more but {@link IoChannelHandler#onQuiescent()}.
 *
 * <p>States: {@code CONNECTING -> OPEN} are the channel's own (the CONNECT completed);
 * {@code CLOSING -> CLOSE_SUBMITTED -> CLOSED} are its descriptor's, owned by {@link InFlightOps}.
 * CLOSING cancels what is in flight (a SHUTDOWN is let finish) and keeps the buffers it names
 * reachable until their completions come back; then the CLOSE goes to the ring; its completion drops
 * the registration and makes the channel {@link #isQuiescent() quiescent}: only then are the
 * caller's buffers its own again. A cancel does
 * not promise that the operation it names did not run (the completion of a RECV whose data had
 * arrived may already be under way: it answers -EALREADY or -ENOENT and the RECV completes with the
 * bytes it copied), so nothing short of the operation's own completion does.
 *
 * <p>The iovec array is native memory owned by the channel and reused for every writev (at most
 * one is in flight): it grows by powers of two from 16 entries to the largest batch seen (max_batch,
 * at most 512; capped at IOV_MAX 1024), so steady state allocates nothing. Owner shard thread only.
 */
final class UringChannel extends UringHandle implements IoChannel
{
    /** Life cycle of a channel: connecting, then its descriptor's {@link InFlightOps.State}. */
    enum State
    {
        CONNECTING, OPEN, CLOSING, CLOSE_SUBMITTED, CLOSED
    }

    /** Linux's IOV_MAX: a longer gathering write is cut here (a short write the pump resumes). */
    static final int IOV_MAX = 1024;
    private static final int IOVEC_SIZE = 16; // struct iovec { void *iov_base; size_t iov_len; }
    private static final int IOVEC_LEN_OFFSET = 8;
    private static final int MIN_IOVECS = 16;
    /** Largest bounce buffer for heap reads and writes; a longer heap read or write is cut (short). */
    static final int MAX_BOUNCE = 256 * 1024;
    private static final int MIN_BOUNCE = 16 * 1024;

    // struct msghdr on LP64 (x86-64, arm64): name 0, namelen 8, iov 16, iovlen 24, control 32,
    // controllen 40, flags 48; 56 bytes. Zeroed: no name, no control data.
    private static final int MSG_IOV_OFFSET = 16;
    private static final int MSG_IOVLEN_OFFSET = 24;
    private static final int RECV_MSGHDR = 0;
    private static final int RECV_IOVEC = 64;
    private static final int SEND_MSGHDR = 128;
    private static final int HEADERS_SIZE = 192;

    private final IoChannelHandler handler;
    private final InetSocketAddress remote;
    private boolean connected;

    private ByteBuffer readBuffer; // the kernel writes here (or into readBounce) until the RECV completes
    private long readAddress;
    private int readLength;
    private boolean readBounced;
    private ByteBuffer readBounce;
    private ByteBuffer writeBounce;

    private ByteBuffer[] writeBuffers; // the kernel reads these until the WRITEV completes
    private int writeCount;
    private boolean outputShut;

    private UnsafeBuffer iovecs;
    private int iovecCapacity;
    private UnsafeBuffer sockaddr;

    /** The RECVMSG's and the SENDMSG's {@code struct msghdr} and the RECVMSG's one iovec, native, per channel. */
    private final UnsafeBuffer headers;
    /** Submitted for every read and every write: they name the headers, which are rewritten before each. */
    private final IoUringIoOps recvSqe;
    private final IoUringIoOps sendSqe;

    UringChannel(final UringBackend backend, final int fd, final IoChannelHandler handler,
        final InetSocketAddress remote, final boolean connected)
    {
        super(backend, fd, 1 << OpData.SHUTDOWN); // a SHUTDOWN is not cancelled: the CLOSE waits for it
        this.handler = handler;
        this.remote = remote;
        this.connected = connected;
        this.headers = new UnsafeBuffer(BufferUtil.allocateDirectAligned(HEADERS_SIZE, 64));
        final long base = headers.addressOffset();
        headers.putLong(RECV_MSGHDR + MSG_IOV_OFFSET, base + RECV_IOVEC);
        headers.putLong(RECV_MSGHDR + MSG_IOVLEN_OFFSET, 1L);
        this.recvSqe = Sqes.recvmsg(fd, base + RECV_MSGHDR, ops.data(OpData.RECV));
        this.sendSqe = Sqes.sendmsg(fd, base + SEND_MSGHDR, ops.data(OpData.WRITEV));
    }

    /** The current state (tests, logs). */
    State state()
    {
        switch (ops.state())
        {
            case OPEN: return connected ? State.OPEN : State.CONNECTING;
            case CLOSING: return State.CLOSING;
            case CLOSE_SUBMITTED: return State.CLOSE_SUBMITTED;
            default: return State.CLOSED;
        }
    }

    /** Submit the CONNECT of a channel made by {@link UringBackend#connect}. */
    void startConnect(final InetSocketAddress address)
    {
        sockaddr = new UnsafeBuffer(BufferUtil.allocateDirectAligned(SockAddr.CAPACITY, 8));
        final int length = SockAddr.write(sockaddr, address);
        final long data = ops.data(OpData.CONNECT);
        ops.arm(data, Sqes.connect(fd, sockaddr.addressOffset(), length, data));
    }

    @Override
    public void read(final ByteBuffer dst)
    {
        if (ops.isArmed(OpData.RECV))
        {
            throw new IllegalStateException("a read is already pending");
        }
        if (!dst.hasRemaining())
        {
            throw new IllegalArgumentException("a read needs room in its buffer");
        }
        if (!ops.isOpen())
        {
            return; // closed: like NIO, the read never completes
        }
        if (!connected)
        {
            throw new IllegalStateException("read before the connect completed");
        }
        readBuffer = dst;
        if (dst.isDirect())
        {
            readBounced = false;
            readAddress = BufferUtil.address(dst) + dst.position();
            readLength = dst.remaining();
        }
        else
        {
            readBounced = true;
            readLength = Math.min(dst.remaining(), MAX_BOUNCE);
            readBounce = bounce(readBounce, readLength);
            readAddress = BufferUtil.address(readBounce);
        }
        submitRecv();
    }

    private void submitRecv()
    {
        headers.putLong(RECV_IOVEC, readAddress);
        headers.putLong(RECV_IOVEC + IOVEC_LEN_OFFSET, readLength);
        ops.arm(ops.data(OpData.RECV), recvSqe);
    }

    /** {@code current} if it holds {@code length} bytes, else a larger direct buffer (powers of two). */
    private static ByteBuffer bounce(final ByteBuffer current, final int length)
    {
        if (current != null && current.capacity() >= length)
        {
            return current;
        }
        final int capacity = Math.min(MAX_BOUNCE, Math.max(MIN_BOUNCE, BitUtil.findNextPositivePowerOfTwo(length)));
        return BufferUtil.allocateDirectAligned(capacity, 64);
    }

    @Override
    public void writev(final ByteBuffer[] srcs, final int count)
    {
        if (ops.isArmed(OpData.WRITEV) || ops.isArmed(OpData.POLL_OUT))
        {
            throw new IllegalStateException("a write is already pending");
        }
        if (!ops.isOpen())
        {
            return;
        }
        if (!connected)
        {
            throw new IllegalStateException("write before the connect completed");
        }
        final int max = Math.min(count, IOV_MAX);
        ensureIovecCapacity(max);
        final UnsafeBuffer iov = iovecs;
        int heapBytes = 0;
        boolean bounceSized = false;
        int n = 0;
        while (n < max)
        {
            final ByteBuffer src = srcs[n];
            final int offset = n * IOVEC_SIZE;
            if (src.isDirect())
            {
                iov.putLong(offset, BufferUtil.address(src) + src.position());
                iov.putLong(offset + IOVEC_LEN_OFFSET, src.remaining());
                n++;
                continue;
            }
            // A heap source: copy what fits into the write bounce and point the iovec there.
            if (!bounceSized)
            {
                writeBounce = bounce(writeBounce, heapBytesUpTo(srcs, max));
                bounceSized = true;
            }
            final int length = Math.min(src.remaining(), writeBounce.capacity() - heapBytes);
            if (length == 0 && src.hasRemaining())
            {
                break; // the bounce is full: the write completes short and the pump resubmits the rest
            }
            writeBounce.put(heapBytes, src, src.position(), length);
            iov.putLong(offset, BufferUtil.address(writeBounce) + heapBytes);
            iov.putLong(offset + IOVEC_LEN_OFFSET, length);
            heapBytes += length;
            n++;
            if (length < src.remaining())
            {
                break;
            }
        }
        writeBuffers = srcs;
        writeCount = n;
        submitWritev();
    }

    private static int heapBytesUpTo(final ByteBuffer[] srcs, final int count)
    {
        long total = 0;
        for (int i = 0; i < count && total < MAX_BOUNCE; i++)
        {
            if (!srcs[i].isDirect())
            {
                total += srcs[i].remaining();
            }
        }
        return (int)Math.min(total, MAX_BOUNCE);
    }

    private void submitWritev()
    {
        headers.putLong(SEND_MSGHDR + MSG_IOV_OFFSET, iovecs.addressOffset());
        headers.putLong(SEND_MSGHDR + MSG_IOVLEN_OFFSET, writeCount);
        ops.arm(ops.data(OpData.WRITEV), sendSqe);
    }

    private void ensureIovecCapacity(final int count)
    {
        if (count > iovecCapacity)
        {
            final int capacity = Math.min(IOV_MAX, Math.max(MIN_IOVECS, BitUtil.findNextPositivePowerOfTwo(count)));
            iovecs = new UnsafeBuffer(BufferUtil.allocateDirectAligned(capacity * IOVEC_SIZE, 64));
            iovecCapacity = capacity;
        }
    }

    /** Entries of the iovec array (tests). */
    int iovecCapacity()
    {
        return iovecCapacity;
    }

    @Override
    public void shutdownOutput()
    {
        if (!ops.isOpen() || !connected || outputShut)
        {
            return;
        }
        outputShut = true;
        final long data = ops.data(OpData.SHUTDOWN);
        ops.arm(data, Sqes.shutdownOutput(fd, data));
    }

    @Override
    public boolean isClosed()
    {
        return !ops.isOpen();
    }

    /**
     * True once the CLOSE completed: it goes to the ring only after the RECV, WRITEV (or its
     * POLL_OUT), CONNECT and SHUTDOWN in flight have completed, so nothing names a caller's buffer
     * any more.
     */
    @Override
    public boolean isQuiescent()
    {
        return ops.isQuiescent();
    }

    @Override
    public InetSocketAddress remoteAddress()
    {
        return remote;
    }

    /**
     * An operation of this channel completed ({@link InFlightOps} matched its sequence). After
     * {@link #close()} the result is dropped: nothing is delivered but {@code onQuiescent}.
     */
    @Override
    void onCompletion(final int res, final int flags, final long data)
    {
        switch (OpData.kind(data))
        {
            case OpData.RECV:
                onRecv(res);
                break;
            case OpData.WRITEV:
                onWritev(res);
                break;
            case OpData.POLL_OUT:
                onPollOut(res);
                break;
            case OpData.CONNECT:
                onConnected(res);
                break;
            case OpData.SHUTDOWN:
                // A failure (ENOTCONN after a reset) shows on the next read, as on NIO.
                break;
            default:
                onUnexpectedCompletion(res, data);
                break;
        }
    }

    @Override
    void onQuiescent()
    {
        handler.onQuiescent(); // the CLOSE completed, after every other operation on the descriptor
    }

    private void onRecv(final int res)
    {
        if (!ops.isOpen())
        {
            readBuffer = null; // closed locally: the read completes not at all
            return;
        }
        if (Errno.isRetry(res))
        {
            submitRecv();
            return;
        }
        final ByteBuffer dst = readBuffer;
        readBuffer = null;
        if (readBounced && res > 0)
        {
            dst.put(dst.position(), readBounce, 0, res); // absolute: the caller accounts by the result
        }
        handler.onRead(Errno.readResult(res));
    }

    private void onWritev(final int res)
    {
        if (!ops.isOpen())
        {
            writeBuffers = null;
            return;
        }
        if (res == -Errno.EAGAIN)
        {
            // Kernels before 5.12 answer a WRITEV on an O_NONBLOCK socket (our outbound ones) with
            // EAGAIN instead of waiting: wait for room, then write the same iovecs again.
            final long data = ops.data(OpData.POLL_OUT);
            ops.arm(data, Sqes.pollOut(fd, data));
            return;
        }
        if (res == -Errno.EINTR)
        {
            submitWritev();
            return;
        }
        writeBuffers = null;
        handler.onWrite(Errno.writeResult(res));
    }

    private void onPollOut(final int res)
    {
        if (!ops.isOpen())
        {
            writeBuffers = null;
            return;
        }
        if (res < 0 && !Errno.isRetry(res))
        {
            writeBuffers = null;
            handler.onWrite(Errno.ioError(res));
            return;
        }
        submitWritev(); // writable, or POLLERR/POLLHUP: the WRITEV reports which
    }

    private void onConnected(final int res)
    {
        if (!ops.isOpen() || connected)
        {
            return;
        }
        final int result = Errno.connectResult(res);
        if (result == 0)
        {
            connected = true;
        }
        handler.onConnect(result);
    }
}
