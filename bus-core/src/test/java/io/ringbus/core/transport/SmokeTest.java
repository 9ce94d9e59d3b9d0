package io.ringbus.core.transport;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.client.Reply;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Frames;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class SmokeTest
{
    @Test
    void echo() throws Exception
    {
        final BusHandler echo = new BusHandler()
        {
            @Override
            public void onClientRequest(final MessageBus bus, final ClientConnMeta client, final DirectBuffer buffer,
                final int offset, final int length)
            {
                bus.sendToClient(client.clientId(), Frames.reply(bus.pool(), buffer, offset, buffer, offset + 256,
                    length - 256, 255));
            }
        };
        try (MessageBus bus = MessageBus.start(BusConfig.builder().shards(2).build(), echo))
        {
            final InetSocketAddress address = bus.listen(URI.create("tcp://127.0.0.1:0"));
            try (BusClient client = BusClient.connect(URI.create("tcp://127.0.0.1:" + address.getPort())))
            {
                final Reply reply = client.request(1, new byte[] {1, 2, 3}, Duration.ofSeconds(5));
                assertArrayEquals(new byte[] {1, 2, 3}, reply.body());
            }
        }
    }
}
