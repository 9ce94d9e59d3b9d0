package io.ringbus.uring;

import io.netty.channel.uring.IoUringIoOps;

/**
 * Builds the raw SQEs this backend submits, with the field layout of liburing's {@code io_uring_prep_*}
 * helpers (Netty keeps its own builders package-private). Opcodes and flags are the kernel ABI of
 * {@code <linux/io_uring.h>}. Each call makes one small {@link IoUringIoOps} (Netty's submit API
 * takes an object and copies it into the SQ ring at once): the frame path calls these once per
 * channel and submits the same object again ({@link #recvmsg}, {@link #sendmsg} name a per-channel
 * header, not the buffers), so only set-up and close make one. Pure functions; any thread.
 */
final class Sqes
{
    static final byte IORING_OP_POLL_ADD = 6;
    static final byte IORING_OP_SENDMSG = 9;
    static final byte IORING_OP_RECVMSG = 10;
    static final byte IORING_OP_ACCEPT = 13;
    static final byte IORING_OP_ASYNC_CANCEL = 14;
    static final byte IORING_OP_CONNECT = 16;
    static final byte IORING_OP_CLOSE = 19;
    static final byte IORING_OP_SHUTDOWN = 34;

    /** {@code sqe->ioprio} of an ACCEPT: keep accepting until cancelled (5.19+). */
    static final short IORING_ACCEPT_MULTISHOT = 1;
    /** {@code cqe->flags}: more completions will come for this SQE. */
    static final int IORING_CQE_F_MORE = 1 << 1;
    /** {@code sqe->len} of a POLL_ADD: keep polling until cancelled (5.13+). */
    static final int IORING_POLL_ADD_MULTI = 1;

    static final int SOCK_CLOEXEC = 0x80000; // O_CLOEXEC on x86-64 and arm64
    static final int SHUT_WR = 1;
    static final int POLLIN = 0x1;
    static final int POLLOUT = 0x4;

    private Sqes()
    {
    }

    /**
     * RECVMSG through the {@code struct msghdr} at {@code msghdrAddress}: the SQE names only the
     * header, so one object serves every read; the caller points the header's iovec at the buffer
     * before each submission (the kernel copies the header when the SQE is submitted).
     */
    static IoUringIoOps recvmsg(final int fd, final long msghdrAddress, final long data)
    {
        return new IoUringIoOps(IORING_OP_RECVMSG, (byte)0, (short)0, fd, 0L, msghdrAddress, 1, 0, data,
            (short)0, (short)0, 0, 0L);
    }

    /** SENDMSG through the {@code struct msghdr} at {@code msghdrAddress} (its iovecs set before each submission). */
    static IoUringIoOps sendmsg(final int fd, final long msghdrAddress, final long data)
    {
        return new IoUringIoOps(IORING_OP_SENDMSG, (byte)0, (short)0, fd, 0L, msghdrAddress, 1, 0, data,
            (short)0, (short)0, 0, 0L);
    }

    static IoUringIoOps accept(final int fd, final boolean multishot, final long data)
    {
        // No peer address asked for: a multishot ACCEPT would overwrite one buffer per connection.
        return new IoUringIoOps(IORING_OP_ACCEPT, (byte)0, multishot ? IORING_ACCEPT_MULTISHOT : 0, fd, 0L, 0L, 0,
            SOCK_CLOEXEC, data, (short)0, (short)0, 0, 0L);
    }

    static IoUringIoOps connect(final int fd, final long sockaddrAddress, final int sockaddrLength, final long data)
    {
        return new IoUringIoOps(IORING_OP_CONNECT, (byte)0, (short)0, fd, sockaddrLength, sockaddrAddress, 0, 0, data,
            (short)0, (short)0, 0, 0L);
    }

    static IoUringIoOps shutdownOutput(final int fd, final long data)
    {
        return new IoUringIoOps(IORING_OP_SHUTDOWN, (byte)0, (short)0, fd, 0L, 0L, SHUT_WR, 0, data,
            (short)0, (short)0, 0, 0L);
    }

    static IoUringIoOps pollOut(final int fd, final long data)
    {
        return new IoUringIoOps(IORING_OP_POLL_ADD, (byte)0, (short)0, fd, 0L, 0L, 0, POLLOUT, data,
            (short)0, (short)0, 0, 0L);
    }

    /**
     * POLL_ADD(POLLIN): one completion when {@code fd} is readable (checked at submission, so it is
     * level-triggered per SQE), or with {@code multishot} one per wake-up until cancelled while
     * {@link #IORING_CQE_F_MORE} is set (edge-triggered: the owner must drain before the next one).
     */
    static IoUringIoOps pollIn(final int fd, final boolean multishot, final long data)
    {
        return new IoUringIoOps(IORING_OP_POLL_ADD, (byte)0, (short)0, fd, 0L, 0L,
            multishot ? IORING_POLL_ADD_MULTI : 0, POLLIN, data, (short)0, (short)0, 0, 0L);
    }

    static IoUringIoOps close(final int fd, final long data)
    {
        return new IoUringIoOps(IORING_OP_CLOSE, (byte)0, (short)0, fd, 0L, 0L, 0, 0, data,
            (short)0, (short)0, 0, 0L);
    }

    /** Cancel the operation whose full 64-bit user_data is {@code target} (as {@code IoRegistration.submit} returned it). */
    static IoUringIoOps cancel(final long target, final long data)
    {
        return new IoUringIoOps(IORING_OP_ASYNC_CANCEL, (byte)0, (short)0, -1, 0L, target, 0, 0, data,
            (short)0, (short)0, 0, 0L);
    }
}
