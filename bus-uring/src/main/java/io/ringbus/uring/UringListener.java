package io.ringbus.uring;

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
 * <p>States: {@code ACCEPTING -> CLOSING -> CLOSE_SUBMITTED -> CLOSED}. Owner shard thread only.
 */
final class UringListener extends UringHandle implements IoListener
{
    /** Life cycle of a listener. */
    enum State
    {
        ACCEPTING, CLOSING, CLOSE_SUBMITTED, CLOSED
    }

    private static final int NONE = -1;

    private final InetSocketAddress local;
    private final Consumer<AcceptedSocket> onAccept;
    private final boolean multishot;
    private State state = State.ACCEPTING;
    private int acceptSequence = NONE;
    private long acceptUserData;

    UringListener(final UringBackend backend, final int fd, final InetSocketAddress local,
        final Consumer<AcceptedSocket> onAccept, final boolean multishot)
    {
        super(backend, fd);
        this.local = local;
        this.onAccept = onAccept;
        this.multishot = multishot;
    }

    /** True if one ACCEPT SQE serves every connection. */
    boolean isMultishot()
    {
        return multishot;
    }

    /** Arm the ACCEPT (at registration, and again when a one-shot or a failed multishot ended). */
    void arm()
    {
        if (state != State.ACCEPTING || acceptSequence != NONE)
        {
            return;
        }
        acceptSequence = nextSequence();
        acceptUserData = submit(Sqes.accept(fd, multishot, OpData.encode(OpData.ACCEPT, acceptSequence)));
    }

    @Override
    void onCompletion(final int res, final int flags, final long data)
    {
        try
        {
            switch (OpData.kind(data))
            {
                case OpData.ACCEPT:
                    onAccepted(res, flags, data);
                    break;
                case OpData.CANCEL:
                    break;
                case OpData.CLOSE:
                    state = State.CLOSED;
                    onClosed(res);
                    break;
                default:
                    backend.onUnexpectedCompletion(this, res, data);
                    break;
            }
        }
        finally
        {
            closeIfIdle();
        }
    }

    private void onAccepted(final int res, final int flags, final long data)
    {
        if (OpData.sequence(data) != acceptSequence)
        {
            if (res >= 0)
            {
                UringSocket.closeQuietly(res);
            }
            backend.onUnexpectedCompletion(this, res, data);
            return;
        }
        if ((flags & Sqes.IORING_CQE_F_MORE) == 0)
        {
            acceptSequence = NONE; // this SQE is finished
        }
        if (res >= 0)
        {
            try
            {
                if (state == State.ACCEPTING)
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
            if (acceptSequence == NONE && state == State.ACCEPTING)
            {
                backend.rearmLater(this);
            }
        }
    }

    @Override
    public InetSocketAddress localAddress()
    {
        return local;
    }

    @Override
    public void close()
    {
        if (state != State.ACCEPTING)
        {
            return;
        }
        state = State.CLOSING;
        if (acceptSequence != NONE)
        {
            cancel(acceptUserData);
        }
        closeIfIdle();
    }

    private void closeIfIdle()
    {
        if (state == State.CLOSING && acceptSequence == NONE)
        {
            state = State.CLOSE_SUBMITTED;
            submitClose();
        }
    }
}
