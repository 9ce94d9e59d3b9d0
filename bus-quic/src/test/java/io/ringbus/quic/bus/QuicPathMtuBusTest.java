package io.ringbus.quic.bus;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.EchoHandler;
import io.ringbus.quic.conn.QuicConnectionConfig;
import io.ringbus.tls.SelfSignedCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Path MTU discovery between a ringbus client and a ringbus server over real UDP on loopback
 * (through {@link UdpRelay}, which keeps the client's datagrams): once the handshake is done the
 * client probes and then sends its stream data in datagrams of the default maximum, 1452 bytes,
 * above the 1200 it starts with (RFC 9000 14.3).
 */
class QuicPathMtuBusTest
{
    private static final SelfSignedCertificate CERTIFICATE = QuicTransportTest.CERTIFICATE;
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final int MAX = QuicConnectionConfig.DEFAULT_MAX_UDP_PAYLOAD_BYTES;

    private MessageBus bus;
    private UdpRelay relay;
    private BusClient client;

    @AfterEach
    void tearDown() throws Exception
    {
        if (client != null)
        {
            client.close();
        }
        if (relay != null)
        {
            relay.close();
        }
        if (bus != null)
        {
            bus.close();
            bus.pool().assertNoLeaks();
        }
    }

    @Test
    void aRingbusClientSendsItsDataInDatagramsOfTheDiscoveredSize() throws Exception
    {
        bus = MessageBus.start(BusConfig.builder().shards(1).backend(Backend.NIO)
            .transportSettings("quic", CERTIFICATE.serverSettings().build()).build(), new EchoHandler());
        final InetSocketAddress address = bus.listen(URI.create("quic://127.0.0.1:0"));
        relay = new UdpRelay(address);
        client = BusClient.connect(URI.create("quic://127.0.0.1:" + relay.address().getPort()),
            ClientOptions.defaults().withTransportSettings("quic", CERTIFICATE.clientSettings().build()));
        assertArrayEquals(new byte[] {1}, client.request(1, new byte[] {1}, TIMEOUT).body());
        final byte[] body = new byte[32 << 10];
        Arrays.fill(body, (byte)7);
        for (int i = 0; i < 4; i++)
        {
            assertArrayEquals(body, client.request(1, body, TIMEOUT).body(), "request " + i);
        }
        final List<byte[]> datagrams = relay.clientDatagrams();
        int full = 0;
        for (final byte[] datagram : datagrams)
        {
            assertTrue(datagram.length <= MAX, datagram.length + " bytes: above the maximum");
            if (datagram.length == MAX)
            {
                full++;
            }
        }
        // the probe, then 4 x 32 KiB of stream data at about 1400 bytes a datagram
        assertTrue(full > 40, full + " datagrams of " + MAX + " bytes among " + datagrams.size());
    }
}
