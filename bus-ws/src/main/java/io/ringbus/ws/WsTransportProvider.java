package io.ringbus.ws;

import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.Carrier;
import io.ringbus.core.transport.TransportProvider;

import java.net.InetSocketAddress;
import java.net.URI;

/**
 * The {@code ws} transport: one ringbus frame per binary WebSocket message over TCP (WIRE.md). A
 * server takes its limits and allow-lists from {@link BusConfig#webSocket()}; the message limit is
 * the smaller of ws_max_message_size and max_message_size. A client's request path is the URI's
 * path (and query). Stateless; any thread.
 */
public final class WsTransportProvider implements TransportProvider
{
    @Override
    public String scheme()
    {
        return "ws";
    }

    /** {@value TransportProvider#BIND_TCP}: WebSocket over the backend's TCP sockets. */
    @Override
    public String bindProtocol()
    {
        return BIND_TCP;
    }

    @Override
    public InetSocketAddress address(final URI uri)
    {
        return addressWithDefaultPort(uri, 80);
    }

    @Override
    public Carrier serverCarrier(final BusConfig config, final URI listenUri)
    {
        return WsCarrier.server(config.webSocket(), config.maxMessageSize());
    }

    @Override
    public Carrier clientCarrier(final URI uri, final Object settings, final int maxMessageSize)
    {
        return WsCarrier.client(withPort(uri, 80), maxMessageSize);
    }

    /** RFC 6455 3: the port defaults to 80 for ws and 443 for wss. */
    static InetSocketAddress addressWithDefaultPort(final URI uri, final int defaultPort)
    {
        if (uri.getHost() == null)
        {
            throw new IllegalArgumentException("uri = " + uri + ": a host is required");
        }
        return new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? defaultPort : uri.getPort());
    }

    static URI withPort(final URI uri, final int defaultPort)
    {
        if (uri.getPort() >= 0)
        {
            return uri;
        }
        return URI.create(uri.getScheme() + "://" + uri.getRawAuthority() + ":" + defaultPort +
            (uri.getRawPath() == null ? "" : uri.getRawPath()) + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
    }
}
