package io.ringbus.uring;

import io.ringbus.core.config.BusConfig;
import io.ringbus.core.config.IdleMode;

/**
 * The shared suite on io_uring with spinning shards: only {@code poll(0)} ever runs, so every
 * completion must surface without a blocking {@code io_uring_enter} (DEFER_TASKRUN work is run when
 * the ring flags it).
 */
public class UringSpinningTcpTransportTest extends UringTcpTransportTest
{
    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return super.configure(builder).idleMode(IdleMode.SPINNING);
    }
}
