package io.ringbus.core.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/** {@link ConnectionViewSuite} on plain TCP. */
class TcpConnectionViewTest extends ConnectionViewSuite
{
    @Override
    protected String scheme()
    {
        return "tcp";
    }

    @Override
    protected RawPeer openRaw(final InetSocketAddress address) throws IOException
    {
        return new TcpTransportTest.SocketPeer(new Socket(address.getAddress(), address.getPort()));
    }
}
