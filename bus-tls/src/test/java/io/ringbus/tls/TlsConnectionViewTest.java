package io.ringbus.tls;

import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.ConnectionViewSuite;
import io.ringbus.core.transport.RawPeer;
import io.ringbus.core.transport.TcpTransportTest;

import java.io.IOException;
import java.net.InetSocketAddress;

import javax.net.ssl.SSLSocket;

/**
 * {@link ConnectionViewSuite} on tls (the JDK's provider): connected fires after the TLS handshake,
 * and the counters count frames, not TLS records.
 */
class TlsConnectionViewTest extends ConnectionViewSuite
{
    @Override
    protected String scheme()
    {
        return "tls";
    }

    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return builder.transportSettings("tls", TlsTransportTest.CERTIFICATE.serverSettings().build());
    }

    @Override
    protected ClientOptions clientOptions(final ClientOptions options)
    {
        return options.withTransportSettings("tls", TlsTransportTest.CERTIFICATE.clientSettings().build());
    }

    @Override
    protected RawPeer openRaw(final InetSocketAddress address) throws IOException
    {
        final SSLSocket socket = (SSLSocket)TlsTransportTest.jdkClientContext(TlsTransportTest.CERTIFICATE.certificate())
            .getSocketFactory().createSocket(address.getAddress(), address.getPort());
        socket.setEnabledProtocols(new String[] {"TLSv1.3"});
        socket.startHandshake();
        return new TcpTransportTest.SocketPeer(socket);
    }
}
