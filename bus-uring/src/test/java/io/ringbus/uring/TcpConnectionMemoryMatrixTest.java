package io.ringbus.uring;

import io.ringbus.core.transport.ConnectionMemorySuite;
import io.ringbus.core.transport.RawPeer;
import io.ringbus.core.transport.TcpTransportTest;
import io.ringbus.core.transport.TransportPermutation;
import io.ringbus.core.transport.TransportPermutations;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.stream.Stream;

/** Memory per connection on plain TCP on every backend (bus-core's class path has only NIO). */
@ParameterizedClass(name = "{0}")
@MethodSource("permutations")
class TcpConnectionMemoryMatrixTest extends ConnectionMemorySuite
{
    TcpConnectionMemoryMatrixTest(final TransportPermutation permutation)
    {
        super(permutation);
    }

    static Stream<TransportPermutation> permutations()
    {
        return TransportPermutations.of(TransportPermutation.Scheme.TCP);
    }

    @Override
    protected RawPeer openRaw(final InetSocketAddress address) throws IOException
    {
        return new TcpTransportTest.SocketPeer(new Socket(address.getAddress(), address.getPort()));
    }
}
