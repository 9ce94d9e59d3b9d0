package io.ringbus.uring;

import io.ringbus.core.transport.PermutedTransportSuite;
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

/**
 * The shared client-plane suite on plain TCP on every backend (bus-core's class path has only NIO),
 * and on io_uring once more with spinning shards (only {@code poll(0)} ever runs there, so every
 * completion must surface without a blocking {@code io_uring_enter}: DEFER_TASKRUN work is run when
 * the ring flags it).
 */
@ParameterizedClass(name = "{0}")
@MethodSource("permutations")
class TcpTransportMatrixTest extends PermutedTransportSuite
{
    TcpTransportMatrixTest(final TransportPermutation permutation)
    {
        super(permutation);
    }

    static Stream<TransportPermutation> permutations()
    {
        return Stream.concat(TransportPermutations.of(TransportPermutation.Scheme.TCP),
            TransportPermutations.spinningOnIoUring(TransportPermutation.Scheme.TCP));
    }

    @Override
    protected RawPeer openRaw(final InetSocketAddress address) throws IOException
    {
        return new TcpTransportTest.SocketPeer(new Socket(address.getAddress(), address.getPort()));
    }
}
