package io.ringbus.ws;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The shared suite over ws on the io_uring backend. */
class UringWsTransportTest extends WsTransportTest
{
    @BeforeAll
    static void ioUringAvailable()
    {
        assumeTrue(IoUring.isAvailable(), "io_uring is not available here");
    }

    @Test
    void runsOnIoUring() throws Exception
    {
        startBus(BusConfig.builder().shards(1));
        assertEquals("io_uring", bus.backendName());
        assertEquals(3, client().request(1, new byte[] {1, 2, 3}, TIMEOUT).body().length);
    }

    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return super.configure(builder).backend(Backend.IO_URING);
    }
}
