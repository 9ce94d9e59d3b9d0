package io.ringbus.cli;

/**
 * A listener or client was asked for a transport (tls, ws, wss, quic) that this build's bus-core
 * does not provide. The message reads "transport X is not available in this build". Immutable;
 * any thread.
 */
public final class TransportUnavailableException extends Exception
{
    private static final long serialVersionUID = 1L;

    private final String scheme;

    /** The transport {@code scheme} is missing; {@code cause} is what bus-core said. */
    public TransportUnavailableException(final String scheme, final Throwable cause)
    {
        super("transport " + scheme + " is not available in this build", cause);
        this.scheme = scheme;
    }

    /** The missing transport's scheme. */
    public String scheme()
    {
        return scheme;
    }
}
