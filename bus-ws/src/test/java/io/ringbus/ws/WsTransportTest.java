package io.ringbus.ws;

import io.ringbus.core.transport.RawPeer;
import io.ringbus.core.transport.TransportSuite;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/** The shared client-plane suite over ws; the raw peer is {@link WsRawPeer} on a plain socket. */
class WsTransportTest extends TransportSuite
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
