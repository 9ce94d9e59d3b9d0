package io.ringbus.core.frame;

/**
 * A received frame broke a WIRE.md rule. The message names the field and the value; the
 * connection that produced it must be closed. Thrown only on the error path.
 */
public final class FrameDecodeException extends Exception
{
    private static final long serialVersionUID = 1L;

    private final FrameError error;

    public FrameDecodeException(final FrameError error, final String message)
    {
        super(message);
        this.error = error;
    }

    /** The kind of rule broken. */
    public FrameError error()
    {
        return error;
    }
}
