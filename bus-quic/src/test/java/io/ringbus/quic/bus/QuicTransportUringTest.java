package io.ringbus.quic.bus;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The shared suite over quic on the io_uring backend: the listener's UDP socket and the SDK
 * client's are the backend's {@code UringDatagramSocket}s. Skipped where io_uring is unavailable.
 */
class QuicTransportUringTest extends QuicTransportTest
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

    @Test
    void runsOnIoUring() throws Exception
    {
        startBus(BusConfig.builder().shards(1));
        assertEquals("io_uring", bus.backendName());
        assertArrayEquals(new byte[] {1, 2, 3}, client().request(1, new byte[] {1, 2, 3}, TIMEOUT).body());
    }
}
