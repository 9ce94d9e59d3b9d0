package io.ringbus.core.client;

/** A request was refused at once because the connection's send queue is full. Retry later. */
public final class BackpressureException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public BackpressureException(final String message)
    {
        super(message);
    }
}
