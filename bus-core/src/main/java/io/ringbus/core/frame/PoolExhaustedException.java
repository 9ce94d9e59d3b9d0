package io.ringbus.core.frame;

/**
 * A {@link FramePool} refused a buffer because it would take the pool over its direct memory
 * budget ({@code direct_memory_budget}). The work that needed the buffer is refused instead of
 * the process running out of memory: a connection that cannot take a buffer for a frame it
 * receives closes with {@code CloseReason.MEMORY_BUDGET}; an application that cannot allocate a
 * send buffer drops or defers that send. Thrown on the thread that asked; carries no stack trace
 * (it reports a condition, not a bug).
 */
public final class PoolExhaustedException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int requestedBytes;
    private final long heldBytes;
    private final long budgetBytes;

    /**
     * @param requestedBytes capacity of the buffer that was refused.
     * @param heldBytes      direct memory the pool held when it refused.
     * @param budgetBytes    the pool's budget.
     */
    public PoolExhaustedException(final int requestedBytes, final long heldBytes, final long budgetBytes)
    {
        super("direct_memory_budget " + budgetBytes + " bytes reached: " + heldBytes + " held, a buffer of " +
            requestedBytes + " refused", null, false, false);
        this.requestedBytes = requestedBytes;
        this.heldBytes = heldBytes;
        this.budgetBytes = budgetBytes;
    }

    /** Capacity of the buffer that was refused. */
    public int requestedBytes()
    {
        return requestedBytes;
    }

    /** Direct memory the pool held when it refused. */
    public long heldBytes()
    {
        return heldBytes;
    }

    /** The pool's budget. */
    public long budgetBytes()
    {
        return budgetBytes;
    }
}
