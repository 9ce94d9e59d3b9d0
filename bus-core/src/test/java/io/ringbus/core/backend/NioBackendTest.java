package io.ringbus.core.backend;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
