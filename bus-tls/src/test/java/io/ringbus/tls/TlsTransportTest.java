package io.ringbus.tls;

import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.RawPeer;
import io.ringbus.core.transport.TcpTransportTest;
import io.ringbus.core.transport.TransportSuite;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/** The shared suite over tls with the JDK provider; the raw peer is the JDK's SSLSocket. */
public class TlsTransportTest extends TransportSuite
{
    static final SelfSignedCertificate CERTIFICATE = SelfSignedCertificate.generate();

    /** The provider under test, on both ends. */
    protected TlsProvider provider()
    {
        return TlsProvider.JDK;
    }

    @Override
    protected String scheme()
    {
        return "tls";
    }

    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        // NIO here (bus-uring is on this module's test class path, so AUTO would pick io_uring):
        // UringTlsTransportTest covers io_uring.
        return builder.backend(Backend.NIO)
            .transportSettings("tls", CERTIFICATE.serverSettings().provider(provider()).build());
    }

    @Override
    protected ClientOptions clientOptions(final ClientOptions options)
    {
        return options.withTransportSettings("tls", CERTIFICATE.clientSettings().provider(provider()).build());
    }

    @Override
    protected RawPeer openRaw(final InetSocketAddress address) throws IOException
    {
        final SSLSocket socket = (SSLSocket)jdkClientContext(CERTIFICATE.certificate()).getSocketFactory()
            .createSocket(address.getAddress(), address.getPort());
        socket.setEnabledProtocols(new String[] {"TLSv1.3"});
        socket.startHandshake();
        return new TcpTransportTest.SocketPeer(socket);
    }

    /** An SSLContext of the JDK's provider trusting exactly {@code trusted}. */
    static SSLContext jdkClientContext(final X509Certificate trusted)
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

    /** A plain socket, for tests that speak below TLS. */
    static Socket plain(final InetSocketAddress address) throws IOException
    {
        final Socket socket = new Socket(address.getAddress(), address.getPort());
        socket.setTcpNoDelay(true);
        return socket;
    }
}
