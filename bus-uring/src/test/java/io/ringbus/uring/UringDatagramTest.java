package io.ringbus.uring;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.backend.IoDatagramSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Datagram sockets on the io_uring backend, mirroring bus-core's {@code NioDatagramTest}: the backend
 * is driven by hand on the test thread (the ring's single issuer), each test in both poll modes where
 * it matters (multishot POLL_ADD, and one-shot re-armed after each completion). Peers are
 * io_uring sockets of the same backend or plain JDK {@link DatagramChannel}s.
 */
class UringDatagramTest
{
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);
    private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private UringBackend backend;

    /** A socket and what its readable callback drained; touched only by the polling thread. */
    private static final class Endpoint
    {
        final ByteBuffer scratch;
        final List<String> received = new ArrayList<>();
        final List<InetSocketAddress> senders = new ArrayList<>();
        int callbacks;
        UringDatagramSocket socket;

        Endpoint(final ByteBuffer scratch)
        {
            this.scratch = scratch;
        }

        /** The readable callback: receive until none is left, as the contract asks. */
        void drain()
        {
            callbacks++;
            try
            {
                InetSocketAddress sender;
                while ((sender = socket.receive(scratch.clear())) != null)
                {
                    record(sender);
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }

        /** A lazy callback: one datagram per call, the rest left for the next readiness. */
        void receiveOne()
        {
            callbacks++;
            try
            {
                final InetSocketAddress sender = socket.receive(scratch.clear());
                if (sender != null)
                {
                    record(sender);
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }

        private void record(final InetSocketAddress sender)
        {
            scratch.flip();
            final byte[] bytes = new byte[scratch.remaining()];
            scratch.get(bytes);
            received.add(new String(bytes, StandardCharsets.UTF_8));
            senders.add(sender);
        }
    }

    @BeforeEach
    void setUp()
    {
        assumeTrue(IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
        backend = new UringBackend(0);
    }

    @AfterEach
    void tearDown() throws Exception
    {
        for (final AutoCloseable closeable : toClose)
        {
            closeable.close();
        }
        if (backend != null)
        {
            backend.close();
            assertEquals(0, backend.registeredHandles());
            assertEquals(0, backend.callbackFailures());
            assertEquals(0, backend.unexpectedCompletions());
        }
    }

    private static void assumeMode(final boolean multishot)
    {
        assumeTrue(!multishot || IoUring.isPollAddMultishotEnabled(), "multishot POLL_ADD unavailable");
    }

    private Endpoint open(final InetSocketAddress address, final InetSocketAddress connectTo, final boolean multishot)
        throws IOException
    {
        final Endpoint endpoint = new Endpoint(ByteBuffer.allocateDirect(2048));
        endpoint.socket = backend.openDatagram(address, connectTo, endpoint::drain, multishot);
        assertEquals(multishot, endpoint.socket.isMultishot());
        return endpoint;
    }

    private void pollUntil(final BooleanSupplier condition, final String what) throws IOException
    {
        final long deadline = System.nanoTime() + TIMEOUT_NS;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("timed out waiting for: " + what);
            }
            backend.poll(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    private DatagramChannel jdkPeer(final InetSocketAddress bindTo) throws IOException
    {
        final DatagramChannel channel = DatagramChannel.open(
            bindTo.getAddress() instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        toClose.add(channel);
        channel.bind(bindTo);
        return channel;
    }

    private static ByteBuffer utf8(final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        final ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length + 8);
        buffer.position(5).limit(5 + bytes.length); // not at 0: the address arithmetic must use the position
        buffer.put(5, bytes);
        return buffer;
    }

    @ParameterizedTest(name = "multishot = {0}")
    @ValueSource(booleans = {true, false})
    void datagramsArriveWholeThroughTheReadableCallbackAndBothWays(final boolean multishot) throws Exception
    {
        assumeMode(multishot);
        final Endpoint server = open(ANY_LOOPBACK, null, multishot);
        assertNotEquals(0, server.socket.localAddress().getPort());
        final Endpoint client = open(ANY_LOOPBACK, server.socket.localAddress(), multishot);
        assertNotEquals(0, client.socket.localAddress().getPort());

        for (int i = 0; i < 3; i++)
        {
            final ByteBuffer datagram = utf8("hello " + i);
            assertTrue(client.socket.send(datagram, null));
            assertFalse(datagram.hasRemaining(), "the whole datagram went");
        }
        pollUntil(() -> server.received.size() == 3, "three datagrams at the server");
        assertEquals(List.of("hello 0", "hello 1", "hello 2"), server.received);
        final InetSocketAddress sender = server.senders.get(0);
        assertInstanceOf(InetSocketAddress.class, sender);
        assertEquals(client.socket.localAddress(), sender);
        assertEquals(client.socket.localAddress().getAddress(), sender.getAddress());

        assertTrue(server.socket.send(utf8("reply"), sender));
        pollUntil(() -> !client.received.isEmpty(), "the reply at the client");
        assertEquals(List.of("reply"), client.received);
        assertEquals(server.socket.localAddress(), client.senders.get(0));
        assertNull(client.socket.receive(client.scratch.clear()), "nothing more waits");
        assertNull(server.socket.receive(server.scratch.clear()), "nothing more waits");

        client.socket.close();
        server.socket.close();
        pollUntil(() -> backend.registeredHandles() == 0, "both descriptors closed through the ring");
    }

    @ParameterizedTest(name = "multishot = {0}")
    @ValueSource(booleans = {true, false})
    void unconnectedSocketsTalkToAJdkPeerBothWays(final boolean multishot) throws Exception
    {
        assumeMode(multishot);
        final Endpoint socket = open(ANY_LOOPBACK, null, multishot);
        final DatagramChannel peer = jdkPeer(ANY_LOOPBACK);
        final InetSocketAddress peerAddress = (InetSocketAddress)peer.getLocalAddress();

        peer.send(ByteBuffer.wrap("from jdk".getBytes(StandardCharsets.UTF_8)), socket.socket.localAddress());
        pollUntil(() -> !socket.received.isEmpty(), "the JDK peer's datagram");
        assertEquals(List.of("from jdk"), socket.received);
        assertEquals(peerAddress, socket.senders.get(0));

        assertTrue(socket.socket.send(utf8("from uring"), peerAddress));
        final ByteBuffer into = ByteBuffer.allocate(64);
        assertEquals(socket.socket.localAddress(), peer.receive(into)); // blocking: the datagram is already there
        assertEquals("from uring", new String(into.array(), 0, into.position(), StandardCharsets.UTF_8));
    }

    @Test
    void anUnconnectedSendNeedsATarget() throws Exception
    {
        final Endpoint socket = open(ANY_LOOPBACK, null, false);
        assertThrows(IllegalArgumentException.class, () -> socket.socket.send(utf8("nowhere"), null));
    }

    @Test
    void aConnectedSocketHearsOnlyItsPeer() throws Exception
    {
        final Endpoint server = open(ANY_LOOPBACK, null, false);
        final Endpoint client = open(ANY_LOOPBACK, server.socket.localAddress(), false);
        final DatagramChannel stranger = jdkPeer(ANY_LOOPBACK);

        // Loopback delivers during sendto: the stranger's datagram would be queued before the reply.
        stranger.send(ByteBuffer.wrap("stray".getBytes(StandardCharsets.UTF_8)), client.socket.localAddress());
        assertTrue(server.socket.send(utf8("reply"), client.socket.localAddress()));
        pollUntil(() -> !client.received.isEmpty(), "the reply");
        assertEquals(List.of("reply"), client.received);
    }

    @ParameterizedTest(name = "multishot = {0}")
    @ValueSource(booleans = {true, false})
    void aDatagramLongerThanTheRoomLeftIsTruncatedWithoutError(final boolean multishot) throws Exception
    {
        assumeMode(multishot);
        final ByteBuffer small = ByteBuffer.allocateDirect(64);
        final List<Integer> positions = new ArrayList<>();
        final List<InetSocketAddress> senders = new ArrayList<>();
        final UringDatagramSocket[] truncating = new UringDatagramSocket[1];
        truncating[0] = backend.openDatagram(ANY_LOOPBACK, null, () ->
        {
            try
            {
                InetSocketAddress sender;
                // 16 bytes of room, from position 10 to limit 26.
                while ((sender = truncating[0].receive(small.clear().position(10).limit(26))) != null)
                {
                    positions.add(small.position());
                    senders.add(sender);
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }, multishot);
        final Endpoint sender = open(ANY_LOOPBACK, null, multishot);

        final byte[] big = new byte[1000];
        for (int i = 0; i < big.length; i++)
        {
            big[i] = (byte)i;
        }
        assertTrue(sender.socket.send(ByteBuffer.allocateDirect(big.length).put(big).flip(), truncating[0].localAddress()));
        pollUntil(() -> positions.size() == 1, "the truncated datagram");
        assertEquals(List.of(26), positions, "16 bytes landed, the rest of the datagram is gone");
        final byte[] head = new byte[16];
        small.get(10, head);
        final byte[] expected = new byte[16];
        System.arraycopy(big, 0, expected, 0, 16);
        assertArrayEquals(expected, head);
        assertEquals(sender.socket.localAddress(), senders.get(0));

        assertTrue(sender.socket.send(utf8("next"), truncating[0].localAddress()));
        pollUntil(() -> positions.size() == 2, "the next datagram, whole");
        assertEquals(14, positions.get(1));
        final byte[] next = new byte[4];
        small.get(10, next);
        assertEquals("next", new String(next, StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "multishot = {0}")
    @ValueSource(booleans = {true, false})
    void closeWithADatagramWaitingStopsCallbacks(final boolean multishot) throws Exception
    {
        assumeMode(multishot);
        final Endpoint server = open(ANY_LOOPBACK, null, multishot);
        final Endpoint client = open(ANY_LOOPBACK, server.socket.localAddress(), multishot);
        backend.poll(0); // the POLL_ADDs are in the kernel now

        assertTrue(client.socket.send(utf8("too late"), null)); // readable before anyone polls again
        server.socket.close();
        assertEquals(UringDatagramSocket.State.CLOSING, server.socket.state(), "the poll is being cancelled");
        assertThrows(ClosedChannelException.class, () -> server.socket.receive(server.scratch.clear()));
        assertThrows(ClosedChannelException.class, () -> server.socket.send(utf8("x"), client.socket.localAddress()));
        pollUntil(() -> server.socket.state() == UringDatagramSocket.State.CLOSED, "the CLOSE completed");
        assertEquals(0, server.callbacks, "no callback after close");
        assertEquals(1, backend.registeredHandles(), "only the client is left");
        server.socket.close(); // idempotent
    }

    @ParameterizedTest(name = "multishot = {0}")
    @ValueSource(booleans = {true, false})
    void closeFromTheCallbackEndsTheCallbacks(final boolean multishot) throws Exception
    {
        assumeMode(multishot);
        final List<String> received = new ArrayList<>();
        final ByteBuffer scratch = ByteBuffer.allocateDirect(256);
        final int[] callbacks = new int[1];
        final UringDatagramSocket[] server = new UringDatagramSocket[1];
        server[0] = backend.openDatagram(ANY_LOOPBACK, null, () ->
        {
            callbacks[0]++;
            try
            {
                if (server[0].receive(scratch.clear()) != null)
                {
                    received.add(StandardCharsets.UTF_8.decode(scratch.flip()).toString());
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
            server[0].close(); // one datagram and no more, though two more wait
        }, multishot);
        final Endpoint client = open(ANY_LOOPBACK, server[0].localAddress(), multishot);
        for (int i = 0; i < 3; i++)
        {
            assertTrue(client.socket.send(utf8("d" + i), null));
        }
        pollUntil(() -> server[0].state() == UringDatagramSocket.State.CLOSED, "the CLOSE completed");
        assertEquals(1, callbacks[0]);
        assertEquals(List.of("d0"), received);
    }

    @Test
    void aOneShotPollIsReArmedWhileDatagramsAreLeftUnread() throws Exception
    {
        final Endpoint server = new Endpoint(ByteBuffer.allocateDirect(256));
        server.socket = backend.openDatagram(ANY_LOOPBACK, null, server::receiveOne, false);
        final Endpoint client = open(ANY_LOOPBACK, server.socket.localAddress(), false);
        for (int i = 0; i < 3; i++)
        {
            assertTrue(client.socket.send(utf8("lazy " + i), null));
        }
        pollUntil(() -> server.received.size() == 3, "all three, one per readiness");
        assertEquals(List.of("lazy 0", "lazy 1", "lazy 2"), server.received);
        assertTrue(server.callbacks >= 3);
    }

    @Test
    void heapBuffersAreCopiedThroughABounce() throws Exception
    {
        final ByteBuffer into = ByteBuffer.allocate(64);
        final List<Integer> positions = new ArrayList<>();
        final List<InetSocketAddress> senders = new ArrayList<>();
        final UringDatagramSocket[] server = new UringDatagramSocket[1];
        server[0] = backend.openDatagram(ANY_LOOPBACK, null, () ->
        {
            try
            {
                InetSocketAddress sender;
                while ((sender = server[0].receive(into.clear().position(3))) != null)
                {
                    positions.add(into.position());
                    senders.add(sender);
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }, false);
        final Endpoint client = open(ANY_LOOPBACK, server[0].localAddress(), false);
        final ByteBuffer heap = ByteBuffer.wrap("..heap datagram..".getBytes(StandardCharsets.UTF_8));
        heap.position(2).limit(heap.limit() - 2);
        assertTrue(client.socket.send(heap, null));
        assertFalse(heap.hasRemaining());

        pollUntil(() -> !positions.isEmpty(), "the datagram");
        assertEquals(client.socket.localAddress(), senders.get(0));
        assertEquals(3 + "heap datagram".length(), positions.get(0));
        assertEquals("heap datagram", new String(into.array(), 3, "heap datagram".length(), StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "multishot = {0}")
    @ValueSource(booleans = {true, false})
    void ipv6LoopbackWorksToo(final boolean multishot) throws Exception
    {
        assumeMode(multishot);
        final InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("::1"), 0);
        final UringSocket probe;
        try
        {
            probe = UringDatagramSocket.newSocket(v6, null);
        }
        catch (final IOException ex)
        {
            assumeTrue(false, "no IPv6 loopback: " + ex.getMessage());
            return;
        }
        UringSocket.closeQuietly(probe.intValue());

        final Endpoint server = open(v6, null, multishot);
        final Endpoint client = open(v6, server.socket.localAddress(), multishot);
        assertInstanceOf(Inet6Address.class, server.socket.localAddress().getAddress());
        assertTrue(client.socket.send(utf8("six"), null));
        pollUntil(() -> !server.received.isEmpty(), "the IPv6 datagram");
        assertEquals(client.socket.localAddress(), server.senders.get(0));
        assertTrue(server.socket.send(utf8("back"), server.senders.get(0)));
        pollUntil(() -> !client.received.isEmpty(), "the IPv6 reply");
        assertEquals(List.of("back"), client.received);
    }

    @Test
    void theBackendPicksTheModeNettyEnablesAndClosesOpenSocketsOnTeardown() throws Exception
    {
        final IoDatagramSocket socket = backend.openDatagram(ANY_LOOPBACK, null, () -> { });
        assertEquals(IoUring.isPollAddMultishotEnabled(), ((UringDatagramSocket)socket).isMultishot());
        assertEquals(1, backend.registeredHandles());
        // Left open on purpose: backend.close() in tearDown cancels the poll and closes it.
    }
}
