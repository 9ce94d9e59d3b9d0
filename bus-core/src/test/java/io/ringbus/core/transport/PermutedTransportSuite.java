package io.ringbus.core.transport;

import io.ringbus.core.config.BusConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link TransportSuite} driven by a {@link TransportPermutation}: a concrete class per module is
 * annotated {@code @ParameterizedClass(name = "{0}") @MethodSource(...)} with its combinations
 * from {@link TransportPermutations}, and adds only what its scheme needs (certificates, a raw
 * peer). The combination is in every test's display name.
 */
public abstract class PermutedTransportSuite extends TransportSuite
{
    protected final TransportPermutation permutation;

    protected PermutedTransportSuite(final TransportPermutation permutation)
    {
        this.permutation = permutation;
    }

    @BeforeEach
    void assumeRunnable()
    {
        permutation.assumeRunnable();
    }

    @Override
    protected String scheme()
    {
        return permutation.scheme().uri();
    }

    /** The backend and idle mode of the permutation; a subclass adds its scheme's settings. */
    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return permutation.configure(builder);
    }

    @Test
    void runsOnTheBackendItNames() throws Exception
    {
        startBus(BusConfig.builder().shards(1));
        assertEquals(permutation.backendName(), bus.backendName());
        assertEquals(3, client().request(1, new byte[] {1, 2, 3}, TIMEOUT).body().length);
    }
}
