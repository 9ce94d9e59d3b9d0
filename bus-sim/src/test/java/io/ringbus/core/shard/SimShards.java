package io.ringbus.core.shard;

import org.agrona.concurrent.NanoClock;

import io.ringbus.core.backend.IoBackend;
import io.ringbus.core.config.IdleMode;

/**
 * Test access to Shard's package-private constructor that takes a clock, so that a shard under
 * simulation reads the virtual one (bus-sim's tests only; the lead's world injects it its own way).
 */
public final class SimShards
{
    private SimShards()
    {
    }

    public static Shard shard(final int index, final IoBackend backend, final Shard.FailureHandler failureHandler,
        final NanoClock clock)
    {
        return new Shard(index, backend, IdleMode.BLOCKING, 64, 64, failureHandler, clock);
    }
}
