package io.ringbus.ws;

import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.RawPeer;
import io.ringbus.core.transport.TransportSuite;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The shared client-plane suite over wss: the server's certificate is registered under "wss", the
 * SDK client trusts it under "wss"; the raw peer is {@link WsRawPeer} on the JDK's SSLSocket.
 */
class WssTransportTest extends TransportSuite
{
    @Override
    protected String scheme()
    {
        return "wss";
    }

    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return builder.backend(Backend.NIO).transportSettings("wss", TestTls.CERTIFICATE.serverSettings().build());
    }

    @Override
    protected ClientOptions clientOptions(final ClientOptions options)
    {
        return options.withTransportSettings("wss", TestTls.CERTIFICATE.clientSettings().build());
    }

    @Override
    protected RawPeer openRaw(final InetSocketAddress address) throws IOException
    {
        return new WsRawPeer(TestTls.socket(address));
    }
}
