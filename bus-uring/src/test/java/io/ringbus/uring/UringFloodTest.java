package io.ringbus.uring;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.config.Backend;
import io.ringbus.core.transport.FloodTest;
import org.junit.jupiter.api.BeforeEach;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Issue 11, memory A, on the io_uring backend: non-reading flooders are held by their own queues. */
class UringFloodTest extends FloodTest
{
    @BeforeEach
    void requireIoUring()
    {
        assumeTrue(IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
    }

    @Override
    protected Backend backend()
    {
        return Backend.IO_URING;
    }
}
