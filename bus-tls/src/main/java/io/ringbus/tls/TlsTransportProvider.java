package io.ringbus.tls;

import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.Carrier;
import io.ringbus.core.transport.TransportProvider;

import java.net.URI;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

import java.util.List;

/**
 * The {@code tls} transport: frames back to back on a TLS 1.3 stream over TCP (WIRE.md). Servers
 * take their certificate from the {@link TlsSettings} registered in the bus configuration under
 * "tls"; clients use theirs, or the JDK's default trust store with hostname checking.
 */
public final class TlsTransportProvider implements TransportProvider
{
    private static final System.Logger LOG = System.getLogger(TlsTransportProvider.class.getName());
    private static final String[] TLS13 = {"TLSv1.3"};

    @Override
    public String scheme()
    {
        return "tls";
    }

    /** {@value TransportProvider#BIND_TCP}: TLS over the backend's TCP sockets. */
    @Override
    public String bindProtocol()
    {
        return BIND_TCP;
    }

    @Override
    public Carrier serverCarrier(final BusConfig config, final URI listenUri)
    {
        final Object settings = config.transportSettings("tls");
        if (!(settings instanceof TlsSettings) || !((TlsSettings)settings).hasKeyMaterial())
        {
            throw new IllegalStateException("listen = " + listenUri + ": a tls listener needs TlsSettings with a " +
                "certificate and key (BusConfig.builder().transportSettings(\"tls\", settings))");
        }
        return new TlsCarrier(serverEngine((TlsSettings)settings), false);
    }

    /**
     * A server-side engine: TLS 1.3 only (a TLS 1.2 or older ClientHello is answered with a
     * protocol_version alert, RFC 8446 4.2.1 and D.2), a client certificate required when the
     * settings name client certificate authorities. Everything comes from one snapshot of the
     * settings, so a reload at the same moment cannot mix two certificates.
     */
    static SSLEngine serverEngine(final TlsSettings settings)
    {
        final TlsSettings.Material material = settings.material();
        final SSLEngine engine = material.context().createSSLEngine();
        engine.setUseClientMode(false);
        engine.setEnabledProtocols(TLS13);
        if (material.requiresClientCertificate())
        {
            engine.setNeedClientAuth(true); // RFC 8446 4.4.2.4: no certificate is a certificate_required alert
        }
        else
        {
            engine.setWantClientAuth(false);
        }
        return engine;
    }

    /** Reload the TlsSettings registered under "tls" in place ({@link TlsSettings#reload}). */
    @Override
    public void reloadSettings(final BusConfig config, final Object replacement)
    {
        reloadIn(config, "tls", "tls", replacement);
    }

    /**
     * Reload {@code config}'s TlsSettings registered under {@code key} with {@code replacement}
     * (TlsSettings): the shared step of the tls and wss (and quic) reloads.
     *
     * @throws IllegalArgumentException naming the problem
     */
    public static void reloadIn(final BusConfig config, final String scheme, final String key, final Object replacement)
    {
        final Object current = config.transportSettings(key);
        if (!(current instanceof TlsSettings))
        {
            throw new IllegalArgumentException(scheme + ": no TlsSettings registered under \"" + key + "\" to reload");
        }
        if (!(replacement instanceof TlsSettings))
        {
            throw new IllegalArgumentException(scheme + ": the replacement must be TlsSettings, not " +
                (replacement == null ? "null" : replacement.getClass().getName()));
        }
        ((TlsSettings)current).reload((TlsSettings)replacement);
    }

    @Override
    public Carrier clientCarrier(final URI uri, final Object settings, final int maxMessageSize)
    {
        final TlsSettings tls = settings instanceof TlsSettings ? (TlsSettings)settings : TlsSettings.defaults();
        return new TlsCarrier(clientEngine(tls, uri.getHost(), uri.getPort()), true);
    }

    /** A client-side engine: TLS 1.3 only, SNI and hostname checking unless insecure. */
    static SSLEngine clientEngine(final TlsSettings settings, final String host, final int port)
    {
        final SSLEngine engine = settings.sslContext().createSSLEngine(host, port);
        engine.setUseClientMode(true);
        engine.setEnabledProtocols(TLS13);
        final SSLParameters parameters = engine.getSSLParameters();
        if (settings.isInsecure())
        {
            LOG.log(System.Logger.Level.WARNING, "TLS client to " + host + ":" + port +
                " in insecure mode: the server's certificate and name are NOT checked (tests only)");
        }
        else if (settings.hostnameVerification())
        {
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
        }
        if (!isIpLiteral(host))
        {
            parameters.setServerNames(List.of(new SNIHostName(host)));
        }
        engine.setSSLParameters(parameters);
        return engine;
    }

    private static boolean isIpLiteral(final String host)
    {
        if (host == null)
        {
            return true;
        }
        if (host.indexOf(':') >= 0)
        {
            return true;
        }
        for (int i = 0; i < host.length(); i++)
        {
            final char c = host.charAt(i);
            if (c != '.' && (c < '0' || c > '9'))
            {
                return false;
            }
        }
        return true;
    }
}
