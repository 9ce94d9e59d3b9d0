package io.ringbus.cli;

import io.ringbus.core.transport.TransportProvider;

/**
 * Which client transports this build has: bus-core finds them by scheme through its
 * {@link TransportProvider} SPI, so a transport module on the class path makes its scheme
 * available to {@code serve}, {@code load} and {@code demo} with no change here. Stateless; any
 * thread.
 */
public final class Transports
{
    private Transports()
    {
    }

    /** True if a {@link TransportProvider} for {@code scheme} is on the class path. */
    public static boolean isAvailable(final String scheme)
    {
        try
        {
            TransportProvider.forScheme(scheme);
            return true;
        }
        catch (final IllegalArgumentException ex)
        {
            return false;
        }
    }

    /**
     * Check that {@code scheme} has a transport.
     *
     * @throws TransportUnavailableException if it has none
     */
    public static void require(final String scheme) throws TransportUnavailableException
    {
        try
        {
            TransportProvider.forScheme(scheme);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new TransportUnavailableException(scheme, ex);
        }
    }
}
