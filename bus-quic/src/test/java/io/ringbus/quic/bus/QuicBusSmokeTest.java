package io.ringbus.quic.bus;

import io.ringbus.core.transport.EchoHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.client.Reply;
import io.ringbus.core.config.BusConfig;
import io.ringbus.tls.SelfSignedCertificate;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class QuicBusSmokeTest
{
    private static final SelfSignedCertificate CERTIFICATE = SelfSignedCertificate.generate();

    @Test
    void requestAndReplyOverQuic() throws Exception
    {
        try (MessageBus bus = MessageBus.start(BusConfig.builder()
            .transportSettings("quic", CERTIFICATE.serverSettings().build()).build(), new EchoHandler()))
        {
            final InetSocketAddress address = bus.listen(URI.create("quic://127.0.0.1:0"));
            try (BusClient client = BusClient.connect(URI.create("quic://127.0.0.1:" + address.getPort()),
                ClientOptions.defaults().withTransportSettings("quic", CERTIFICATE.clientSettings().build())))
            {
                final Reply reply = client.request(1, new byte[] {1, 2, 3}, Duration.ofSeconds(5));
                assertArrayEquals(new byte[] {1, 2, 3}, reply.body());
            }
        }
    }
}
