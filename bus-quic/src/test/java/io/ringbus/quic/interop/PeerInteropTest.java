package io.ringbus.quic.interop;

import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.tls.SelfSignedCertificate;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import static io.ringbus.quic.interop.EchoExchange.PIPELINED_FRAMES;
import static io.ringbus.quic.interop.EchoExchange.expectedReply;
import static io.ringbus.quic.interop.EchoExchange.pipelined;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the interop peers against each other before they are pointed at our own QUIC transport:
 * Netty client to Kwik server and Kwik client to Netty server, each through a handshake with ALPN
 * {@code ringbus}, 1,000 request/reply round trips and a 10 MiB pipelined transfer, checked byte for
 * byte against the replies bus-core's echo builds; plus ALPN rejection, a protocol-error close,
 * Retry, and the cipher-suite option.
 */
class PeerInteropTest
{
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final int ROUND_TRIPS = 1_000;

    private static SelfSignedCertificate certificate;

    /** Starts a server peer. */
    @FunctionalInterface
    interface ServerFactory
    {
        QuicPeerServer start(X509Certificate[] chain, PrivateKey key, PeerOptions options)
            throws IOException;
    }

    /** Connects a client peer. */
    @FunctionalInterface
    interface ClientFactory
    {
        QuicPeerClient connect(String host, int port, X509Certificate trusted, PeerOptions options)
            throws IOException;
    }

    /** A client library against a server library. */
    record Pair(String name, ClientFactory client, ServerFactory server)
    {
        @Override
        public String toString()
        {
            return name;
        }
    }

    static Stream<Arguments> pairs()
    {
        return Stream.of(
            Arguments.of(new Pair("netty client -> kwik server", NettyQuicPeer::client, KwikPeer::server)),
            Arguments.of(new Pair("kwik client -> netty server", KwikPeer::client, NettyQuicPeer::server)));
    }

    @BeforeAll
    static void generateCertificate()
    {
        certificate = SelfSignedCertificate.generate();
    }

    private static QuicPeerServer server(final Pair pair, final PeerOptions options) throws IOException
    {
        return pair.server().start(new X509Certificate[] {certificate.certificate()}, certificate.privateKey(), options);
    }

    private static QuicPeerClient client(final Pair pair, final QuicPeerServer server, final PeerOptions options)
        throws IOException
    {
        return pair.client().connect("localhost", server.port(), certificate.certificate(), options);
    }


    @ParameterizedTest(name = "{0}")
    @MethodSource("pairs")
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void roundTripsThenPipelinedTransfer(final Pair pair) throws Exception
    {
        try (QuicPeerServer server = server(pair, PeerOptions.defaults());
            QuicPeerClient client = client(pair, server, PeerOptions.defaults()))
        {
            long sent = 0;
            for (int i = 0; i < ROUND_TRIPS; i++)
            {
                final byte[] request = TestFrames.frame(Command.REQUEST, (i * 37) % 2048, i);
                client.send(request);
                final byte[] reply = receive(client, "reply " + i + " of " + ROUND_TRIPS, server);
                assertArrayEquals(expectedReply(request), reply, "reply " + i);
                assertEquals(Command.REPLY.code(), FrameHeader.command(new UnsafeBuffer(reply), 0));
                sent += request.length;
            }

            sent += pipelined(client, Duration.ofSeconds(10), Duration.ofSeconds(20));

            final byte[] ping = TestFrames.frame(Command.PING_CLIENT, 0, 42);
            client.send(ping);
            final byte[] pong = client.receiveFrame(WAIT);
            assertEquals(Command.PONG_CLIENT.code(), FrameHeader.command(new UnsafeBuffer(pong), 0));
            assertEquals(42L, FrameHeader.request(new UnsafeBuffer(pong), 0));
            sent += ping.length;

            // Finishing our side makes the echo finish its side.
            client.shutdownOutput();
            final IOException end = assertThrows(IOException.class, () -> client.receiveFrame(WAIT));
            assertTrue(end.getMessage().contains("FIN"), end.getMessage());

            final EchoStats stats = server.stats();
            assertEquals(1, stats.connections(), stats::toString);
            assertEquals(1, stats.streams(), stats::toString);
            assertEquals(sent, stats.bytesReceived(), stats::toString);
            assertEquals(ROUND_TRIPS + PIPELINED_FRAMES + 1, stats.framesReceived(), stats::toString);
            assertEquals(stats.framesReceived(), stats.repliesSent(), stats::toString);
            assertEquals(0, stats.protocolErrors(), stats::toString);
        }
    }

    /** The next frame, or a failure naming {@code what} and the server's view. */
    private static byte[] receive(final QuicPeerClient client, final String what, final QuicPeerServer server)
        throws IOException
    {
        try
        {
            return client.receiveFrame(WAIT);
        }
        catch (final TimeoutException ex)
        {
            throw new AssertionError(what + ": " + ex.getMessage() + "; server " + server.stats(), ex);
        }
    }


    @ParameterizedTest(name = "{0}")
    @MethodSource("pairs")
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void serverRejectsAnotherAlpn(final Pair pair) throws Exception
    {
        try (QuicPeerServer server = server(pair, PeerOptions.defaults()))
        {
            // Kwik usually answers with a CONNECTION_CLOSE (sometimes nothing); Netty (quiche) sends
            // nothing at all, so there the refusal shows as a handshake timeout: keep the bound short.
            final PeerOptions wrongAlpn = PeerOptions.defaults().withAlpn("not-ringbus")
                .withTimeouts(Duration.ofSeconds(2), WAIT);
            final IOException refused = assertThrows(IOException.class, () -> client(pair, server, wrongAlpn).close());
            assertNotNull(refused.getMessage());
            assertEquals(0, server.stats().streams());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pairs")
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void protocolErrorClosesWithApplicationError(final Pair pair) throws Exception
    {
        try (QuicPeerServer server = server(pair, PeerOptions.defaults());
            QuicPeerClient client = client(pair, server, PeerOptions.defaults()))
        {
            // A replica command from a client: WIRE.md makes it a protocol error.
            client.send(TestFrames.frame(Command.PREPARE, 16, 7));
            final PeerClose close = client.awaitClose(WAIT);
            assertTrue(close.byPeer(), close::toString);
            assertTrue(close.application(), close::toString);
            assertEquals(KwikPeer.PROTOCOL_ERROR, close.code(), close::toString);
            assertTrue(close.reason().contains("prepare"), close::toString);
            assertEquals(1, server.stats().protocolErrors());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pairs")
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void handshakeWithRetry(final Pair pair) throws Exception
    {
        try (QuicPeerServer server = server(pair, PeerOptions.defaults().withRetry(true));
            QuicPeerClient client = client(pair, server, PeerOptions.defaults()))
        {
            final byte[] request = TestFrames.frame(Command.REQUEST, 100, 9);
            client.send(request);
            assertArrayEquals(expectedReply(request), client.receiveFrame(WAIT));
        }
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void kwikClientChoosesTheCipherSuite() throws Exception
    {
        for (final CipherSuite suite : CipherSuite.values())
        {
            try (NettyQuicPeer.Server server = NettyQuicPeer.server(
                    new X509Certificate[] {certificate.certificate()}, certificate.privateKey());
                KwikPeer.Client client = KwikPeer.client("localhost", server.port(), certificate.certificate(),
                    PeerOptions.defaults().withCipherSuites(suite)))
            {
                final byte[] request = TestFrames.frame(Command.REQUEST, 10, 3);
                client.send(request);
                assertArrayEquals(expectedReply(request), client.receiveFrame(WAIT));
                assertEquals("TLS_" + suite.name(), server.stats().lastCipherSuite(), suite.name());
            }
        }
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void insecureClientsConnect() throws Exception
    {
        final X509Certificate[] chain = {certificate.certificate()};
        try (QuicPeerServer netty = NettyQuicPeer.server(chain, certificate.privateKey());
            QuicPeerServer kwik = KwikPeer.server(chain, certificate.privateKey());
            QuicPeerClient toKwik = NettyQuicPeer.clientInsecure("127.0.0.1", kwik.port());
            QuicPeerClient toNetty = KwikPeer.clientInsecure("127.0.0.1", netty.port()))
        {
            for (final QuicPeerClient client : List.of(toKwik, toNetty))
            {
                final byte[] request = TestFrames.frame(Command.REQUEST, 1, 5);
                client.send(request);
                assertArrayEquals(expectedReply(request), client.receiveFrame(WAIT), client.toString());
            }
        }
    }
}
