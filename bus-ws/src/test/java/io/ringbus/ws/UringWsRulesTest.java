package io.ringbus.ws;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.config.Backend;
import org.junit.jupiter.api.BeforeAll;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The WebSocket rules over ws on the io_uring backend. */
class UringWsRulesTest extends WsRulesTest
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
