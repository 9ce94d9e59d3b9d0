package io.ringbus.ws;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import org.agrona.DirectBuffer;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Test server behaviour: echoes each request's body in a reply; records who asked and who closed. */
class RecordingHandler implements BusHandler
{
    final Queue<ClientConnMeta> requesters = new ConcurrentLinkedQueue<>();
    final Queue<ClientConnMeta> closed = new ConcurrentLinkedQueue<>();

    @Override
    public void onClientRequest(final MessageBus bus, final ClientConnMeta client, final DirectBuffer buffer,
        final int offset, final int length)
    {
        requesters.add(client);
        bus.sendToClient(client.clientId(), Frames.reply(bus.pool(), buffer, offset, buffer,
            offset + FrameHeader.HEADER_SIZE, length - FrameHeader.HEADER_SIZE, FrameHeader.REPLICA_NONE));
    }

    @Override
    public void onClientClosed(final MessageBus bus, final ClientConnMeta client)
    {
        closed.add(client);
    }
}
