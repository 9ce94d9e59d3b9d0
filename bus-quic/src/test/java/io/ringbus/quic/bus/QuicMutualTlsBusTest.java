package io.ringbus.quic.bus;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.Await;
import io.ringbus.core.transport.EchoHandler;
import io.ringbus.quic.tls.TestCertificates;
import io.ringbus.tls.TlsSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutual TLS on the quic listener of a real bus (issue 13 point 2): with client certificate
 * authorities configured, a client must present a certificate chained to them, and its subject and
 * names reach {@link ClientConnMeta} before the application sees the connection.
 */
class QuicMutualTlsBusTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final Queue<ClientConnMeta> requested = new ConcurrentLinkedQueue<>();
    private MessageBus bus;
    private InetSocketAddress address;

    private void startBus(final boolean requireClientCertificate)
    {
        final TlsSettings.Builder tls = TlsSettings.builder()
            .keyMaterial(TestCertificates.EC_LEAF.chain, TestCertificates.EC_LEAF.key);
        if (requireClientCertificate)
        {
            tls.clientCertificateAuthorities(TestCertificates.CA.leaf());
        }
        bus = MessageBus.start(BusConfig.builder().shards(1).backend(Backend.NIO).transportSettings("quic", tls.build())
            .build(), new EchoHandler()
        {
            @Override
            protected void afterRequest(final MessageBus bus, final ClientConnMeta client)
            {
                requested.add(client);
            }
        });
        address = bus.listen(URI.create("quic://127.0.0.1:0"));
    }

    private BusClient client(final TestCertificates.Identity identity) throws IOException
    {
        final TlsSettings.Builder tls = TlsSettings.builder().trust(TestCertificates.CA.leaf());
        if (identity != null)
        {
            tls.keyMaterial(identity.chain, identity.key);
        }
        return BusClient.connect(URI.create("quic://127.0.0.1:" + address.getPort()),
            ClientOptions.defaults().withTransportSettings("quic", tls.build()));
    }

    @AfterEach
    void tearDown()
    {
        if (bus != null)
        {
            bus.close();
            assertEquals(0, bus.stats().openConnections(), "every connection closed");
            bus.pool().assertNoLeaks();
        }
    }

    @Test
    void theClientsCertificateReachesClientConnMeta() throws Exception
    {
        startBus(true);
        try (BusClient client = client(TestCertificates.CLIENT_LEAF))
        {
            assertArrayEquals(new byte[] {7}, client.request(1, new byte[] {7}, TIMEOUT).body());
        }
        final ClientConnMeta meta = requested.peek();
        assertNotNull(meta);
        assertEquals("quic", meta.transport());
        assertEquals(TestCertificates.CLIENT_LEAF.leaf().getSubjectX500Principal().getName(), meta.peerSubject(),
            meta.toString());
        assertEquals(List.of("DNS:client-7.example", "IP:10.0.0.7"), meta.peerNames());
        assertEquals(meta.peerSubject(), meta.detail("tls.peer"));
    }

    @Test
    void aClientWithoutACertificateIsRefused()
    {
        startBus(true);
        assertThrows(IOException.class, () -> client(null).close());
        Await.until(TIMEOUT, () -> bus.stats().openConnections() == 0, "no connection stays");
        assertTrue(requested.isEmpty());
    }

    @Test
    void aClientWithACertificateOfAnotherAuthorityIsRefused() throws Exception
    {
        startBus(true);
        assertThrows(IOException.class, () -> client(TestCertificates.STRANGER_LEAF).close());
        // the listener still serves a client that belongs
        try (BusClient client = client(TestCertificates.CLIENT_LEAF))
        {
            assertArrayEquals(new byte[] {8}, client.request(1, new byte[] {8}, TIMEOUT).body());
        }
        assertEquals(1, requested.size(), "only the trusted client reached the application");
    }

    @Test
    void withoutAuthoritiesNoCertificateIsAskedForOrReported() throws Exception
    {
        startBus(false);
        try (BusClient client = client(TestCertificates.CLIENT_LEAF))
        {
            assertArrayEquals(new byte[] {9}, client.request(1, new byte[] {9}, TIMEOUT).body());
        }
        final ClientConnMeta meta = requested.peek();
        assertNotNull(meta);
        assertNull(meta.peerSubject());
        assertTrue(meta.peerNames().isEmpty());
    }
}
