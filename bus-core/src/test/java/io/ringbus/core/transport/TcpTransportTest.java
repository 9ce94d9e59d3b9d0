package io.ringbus.core.transport;

import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * The shared suite on plain TCP, on every backend this module's class path has (NIO here; bus-uring
 * runs the tcp combinations again with io_uring). Its {@link SocketPeer} is the raw peer of tcp,
 * and, over an SSLSocket, of tls.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("permutations")
public class TcpTransportTest extends PermutedTransportSuite
{
    public TcpTransportTest(final TransportPermutation permutation)
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
        return new SocketPeer(new Socket(address.getAddress(), address.getPort()));
    }

    /** A raw peer over a blocking socket. */
    public static final class SocketPeer implements RawPeer
    {
        private final Socket socket;

        public SocketPeer(final Socket socket) throws IOException
        {
            this.socket = socket;
            socket.setTcpNoDelay(true);
        }

        @Override
        public void write(final byte[] bytes) throws IOException
        {
            socket.getOutputStream().write(bytes);
        }

        @Override
        public byte[] readUntilClosed(final Duration timeout) throws IOException
        {
            final long deadline = System.nanoTime() + timeout.toNanos();
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final InputStream in = socket.getInputStream();
            final byte[] chunk = new byte[64 * 1024];
            while (true)
            {
                final long leftMs = (deadline - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0)
                {
                    throw new SocketTimeoutException("the server did not close within " + timeout.toMillis() + " ms");
                }
                socket.setSoTimeout((int)leftMs);
                final int n;
                try
                {
                    n = in.read(chunk);
                }
                catch (final SocketException ex)
                {
                    socket.close();
                    return out.toByteArray(); // reset by the server: closed too
                }
                if (n < 0)
                {
                    socket.close(); // answer the server's FIN with ours, as a well-behaved peer does
                    return out.toByteArray();
                }
                out.write(chunk, 0, n);
            }
        }

        @Override
        public byte[] readFully(final int length, final Duration timeout) throws IOException
        {
            socket.setSoTimeout((int)timeout.toMillis());
            return socket.getInputStream().readNBytes(length);
        }

        @Override
        public void close() throws IOException
        {
            socket.close();
        }
    }
}
