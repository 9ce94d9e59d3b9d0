package io.ringbus.uring;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.TcpConnectionMemoryTest;
import org.junit.jupiter.api.BeforeEach;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Memory per connection on plain TCP with the io_uring backend. */
public class UringTcpConnectionMemoryTest extends TcpConnectionMemoryTest
{
    @BeforeEach
    void requireIoUring()
    {
        assumeTrue(IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
    }

    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return builder.backend(Backend.IO_URING);
    }
}
