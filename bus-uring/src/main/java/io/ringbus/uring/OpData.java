package io.ringbus.uring;

/**
 * The completion identity this backend packs into the 16 bits of an SQE's {@code user_data} that
 * Netty leaves to the submitter: no object is allocated to recognise a completion. Pure functions;
 * any thread.
 *
 * <p>The whole 64-bit {@code user_data} as it reaches the kernel (Netty 4.2.18's fast path in
 * {@code IoUringIoHandler}, taken because our part is a non-negative {@code short}):
 * <pre>
 *  63            32 31     24 23     16 15 14    11 10         0
 * [ registration id ][ unused ][ opcode ][0][ kind  ][ generation ]
 *   which UringChannel          IORING_OP_*    what we    per-handle,
 *   or UringListener                           submitted  fixed
 * </pre>
 * Netty routes a completion by the registration id to our handle and hands us the low 16 bits as
 * {@code IoUringIoEvent.userData()}; the kind says which of the handle's operations finished (a
 * channel has at most one of each kind in flight), the generation (fresh per handle, the same for
 * all its operations, so each SQE is built once and submitted again) lets the handle check that the
 * completion is one of its own. The methods keep the name "sequence" for those 11 bits.
 */
final class OpData
{
    /** An ACCEPT on a listener (multishot where the kernel has it). */
    static final int ACCEPT = 1;
    /** A RECVMSG into the caller's direct buffer (one iovec). */
    static final int RECV = 2;
    /** A SENDMSG of the channel's iovec array (a gathering write). */
    static final int WRITEV = 3;
    /** A CONNECT of an outbound channel. */
    static final int CONNECT = 4;
    /** A SHUTDOWN(SHUT_WR): our FIN. */
    static final int SHUTDOWN = 5;
    /** The CLOSE of the descriptor, once nothing else is in flight on it. */
    static final int CLOSE = 6;
    /** An ASYNC_CANCEL of one of the handle's operations. */
    static final int CANCEL = 7;
    /** A one-shot POLL_ADD(POLLOUT) after a WRITEV answered -EAGAIN (O_NONBLOCK socket, old kernel). */
    static final int POLL_OUT = 8;
    /** A POLL_ADD(POLLIN) watching a datagram socket (multishot where the kernel has it). */
    static final int POLL_IN = 9;

    static final int KIND_SHIFT = 11;
    static final int KIND_MASK = 0xF;
    static final int SEQUENCE_MASK = (1 << KIND_SHIFT) - 1;

    private OpData()
    {
    }

    /** The 16 bits for an operation of {@code kind} with {@code sequence} (only its low 11 bits are kept). */
    static long encode(final int kind, final int sequence)
    {
        if (kind <= 0 || kind > KIND_MASK)
        {
            throw new IllegalArgumentException("kind = " + kind + ": must be in 1.." + KIND_MASK);
        }
        return ((long)kind << KIND_SHIFT) | (sequence & SEQUENCE_MASK);
    }

    /** The kind packed in {@code data} (as Netty hands it back: the low 16 bits, maybe sign-extended). */
    static int kind(final long data)
    {
        return (int)(data >>> KIND_SHIFT) & KIND_MASK;
    }

    /** The sequence packed in {@code data}. */
    static int sequence(final long data)
    {
        return (int)data & SEQUENCE_MASK;
    }

    /** A readable name for logs. */
    static String kindName(final int kind)
    {
        switch (kind)
        {
            case ACCEPT: return "accept";
            case RECV: return "recv";
            case WRITEV: return "writev";
            case CONNECT: return "connect";
            case SHUTDOWN: return "shutdown";
            case CLOSE: return "close";
            case CANCEL: return "cancel";
            case POLL_OUT: return "poll_out";
            case POLL_IN: return "poll_in";
            default: return "kind " + kind;
        }
    }
}
