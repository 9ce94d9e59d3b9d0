package io.ringbus.uring;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.ConnectionViewSuite;
import io.ringbus.core.transport.RawPeer;
import io.ringbus.core.transport.TcpTransportTest;
import org.junit.jupiter.api.BeforeEach;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link ConnectionViewSuite} on tcp with the io_uring backend, where a write completes after the peer may have read it. */
class UringConnectionViewTest extends ConnectionViewSuite
{
    @BeforeEach
    void requireIoUring()
    {
        assumeTrue(IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
    }

    @Override
    protected String scheme()
    {
        return "tcp";
    }

    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return builder.backend(Backend.IO_URING);
    }

    @Override
    protected RawPeer openRaw(final InetSocketAddress address) throws IOException
    {
        return new TcpTransportTest.SocketPeer(new Socket(address.getAddress(), address.getPort()));
    }
}
