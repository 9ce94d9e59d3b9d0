package io.ringbus.ws;

import io.ringbus.core.transport.ConnectionViewSuite;
import io.ringbus.core.transport.RawPeer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * {@link ConnectionViewSuite} on ws: connected fires after the upgrade, and the counters count
 * frames, not WebSocket frame headers.
 */
class WsConnectionViewTest extends ConnectionViewSuite
{
    @Override
    protected String scheme()
    {
        return "ws";
    }

    @Override
    protected RawPeer openRaw(final InetSocketAddress address) throws IOException
    {
        return new WsRawPeer(new Socket(address.getAddress(), address.getPort()));
    }
}
