package io.ringbus.ws;

import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
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

    /** NIO, named: bus-uring on the test classpath would make AUTO pick io_uring ({@link UringWsTransportTest}). */
    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return builder.backend(Backend.NIO);
    }

    @Override
    protected RawPeer openRaw(final InetSocketAddress address) throws IOException
    {
        return new WsRawPeer(new Socket(address.getAddress(), address.getPort()));
    }
}
