package io.ringbus.core.transport;

import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.IoChannelHandler;
import io.ringbus.core.backend.IoListener;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.shard.Shard;

import java.io.IOException;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.Consumer;

/**
 * A client-plane transport, found by URI scheme through {@link ServiceLoader} so that bus-core
 * depends on no transport module: a user adds the jars of the transports they need.
 *
 * <p>A provider names its scheme, resolves listen and connect URIs, and for stream transports
 * with a carrier layer (tls, ws, wss) creates the {@link Carrier} that sits between the socket
 * bytes and the frame decoder; the tcp provider, in bus-core, has none. It also says which port
 * space its listeners bind in ({@link #bindProtocol()}), so {@code BusConfig} checks listen URIs of
 * any scheme on the class path without knowing its name. Implementations are stateless and
 * thread-safe.
 */
public interface TransportProvider
{
    /** {@link #bindProtocol()} of a transport on the backend's TCP sockets (tcp, tls, ws, wss). */
    String BIND_TCP = "tcp";
    /** {@link #bindProtocol()} of a transport on UDP sockets (quic). */
    String BIND_UDP = "udp";

    /** The URI scheme served, lower case: tcp, tls, ws, wss, quic. */
    String scheme();

    /**
     * The protocol whose port space a listener of this scheme binds in, lower case: {@link #BIND_TCP}
     * (the default: the backend's TCP sockets) or {@link #BIND_UDP}. Two listeners with the same bind
     * protocol, host and port (not 0) collide, whatever their schemes: {@code BusConfig} rejects them.
     */
    default String bindProtocol()
    {
        return BIND_TCP;
    }

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
     * The carrier layer for a connection accepted on a listener of this scheme, or null for none
     * (tcp). Called on the owning shard, before a byte is read.
     *
     * @param config the bus's configuration; {@code config.transportSettings(scheme())} holds this
     *               module's settings.
     */
    default Carrier serverCarrier(final BusConfig config, final URI listenUri)
    {
        return null;
    }

    /**
     * The carrier layer for a client connection to {@code uri}, or null for none (tcp).
     *
     * @param settings {@code options.transportSettings(scheme())}: this module's settings, or null.
     */
    default Carrier clientCarrier(final URI uri, final Object settings, final int maxMessageSize)
    {
        return null;
    }

    /**
     * True for a transport that brings its own sockets (QUIC over UDP): the bus then calls
     * {@link #listen} and {@link #connect} instead of using the backend's TCP sockets.
     */
    default boolean ownsSockets()
    {
        return false;
    }

    /**
     * Listen on {@code address} with the transport's own socket, driven by {@code shard} (called on
     * its thread); each client connection is handed to {@code onStream} on that thread once its
     * handshake is done. Only for {@link #ownsSockets()} transports.
     *
     * @param limits the bus's connection limits: take a place before any handshake work for a new
     *               peer, give it back when that connection or handshake is gone.
     */
    default IoListener listen(final Shard shard, final InetSocketAddress address, final BusConfig config,
        final URI uri, final ConnectionLimits limits, final Consumer<AcceptedStream> onStream) throws IOException
    {
        throw new UnsupportedOperationException(scheme() + " uses the backend's sockets");
    }

    /**
     * Connect to {@code uri} with the transport's own socket, driven by {@code shard} (called on its
     * thread). The result arrives at {@link IoChannelHandler#onConnect(int)} once the transport's
     * handshake is done. Only for {@link #ownsSockets()} transports.
     *
     * @param settings {@code options.transportSettings(scheme())}: this module's settings, or null.
     */
    default IoChannel connect(final Shard shard, final URI uri, final InetSocketAddress address,
        final Object settings, final IoChannelHandler handler) throws IOException
    {
        throw new UnsupportedOperationException(scheme() + " uses the backend's sockets");
    }

    /**
     * Replace the settings the listeners of this scheme read for new handshakes (a reloaded
     * certificate and key, client certificate authorities) without a restart: connections already
     * open continue untouched. Called by {@code MessageBus.reloadTransportSettings}; any thread.
     *
     * @param config      the bus's configuration, whose settings for this scheme are replaced in place
     * @param replacement the new settings, of the type this transport takes
     * @throws IllegalArgumentException naming the problem if the replacement is refused (the
     *                                  current settings then stay)
     * @throws UnsupportedOperationException if this transport has no reloadable settings (the default)
     */
    default void reloadSettings(final BusConfig config, final Object replacement)
    {
        throw new UnsupportedOperationException(scheme() + ": this transport has no settings to reload");
    }

    /**
     * The provider for {@code scheme}.
     *
     * @throws IllegalArgumentException naming the scheme and the schemes available.
     */
    static TransportProvider forScheme(final String scheme)
    {
        final List<TransportProvider> providers = available();
        final TransportProvider provider = find(providers, scheme);
        if (provider == null)
        {
            throw new IllegalArgumentException("scheme " + scheme + ": no transport on the class path (available: [" +
                schemes(providers) + "])");
        }
        return provider;
    }

    /**
     * Every provider on the class path ({@link ServiceLoader}, the thread's context class loader),
     * ordered by {@link #bindProtocol()}, then {@link #scheme()}: a stable order for messages
     * ("tcp, tls, ws, wss, quic").
     */
    static List<TransportProvider> available()
    {
        final List<TransportProvider> providers = new ArrayList<>();
        for (final TransportProvider provider : ServiceLoader.load(TransportProvider.class))
        {
            providers.add(provider);
        }
        providers.sort(Comparator.comparing(TransportProvider::bindProtocol).thenComparing(TransportProvider::scheme));
        return providers;
    }

    /** The first of {@code providers} serving {@code scheme} (any case), or null if none does. */
    static TransportProvider find(final List<TransportProvider> providers, final String scheme)
    {
        for (int i = 0; i < providers.size(); i++)
        {
            if (providers.get(i).scheme().equalsIgnoreCase(scheme))
            {
                return providers.get(i);
            }
        }
        return null;
    }

    /** The schemes of {@code providers}, in their order, comma separated: "tcp, tls, ws, wss, quic". */
    static String schemes(final List<TransportProvider> providers)
    {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < providers.size(); i++)
        {
            text.append(i == 0 ? "" : ", ").append(providers.get(i).scheme());
        }
        return text.toString();
    }
}
