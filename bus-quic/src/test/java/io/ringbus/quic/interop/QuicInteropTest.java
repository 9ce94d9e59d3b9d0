package io.ringbus.quic.interop;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.client.Reply;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.EchoHandler;
import io.ringbus.quic.QuicSettings;
import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.tls.SelfSignedCertificate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static io.ringbus.quic.interop.EchoExchange.PIPELINED_BODY;
import static io.ringbus.quic.interop.EchoExchange.PIPELINED_FRAMES;
import static io.ringbus.quic.interop.EchoExchange.expectedReply;
import static io.ringbus.quic.interop.EchoExchange.pipelined;
import static io.ringbus.quic.interop.EchoExchange.receive;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Our QUIC transport against two independent implementations, both directions, both cipher
 * suites (issue 6, point 7): our {@link BusClient} to a Netty QUIC (quiche) server and to a Kwik
 * server; a Netty QUIC client and a Kwik client to our {@link MessageBus}. Each pair does the
 * handshake with ALPN {@code ringbus}, 1,000 request/reply round trips and a 10 MiB pipelined
 * transfer, checked byte for byte. Our side picks the suite: as a client it offers only that one,
 * as a server it accepts only that one.
 */
class QuicInteropTest
{
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int ROUND_TRIPS = 1_000;

    private static SelfSignedCertificate certificate;
    private static X509Certificate[] chain;
    private static PrivateKey key;

    /** A peer library: its server and its client. */
    enum Peer
    {
        NETTY
        {
            @Override
            QuicPeerServer server(final PeerOptions options) throws IOException
            {
                return NettyQuicPeer.server(chain, key, options);
            }

            @Override
            QuicPeerClient client(final int port, final PeerOptions options) throws IOException
            {
                return NettyQuicPeer.client("localhost", port, certificate.certificate(), options);
            }
        },
        KWIK
        {
            @Override
            QuicPeerServer server(final PeerOptions options) throws IOException
            {
                return KwikPeer.server(chain, key, options);
            }

            @Override
            QuicPeerClient client(final int port, final PeerOptions options) throws IOException
            {
                return KwikPeer.client("localhost", port, certificate.certificate(), options);
            }
        };

        abstract QuicPeerServer server(PeerOptions options) throws IOException;

        abstract QuicPeerClient client(int port, PeerOptions options) throws IOException;
    }

    static Stream<Arguments> peersAndSuites()
    {
        final List<Arguments> arguments = new ArrayList<>();
        for (final Peer peer : Peer.values())
        {
            for (final CipherSuite suite : CipherSuite.values())
            {
                arguments.add(Arguments.of(peer, suite));
            }
        }
        return arguments.stream();
    }

    @BeforeAll
    static void generateCertificate()
    {
        certificate = SelfSignedCertificate.generate();
        chain = new X509Certificate[] {certificate.certificate()};
        key = certificate.privateKey();
    }

    // ---------------------------------------------------------------------------------------------
    // Our client to their server

    @ParameterizedTest(name = "ringbus client -> {0} server, {1}")
    @MethodSource("peersAndSuites")
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void ourClientToTheirServer(final Peer peer, final CipherSuite suite) throws Exception
    {
        try (QuicPeerServer server = peer.server(PeerOptions.defaults());
            BusClient client = BusClient.connect(URI.create("quic://localhost:" + server.port()),
                ClientOptions.defaults().withTransportSettings("quic", QuicSettings.builder()
                    .tls(certificate.clientSettings().build()).cipherSuites(suite).build())))
        {
            for (int i = 0; i < ROUND_TRIPS; i++)
            {
                final byte[] body = body(i, (i * 37) % 2048);
                final Reply reply = client.request(1, body, WAIT);
                assertArrayEquals(body, reply.body(), "reply " + i);
            }

            final List<byte[]> bodies = new ArrayList<>(PIPELINED_FRAMES);
            final List<CompletableFuture<Reply>> replies = new ArrayList<>(PIPELINED_FRAMES);
            for (int i = 0; i < PIPELINED_FRAMES; i++)
            {
                final byte[] body = body(1_000_000 + i, PIPELINED_BODY);
                bodies.add(body);
                replies.add(client.requestAsync(1, body));
            }
            for (int i = 0; i < PIPELINED_FRAMES; i++)
            {
                assertArrayEquals(bodies.get(i), replies.get(i).get(WAIT.toMillis(), TimeUnit.MILLISECONDS).body(),
                    "pipelined reply " + i);
            }

            final EchoStats stats = server.stats();
            assertEquals(ROUND_TRIPS + PIPELINED_FRAMES, stats.framesReceived(), stats::toString);
            assertEquals(0, stats.protocolErrors(), stats::toString);
            if (stats.lastCipherSuite() != null)
            {
                assertEquals(suite.name(), normalise(stats.lastCipherSuite()), stats::toString);
            }
        }
    }

    @ParameterizedTest(name = "ringbus client -> netty server accepting only {0}: HelloRetryRequest")
    @ValueSource(strings = {"P-256"})
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void ourClientAnswersAHelloRetryRequestFromQuiche(final String group) throws Exception
    {
        // Our ClientHello carries an X25519 key share only (QuicTlsConfig's first group); quiche limited
        // to P-256 can only go on with a HelloRetryRequest, so a completed handshake means we answered one.
        try (QuicPeerServer server = Peer.NETTY.server(PeerOptions.defaults().withGroups(group));
            BusClient client = BusClient.connect(URI.create("quic://localhost:" + server.port()),
                ClientOptions.defaults().withTransportSettings("quic", QuicSettings.builder()
                    .tls(certificate.clientSettings().build()).build())))
        {
            final byte[] body = body(7, 100);
            assertArrayEquals(body, client.request(1, body, WAIT).body());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Their client to our server

    @ParameterizedTest(name = "{0} client -> ringbus server, {1}")
    @MethodSource("peersAndSuites")
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theirClientToOurServer(final Peer peer, final CipherSuite suite) throws Exception
    {
        final BusConfig config = BusConfig.builder().transportSettings("quic", QuicSettings.builder()
            .tls(certificate.serverSettings().build()).cipherSuites(suite).build()).build();
        final AtomicReference<String> negotiated = new AtomicReference<>();
        final EchoHandler echo = new EchoHandler()
        {
            @Override
            protected void afterRequest(final MessageBus bus, final ClientConnMeta client)
            {
                negotiated.set(client.detail("tls.cipher_suite"));
            }
        };
        final MessageBus bus = MessageBus.start(config, echo);
        try
        {
            final InetSocketAddress address = bus.listen(URI.create("quic://127.0.0.1:0"));
            // Kwik offers exactly the suites listed; Netty (BoringSSL) offers all and we choose.
            try (QuicPeerClient client = peer.client(address.getPort(),
                peer == Peer.KWIK ? PeerOptions.defaults().withCipherSuites(suite) : PeerOptions.defaults()))
            {
                for (int i = 0; i < ROUND_TRIPS; i++)
                {
                    final byte[] request = TestFrames.frame(Command.REQUEST, (i * 37) % 2048, i + 1);
                    client.send(request);
                    assertArrayEquals(expectedReply(request), receive(client, "reply " + i, WAIT), "reply " + i);
                }
                pipelined(client, WAIT, Duration.ofSeconds(30));
                assertEquals(suite.name(), normalise(negotiated.get()), "the suite our server chose");
            }
        }
        finally
        {
            bus.close();
        }
        // After the close: until the server has seen the peer's close, its connection still holds its
        // pooled receive buffer (receive buffers are pooled since issue 11), which is no leak.
        bus.pool().assertNoLeaks();
    }


    private static byte[] body(final int seed, final int length)
    {
        final byte[] body = new byte[length];
        for (int i = 0; i < length; i++)
        {
            body[i] = (byte)(seed * 31 + i);
        }
        return body;
    }

    /** A library's suite name (TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256 ...) as our enum names it. */
    private static String normalise(final String name)
    {
        return name.startsWith("TLS_") ? name.substring(4) : name;
    }
}
