package io.ringbus.core.replica;

import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.TransportPermutation;
import io.ringbus.core.transport.TransportPermutations;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

/**
 * The replica plane (tcp) on every backend this module's class path has (NIO; bus-uring adds
 * io_uring), without and with a cluster key.
 */
@ParameterizedClass(name = "{0} {1}")
@MethodSource("permutations")
class ReplicaPlaneTest extends ReplicaPlaneSuite
{
    private final TransportPermutation permutation;
    private final Keying keying;

    ReplicaPlaneTest(final TransportPermutation permutation, final Keying keying)
    {
        this.permutation = permutation;
        this.keying = keying;
    }

    static Stream<Arguments> permutations()
    {
        return Keying.times(TransportPermutations.of(TransportPermutation.Scheme.TCP));
    }

    @BeforeEach
    void assumeRunnable()
    {
        permutation.assumeRunnable();
    }

    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return permutation.configure(builder);
    }

    @Override
    protected byte[] clusterKey()
    {
        return keying.key();
    }
}
