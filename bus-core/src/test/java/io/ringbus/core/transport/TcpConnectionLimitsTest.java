package io.ringbus.core.transport;

import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

/** The connection limits suite on plain tcp (bus-core's class path has only NIO; bus-ws runs the rest). */
@ParameterizedClass(name = "{0}")
@MethodSource("permutations")
class TcpConnectionLimitsTest extends ConnectionLimitsSuite
{
    TcpConnectionLimitsTest(final TransportPermutation permutation)
    {
        super(permutation);
    }

    static Stream<TransportPermutation> permutations()
    {
        return TransportPermutations.of(TransportPermutation.Scheme.TCP);
    }
}
