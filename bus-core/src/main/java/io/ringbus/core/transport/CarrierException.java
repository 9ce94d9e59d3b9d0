package io.ringbus.core.transport;

import io.ringbus.core.stat.ProtocolErrorKind;

/** A carrier layer's protocol violation or failure; the message names it. The connection closes. */
public final class CarrierException extends Exception
{
    private static final long serialVersionUID = 1L;

    private final CloseReason reason;
    private final ProtocolErrorKind kind;

    public CarrierException(final CloseReason reason, final String message)
    {
        super(message);
        this.reason = reason;
        this.kind = null;
    }

    /** A protocol error of the carrier's own protocol: {@code kind} names it in the counters. */
    public CarrierException(final CloseReason reason, final ProtocolErrorKind kind, final String message)
    {
        super(message);
        this.reason = reason;
        this.kind = kind;
    }

    public CarrierException(final CloseReason reason, final String message, final Throwable cause)
    {
        super(message, cause);
        this.reason = reason;
        this.kind = null;
    }

    /** A protocol error of the carrier's own protocol, of {@code kind}, caused by {@code cause}. */
    public CarrierException(final CloseReason reason, final ProtocolErrorKind kind, final String message,
        final Throwable cause)
    {
        super(message, cause);
        this.reason = reason;
        this.kind = kind;
    }

    /** The kind of protocol error (TLS, WebSocket) for the counters, or null. */
    public ProtocolErrorKind kind()
    {
        return kind;
    }

    /** The close reason to record. */
    public CloseReason reason()
    {
        return reason;
    }
}
