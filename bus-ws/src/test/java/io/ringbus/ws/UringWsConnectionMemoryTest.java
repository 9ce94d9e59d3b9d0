package io.ringbus.ws;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import org.junit.jupiter.api.BeforeAll;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Memory per connection over ws with the io_uring backend. */
class UringWsConnectionMemoryTest extends WsConnectionMemoryTest
{
    @BeforeAll
    static void ioUringAvailable()
    {
        assumeTrue(IoUring.isAvailable(), "io_uring is not available here");
    }

    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return super.configure(builder).backend(Backend.IO_URING);
    }
}
