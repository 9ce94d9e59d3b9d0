package io.ringbus.core.client;

/** The client's connection closed before the reply arrived; the message says why. */
public final class ConnectionClosedException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public ConnectionClosedException(final String message)
    {
        super(message);
    }
}
