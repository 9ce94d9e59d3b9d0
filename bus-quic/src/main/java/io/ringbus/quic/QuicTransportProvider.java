package io.ringbus.quic;

import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.IoChannelHandler;
import io.ringbus.core.backend.IoListener;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.shard.Shard;
import io.ringbus.core.shard.ShardRuntime;
import io.ringbus.core.transport.AcceptedStream;
import io.ringbus.core.transport.ConnectionLimits;
import io.ringbus.core.transport.TransportProvider;
import io.ringbus.tls.TlsSettings;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.function.Consumer;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code quic} transport: QUIC v1 over one UDP socket per listener, terminated on shard 0
 * (connection-id demux there, and shard 0 owns its QUIC clients), one client-opened
 * bidirectional stream per connection carrying the frames exactly as TCP does (WIRE.md), ALPN
 * {@code ringbus}.
 *
 * <p>Settings: a listener uses the {@link QuicSettings} (or plain TlsSettings) registered under
 * "quic", else the TlsSettings under "tls" (one certificate can serve tls, wss and quic). A client
 * uses {@code ClientOptions.transportSettings("quic")}, or the JDK's trust store with hostname
 * checking when there are none. Stateless; any thread.
 */
public final class QuicTransportProvider implements TransportProvider
{
    @Override
    public String scheme()
    {
        return "quic";
    }

    /** {@value TransportProvider#BIND_UDP}: its own UDP socket: a quic and a tcp listener may share a port. */
    @Override
    public String bindProtocol()
    {
        return BIND_UDP;
    }

    @Override
    public boolean ownsSockets()
    {
        return true;
    }

    @Override
    public IoListener listen(final Shard shard, final InetSocketAddress address, final BusConfig config, final URI uri,
        final ConnectionLimits limits, final Consumer<AcceptedStream> onStream) throws IOException
    {
        final Object own = config.transportSettings("quic");
        final QuicSettings settings = QuicSettings.of(own != null ? own : config.transportSettings("tls"), "listen = " + uri);
        if (!settings.tls().hasKeyMaterial())
        {
            throw new IllegalStateException("listen = " + uri + ": a quic listener needs a certificate and key: " +
                "BusConfig.builder().transportSettings(\"quic\", QuicSettings or TlsSettings with keyMaterial)");
        }
        // Time and randomness come from the bus's runtime: a simulator's virtual clock and seeded random.
        final ShardRuntime runtime = config.runtime();
        final SecureRandom random = runtime.secureRandom();
        return new QuicServerEndpoint(shard, runtime.clock(), random, address,
            QuicSessionFactory.server(settings, config.maxMessageSize(), random), settings,
            statelessResetKey(settings, config, random), limits, config.handshakeGrace().toNanos(), onStream);
    }

    /**
     * The listener's stateless reset key (RFC 9000 10.3.2): the settings' own; else one derived from
     * the cluster key, so a node restarted with its configuration resets the clients of its previous
     * run; else a random one from {@code random} (resets then only reach clients of this
     * listener's own lifetime).
     */
    static byte[] statelessResetKey(final QuicSettings settings, final BusConfig config, final SecureRandom random)
    {
        final byte[] own = settings.statelessResetKey();
        if (own != null)
        {
            return own;
        }
        if (config.hasClusterKey())
        {
            try
            {
                final Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(config.clusterKey(), "HmacSHA256"));
                return mac.doFinal("ringbus quic stateless reset key".getBytes(StandardCharsets.US_ASCII));
            }
            catch (final GeneralSecurityException ex)
            {
                throw new IllegalStateException("HmacSHA256 is unavailable: " + ex.getMessage(), ex);
            }
        }
        final byte[] key = new byte[32];
        random.nextBytes(key);
        return key;
    }

    /**
     * Reload the TLS side of the settings a quic listener reads ("quic", else "tls") in place: the
     * next connection's handshake uses the new certificate and key (the QUIC side, windows and
     * suites, stays as started). {@code replacement}: TlsSettings, or QuicSettings whose TLS side is taken.
     */
    @Override
    public void reloadSettings(final BusConfig config, final Object replacement)
    {
        final Object own = config.transportSettings("quic");
        final Object current = own != null ? own : config.transportSettings("tls");
        final TlsSettings target = current instanceof QuicSettings ? ((QuicSettings)current).tls() :
            current instanceof TlsSettings ? (TlsSettings)current : null;
        if (target == null)
        {
            throw new IllegalArgumentException("quic: no QuicSettings or TlsSettings registered under \"quic\" or \"tls\" to reload");
        }
        final TlsSettings next = replacement instanceof QuicSettings ? ((QuicSettings)replacement).tls() :
            replacement instanceof TlsSettings ? (TlsSettings)replacement : null;
        if (next == null)
        {
            throw new IllegalArgumentException("quic: the replacement must be TlsSettings or QuicSettings, not " +
                (replacement == null ? "null" : replacement.getClass().getName()));
        }
        target.reload(next);
    }

    @Override
    public IoChannel connect(final Shard shard, final URI uri, final InetSocketAddress address, final Object settings,
        final IoChannelHandler handler) throws IOException
    {
        final QuicSettings quic = QuicSettings.of(settings, "connect to " + uri);
        return QuicClientEndpoint.connect(shard, address, QuicSessionFactory.client(quic), uri.getHost(), handler);
    }
}
