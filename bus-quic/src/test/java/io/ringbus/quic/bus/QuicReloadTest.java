package io.ringbus.quic.bus;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.EchoHandler;
import io.ringbus.quic.QuicSettings;
import io.ringbus.tls.SelfSignedCertificate;
import io.ringbus.tls.TlsSettings;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Certificate reload reaches a quic listener (issue 13, point 3): after
 * {@link MessageBus#reloadTransportSettings}, a new connection's handshake presents the new
 * certificate (a client trusting only the old one fails, one trusting only the new one succeeds),
 * while a connection opened before keeps carrying requests.
 */
class QuicReloadTest
{
    private static final SelfSignedCertificate OLD = SelfSignedCertificate.generate();
    private static final SelfSignedCertificate NEW = SelfSignedCertificate.generate();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void newConnectionsSeeTheReloadedCertificateWhileAnOpenOneContinues() throws Exception
    {
        final QuicSettings settings = QuicSettings.builder().tls(OLD.serverSettings().build()).build();
        try (MessageBus bus = MessageBus.start(BusConfig.builder().transportSettings("quic", settings).build(),
            new EchoHandler()))
        {
            final InetSocketAddress address = bus.listen(URI.create("quic://127.0.0.1:0"));
            final URI uri = URI.create("quic://127.0.0.1:" + address.getPort());
            try (BusClient before = connect(uri, OLD))
            {
                assertArrayEquals(new byte[] {1}, before.request(1, new byte[] {1}, TIMEOUT).body());

                bus.reloadTransportSettings("quic", NEW.serverSettings().build());

                try (BusClient after = connect(uri, NEW))
                {
                    assertArrayEquals(new byte[] {2}, after.request(2, new byte[] {2}, TIMEOUT).body());
                }
                assertThrows(IOException.class, () -> connect(uri, OLD).close(),
                    "a client trusting only the old certificate no longer gets through");
                assertArrayEquals(new byte[] {3}, before.request(3, new byte[] {3}, TIMEOUT).body(),
                    "the connection opened before the reload still carries requests");
            }
        }
    }

    private static BusClient connect(final URI uri, final SelfSignedCertificate trusted) throws IOException
    {
        final TlsSettings trust = trusted.clientSettings().build();
        return BusClient.connect(uri, ClientOptions.defaults().withTransportSettings("quic", trust)
            .withConnectTimeout(TIMEOUT));
    }
}
