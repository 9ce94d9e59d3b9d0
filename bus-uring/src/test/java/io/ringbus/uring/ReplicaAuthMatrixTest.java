package io.ringbus.uring;

import io.ringbus.core.config.BusConfig;
import io.ringbus.core.replica.ReplicaAuthSuite;
import io.ringbus.core.transport.TransportPermutation;
import io.ringbus.core.transport.TransportPermutations;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

/** The authenticated replica handshake (tcp) on every backend: bus-core's class path has only NIO. */
@ParameterizedClass(name = "{0}")
@MethodSource("permutations")
class ReplicaAuthMatrixTest extends ReplicaAuthSuite
{
    private final TransportPermutation permutation;

    ReplicaAuthMatrixTest(final TransportPermutation permutation)
    {
        this.permutation = permutation;
    }

    static Stream<TransportPermutation> permutations()
    {
        return TransportPermutations.of(TransportPermutation.Scheme.TCP);
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
}
