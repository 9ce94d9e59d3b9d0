package io.ringbus.quic.interop;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.Await;
import io.ringbus.core.transport.EchoHandler;
import io.ringbus.quic.tls.TestCertificates;
import io.ringbus.tls.TlsSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import static io.ringbus.quic.interop.EchoExchange.expectedReply;
import static io.ringbus.quic.interop.EchoExchange.receive;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutual TLS over QUIC against independent implementations (issue 13 point 2): a Netty QUIC
 * (quiche/BoringSSL) client with a key manager and a Kwik client with a client certificate to our
 * bus requiring one, both refused without one or with a stranger's; our client presenting its
 * certificate to a quiche server that requires one. Kwik's server (0.10.8) has no client
 * authentication, so that direction is tested with quiche only.
 */
class QuicMutualTlsInteropTest
{
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** RFC 9001 4.8: CRYPTO_ERROR for the TLS alert certificate_required (116). */
    private static final long CERTIFICATE_REQUIRED = 0x100 + 116;
    /** RFC 9001 4.8: CRYPTO_ERROR for certificate_unknown (46). */
    private static final long CERTIFICATE_UNKNOWN = 0x100 + 46;
    private static final String SESSION_LOGGER = "io.ringbus.quic.QuicSession";

    /** A peer library's client, presenting {@code identity} when asked (none if null). */
    enum Peer
    {
        NETTY
        {
            @Override
            QuicPeerClient client(final int port, final TestCertificates.Identity identity) throws IOException
            {
                return identity == null ?
                    NettyQuicPeer.client("localhost", port, TestCertificates.CA.leaf(), PeerOptions.defaults()) :
                    NettyQuicPeer.client("localhost", port, TestCertificates.CA.leaf(), PeerOptions.defaults(),
                        identity.chain, identity.key);
            }
        },
        KWIK
        {
            @Override
            QuicPeerClient client(final int port, final TestCertificates.Identity identity) throws IOException
            {
                return identity == null ?
                    KwikPeer.client("localhost", port, TestCertificates.CA.leaf(), PeerOptions.defaults()) :
                    KwikPeer.client("localhost", port, TestCertificates.CA.leaf(), PeerOptions.defaults(),
                        identity.leaf(), identity.key);
            }
        };

        abstract QuicPeerClient client(int port, TestCertificates.Identity identity) throws IOException;
    }

    private final Queue<ClientConnMeta> requested = new ConcurrentLinkedQueue<>();
    private MessageBus bus;

    /** Our bus, presenting {@link TestCertificates#EC_LEAF} and requiring a client certificate of the test CA. */
    private InetSocketAddress startBus()
    {
        final TlsSettings tls = TlsSettings.builder()
            .keyMaterial(TestCertificates.EC_LEAF.chain, TestCertificates.EC_LEAF.key)
            .clientCertificateAuthorities(TestCertificates.CA.leaf())
            .build();
        bus = MessageBus.start(BusConfig.builder().shards(1).transportSettings("quic", tls).build(), new EchoHandler()
        {
            @Override
            protected void afterRequest(final MessageBus bus, final ClientConnMeta client)
            {
                requested.add(client);
            }
        });
        return bus.listen(URI.create("quic://127.0.0.1:0"));
    }

    @AfterEach
    void tearDown()
    {
        if (bus != null)
        {
            bus.close();
            bus.pool().assertNoLeaks();
        }
    }

    @ParameterizedTest(name = "{0} client with a certificate -> ringbus server requiring one")
    @EnumSource(Peer.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theirClientWithACertificateIsAcceptedAndNamed(final Peer peer) throws Exception
    {
        final InetSocketAddress address = startBus();
        try (QuicPeerClient client = peer.client(address.getPort(), TestCertificates.CLIENT_LEAF))
        {
            final byte[] request = TestFrames.frame(Command.REQUEST, 100, 1);
            client.send(request);
            assertArrayEquals(expectedReply(request), receive(client, "the reply", WAIT));
        }
        final ClientConnMeta meta = requested.peek();
        assertNotNull(meta);
        assertEquals(TestCertificates.CLIENT_LEAF.leaf().getSubjectX500Principal().getName(), meta.peerSubject(),
            meta.toString());
        assertTrue(meta.peerNames().contains("DNS:client-7.example"), meta.toString());
    }

    @ParameterizedTest(name = "{0} client without a certificate -> refused with certificate_required")
    @EnumSource(Peer.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theirClientWithoutACertificateIsRefused(final Peer peer) throws Exception
    {
        assertRefused(peer, null, CERTIFICATE_REQUIRED, "certificate_required");
    }

    @ParameterizedTest(name = "{0} client with a stranger's certificate -> refused")
    @EnumSource(Peer.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theirClientWithAStrangersCertificateIsRefused(final Peer peer) throws Exception
    {
        if (peer == Peer.NETTY)
        {
            // BoringSSL under Netty asks its key manager for a key whose chain is issued by one of the
            // certificate_authorities we listed (RFC 8446 4.2.4): the stranger's is not, so it sends none
            assertRefused(peer, TestCertificates.STRANGER_LEAF, CERTIFICATE_REQUIRED, "certificate_required");
        }
        else
        {
            assertRefused(peer, TestCertificates.STRANGER_LEAF, CERTIFICATE_UNKNOWN, "certificate_unknown");
        }
    }

    /**
     * Our server logs the refusal with the alert; the client may count its handshake done once it
     * sent its Finished (RFC 9001 4.1.1), before the refusal: then a Netty client sees our
     * CONNECTION_CLOSE with the alert as its code. (Kwik 0.10.8 does not report a close that ends
     * its handshake to its connection listener, so only the server's side is checked there.)
     */
    private void assertRefused(final Peer peer, final TestCertificates.Identity identity, final long code,
        final String alert) throws Exception
    {
        final Queue<String> logged = new ConcurrentLinkedQueue<>();
        final Logger logger = Logger.getLogger(SESSION_LOGGER);
        final Handler capture = new Handler()
        {
            @Override
            public void publish(final LogRecord record)
            {
                logged.add(String.valueOf(new SimpleFormatter().formatMessage(record)));
            }

            @Override
            public void flush()
            {
            }

            @Override
            public void close()
            {
            }
        };
        logger.addHandler(capture);
        try
        {
            final InetSocketAddress address = startBus();
            QuicPeerClient client = null;
            try
            {
                client = peer.client(address.getPort(), identity);
            }
            catch (final IOException refused)
            {
                // the handshake failed on the client's side too
            }
            Await.until(WAIT, () -> logged.stream().anyMatch(line -> line.contains(alert)),
                "our server logs the refusal with " + alert);
            if (client != null)
            {
                if (peer == Peer.NETTY)
                {
                    final PeerClose close = client.awaitClose(WAIT);
                    assertTrue(close.byPeer(), close.toString());
                    assertFalse(close.application(), close.toString());
                    assertEquals(code, close.code(), close.toString());
                }
                client.close();
            }
            Await.until(WAIT, () -> bus.stats().openConnections() == 0, "no connection stays");
            assertTrue(requested.isEmpty(), "the application saw no request");
        }
        finally
        {
            logger.removeHandler(capture);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void ourClientPresentsItsCertificateToAQuicheServerThatRequiresOne() throws Exception
    {
        try (QuicPeerServer server = NettyQuicPeer.server(TestCertificates.EC_LEAF.chain, TestCertificates.EC_LEAF.key,
            PeerOptions.defaults(), TestCertificates.CA.leaf());
            BusClient client = BusClient.connect(URI.create("quic://localhost:" + server.port()),
                ClientOptions.defaults().withTransportSettings("quic", TlsSettings.builder()
                    .trust(TestCertificates.CA.leaf())
                    .keyMaterial(TestCertificates.CLIENT_LEAF.chain, TestCertificates.CLIENT_LEAF.key).build())))
        {
            assertArrayEquals(new byte[] {1, 2, 3}, client.request(1, new byte[] {1, 2, 3}, WAIT).body());
            assertEquals(TestCertificates.CLIENT_LEAF.leaf().getSubjectX500Principal().getName(),
                server.stats().lastPeerSubject());
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void ourClientWithoutACertificateIsRefusedByAQuicheServerThatRequiresOne() throws Exception
    {
        try (QuicPeerServer server = NettyQuicPeer.server(TestCertificates.EC_LEAF.chain, TestCertificates.EC_LEAF.key,
            PeerOptions.defaults(), TestCertificates.CA.leaf()))
        {
            final IOException ex = assertThrows(IOException.class, () -> BusClient.connect(
                URI.create("quic://localhost:" + server.port()),
                ClientOptions.defaults().withTransportSettings("quic", TlsSettings.builder()
                    .trust(TestCertificates.CA.leaf()).build())).close());
            assertEquals(0, server.stats().connections(), "quiche completed no handshake: " + ex);
        }
    }
}
