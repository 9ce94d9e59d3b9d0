package io.ringbus.ws;

import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.ConnectionLimitsSuite;
import io.ringbus.core.transport.TransportPermutation;
import io.ringbus.core.transport.TransportPermutations;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

/**
 * The connection limits suite on tls, ws and wss on every backend and TLS provider, and on tcp on
 * io_uring (bus-core runs tcp on NIO): this module's class path has them all. A refused tls or wss
 * peer sends its ClientHello and gets no ServerHello; a refused ws peer gets no 101.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("permutations")
class ConnectionLimitsMatrixTest extends ConnectionLimitsSuite
{
    ConnectionLimitsMatrixTest(final TransportPermutation permutation)
    {
        super(permutation);
    }

    static Stream<TransportPermutation> permutations()
    {
        return Stream.concat(
            TransportPermutations.of(TransportPermutation.Scheme.TCP).filter(p -> p.backend() == Backend.IO_URING),
            TransportPermutations.of(TransportPermutation.Scheme.TLS, TransportPermutation.Scheme.WS,
                TransportPermutation.Scheme.WSS));
    }

    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        final String scheme = permutation.scheme().uri();
        return permutation.scheme().hasTls() ?
            super.configure(builder).transportSettings(scheme, TestTls.serverSettings(permutation)) :
            super.configure(builder);
    }
}
