package io.ringbus.core.transport;

import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/** Memory per connection on plain TCP with the NIO backend. */
public class TcpConnectionMemoryTest extends ConnectionMemorySuite
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

    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return builder.backend(Backend.NIO);
    }

    @Override
    protected long idleBytesLimit()
    {
        return 16 * 1024;
    }
}
