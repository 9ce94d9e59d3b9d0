package io.ringbus.core.backend;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class NioDatagramTest
{
    private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @Test
    void datagramsArriveWholeThroughTheReadableCallbackAndBothWays() throws Exception
    {
        try (NioBackend backend = new NioBackend())
        {
            final List<String> atServer = new ArrayList<>();
            final List<InetSocketAddress> senders = new ArrayList<>();
            final ByteBuffer scratch = ByteBuffer.allocateDirect(2048);
            final IoDatagramSocket[] server = new IoDatagramSocket[1];
            server[0] = backend.openDatagram(ANY_LOOPBACK, null, () -> drain(server[0], scratch, atServer, senders));
            assertNotEquals(0, server[0].localAddress().getPort());

            final List<String> atClient = new ArrayList<>();
            final IoDatagramSocket[] client = new IoDatagramSocket[1];
            client[0] = backend.openDatagram(ANY_LOOPBACK, server[0].localAddress(),
                () -> drain(client[0], scratch, atClient, new ArrayList<>()));

            for (int i = 0; i < 3; i++)
            {
                assertEquals(true, client[0].send(utf8("hello " + i), null));
            }
            while (atServer.size() < 3)
            {
                backend.poll(1_000_000_000L);
            }
            assertEquals(List.of("hello 0", "hello 1", "hello 2"), atServer);
            assertEquals(client[0].localAddress().getPort(), senders.get(0).getPort());

            assertEquals(true, server[0].send(utf8("reply"), senders.get(0)));
            while (atClient.isEmpty())
            {
                backend.poll(1_000_000_000L);
            }
            assertEquals(List.of("reply"), atClient);
            assertNull(client[0].receive(scratch.clear()), "nothing more waits");
            client[0].close();
            server[0].close();
        }
    }

    @Test
    void aBackendWithoutDatagramsSaysSo()
    {
        final IoBackend none = new IoBackend()
        {
            public String name()
            {
                return "none";
            }

            public int poll(final long timeoutNs)
            {
                return 0;
            }

            public void wakeup()
            {
            }

            public IoListener listen(final InetSocketAddress address,
                final Consumer<AcceptedSocket> onAccept)
            {
                return null;
            }

            public IoChannel register(final AcceptedSocket socket, final IoChannelHandler handler)
            {
                return null;
            }

            public IoChannel connect(final InetSocketAddress address, final IoChannelHandler handler)
            {
                return null;
            }

            public void close()
            {
            }
        };
        final UnsupportedOperationException ex = assertThrows(UnsupportedOperationException.class,
            () -> none.openDatagram(ANY_LOOPBACK, null, () -> { }));
        assertEquals("the none backend has no datagram sockets", ex.getMessage());
    }

    private static void drain(final IoDatagramSocket socket, final ByteBuffer scratch, final List<String> into,
        final List<InetSocketAddress> senders)
    {
        try
        {
            InetSocketAddress sender;
            while ((sender = socket.receive(scratch.clear())) != null)
            {
                scratch.flip();
                final byte[] bytes = new byte[scratch.remaining()];
                scratch.get(bytes);
                into.add(new String(bytes, StandardCharsets.UTF_8));
                senders.add(sender);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static ByteBuffer utf8(final String text)
    {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }
}
