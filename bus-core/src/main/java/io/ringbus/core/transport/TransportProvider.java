package io.ringbus.core.transport;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * A client-plane transport, found by URI scheme through {@link ServiceLoader} so that bus-core
 * depends on no transport module: a user adds the jars of the transports they need.
 *
 * <p>Today a provider names its scheme and resolves listen and connect URIs; the tcp provider
 * lives in bus-core. Stream transports with a carrier layer (tls, ws, wss) plug their layer in
 * between the socket bytes and the frame decoder through this interface as they arrive.
 * Implementations are stateless and thread-safe.
 */
public interface TransportProvider
{
    /** The URI scheme served, lower case: tcp, tls, ws, wss, quic. */
    String scheme();

    /** The socket address a URI of this scheme names; throws IllegalArgumentException naming the problem. */
    default InetSocketAddress address(final URI uri)
    {
        if (uri.getHost() == null || uri.getPort() < 0)
        {
            throw new IllegalArgumentException("uri = " + uri + ": host and port are required");
        }
        return new InetSocketAddress(uri.getHost(), uri.getPort());
    }

    /**
     * The provider for {@code scheme}.
     *
     * @throws IllegalArgumentException naming the scheme and the schemes available.
     */
    static TransportProvider forScheme(final String scheme)
    {
        final List<String> available = new ArrayList<>();
        for (final TransportProvider provider : ServiceLoader.load(TransportProvider.class))
        {
            if (provider.scheme().equalsIgnoreCase(scheme))
            {
                return provider;
            }
            available.add(provider.scheme());
        }
        throw new IllegalArgumentException("scheme " + scheme + ": no transport on the class path (available: " +
            available + ")");
    }
}
