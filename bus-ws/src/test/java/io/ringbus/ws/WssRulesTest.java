package io.ringbus.ws;

import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.BusConfig;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/** The WebSocket rules over wss; the certificate is registered under "tls" here (wss falls back to it). */
class WssRulesTest extends WsRulesSuite
{
    @Override
    String scheme()
    {
        return "wss";
    }

    @Override
    BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return builder.transportSettings("tls", TestTls.CERTIFICATE.serverSettings().build());
    }

    @Override
    ClientOptions clientOptions()
    {
        return ClientOptions.defaults().withTransportSettings("wss", TestTls.CERTIFICATE.clientSettings().build());
    }

    @Override
    Socket connect(final InetSocketAddress address) throws IOException
    {
        return TestTls.socket(address);
    }
}
