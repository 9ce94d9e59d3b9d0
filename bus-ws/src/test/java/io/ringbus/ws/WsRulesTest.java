package io.ringbus.ws;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/** The WebSocket rules over ws (plain TCP). */
class WsRulesTest extends WsRulesSuite
{
    @Override
    String scheme()
    {
        return "ws";
    }

    @Override
    Socket connect(final InetSocketAddress address) throws IOException
    {
        return new Socket(address.getAddress(), address.getPort());
    }
}
