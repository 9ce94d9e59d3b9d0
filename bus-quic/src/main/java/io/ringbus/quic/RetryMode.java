package io.ringbus.quic;

import java.util.Locale;

/**
 * When a quic listener validates a client's address with a Retry (RFC 9000 8.1.2) before it
 * spends any handshake state on it: {@link #ALWAYS}, {@link #AUTO} (once the handshakes in progress
 * reach {@link QuicSettings#autoRetryThreshold()}: under a flood of spoofed Initials), or
 * {@link #NEVER}. A Retry costs the client one round trip. Immutable; any thread.
 */
public enum RetryMode
{
    /** Every new client is sent a Retry first. */
    ALWAYS,
    /** A Retry once the handshakes in progress reach the listener's threshold (the default). */
    AUTO,
    /** Never a Retry. */
    NEVER;

    /** The mode named {@code name} ("always", "auto", "never", any case). */
    public static RetryMode parse(final String name)
    {
        try
        {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("quic retry mode '" + name + "': must be always, auto or never");
        }
    }
}
