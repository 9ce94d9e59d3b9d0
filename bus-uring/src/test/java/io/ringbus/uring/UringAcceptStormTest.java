package io.ringbus.uring;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.AcceptStormTest;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import org.junit.jupiter.api.BeforeEach;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Accepting never waits on a mailbox, with the io_uring backend (register runs inline in an accept completion). */
public class UringAcceptStormTest extends AcceptStormTest
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
