package io.ringbus.ws;

import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.Carrier;
import io.ringbus.core.transport.TransportProvider;
import io.ringbus.tls.TlsSettings;
import io.ringbus.tls.TlsTransportProvider;

import java.net.InetSocketAddress;
import java.net.URI;

/**
 * The {@code wss} transport: the ws transport stacked on bus-tls's TLS 1.3 carrier
 * ({@link StackedCarrier}). The WebSocket limits come from the same {@link BusConfig} as for ws.
 *
 * <p>TLS settings: a server uses the {@link TlsSettings} registered under "wss" if there are any,
 * else those under "tls" (one certificate can serve both listeners). A client uses
 * {@code ClientOptions.transportSettings("wss")}, or the JDK's default trust store with hostname
 * checking when there are none. Stateless apart from a one-entry cache; any thread.
 */
public final class WssTransportProvider implements TransportProvider
{
    private static final TlsTransportProvider TLS = new TlsTransportProvider();

    /** The last configuration seen and its copy with the wss settings under "tls" (racy but idempotent). */
    private volatile BusConfig[] derived;

    @Override
    public String scheme()
    {
        return "wss";
    }

    /** {@value TransportProvider#BIND_TCP}: WebSocket over TLS over the backend's TCP sockets. */
    @Override
    public String bindProtocol()
    {
        return BIND_TCP;
    }

    @Override
    public InetSocketAddress address(final URI uri)
    {
        return WsTransportProvider.addressWithDefaultPort(uri, 443);
    }

    @Override
    public Carrier serverCarrier(final BusConfig config, final URI listenUri)
    {
        final Carrier tls = TLS.serverCarrier(tlsConfig(config, listenUri), listenUri);
        return new StackedCarrier(tls, WsCarrier.server(config.webSocket(), config.maxMessageSize()));
    }

    /** The configuration the TLS provider reads its settings from ("tls"): the wss settings if any. */
    private BusConfig tlsConfig(final BusConfig config, final URI listenUri)
    {
        final Object wss = config.transportSettings("wss");
        if (wss == null)
        {
            if (!(config.transportSettings("tls") instanceof TlsSettings))
            {
                throw new IllegalStateException("listen = " + listenUri + ": a wss listener needs TlsSettings with a " +
                    "certificate and key under \"wss\" or \"tls\" (BusConfig.builder().transportSettings(\"wss\", settings))");
            }
            return config;
        }
        final BusConfig[] cached = derived;
        if (cached != null && cached[0] == config)
        {
            return cached[1];
        }
        final BusConfig tlsConfig = config.toBuilder().transportSettings("tls", wss).build();
        derived = new BusConfig[] {config, tlsConfig};
        return tlsConfig;
    }

    /**
     * Reload the TlsSettings a wss listener reads in place: those under "wss", else those under
     * "tls" (which the tls listeners share).
     */
    @Override
    public void reloadSettings(final BusConfig config, final Object replacement)
    {
        TlsTransportProvider.reloadIn(config, "wss", config.transportSettings("wss") != null ? "wss" : "tls", replacement);
    }

    @Override
    public Carrier clientCarrier(final URI uri, final Object settings, final int maxMessageSize)
    {
        final URI target = WsTransportProvider.withPort(uri, 443);
        return new StackedCarrier(TLS.clientCarrier(target, settings, maxMessageSize), WsCarrier.client(target, maxMessageSize));
    }
}
