package io.ringbus.uring;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.backend.IoBackend;
import io.ringbus.core.backend.IoBackendProvider;

/**
 * Makes the io_uring backend findable by {@code MessageBus} through {@link java.util.ServiceLoader}
 * ({@code backend = io_uring}, and {@code auto} where the kernel allows it). Availability is Netty's
 * probe: the JNI library loads, the kernel is 5.9 or later and has every opcode used here.
 * Stateless; any thread ({@link #create} runs on the thread that builds the bus).
 */
public final class UringBackendProvider implements IoBackendProvider
{
    /** The backend's name in configuration and logs. */
    public static final String NAME = "io_uring";

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public boolean isAvailable()
    {
        return IoUring.isAvailable();
    }

    @Override
    public String unavailabilityReason()
    {
        final Throwable cause = IoUring.unavailabilityCause();
        if (cause == null)
        {
            return null;
        }
        final Throwable root = cause.getCause() != null ? cause.getCause() : cause;
        return root == cause ? cause.toString() : cause + " (" + root + ")";
    }

    @Override
    public IoBackend create(final int shardIndex)
    {
        return new UringBackend(shardIndex);
    }
}
