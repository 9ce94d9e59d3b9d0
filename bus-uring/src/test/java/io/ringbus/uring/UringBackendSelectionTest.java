package io.ringbus.uring;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.backend.IoBackendProvider;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code backend = io_uring | auto | nio} picks what it says when bus-uring is on the class path. */
class UringBackendSelectionTest
{
    private static final BusHandler NO_OP = new BusHandler()
    {
    };

    @BeforeEach
    void requireIoUring()
    {
        assumeTrue(IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
    }

    @Test
    void theProviderIsFoundByServiceLoader()
    {
        final IoBackendProvider provider = IoBackendProvider.find("io_uring");
        assertNotNull(provider, "META-INF/services names the provider");
        assertInstanceOf(UringBackendProvider.class, provider);
        assertTrue(provider.isAvailable());
        assertNull(provider.unavailabilityReason());
    }

    @Test
    void ioUringIsReallyUsedWhenAsked()
    {
        try (MessageBus bus = MessageBus.start(BusConfig.builder().shards(2).backend(Backend.IO_URING).build(), NO_OP))
        {
            assertEquals("io_uring", bus.backendName());
        }
    }

    @Test
    void autoPicksIoUringWhereTheKernelAllowsIt()
    {
        try (MessageBus bus = MessageBus.start(BusConfig.builder().shards(1).backend(Backend.AUTO).build(), NO_OP))
        {
            assertEquals("io_uring", bus.backendName());
        }
    }

    @Test
    void nioStaysNio()
    {
        try (MessageBus bus = MessageBus.start(BusConfig.builder().shards(1).backend(Backend.NIO).build(), NO_OP))
        {
            assertEquals("nio", bus.backendName());
        }
    }
}
