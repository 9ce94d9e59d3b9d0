package io.ringbus.quic.interop;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.EchoHandler;
import io.ringbus.quic.QuicSettings;
import io.ringbus.quic.RetryMode;
import io.ringbus.tls.SelfSignedCertificate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetSocketAddress;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.ringbus.quic.interop.EchoExchange.expectedReply;
import static io.ringbus.quic.interop.EchoExchange.receive;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Retry (RFC 9000 8.1.2, 17.2.5; RFC 9001 5.8) between our QUIC stack and two independent ones:
 * a quiche (Netty QUIC) and a Kwik client follow the Retry of our listener in {@code always} mode
 * and exchange frames (their stacks check our integrity tag and our original_destination_connection_id
 * and retry_source_connection_id parameters); our client follows the Retry of a quiche and of a Kwik
 * server (our stack checks theirs).
 */
class QuicRetryInteropTest
{
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int ROUND_TRIPS = 50;

    private static SelfSignedCertificate certificate;

    enum Peer
    {
        NETTY, KWIK
    }

    @BeforeAll
    static void generateCertificate()
    {
        certificate = SelfSignedCertificate.generate();
    }

    @ParameterizedTest(name = "{0} client -> ringbus server with --quic-retry always")
    @EnumSource(Peer.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theirClientFollowsOurRetry(final Peer peer) throws Exception
    {
        final BusConfig config = BusConfig.builder().transportSettings("quic", QuicSettings.builder()
            .tls(certificate.serverSettings().build()).retryMode(RetryMode.ALWAYS).build()).build();
        final MessageBus bus = MessageBus.start(config, new EchoHandler());
        try
        {
            final InetSocketAddress address = bus.listen(URI.create("quic://127.0.0.1:0"));
            try (QuicPeerClient client = peer == Peer.NETTY ?
                NettyQuicPeer.client("localhost", address.getPort(), certificate.certificate(), PeerOptions.defaults()) :
                KwikPeer.client("localhost", address.getPort(), certificate.certificate(), PeerOptions.defaults()))
            {
                for (int i = 0; i < ROUND_TRIPS; i++)
                {
                    final byte[] request = TestFrames.frame(Command.REQUEST, (i * 37) % 2048, i + 1);
                    client.send(request);
                    assertArrayEquals(expectedReply(request), receive(client, "reply " + i, WAIT), "reply " + i);
                }
            }
        }
        finally
        {
            bus.close();
        }
        bus.pool().assertNoLeaks();
    }

    @ParameterizedTest(name = "ringbus client -> {0} server sending Retry")
    @EnumSource(Peer.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void ourClientFollowsTheirRetry(final Peer peer) throws Exception
    {
        final X509Certificate[] chain = {certificate.certificate()};
        final PeerOptions options = PeerOptions.defaults().withRetry(true);
        try (QuicPeerServer server = peer == Peer.NETTY ? NettyQuicPeer.server(chain, certificate.privateKey(), options) :
            KwikPeer.server(chain, certificate.privateKey(), options);
            BusClient client = BusClient.connect(URI.create("quic://localhost:" + server.port()),
                ClientOptions.defaults().withTransportSettings("quic", QuicSettings.builder()
                    .tls(certificate.clientSettings().build()).build())))
        {
            for (int i = 0; i < ROUND_TRIPS; i++)
            {
                final byte[] body = new byte[(i * 37) % 2048];
                java.util.Arrays.fill(body, (byte)i);
                assertArrayEquals(body, client.request(1, body, WAIT).body(), "reply " + i);
            }
        }
    }
}
