package io.ringbus.core.backend;

import java.util.ServiceLoader;

/**
 * A backend that lives outside bus-core (io_uring in bus-uring), found through
 * {@link ServiceLoader} so that bus-core depends on none of them. Stateless; any thread.
 */
public interface IoBackendProvider
{
    /** The backend's name as {@code BusConfig.backend} spells it: "io_uring". */
    String name();

    /** True if this machine's kernel and libraries allow the backend. */
    boolean isAvailable();

    /** Why {@link #isAvailable()} is false (for the start-up error), or null. */
    String unavailabilityReason();

    /** A new backend for shard {@code shardIndex}; called on the starting thread. */
    IoBackend create(int shardIndex);

    /** The provider named {@code name}, or null if none is on the class path. */
    static IoBackendProvider find(final String name)
    {
        for (final IoBackendProvider provider : ServiceLoader.load(IoBackendProvider.class))
        {
            if (provider.name().equals(name))
            {
                return provider;
            }
        }
        return null;
    }
}
