package io.ringbus.cli.sim;

import io.ringbus.cli.PrepareFrame;
import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import org.agrona.DirectBuffer;

import java.util.HashMap;
import java.util.Map;

/**
 * A node's {@link BusHandler} in a simulation: checks what the bus delivers, then hands it to the
 * echo state machine. Per client connection, requests must arrive in the order the client sent
 * them, each once (the simulated client numbers its sends on a connection in the header's
 * {@code timestamp} field: 1, 2, 3, ...), byte for byte ({@link SimBodies}); every prepare a backup
 * receives goes to {@link Checks#prepareSeen} for the executed-twice check.
 */
final class CheckingHandler implements BusHandler
{
    private final int node;
    private final BusHandler echo;
    private final Checks checks;
    private final Simulation.Sabotage sabotage;
    private long requests;
    /** Per client connection id: the last send number seen on it. */
    private final Map<Long, Long> lastSend = new HashMap<>();

    CheckingHandler(final int node, final BusHandler echo, final Checks checks, final Simulation.Sabotage sabotage)
    {
        this.sabotage = sabotage;
        this.node = node;
        this.echo = echo;
        this.checks = checks;
    }

    @Override
    public void onClientRequest(final MessageBus bus, final ClientConnMeta client, final DirectBuffer buffer,
        final int offset, final int length)
    {
        checks.requestSeen();
        final long send = FrameHeader.timestamp(buffer, offset);
        final long last = lastSend.getOrDefault(client.clientId(), 0L);
        if (send != last + 1)
        {
            checks.fail("per-connection order", "node " + node + ", connection " + client.clientId() + " from " +
                client.peerAddress() + ": send number " + send + " after " + last + " (expected " + (last + 1) + ")");
        }
        lastSend.put(client.clientId(), send);
        final String bad = SimBodies.check(buffer, offset, length);
        if (bad != null)
        {
            checks.fail("byte for byte", "node " + node + ", connection " + client.clientId() + ": " + bad);
        }
        if (++requests == 100 && sabotage != Simulation.Sabotage.NONE && sabotaged(bus, client, buffer, offset, length))
        {
            return;
        }
        echo.onClientRequest(bus, client, buffer, offset, length);
    }

    /** The node-side bugs of {@link Simulation.Sabotage}; true if the request was answered here. */
    private boolean sabotaged(final MessageBus bus, final ClientConnMeta client, final DirectBuffer buffer,
        final int offset, final int length)
    {
        switch (sabotage)
        {
            case LEAK_BUFFER:
                bus.pool().acquire(64);
                return false;
            case LOG_ERROR:
                System.getLogger(CheckingHandler.class.getName()).log(System.Logger.Level.ERROR, "sabotage: an error");
                return false;
            case THROW_IN_HANDLER:
                throw new AssertionError("sabotage: a handler throws an Error");
            case WRONG_REPLY:
                final FrameBuffer reply = Frames.reply(bus.pool(), buffer, offset, buffer, offset + FrameHeader.HEADER_SIZE,
                    length - FrameHeader.HEADER_SIZE, node);
                Frames.header().wrap(reply.buffer(), 0).request(FrameHeader.request(buffer, offset) + 1);
                Frames.seal(reply.buffer(), 0);
                bus.sendToClient(client.clientId(), reply);
                return true;
            default:
                return false;
        }
    }

    @Override
    public void onClientClosed(final MessageBus bus, final ClientConnMeta client)
    {
        lastSend.remove(client.clientId());
        echo.onClientClosed(bus, client);
    }

    @Override
    public void onReplicaFrame(final MessageBus bus, final int replica, final DirectBuffer buffer, final int offset,
        final int length)
    {
        if (FrameHeader.command(buffer, offset) == Command.PREPARE.code() &&
            length >= PrepareFrame.MIN_PREPARE_SIZE)
        {
            final int request = offset + PrepareFrame.REQUEST_OFFSET;
            checks.prepareSeen(node, replica, PrepareFrame.incarnation(buffer, offset), PrepareFrame.op(buffer, offset),
                FrameHeader.clientHi(buffer, request), FrameHeader.clientLo(buffer, request),
                FrameHeader.request(buffer, request));
        }
        echo.onReplicaFrame(bus, replica, buffer, offset, length);
    }

    @Override
    public void onReplicaConnected(final MessageBus bus, final int replica)
    {
        echo.onReplicaConnected(bus, replica);
    }

    @Override
    public void onReplicaLost(final MessageBus bus, final int replica)
    {
        echo.onReplicaLost(bus, replica);
    }

    @Override
    public void onBusFailure(final MessageBus bus, final Throwable failure)
    {
        checks.fail("the bus never throws out of a shard", "node " + node + ": " + failure);
        echo.onBusFailure(bus, failure);
    }
}
