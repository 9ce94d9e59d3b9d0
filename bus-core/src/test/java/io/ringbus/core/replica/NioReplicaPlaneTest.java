package io.ringbus.core.replica;

import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;

/** The replica plane on the NIO backend. */
public class NioReplicaPlaneTest extends ReplicaPlaneSuite
{
    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return builder.backend(Backend.NIO);
    }
}
