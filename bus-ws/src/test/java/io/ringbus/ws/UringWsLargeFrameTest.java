package io.ringbus.ws;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.config.Backend;
import org.junit.jupiter.api.BeforeAll;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Large frames on io_uring (which captures the views' addresses at submission). */
class UringWsLargeFrameTest extends WsLargeFrameSuite
{
    @BeforeAll
    static void ioUringAvailable()
    {
        assumeTrue(IoUring.isAvailable(), "io_uring is not available here");
    }

    @Override
    Backend backend()
    {
        return Backend.IO_URING;
    }
}
