package io.ringbus.core.transport;

/** A carrier layer's protocol violation or failure; the message names it. The connection closes. */
public final class CarrierException extends Exception
{
    private static final long serialVersionUID = 1L;

    private final CloseReason reason;

    public CarrierException(final CloseReason reason, final String message)
    {
        super(message);
        this.reason = reason;
    }

    public CarrierException(final CloseReason reason, final String message, final Throwable cause)
    {
        super(message, cause);
        this.reason = reason;
    }

    /** The close reason to record. */
    public CloseReason reason()
    {
        return reason;
    }
}
