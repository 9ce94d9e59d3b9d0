package io.ringbus.core.transport;

import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.stream.Stream;

/** Memory per connection on plain TCP, on every backend on the class path (bus-uring runs it on io_uring too). */
@ParameterizedClass(name = "{0}")
@MethodSource("permutations")
public class TcpConnectionMemoryTest extends ConnectionMemorySuite
{
    public TcpConnectionMemoryTest(final TransportPermutation permutation)
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
