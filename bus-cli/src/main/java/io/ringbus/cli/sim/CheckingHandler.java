package io.ringbus.cli.sim;

import io.ringbus.cli.PrepareFrame;
import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameHeader;
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
    /** Per client connection id: the last send number seen on it. */
    private final Map<Long, Long> lastSend = new HashMap<>();

    CheckingHandler(final int node, final BusHandler echo, final Checks checks)
    {
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
        echo.onClientRequest(bus, client, buffer, offset, length);
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
