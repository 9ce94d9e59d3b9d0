package io.ringbus.quic.tls;

/**
 * Creates the TLS 1.3 engines of QUIC connections (RFC 9001): a client that verifies the server
 * against a {@link QuicTlsConfig}'s trust anchors and name, or a server that presents its
 * certificate. Each engine serves one connection. Stateless; any thread.
 */
public final class QuicTls
{
    private QuicTls()
    {
    }

    /**
     * A client engine for a connection to {@code serverName} (a host name, sent as SNI and checked
     * against the certificate, or an IP literal, checked against its iPAddress names).
     *
     * @throws IllegalArgumentException if the configuration has no trust anchors (and is not
     *     insecure), or hostname verification is on and {@code serverName} is missing.
     */
    public static TlsEngine client(final QuicTlsConfig config, final String serverName, final TransportParameters local,
        final HandshakeListener listener)
    {
        return new ClientTlsEngine(config, serverName, local, listener);
    }

    /**
     * A server engine for one incoming connection.
     *
     * @throws IllegalArgumentException if the configuration has no key material.
     */
    public static TlsEngine server(final QuicTlsConfig config, final TransportParameters local,
        final HandshakeListener listener)
    {
        return new ServerTlsEngine(config, local, listener);
    }
}
