package io.ringbus.uring;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.BusFailureTest;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import org.junit.jupiter.api.BeforeEach;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A shard failure stops the whole bus, with the io_uring backend. */
public class UringBusFailureTest extends BusFailureTest
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
