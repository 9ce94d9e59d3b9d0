package io.ringbus.quic.bus;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.client.Reply;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.Await;
import io.ringbus.core.transport.EchoHandler;
import io.ringbus.quic.QuicSettings;
import io.ringbus.quic.RetryMode;
import io.ringbus.quic.packet.PacketProtection;
import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.packet.StatelessReset;
import io.ringbus.quic.packet.VersionNegotiation;
import io.ringbus.tls.SelfSignedCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * QUIC address validation and resets on a real bus over loopback UDP (issue 13, point 4, and the
 * quic side of points 5 and 7): Retry in {@code always} and {@code auto} mode, tokens bound to the
 * client's address, stateless resets for unknown connections (their shape, the loop rule, and our
 * client ending its connection on one), Version Negotiation, and the bus's per-address connection
 * limit applied to quic Initials. Absences are ordered behind a later answer of the same shard.
 */
class QuicAddressValidationTest
{
    private static final SelfSignedCertificate CERTIFICATE = QuicTransportTest.CERTIFICATE;
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final String ENDPOINT_LOGGER = "io.ringbus.quic.QuicServerEndpoint";
    private static final String CONNECTION_LOGGER = "io.ringbus.quic.conn.QuicConnection";
    private static final byte[] RESET_KEY = new byte[32];

    static
    {
        Arrays.fill(RESET_KEY, (byte)0x5A);
    }

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<MessageBus> buses = new ArrayList<>();

    private MessageBus bus(final BusConfig.Builder builder, final QuicSettings.Builder quic)
    {
        final MessageBus bus = MessageBus.start(builder.backend(Backend.NIO)
            .transportSettings("quic", quic.tls(CERTIFICATE.serverSettings().build()).build()).build(), new EchoHandler());
        buses.add(bus);
        return bus;
    }

    private static InetSocketAddress listen(final MessageBus bus)
    {
        return bus.listen(URI.create("quic://127.0.0.1:0"));
    }

    private <T extends AutoCloseable> T closeLater(final T closeable)
    {
        toClose.add(closeable);
        return closeable;
    }

    private BusClient client(final InetSocketAddress to) throws IOException
    {
        return closeLater(BusClient.connect(URI.create("quic://127.0.0.1:" + to.getPort()),
            ClientOptions.defaults().withTransportSettings("quic", CERTIFICATE.clientSettings().build())));
    }

    private DatagramChannel udp(final InetSocketAddress to) throws IOException
    {
        final DatagramChannel channel = closeLater(DatagramChannel.open());
        channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).connect(to).configureBlocking(false);
        return channel;
    }

    @AfterEach
    void tearDown() throws Exception
    {
        for (int i = toClose.size() - 1; i >= 0; i--)
        {
            toClose.get(i).close();
        }
        for (final MessageBus bus : buses)
        {
            bus.close();
            assertEquals(0, bus.stats().openConnections(), "every connection closed");
            bus.pool().assertNoLeaks();
        }
    }

    private static byte[] echo(final BusClient client, final int seed) throws Exception
    {
        final byte[] body = {(byte)seed, 2, 3};
        final Reply reply = client.request(1, body, TIMEOUT);
        assertArrayEquals(body, reply.body());
        return reply.body();
    }

    // ---------------------------------------------------------------------------------------------
    // Retry

    @Test
    void inAlwaysModeOurClientFollowsTheRetryAndATokenFromAnotherAddressIsDropped() throws Exception
    {
        final MessageBus bus = bus(BusConfig.builder().shards(1), QuicSettings.builder().retryMode(RetryMode.ALWAYS));
        final InetSocketAddress address = listen(bus);
        try (LogCapture log = new LogCapture(ENDPOINT_LOGGER))
        {
            final UdpRelay relay = closeLater(new UdpRelay(address));
            final BusClient client = client(relay.address());
            echo(client, 1);

            final List<byte[]> sent = relay.clientDatagrams();
            assertEquals(0, initialTokenLength(sent.get(0)), "the first Initial carries no token");
            byte[] withToken = null;
            for (final byte[] datagram : sent)
            {
                if (isInitial(datagram) && initialTokenLength(datagram) > 0)
                {
                    withToken = datagram;
                    break;
                }
            }
            assertNotNull(withToken, "after the Retry the client's Initials carry its token");

            // The same Initial, token and all, from another port of the same host: refused (RFC 9000 8.1.4)
            // with an immediate INVALID_TOKEN close (8.1.2) in an Initial under the client's Initial keys.
            final DatagramChannel other = udp(address);
            other.write(ByteBuffer.wrap(withToken));
            final byte[] close = receive(other);
            Await.until(TIMEOUT, () -> log.count(Level.WARNING, "token issued to another address") == 1, "logged");
            assertTrue(isInitial(close), "an Initial");
            final byte[] dcid = Arrays.copyOfRange(withToken, 6, 6 + withToken[5]);
            final int pnOffset = 6 + close[5] + 1 + close[6 + close[5]] + 1 + 2;
            final PacketProtection keys = PacketProtection.initial(dcid, false);
            assertTrue(keys.unprotect(close, 0, pnOffset, close.length, -1), "opens with the client's Initial keys");
            assertEquals(0x1c, close[keys.payloadOffset()], "CONNECTION_CLOSE");
            assertEquals(QuicException.INVALID_TOKEN, close[keys.payloadOffset() + 1], "INVALID_TOKEN");
            assertEquals(1, bus.stats().openConnections(), "no second connection: " + log.messages());
            echo(client, 2);
        }
    }

    @Test
    void inAutoModeARetryIsSentOnceTheHandshakesInProgressReachTheThreshold() throws Exception
    {
        final MessageBus bus = bus(BusConfig.builder().shards(1).handshakeGrace(Duration.ofSeconds(10)),
            QuicSettings.builder().retryMode(RetryMode.AUTO).autoRetryThreshold(1));
        final InetSocketAddress address = listen(bus);
        final DatagramChannel channel = udp(address);
        final HandClient first = new HandClient(channel, CERTIFICATE.certificate());
        final HandClient second = new HandClient(channel, CERTIFICATE.certificate());
        final int[] received = new int[2];
        final int[] retries = new int[2];
        final Consumer<ByteBuffer> route = datagram ->
        {
            final int to = Arrays.equals(destination(datagram), first.localCid()) ? 0 : 1;
            received[to]++;
            if ((datagram.get(datagram.position()) & 0xF0) == 0xF0)
            {
                retries[to]++;
            }
            (to == 0 ? first : second).deliver(datagram);
        };

        first.start();
        first.mode(HandClient.Mode.MUTE); // its ClientHello is out, nothing more: its handshake stays in progress
        HandClient.pump(channel, TIMEOUT, () -> received[0] > 0, route, first); // the server made its connection and answered
        second.start();
        HandClient.pump(channel, TIMEOUT, second::isEstablished, route, second);

        assertEquals(0, retries[0], "under the threshold: no Retry");
        assertEquals(1, retries[1], "at the threshold: one Retry, followed");
        assertFalse(first.isEstablished());
    }

    // ---------------------------------------------------------------------------------------------
    // Connection limits

    @Test
    void aThirdQuicConnectionFromOneAddressIsRefusedUntilOneOfTwoCloses() throws Exception
    {
        final MessageBus bus = bus(BusConfig.builder().shards(1).maxConnectionsPerAddress(2),
            QuicSettings.builder().retryMode(RetryMode.NEVER));
        final InetSocketAddress address = listen(bus);
        try (LogCapture log = new LogCapture(ENDPOINT_LOGGER))
        {
            final BusClient one = client(address);
            final BusClient two = client(address);
            echo(one, 1);
            echo(two, 2);
            final DatagramChannel channel = udp(address);
            final HandClient third = new HandClient(channel, CERTIFICATE.certificate());
            third.start();
            Await.until(TIMEOUT, () -> log.count(Level.WARNING, "max_connections_per_address") == 1,
                "the third Initial refused");
            assertFalse(third.isEstablished());
            assertEquals(2, bus.stats().openConnections());

            // A flood of refused Initials logs one line per second at most (LogLimiter), not one each.
            final long startNs = System.nanoTime();
            final DatagramChannel flood = udp(address);
            final HandClient captured = new HandClient(flood, CERTIFICATE.certificate()).mode(HandClient.Mode.CAPTURE);
            captured.start();
            final byte[] initial = captured.captured().get(0);
            for (int i = 0; i < 200; i++)
            {
                flood.write(ByteBuffer.wrap(initial));
            }
            flood.write(ByteBuffer.wrap(longHeader(0x1a2a3a4a, 1200, (byte)9, new byte[] {9})));
            assertTrue(VersionNegotiation.isVersionNegotiation(ByteBuffer.wrap(receive(flood))),
                "the shard answered the datagram after the flood: it handled the flood");
            final long elapsedSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNs);
            final long lines = log.count(Level.WARNING, "max_connections_per_address");
            assertTrue(lines <= 2 + elapsedSeconds, lines + " lines in " + elapsedSeconds + " s:\n" + log.messages());
            assertEquals(2, bus.stats().openConnections());

            one.close(); // its place comes back once its connection leaves the endpoint
            HandClient.pump(channel, TIMEOUT, third::isEstablished, third::deliver, third); // the third's retransmitted Initial gets in
            assertTrue(third.isEstablished());
            echo(two, 3);
        }
    }

    @Test
    void aHandshakeThatRunsOutOfGraceGivesItsPlaceBack() throws Exception
    {
        final MessageBus bus = bus(BusConfig.builder().shards(1).maxConnectionsPerAddress(1)
            .handshakeGrace(Duration.ofMillis(300)), QuicSettings.builder().retryMode(RetryMode.NEVER));
        final InetSocketAddress address = listen(bus);
        final DatagramChannel channel = udp(address);
        final HandClient stalled = new HandClient(channel, CERTIFICATE.certificate());
        stalled.start();
        stalled.mode(HandClient.Mode.MUTE); // holds the one place of 127.0.0.1 until handshake_grace
        HandClient.pump(channel, TIMEOUT, stalled::isClosed, stalled::deliver, stalled);
        assertFalse(stalled.isEstablished());

        echo(client(address), 1); // the place came back: the next client from 127.0.0.1 gets in
    }

    // ---------------------------------------------------------------------------------------------
    // Stateless reset

    @Test
    void aShortHeaderDatagramForAnUnknownConnectionGetsAResetSmallerThanItCarryingTheKeyedToken() throws Exception
    {
        final MessageBus bus = bus(BusConfig.builder().shards(1), QuicSettings.builder().statelessResetKey(RESET_KEY));
        final DatagramChannel channel = udp(listen(bus));
        final StatelessReset resets = new StatelessReset(RESET_KEY);

        final byte[] tiny = shortHeader(21, (byte)1); // no reset could be smaller than it and at least 21 bytes
        final byte[] small = shortHeader(30, (byte)2);
        final byte[] large = shortHeader(1200, (byte)3);
        channel.write(ByteBuffer.wrap(tiny));
        channel.write(ByteBuffer.wrap(small));
        channel.write(ByteBuffer.wrap(large));

        final byte[] first = receive(channel);
        assertEquals(29, first.length, "answers the 30-byte datagram one byte shorter, the 21-byte one not at all");
        assertEquals(0x40, first[0] & 0xC0, "a short header with the fixed bit");
        assertArrayEquals(resets.token(small, 1, 8), Arrays.copyOfRange(first, 13, 29));
        final byte[] second = receive(channel);
        assertEquals(StatelessReset.MAX_LENGTH, second.length, "much smaller than the 1200-byte trigger");
        assertArrayEquals(resets.token(large, 1, 8), Arrays.copyOfRange(second, second.length - 16, second.length));
    }

    @Test
    void ourClientEndsItsConnectionOnTheResetOfAListenerThatLostIt() throws Exception
    {
        final QuicSettings.Builder sameKey = QuicSettings.builder().statelessResetKey(RESET_KEY);
        final MessageBus original = bus(BusConfig.builder().shards(1), sameKey);
        final UdpRelay relay = closeLater(new UdpRelay(listen(original)));
        final BusClient client = client(relay.address());
        echo(client, 1);

        // A listener with the same reset key that never saw this connection (as after a restart):
        final MessageBus restarted = bus(BusConfig.builder().shards(1), QuicSettings.builder().statelessResetKey(RESET_KEY));
        relay.retarget(listen(restarted));
        try (LogCapture log = new LogCapture(CONNECTION_LOGGER))
        {
            final CompletableFuture<Reply> reply = client.requestAsync(1, new byte[] {9});
            assertThrows(ExecutionException.class, () -> reply.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
            Await.until(TIMEOUT, () -> !client.isConnected(), "the client closed");
            assertEquals(1, log.count(Level.INFO, "stateless reset from the server"), log.messages());
        }
        assertEquals(0, restarted.stats().openConnections(), "the reset made no connection");
    }

    @Test
    void aKwikClientRecognisesTheResetOfAListenerThatLostItsConnection() throws Exception
    {
        final MessageBus original = bus(BusConfig.builder().shards(1), QuicSettings.builder().statelessResetKey(RESET_KEY));
        final UdpRelay relay = closeLater(new UdpRelay(listen(original)));
        final KwikRawPeer kwik = closeLater(KwikRawPeer.connect(relay.address(), CERTIFICATE.certificate()));
        final byte[] request = TestFrames.frame(Command.REQUEST, 10, 3);
        kwik.write(request);
        assertEquals(request.length, kwik.readFully(request.length, TIMEOUT).length);

        final MessageBus restarted = bus(BusConfig.builder().shards(1), QuicSettings.builder().statelessResetKey(RESET_KEY));
        relay.retarget(listen(restarted));
        kwik.write(request);
        final KwikRawPeer.Close close = kwik.awaitClose(TIMEOUT);
        assertTrue(close.reason().contains("(StatelessReset)"), "Kwik's close reason: " + close);
    }

    // ---------------------------------------------------------------------------------------------
    // Version Negotiation

    @Test
    void anUnknownVersionGetsVersionNegotiationButATinyDatagramOrAVersionNegotiationGetsNothing() throws Exception
    {
        final MessageBus bus = bus(BusConfig.builder().shards(1), QuicSettings.builder());
        final DatagramChannel channel = udp(listen(bus));
        final byte[] scid = {7, 7, 7};
        channel.write(ByteBuffer.wrap(longHeader(0x1a2a3a4a, 100, (byte)1, scid))); // too small to answer
        channel.write(ByteBuffer.wrap(longHeader(VersionNegotiation.VERSION_NEGOTIATION, 1200, (byte)2, scid)));
        channel.write(ByteBuffer.wrap(longHeader(0x1a2a3a4a, 1200, (byte)3, scid)));

        final ByteBuffer answer = ByteBuffer.wrap(receive(channel));
        assertTrue(VersionNegotiation.isVersionNegotiation(answer));
        assertEquals(1, VersionNegotiation.lists(answer, scid, 1), "lists v1");
        final byte[] echoedScid = Arrays.copyOfRange(answer.array(), 10, 10 + answer.get(9));
        assertArrayEquals(cid((byte)3), echoedScid, "the answer to the third datagram comes first: none to the others");
        assertEquals(answer.limit(), 10 + 8 + 8, "v1 and one greased version");
        assertEquals(0x0A0A0A0A, answer.getInt(answer.limit() - 4) & 0x0F0F0F0F, "greased");
    }

    @Test
    void ourClientAbandonsOnAVersionNegotiationWithoutV1() throws Exception
    {
        final DatagramChannel server = closeLater(DatagramChannel.open());
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).configureBlocking(true);
        final InetSocketAddress serverAddress = (InetSocketAddress)server.getLocalAddress();
        final Thread answer = new Thread(() ->
        {
            try
            {
                final ByteBuffer initial = ByteBuffer.allocate(2048);
                final InetSocketAddress from = (InetSocketAddress)server.receive(initial);
                initial.flip();
                final byte[] dcid = new byte[initial.get(5)];
                initial.get(6, dcid);
                final byte[] scid = new byte[initial.get(6 + dcid.length)];
                initial.get(7 + dcid.length, scid);
                final ByteBuffer vn = ByteBuffer.allocate(64);
                vn.put((byte)0x80).putInt(0).put((byte)scid.length).put(scid).put((byte)dcid.length).put(dcid)
                    .putInt(0xff00001d).putInt(0x6b3343cf);
                server.send(vn.flip(), from);
            }
            catch (final IOException ex)
            {
                // the test fails on its own: no answer
            }
        }, "vn-server");
        answer.setDaemon(true);
        answer.start();
        final IOException failed = assertThrows(IOException.class, () -> client(serverAddress));
        assertTrue(String.valueOf(failed.getMessage()).contains("Version Negotiation"), failed::toString);
        answer.join(TIMEOUT.toMillis());
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers

    private static byte[] cid(final byte tag)
    {
        final byte[] cid = new byte[8];
        Arrays.fill(cid, tag);
        return cid;
    }

    /** A datagram of {@code length} bytes opening with a short header to connection id {@code tag} x 8. */
    private static byte[] shortHeader(final int length, final byte tag)
    {
        final byte[] datagram = new byte[length];
        datagram[0] = 0x41;
        System.arraycopy(cid(tag), 0, datagram, 1, 8);
        return datagram;
    }

    /** A long-header datagram of {@code version}, {@code length} bytes, DCID {@code tag} x 8. */
    private static byte[] longHeader(final int version, final int length, final byte tag, final byte[] scid)
    {
        final ByteBuffer datagram = ByteBuffer.allocate(length);
        datagram.put((byte)0xC0).putInt(version).put((byte)8).put(cid(tag)).put((byte)scid.length).put(scid);
        return datagram.array();
    }

    private static byte[] receive(final DatagramChannel channel) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocate(2048);
        final long deadlineNs = System.nanoTime() + TIMEOUT.toNanos();
        try (Selector selector = Selector.open())
        {
            channel.register(selector, SelectionKey.OP_READ);
            while (channel.read(buffer.clear()) <= 0)
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new AssertionError("no datagram within " + TIMEOUT);
                }
                selector.select(100);
                selector.selectedKeys().clear();
            }
        }
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    private static boolean isInitial(final byte[] datagram)
    {
        return (datagram[0] & 0xF0) == 0xC0;
    }

    /** The token length of the client Initial opening {@code datagram}. */
    private static long initialTokenLength(final byte[] datagram)
    {
        final int dcid = datagram[5] & 0xFF;
        final int scid = datagram[6 + dcid] & 0xFF;
        final int at = 7 + dcid + scid;
        final int first = datagram[at] & 0xFF;
        return (first >> 6) == 0 ? first : (first & 0x3F) << 8 | (datagram[at + 1] & 0xFF);
    }

    /** The Destination Connection ID of a server datagram to a client with 8-byte ids. */
    private static byte[] destination(final ByteBuffer datagram)
    {
        final int start = datagram.position();
        if ((datagram.get(start) & 0x80) == 0)
        {
            return Arrays.copyOfRange(datagram.array(), start + 1, start + 9);
        }
        final int length = datagram.get(start + 5) & 0xFF;
        return Arrays.copyOfRange(datagram.array(), start + 6, start + 6 + length);
    }

}
