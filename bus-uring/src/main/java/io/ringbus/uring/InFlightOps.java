package io.ringbus.uring;

import io.netty.channel.uring.IoUringIoOps;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The operations in flight on one descriptor of a {@link UringHandle}, and the descriptor's close:
 * the one owner of the rule "CLOSE only once nothing else names the descriptor" that
 * {@link UringChannel}, {@link UringListener} and {@link UringDatagramSocket} share.
 *
 * <p>Every operation of one kind on the descriptor carries the same 16 bits of user_data: its kind and
 * the descriptor's generation ({@link #data}), so a handle builds each of its SQEs once and submits
 * that same object again (no allocation per submission). At most one operation of a kind is in flight,
 * and a registration (Netty's id in the upper user_data bits) belongs to one descriptor from its
 * registration to its CLOSE, so kind + generation name the operation; the generation, fresh per
 * handle, only makes a completion for another descriptor (a bug) show as unexpected. It keeps, per
 * {@link OpData} kind, the generation and the full user_data of the one operation of that kind in
 * flight (a multishot one stays armed while {@code IORING_CQE_F_MORE} is set), and how
 * many are armed. {@link #close()} cancels each of them (ASYNC_CANCEL by user_data, except the kinds
 * the handle lets finish on their own); the CLOSE goes to the ring once the last of them completed,
 * because a cancel does not promise that its target did not run: only the target's own completion
 * does. When the CLOSE completes the registration is dropped and the handle is told it is quiescent
 * ({@link UringHandle#onQuiescent()}): no operation on the descriptor can touch a buffer any more.
 *
 * <p>States: {@code OPEN -> CLOSING -> CLOSE_SUBMITTED -> CLOSED}. OPEN arms operations; CLOSING
 * waits for the cancelled ones; CLOSE_SUBMITTED waits for the CLOSE; CLOSED is quiescent. Nothing
 * here allocates: the arrays are made once per handle. Owner shard thread only.
 */
final class InFlightOps
{
    /** Life cycle of the descriptor. */
    enum State
    {
        /** Operations may be armed. */
        OPEN,
        /** Closed by the owner: the armed operations are cancelled, their completions still to come. */
        CLOSING,
        /** Nothing else in flight: the CLOSE is in the ring. */
        CLOSE_SUBMITTED,
        /** The CLOSE completed: quiescent, the registration dropped. */
        CLOSED
    }

    private static final int NONE = -1;
    /** Generations handed out; any thread makes handles (each shard its own), so atomic. */
    private static final AtomicInteger GENERATIONS = new AtomicInteger();

    private final UringHandle handle;
    private final int keptAtCloseMask;
    private final int[] armedGenerations = new int[OpData.KIND_MASK + 1];
    private final long[] userData = new long[OpData.KIND_MASK + 1];
    private final int generation = GENERATIONS.incrementAndGet() & OpData.SEQUENCE_MASK;
    private int armedCount;
    private State state = State.OPEN;
    /** True once the descriptor is closed or its CLOSE is in the ring: it is never closed twice. */
    private boolean fdReleased;

    /**
     * @param handle          the descriptor's handle: submits through its registration, hears of unexpected
     *                        completions and of quiescence.
     * @param keptAtCloseMask {@code 1 << kind} for each kind {@link #close()} does not cancel but waits for.
     */
    InFlightOps(final UringHandle handle, final int keptAtCloseMask)
    {
        this.handle = handle;
        this.keptAtCloseMask = keptAtCloseMask;
        Arrays.fill(armedGenerations, NONE);
    }

    /** The current state (tests, logs). */
    State state()
    {
        return state;
    }

    /** True until {@link #close()}: operations may be armed and their results delivered. */
    boolean isOpen()
    {
        return state == State.OPEN;
    }

    /** True once the CLOSE completed. */
    boolean isQuiescent()
    {
        return state == State.CLOSED;
    }

    /** True while an operation of {@code kind} is in flight. */
    boolean isArmed(final int kind)
    {
        return armedGenerations[kind] != NONE;
    }

    /** Operations in flight (CANCELs and the CLOSE not counted). */
    int armedCount()
    {
        return armedCount;
    }

    /**
     * The 16 user_data bits of every operation of {@code kind} on this descriptor (kind and generation):
     * build its SQE with them, once, and pass both to {@link #arm} each time.
     */
    long data(final int kind)
    {
        return OpData.encode(kind, generation);
    }

    /** Submit {@code sqe}, built with {@code data} from {@link #data}, and track it until it completed. */
    void arm(final long data, final IoUringIoOps sqe)
    {
        final int kind = OpData.kind(data);
        if (armedGenerations[kind] != NONE)
        {
            throw new IllegalStateException(handle + ": a " + OpData.kindName(kind) + " is already in flight");
        }
        userData[kind] = handle.submit(sqe);
        armedGenerations[kind] = OpData.sequence(data);
        armedCount++;
    }

    /**
     * Cancel what is in flight and CLOSE the descriptor once nothing is; nothing is delivered to the
     * handle after this but the completions it waits for, which it drops. Idempotent.
     */
    void close()
    {
        if (state != State.OPEN)
        {
            return;
        }
        state = State.CLOSING;
        for (int kind = 1; kind <= OpData.KIND_MASK; kind++)
        {
            if (armedGenerations[kind] != NONE && (keptAtCloseMask & (1 << kind)) == 0)
            {
                handle.submit(Sqes.cancel(userData[kind], data(OpData.CANCEL)));
            }
        }
        closeIfIdle();
    }

    /**
     * One completion for the handle: CANCEL and CLOSE are handled here; any other kind is matched to
     * the operation in flight (which is over unless {@code IORING_CQE_F_MORE} is set) and handed to
     * {@link UringHandle#onCompletion}, or, if none was waiting for it, to
     * {@link UringHandle#onUnexpectedCompletion}. Then the CLOSE goes out if the descriptor became idle.
     */
    void onCompletion(final int res, final int flags, final long data)
    {
        try
        {
            final int kind = OpData.kind(data);
            switch (kind)
            {
                case OpData.CANCEL:
                    // -ENOENT / -EALREADY: the target finished first; its own completion comes anyway.
                    break;
                case OpData.CLOSE:
                    state = State.CLOSED;
                    handle.onClosed(res);
                    handle.onQuiescent(); // every other operation completed before the CLOSE went out
                    break;
                default:
                    if (armedGenerations[kind] != OpData.sequence(data))
                    {
                        handle.onUnexpectedCompletion(res, data);
                        break;
                    }
                    if ((flags & Sqes.IORING_CQE_F_MORE) == 0)
                    {
                        armedGenerations[kind] = NONE; // this SQE is finished
                        armedCount--;
                    }
                    handle.onCompletion(res, flags, data);
                    break;
            }
        }
        finally
        {
            closeIfIdle(); // the handle's owner may have closed it from its callback
        }
    }

    /** Backend teardown: close the descriptor now unless a CLOSE already went to the ring. */
    void releaseFdNow()
    {
        if (!fdReleased)
        {
            fdReleased = true;
            UringSocket.closeQuietly(handle.fd);
        }
    }

    /** CLOSE the descriptor once nothing in flight names it any more. */
    private void closeIfIdle()
    {
        if (state == State.CLOSING && armedCount == 0)
        {
            state = State.CLOSE_SUBMITTED;
            fdReleased = true;
            handle.submit(Sqes.close(handle.fd, data(OpData.CLOSE)));
        }
    }
}
