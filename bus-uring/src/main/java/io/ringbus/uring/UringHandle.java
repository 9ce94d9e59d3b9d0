package io.ringbus.uring;

import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.uring.IoUringIoEvent;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.uring.IoUringIoOps;

/**
 * One descriptor registered with a shard's ring: a {@link UringChannel} or a {@link UringListener}.
 * Netty routes each completion to it by the registration id in the user_data; the handle copies
 * the reused event's fields and dispatches on the kind packed by {@link OpData}.
 *
 * <p>Descriptor rule: the CLOSE goes to the ring only once no other operation on the descriptor is
 * in flight (they are cancelled first), so no SQE ever names a number the kernel has already
 * given to another file. Owner shard thread only.
 */
abstract class UringHandle implements IoUringIoHandle
{
    final UringBackend backend;
    final int fd;
    IoRegistration registration;
    private int sequence;
    /** True once the descriptor is closed or its CLOSE is in the ring: it is never closed twice. */
    private boolean fdReleased;

    UringHandle(final UringBackend backend, final int fd)
    {
        this.backend = backend;
        this.fd = fd;
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
            onCompletion(res, flags, data);
        }
        catch (final RuntimeException ex)
        {
            // Thrown by a channel handler: log and count it here, as Netty would sleep 100 ms on it.
            backend.onCallbackFailure(this, data, ex);
        }
    }

    /** A completion of one of this handle's operations: {@code res} is {@code cqe->res}. */
    abstract void onCompletion(int res, int flags, long data);

    /** Close the handle (IoChannel/IoListener close, and Netty's ring teardown). */
    @Override
    public abstract void close();

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
    final long submit(final IoUringIoOps ops)
    {
        final long userData = registration.submit(ops);
        if (userData == 0)
        {
            throw new IllegalStateException("fd " + fd + ": submission on a cancelled io_uring registration");
        }
        return userData;
    }

    /** A fresh sequence number for the next operation's {@link OpData}. */
    final int nextSequence()
    {
        sequence = OpData.next(sequence);
        return sequence;
    }

    /** Cancel the in-flight operation whose user_data is {@code target}. */
    final void cancel(final long target)
    {
        submit(Sqes.cancel(target, OpData.encode(OpData.CANCEL, nextSequence())));
    }

    /** Hand the descriptor to the ring's CLOSE; nothing else may be in flight on it. */
    final void submitClose()
    {
        fdReleased = true;
        submit(Sqes.close(fd, OpData.encode(OpData.CLOSE, nextSequence())));
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

    /** Backend teardown: close the descriptor now unless a CLOSE already went to the ring. */
    final void releaseFdNow()
    {
        if (!fdReleased)
        {
            fdReleased = true;
            UringSocket.closeQuietly(fd);
        }
    }

    @Override
    public String toString()
    {
        return getClass().getSimpleName() + "{fd=" + fd + "}";
    }
}
