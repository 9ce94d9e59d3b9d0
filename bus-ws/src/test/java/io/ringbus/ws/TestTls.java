package io.ringbus.ws;

import io.ringbus.core.transport.TransportPermutation;
import io.ringbus.tls.SelfSignedCertificate;
import io.ringbus.tls.TlsSettings;
import io.ringbus.tls.TlsTransportTest;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/** One self-signed certificate for the wss tests (bus-tls's), and JDK clients that trust exactly it. */
final class TestTls
{
    static final SelfSignedCertificate CERTIFICATE = TlsTransportTest.CERTIFICATE;
    static final SSLContext CLIENT_CONTEXT = clientContext(CERTIFICATE.certificate());

    private TestTls()
    {
    }

    /** A TLS 1.3 socket to {@code address}, handshake done. */
    static SSLSocket socket(final InetSocketAddress address) throws IOException
    {
        final SSLSocket socket = (SSLSocket)CLIENT_CONTEXT.getSocketFactory().createSocket(address.getAddress(),
            address.getPort());
        socket.setEnabledProtocols(new String[] {"TLSv1.3"});
        socket.startHandshake();
        return socket;
    }

    /** TLS 1.3 over a connected {@code plain} socket (its options, such as a small receive buffer, kept), handshake done. */
    static SSLSocket over(final Socket plain) throws IOException
    {
        final SSLSocket socket = (SSLSocket)CLIENT_CONTEXT.getSocketFactory().createSocket(plain,
            plain.getInetAddress().getHostAddress(), plain.getPort(), true);
        socket.setEnabledProtocols(new String[] {"TLSv1.3"});
        socket.startHandshake();
        return socket;
    }

    /** The bus's TLS settings for a wss permutation: the certificate, on the permutation's provider. */
    static TlsSettings serverSettings(final TransportPermutation permutation)
    {
        return CERTIFICATE.serverSettings().provider(TlsTransportTest.provider(permutation)).build();
    }

    /** The SDK client's TLS settings for a wss permutation: trust the certificate, on the permutation's provider. */
    static TlsSettings clientSettings(final TransportPermutation permutation)
    {
        return CERTIFICATE.clientSettings().provider(TlsTransportTest.provider(permutation)).build();
    }

    static SSLContext clientContext(final X509Certificate trusted)
    {
        try
        {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("ringbus", trusted);
            final TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            final SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
