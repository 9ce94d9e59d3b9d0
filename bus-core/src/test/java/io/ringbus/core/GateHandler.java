package io.ringbus.core;

import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import org.agrona.DirectBuffer;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test handler: echoes requests, and by operation stands in for a shard that is busy
 * ({@link #STALL}: parks the shard until {@link #release()}), a request left unanswered
 * ({@link #HOLD}) or an application bug that escapes as an Error ({@link #BOOM}).
 */
class GateHandler implements BusHandler
{
    /** Park the calling shard until released (bounded): a shard busy with a long burst of work. */
    static final int STALL = 90;
    /** Never answered: leaves the client's future pending. */
    static final int HOLD = 91;
    /** Throws {@link InjectedError} on the shard. */
    static final int BOOM = 92;

    final CountDownLatch stalled = new CountDownLatch(1);
    final CountDownLatch released = new CountDownLatch(1);
    final AtomicInteger held = new AtomicInteger();
    final Queue<ClientConnMeta> closed = new ConcurrentLinkedQueue<>();

    @Override
    public void onClientRequest(final MessageBus bus, final ClientConnMeta client, final DirectBuffer buffer,
        final int offset, final int length)
    {
        final int operation = FrameHeader.operation(buffer, offset);
        if (operation == STALL)
        {
            stalled.countDown();
            try
            {
                released.await(60, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        else if (operation == HOLD)
        {
            held.incrementAndGet();
            return;
        }
        else if (operation == BOOM)
        {
            throw new InjectedError("injected shard failure");
        }
        bus.sendToClient(client.clientId(), Frames.reply(bus.pool(), buffer, offset, buffer,
            offset + FrameHeader.HEADER_SIZE, length - FrameHeader.HEADER_SIZE, FrameHeader.REPLICA_NONE));
    }

    @Override
    public void onClientClosed(final MessageBus bus, final ClientConnMeta client)
    {
        closed.add(client);
    }

    void release()
    {
        released.countDown();
    }

    /** The Error a {@link #BOOM} request throws. */
    static final class InjectedError extends Error
    {
        private static final long serialVersionUID = 1L;

        InjectedError(final String message)
        {
            super(message);
        }
    }
}
