package io.ringbus.uring;

import io.netty.channel.uring.IoUringIoOps;
import io.ringbus.core.backend.AcceptedSocket;
import io.ringbus.core.backend.IoListener;

import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * A listening socket on a shard's ring. One ACCEPT stays armed: multishot where the kernel has it
 * (5.19+; one SQE yields a completion per connection while {@code IORING_CQE_F_MORE} is set),
 * otherwise re-armed after each completion. Each accepted descriptor goes to {@code onAccept} as a
 * {@link UringAcceptedSocket} without a byte read; after a failed accept (EMFILE and the like) the
 * ACCEPT is re-armed on the next poll rather than at once, so a full descriptor table does not spin
 * inside one poll.
 *
 * <p>States are its descriptor's ({@link InFlightOps}): OPEN accepts; {@link #close()} cancels the
 * ACCEPT and CLOSEs the descriptor once the ACCEPT completed. Owner shard thread only.
 */
final class UringListener extends UringHandle implements IoListener
{
    private final InetSocketAddress local;
    private final Consumer<AcceptedSocket> onAccept;
    private final boolean multishot;
    /** The ACCEPT, built once: a one-shot ACCEPT is re-armed after every connection. */
    private final IoUringIoOps armSqe;

    UringListener(final UringBackend backend, final int fd, final InetSocketAddress local,
        final Consumer<AcceptedSocket> onAccept, final boolean multishot)
    {
        super(backend, fd, 0);
        this.local = local;
        this.onAccept = onAccept;
        this.multishot = multishot;
        this.armSqe = Sqes.accept(fd, multishot, ops.data(OpData.ACCEPT));
    }

    /** True if one ACCEPT SQE serves every connection. */
    boolean isMultishot()
    {
        return multishot;
    }

    /** Arm the ACCEPT (at registration, and again when a one-shot or a failed multishot ended). */
    void arm()
    {
        if (!ops.isOpen() || ops.isArmed(OpData.ACCEPT))
        {
            return;
        }
        ops.arm(ops.data(OpData.ACCEPT), armSqe);
    }

    /** The ACCEPT completed (its SQE is over unless {@code IORING_CQE_F_MORE} is set). */
    @Override
    void onCompletion(final int res, final int flags, final long data)
    {
        if (res >= 0)
        {
            try
            {
                if (ops.isOpen())
                {
                    onAccept.accept(new UringAcceptedSocket(res));
                }
                else
                {
                    UringSocket.closeQuietly(res); // raced with close(): nobody takes it
                }
            }
            finally
            {
                arm(); // a one-shot ACCEPT (or a multishot the kernel ended) goes again
            }
        }
        else if (res != -Errno.ECANCELED)
        {
            backend.onAcceptFailure(this, res);
            if (!ops.isArmed(OpData.ACCEPT) && ops.isOpen())
            {
                backend.rearmLater(this);
            }
        }
    }

    @Override
    void onUnexpectedCompletion(final int res, final long data)
    {
        if (OpData.kind(data) == OpData.ACCEPT && res >= 0)
        {
            UringSocket.closeQuietly(res); // a descriptor nobody waits for: do not leak it
        }
        super.onUnexpectedCompletion(res, data);
    }

    @Override
    public InetSocketAddress localAddress()
    {
        return local;
    }
}
