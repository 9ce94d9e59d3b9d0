package io.ringbus.ws;

import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.ConnectionMemorySuite;
import io.ringbus.core.transport.RawPeer;
import io.ringbus.core.transport.TransportPermutation;
import io.ringbus.core.transport.TransportPermutations;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.stream.Stream;

/** Memory per connection over ws and wss on every backend and TLS provider. */
@ParameterizedClass(name = "{0}")
@MethodSource("permutations")
class WsConnectionMemoryTest extends ConnectionMemorySuite
{
    private final WsTransportTest transport;

    WsConnectionMemoryTest(final TransportPermutation permutation)
    {
        super(permutation);
        this.transport = new WsTransportTest(permutation);
    }

    static Stream<TransportPermutation> permutations()
    {
        return TransportPermutations.of(TransportPermutation.Scheme.WS, TransportPermutation.Scheme.WSS);
    }

    @Override
    protected RawPeer openRaw(final InetSocketAddress address) throws IOException
    {
        return transport.openRaw(address);
    }

    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return transport.configure(builder);
    }
}
