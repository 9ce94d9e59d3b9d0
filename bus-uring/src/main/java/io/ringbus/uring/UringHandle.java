package io.ringbus.uring;

import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.uring.IoUringIoEvent;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.uring.IoUringIoOps;

/**
 * One descriptor registered with a shard's ring: a {@link UringChannel}, a {@link UringListener} or a
 * {@link UringDatagramSocket}. Netty routes each completion to it by the registration id in the
 * user_data; the handle copies the reused event's fields and passes them to its {@link InFlightOps},
 * which owns the operations in flight on the descriptor and its close, and hands the handle's own
 * kinds back to {@link #onCompletion}.
 *
 * <p>Descriptor rule (owner: {@link InFlightOps}): the CLOSE goes to the ring only once no other
 * operation on the descriptor is in flight (they are cancelled first), so no SQE ever names a number
 * the kernel has already given to another file. Owner shard thread only.
 */
abstract class UringHandle implements IoUringIoHandle
{
    final UringBackend backend;
    final int fd;
    /** The operations in flight on {@link #fd} and its close. */
    final InFlightOps ops;
    IoRegistration registration;

    /**
     * @param keptAtCloseMask {@code 1 << kind} for each {@link OpData} kind that {@link #close()} lets
     *                        finish instead of cancelling it.
     */
    UringHandle(final UringBackend backend, final int fd, final int keptAtCloseMask)
    {
        this.backend = backend;
        this.fd = fd;
        this.ops = new InFlightOps(this, keptAtCloseMask);
    }

    @Override
    public final void handle(final IoRegistration ignored, final IoEvent event)
    {
        // Netty hands every completion of the ring the same event object: copy before anything can re-enter.
        final IoUringIoEvent completion = (IoUringIoEvent)event;
        final int res = completion.res();
        final int flags = completion.flags();
        final long data = completion.userData();
        try
        {
            ops.onCompletion(res, flags, data);
        }
        catch (final RuntimeException ex)
        {
            // Thrown by a channel handler: log and count it here, as Netty would sleep 100 ms on it.
            backend.onCallbackFailure(this, data, ex);
        }
    }

    /**
     * The completion of an operation this handle armed through {@link #ops} and that was still in
     * flight ({@link InFlightOps} already matched its sequence): {@code res} is {@code cqe->res}. It
     * also comes after {@link #close()}, when {@link InFlightOps#isOpen()} is false: the operation
     * is over, its result is dropped.
     */
    abstract void onCompletion(int res, int flags, long data);

    /** A completion no operation in flight was waiting for (a bug if ever seen). */
    void onUnexpectedCompletion(final int res, final long data)
    {
        backend.onUnexpectedCompletion(this, res, data);
    }

    /** The CLOSE completed: nothing on the descriptor names a buffer any more. */
    void onQuiescent()
    {
    }

    /**
     * Close the handle (IoChannel/IoListener/IoDatagramSocket close, and Netty's ring teardown):
     * cancel what is in flight, then CLOSE the descriptor through the ring. Idempotent.
     */
    @Override
    public final void close()
    {
        ops.close();
    }

    @Override
    public final void registered()
    {
        backend.track(this);
    }

    @Override
    public final void unregistered()
    {
        backend.untrack(this);
    }

    /** Submit one SQE; returns its full 64-bit user_data (what an ASYNC_CANCEL names). */
    final long submit(final IoUringIoOps sqe)
    {
        final long userData = registration.submit(sqe);
        if (userData == 0)
        {
            throw new IllegalStateException("fd " + fd + ": submission on a cancelled io_uring registration");
        }
        return userData;
    }

    /** The CLOSE completed (or failed: the descriptor is gone either way); drop the registration. */
    final void onClosed(final int res)
    {
        if (res < 0)
        {
            backend.onCloseFailure(this, res);
        }
        registration.cancel();
    }

    @Override
    public String toString()
    {
        return getClass().getSimpleName() + "{fd=" + fd + "}";
    }
}
