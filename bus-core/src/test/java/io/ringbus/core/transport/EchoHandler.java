package io.ringbus.core.transport;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.SendResult;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import org.agrona.DirectBuffer;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/** Test server behaviour: answers each request with a reply carrying its body; records closes. */
public class EchoHandler implements BusHandler
{
    final Queue<ClientConnMeta> closed = new ConcurrentLinkedQueue<>();
    final AtomicLong requests = new AtomicLong();
    final AtomicLong backpressured = new AtomicLong();
    volatile int repliesPerRequest = 1;

    @Override
    public void onClientRequest(final MessageBus bus, final ClientConnMeta client, final DirectBuffer buffer,
        final int offset, final int length)
    {
        requests.incrementAndGet();
        for (int i = 0; i < repliesPerRequest; i++)
        {
            final FrameBuffer reply = Frames.reply(bus.pool(), buffer, offset, buffer, offset + FrameHeader.HEADER_SIZE,
                length - FrameHeader.HEADER_SIZE, FrameHeader.REPLICA_NONE);
            if (bus.sendToClient(client.clientId(), reply) == SendResult.BACKPRESSURE)
            {
                backpressured.incrementAndGet();
            }
        }
        afterRequest(bus, client);
    }

    /** Hook for tests that act once a request was answered. */
    protected void afterRequest(final MessageBus bus, final ClientConnMeta client)
    {
    }

    @Override
    public void onClientClosed(final MessageBus bus, final ClientConnMeta client)
    {
        closed.add(client);
    }
}
