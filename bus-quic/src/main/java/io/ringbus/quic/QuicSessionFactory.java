package io.ringbus.quic;

import io.ringbus.quic.conn.QuicConnection;
import io.ringbus.quic.conn.QuicConnectionConfig;
import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.packet.RetryToken;
import io.ringbus.quic.tls.QuicTls;
import io.ringbus.quic.tls.QuicTlsConfig;
import io.ringbus.quic.tls.TransportParameters;
import io.ringbus.tls.TlsSettings;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Makes the QUIC connections of a listener or a client from its {@link QuicSettings}: the TLS
 * configuration (built once), the transport parameters we advertise, the connection ids. Any
 * thread for construction; the connections it makes belong to their shard.
 */
final class QuicSessionFactory
{
    /** Length of the connection ids we choose: 8 bytes, read as one long by the demux. */
    static final int CID_LENGTH = 8;
    /** The max_udp_payload_size we advertise. */
    static final int MAX_UDP_PAYLOAD = 1500;
    /** RFC 9000 20.1 NO_ERROR. */
    static final long NO_ERROR = 0;
    /** WIRE.md, QUIC specifics: the application error code of a Ringbus protocol error. */
    static final long APPLICATION_PROTOCOL_ERROR = 0x1;

    /** How many times a reload may race one rebuild of the server's TLS configuration before the connection takes what it has. */
    private static final int MAX_REBUILDS = 8;

    private final QuicSettings settings;
    private QuicTlsConfig tls;
    /** settings.tls().generation() that {@link #tls} was built from; -1 until a server connection checked it. */
    private long tlsGeneration = -1;
    private final boolean server;
    private final QuicConnectionConfig connectionConfig;
    private final SecureRandom random;

    private QuicSessionFactory(final QuicSettings settings, final QuicTlsConfig tls, final boolean server,
        final SecureRandom random)
    {
        this.settings = settings;
        this.random = random;
        this.tls = tls;
        this.server = server;
        this.connectionConfig = QuicConnectionConfig.builder()
            .streamWindowBytes(settings.streamWindow())
            .connectionWindowBytes(settings.connectionWindow())
            .build();
    }

    /**
     * A server connection for the client whose Initial carried these connection ids.
     *
     * @param initialDcid the Initial's Destination Connection ID (its Initial keys)
     * @param retried     the connection ids of the Retry token the Initial carried, or null without a Retry
     * @param resetToken  the stateless_reset_token of our connection id (RFC 9000 10.3, 18.2)
     */
    QuicConnection server(final QuicSession session, final long localCid, final byte[] initialDcid,
        final byte[] clientScid, final RetryToken.Validated retried, final byte[] resetToken)
    {
        final TransportParameters params = localParameters();
        final QuicTlsConfig current = currentServerTls();
        final QuicConnection connection = QuicConnection.server(connectionConfig, cidBytes(localCid), initialDcid,
            clientScid, params, listener -> QuicTls.server(current, params, listener), session, session);
        params.statelessResetToken = resetToken;
        if (retried != null)
        {
            // RFC 9000 7.3: after a Retry the client checks both ids (the parameters are encoded later, in the handshake)
            params.originalDestinationConnectionId = retried.originalDestinationConnectionId();
            params.retrySourceConnectionId = retried.retrySourceConnectionId();
        }
        return connection;
    }

    /**
     * The server's TLS configuration for a new connection: rebuilt from the settings when their
     * TlsSettings were reloaded since (a renewed certificate), so new handshakes present it while
     * open connections keep theirs. The generation is read before and after the build, as a
     * reload may land between reading the chain and the key.
     */
    private QuicTlsConfig currentServerTls()
    {
        final TlsSettings tlsSettings = settings.tls();
        for (int i = 0; i < MAX_REBUILDS && tlsSettings.generation() != tlsGeneration; i++)
        {
            final long generation = tlsSettings.generation();
            final QuicTlsConfig rebuilt = server(settings, 0, random).tls;
            if (tlsSettings.generation() == generation)
            {
                tls = rebuilt;
                tlsGeneration = generation;
            }
        }
        return tls;
    }

    /** A client connection to {@code serverName} (checked against the server's certificate). */
    QuicConnection client(final QuicSession session, final long localCid, final String serverName)
    {
        final TransportParameters params = localParameters();
        final byte[] initialDcid = new byte[CID_LENGTH];
        random.nextBytes(initialDcid);
        return QuicConnection.client(connectionConfig, cidBytes(localCid), initialDcid, params,
            listener -> QuicTls.client(tls, serverName, params, listener), session, session);
    }

    /** A connection id as the demux reads it: 8 bytes, big-endian. */
    static byte[] cidBytes(final long cid)
    {
        return ByteBuffer.allocate(CID_LENGTH).putLong(0, cid).array();
    }

    /**
     * For a listener: the settings must carry a certificate and key. {@code random}: the bus
     * runtime's (a simulator's is seeded), for connection ids and handshakes.
     */
    static QuicSessionFactory server(final QuicSettings settings, final int maxMessageSize, final SecureRandom random)
    {
        final TlsSettings tlsSettings = settings.tls();
        final QuicTlsConfig tls = QuicTlsConfig.builder()
            .keyMaterial(tlsSettings.certificateChain(), tlsSettings.privateKey())
            .cipherSuites(settings.cipherSuites().toArray(new CipherSuite[0]))
            .clientCertificateAuthorities(tlsSettings.clientCertificateAuthorities().toArray(new X509Certificate[0]))
            .random(random)
            .build();
        return new QuicSessionFactory(settings, tls, true, random);
    }

    /**
     * For a client: trust and hostname checking from the TLS settings, and their random source
     * (a simulator's seeded one; else a new SecureRandom) for connection ids and the handshake.
     */
    static QuicSessionFactory client(final QuicSettings settings)
    {
        final TlsSettings tlsSettings = settings.tls();
        final SecureRandom random = tlsSettings.secureRandom() != null ? tlsSettings.secureRandom() : new SecureRandom();
        final QuicTlsConfig.Builder builder = QuicTlsConfig.builder()
            .cipherSuites(settings.cipherSuites().toArray(new CipherSuite[0]))
            .random(random);
        if (tlsSettings.hasKeyMaterial())
        {
            // mutual TLS: presented when a server asks (RFC 8446 4.3.2)
            builder.keyMaterial(tlsSettings.certificateChain(), tlsSettings.privateKey());
        }
        if (tlsSettings.isInsecure())
        {
            builder.insecureForTestsOnly();
        }
        else
        {
            final List<X509Certificate> trusted = tlsSettings.trustedCertificates();
            builder.trust(trusted.isEmpty() ? defaultTrustAnchors() : trusted.toArray(new X509Certificate[0]))
                .hostnameVerification(tlsSettings.hostnameVerification());
        }
        return new QuicSessionFactory(settings, builder.build(), false, random);
    }

    private static X509Certificate[] defaultTrustAnchors()
    {
        try
        {
            final TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init((KeyStore)null);
            for (final TrustManager manager : factory.getTrustManagers())
            {
                if (manager instanceof X509TrustManager)
                {
                    return ((X509TrustManager)manager).getAcceptedIssuers();
                }
            }
            throw new IllegalStateException("the JDK has no X.509 trust manager");
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("cannot read the JDK's default trust store: " + ex.getMessage(), ex);
        }
    }

    /** The random source of this factory's connections (connection ids, handshakes). */
    SecureRandom random()
    {
        return random;
    }

    /** The transport parameters we advertise (the connection adds the connection ids). */
    TransportParameters localParameters()
    {
        final TransportParameters params = new TransportParameters();
        params.maxIdleTimeoutMs = settings.idleTimeout().toMillis();
        params.initialMaxData = settings.connectionWindow();
        params.initialMaxStreamDataBidiLocal = settings.streamWindow();
        params.initialMaxStreamDataBidiRemote = settings.streamWindow();
        params.initialMaxStreamDataUni = 0;
        params.initialMaxStreamsBidi = server ? 1 : 0; // one client-opened stream; a second is refused
        params.initialMaxStreamsUni = 0;
        params.disableActiveMigration = true;
        // Ethernet-sized: every peer here sends at most this, and each connection's receive
        // scratch is sized by it (RFC 9000 18.2 allows any value of at least 1200).
        params.maxUdpPayloadSize = MAX_UDP_PAYLOAD;
        return params;
    }
}
