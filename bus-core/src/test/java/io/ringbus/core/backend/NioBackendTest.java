package io.ringbus.core.backend;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NioBackendTest
{
    private static final IoChannelHandler IGNORE = new IoChannelHandler()
    {
        @Override
        public void onConnect(final int result)
        {
        }

        @Override
        public void onRead(final int result)
        {
        }

        @Override
        public void onWrite(final long result)
        {
        }
    };

    /**
     * NIO copies inside its own calls, so a closed channel is quiescent at once (the connection
     * releases its buffers in the same call) and never touches a buffer it was given again.
     */
    @Test
    void aClosedChannelIsQuiescentAtOnceAndNeverTouchesItsReadBufferAgain() throws Exception
    {
        final NioBackend backend = new NioBackend();
        final AtomicReference<AcceptedSocket> accepted = new AtomicReference<>();
        final IoListener listener = backend.listen(new InetSocketAddress("127.0.0.1", 0), accepted::set);
        final AtomicInteger events = new AtomicInteger();
        final IoChannelHandler counting = new IoChannelHandler()
        {
            @Override
            public void onConnect(final int result)
            {
                events.incrementAndGet();
            }

            @Override
            public void onRead(final int result)
            {
                events.incrementAndGet();
            }

            @Override
            public void onWrite(final long result)
            {
                events.incrementAndGet();
            }

            @Override
            public void onQuiescent()
            {
                events.incrementAndGet();
            }
        };
        try (Socket peer = new Socket("127.0.0.1", listener.localAddress().getPort()))
        {
            for (int i = 0; i < 1000 && accepted.get() == null; i++)
            {
                backend.poll(10_000_000L);
            }
            assertTrue(accepted.get() != null, "accepted");
            final IoChannel channel = backend.register(accepted.get(), counting);
            final ByteBuffer dst = ByteBuffer.allocateDirect(64);
            channel.read(dst);
            channel.writev(new ByteBuffer[] {ByteBuffer.allocateDirect(8)}, 1);
            assertFalse(channel.isQuiescent(), "open");
            peer.getOutputStream().write(new byte[] {1, 2, 3});
            channel.close();
            assertTrue(channel.isQuiescent(), "quiescent as soon as closed");
            for (int i = 0; i < 5; i++)
            {
                backend.poll(1_000_000L);
            }
            assertEquals(0, events.get(), "nothing delivered after close, onQuiescent not needed");
            for (int i = 0; i < dst.capacity(); i++)
            {
                assertEquals(0, dst.get(i), "the read buffer was not written into after close");
            }
        }
        finally
        {
            listener.close();
            backend.close();
        }
    }

    @Test
    void aReadIntoABufferWithNoRoomIsRefusedRatherThanMistakenForEndOfStream() throws Exception
    {
        final NioBackend backend = new NioBackend();
        final AtomicReference<AcceptedSocket> accepted = new AtomicReference<>();
        final IoListener listener = backend.listen(new InetSocketAddress("127.0.0.1", 0), accepted::set);
        try (Socket peer = new Socket("127.0.0.1", listener.localAddress().getPort()))
        {
            for (int i = 0; i < 1000 && accepted.get() == null; i++)
            {
                backend.poll(10_000_000L);
            }
            assertTrue(accepted.get() != null, "accepted");
            final IoChannel channel = backend.register(accepted.get(), IGNORE);
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> channel.read(ByteBuffer.allocateDirect(0)));
            assertEquals("a read needs room in its buffer", ex.getMessage());
            channel.close();
            assertTrue(peer.isConnected());
        }
        finally
        {
            listener.close();
            backend.close();
        }
    }
}
