package io.ringbus.tls;

import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.ConnectionMemorySuite;
import io.ringbus.core.transport.RawPeer;

import java.io.IOException;
import java.net.InetSocketAddress;

/** Memory per connection over tls (JDK provider) with the NIO backend. */
class TlsConnectionMemoryTest extends ConnectionMemorySuite
{
    private final TlsTransportTest transport = new TlsTransportTest();

    @Override
    protected String scheme()
    {
        return "tls";
    }

    @Override
    protected RawPeer openRaw(final InetSocketAddress address) throws IOException
    {
        return transport.openRaw(address);
    }

    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return transport.configure(builder).backend(Backend.NIO);
    }

    @Override
    protected long idleBytesLimit()
    {
        return 64 * 1024;
    }
}
