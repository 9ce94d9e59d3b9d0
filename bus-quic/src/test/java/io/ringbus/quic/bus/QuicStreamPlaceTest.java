package io.ringbus.quic.bus;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.Await;
import io.ringbus.core.transport.EchoHandler;
import io.ringbus.tls.SelfSignedCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13, point 7: a quic connection takes its place in the connection limits in the QUIC
 * endpoint (before its handshake); the stream the bus then registers (ClientPlane.registerStream)
 * takes no second one and gives none back, so quic and tcp clients share max_connections exactly.
 */
class QuicStreamPlaceTest
{
    private static final SelfSignedCertificate CERTIFICATE = QuicTransportTest.CERTIFICATE;
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private MessageBus bus;

    @AfterEach
    void tearDown()
    {
        if (bus != null)
        {
            bus.close();
            assertEquals(0, bus.stats().openConnections(), "every connection closed");
            assertEquals(0, bus.stats().limitedConnections(), "every place given back");
            bus.pool().assertNoLeaks();
        }
    }

    @Test
    void aQuicStreamRegisteredWithTheBusHoldsNoSecondPlace() throws Exception
    {
        bus = MessageBus.start(BusConfig.builder().backend(Backend.NIO).maxConnections(2)
            .transportSettings("quic", CERTIFICATE.serverSettings().build()).build(), new EchoHandler());
        final InetSocketAddress quic = bus.listen(URI.create("quic://127.0.0.1:0"));
        final InetSocketAddress tcp = bus.listen(URI.create("tcp://127.0.0.1:0"));

        final BusClient quicClient = BusClient.connect(URI.create("quic://127.0.0.1:" + quic.getPort()),
            ClientOptions.defaults().withTransportSettings("quic", CERTIFICATE.clientSettings().build()));
        assertArrayEquals(new byte[] {1}, quicClient.request(1, new byte[] {1}, TIMEOUT).body());
        assertTrue(bus.stats().limitedConnections() <= 1, "one quic connection, at most one place: " + bus.stats());

        try (BusClient tcpClient = BusClient.connect(URI.create("tcp://127.0.0.1:" + tcp.getPort())))
        {
            assertArrayEquals(new byte[] {2}, tcpClient.request(1, new byte[] {2}, TIMEOUT).body(),
                "the second of max_connections 2 is served");
            quicClient.close();
            Await.until(TIMEOUT, () -> bus.stats().openConnections() == 1, "the quic connection closed");
            Await.until(TIMEOUT, () -> bus.stats().limitedConnections() == 1, "only the tcp client's place is held");
        }
        Await.until(TIMEOUT, () -> bus.stats().limitedConnections() == 0, "the tcp client's place came back");
        assertEquals(0, bus.stats().refusedMaxConnections());
    }
}
