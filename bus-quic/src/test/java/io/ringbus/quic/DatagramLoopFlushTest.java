package io.ringbus.quic;

import io.ringbus.core.backend.AcceptedSocket;
import io.ringbus.core.backend.IoBackend;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.IoChannelHandler;
import io.ringbus.core.backend.IoDatagramSocket;
import io.ringbus.core.backend.IoListener;
import io.ringbus.core.config.IdleMode;
import io.ringbus.core.shard.Shard;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A QUIC endpoint's datagrams leave in batches: the sends of a pass, then one
 * {@link IoDatagramSocket#flush()} for backends that submit them together (issue 16 point 6).
 */
class DatagramLoopFlushTest
{
    /** A datagram socket that records what it is asked to do, in order. */
    static final class RecordingSocket implements IoDatagramSocket
    {
        final List<String> calls = new ArrayList<>();

        @Override
        public InetSocketAddress receive(final ByteBuffer dst)
        {
            return null;
        }

        @Override
        public boolean send(final ByteBuffer src, final InetSocketAddress target)
        {
            calls.add("send " + src.remaining());
            src.position(src.limit());
            return true;
        }

        @Override
        public void flush()
        {
            calls.add("flush");
        }

        @Override
        public InetSocketAddress localAddress()
        {
            return new InetSocketAddress(0);
        }

        @Override
        public void close()
        {
            calls.add("close");
        }
    }

    /** A backend with one datagram socket and nothing else. */
    static final class DatagramOnlyBackend implements IoBackend
    {
        final RecordingSocket socket = new RecordingSocket();

        @Override
        public String name()
        {
            return "datagram-only";
        }

        @Override
        public int poll(final long timeoutNs)
        {
            return 0;
        }

        @Override
        public void wakeup()
        {
        }

        @Override
        public IoListener listen(final InetSocketAddress address, final Consumer<AcceptedSocket> onAccept)
        {
            throw new UnsupportedOperationException();
        }

        @Override
        public IoChannel register(final AcceptedSocket socket, final IoChannelHandler handler)
        {
            throw new UnsupportedOperationException();
        }

        @Override
        public IoChannel connect(final InetSocketAddress address, final IoChannelHandler handler)
        {
            throw new UnsupportedOperationException();
        }

        @Override
        public IoDatagramSocket openDatagram(final InetSocketAddress address, final InetSocketAddress connectTo,
            final Runnable onReadable)
        {
            return socket;
        }

        @Override
        public void close()
        {
        }
    }

    private static final DatagramLoop.Handler NO_HANDLER = new DatagramLoop.Handler()
    {
        @Override
        public void onDatagram(final ByteBuffer datagram, final InetSocketAddress sender, final long nowNs)
        {
        }

        @Override
        public void onReceiveFailed(final IOException ex)
        {
        }

        @Override
        public void afterPass(final long nowNs, final boolean more)
        {
        }
    };

    @Test
    void thePassesSendsGoOutThenOneFlushAndAnEmptyPassFlushesNothing() throws IOException
    {
        final DatagramOnlyBackend backend = new DatagramOnlyBackend();
        final Shard shard = new Shard(0, backend, IdleMode.BLOCKING, 8, 16, (failed, ex) -> { }, () -> 0L);
        final DatagramLoop loop = new DatagramLoop(shard, () -> 0L, new InetSocketAddress(0), null, NO_HANDLER);
        final InetSocketAddress peer = new InetSocketAddress("127.0.0.1", 4433);
        for (int i = 0; i < 3; i++)
        {
            loop.send(ByteBuffer.allocate(1452), peer);
        }
        loop.flushSends();
        loop.flushSends(); // nothing sent since: no flush
        loop.send(ByteBuffer.allocate(100), peer);
        loop.close(); // what is held goes before the socket closes
        assertEquals(List.of("send 1452", "send 1452", "send 1452", "flush", "send 100", "flush", "close"),
            backend.socket.calls);
        assertEquals(4, loop.datagramsSent());
        assertEquals(2.0, loop.datagramsPerFlush());
    }
}
