package io.ringbus.core.replica;

import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.shard.Shard;
import io.ringbus.core.transport.CloseReason;
import io.ringbus.core.transport.Connection;
import io.ringbus.core.transport.ConnectionHandler;
import io.ringbus.core.transport.ConnectionTable;
import org.agrona.DirectBuffer;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * Dials one higher replica from its owning shard, opens with the handshake (the ping; with a
 * cluster key hello, then the acceptor's challenge is checked before the link is up), and redials with capped
 * exponential backoff (reconnect_backoff_min .. reconnect_backoff_max) whenever the link closes.
 * Everything runs on its shard.
 */
final class ReplicaDialer implements ConnectionHandler
{
    private final int peer;
    private final InetSocketAddress address;
    private final Shard shard;
    private final BusConfig config;
    private final ConnectionTable table;
    private final ReplicaLinks links;
    private final PingHandshake handshake;
    private final Runnable dial = this::dial; // one instance: redials without allocation
    private int failures;
    private boolean registered;
    /** The handshake state of the current connection: one at a time. */
    private PingHandshake.Exchange exchange;

    ReplicaDialer(final int peer, final InetSocketAddress address, final Shard shard, final BusConfig config,
        final ConnectionTable table, final ReplicaLinks links, final PingHandshake handshake)
    {
        this.peer = peer;
        this.address = address;
        this.shard = shard;
        this.config = config;
        this.table = table;
        this.links = links;
        this.handshake = handshake;
    }

    /** Start dialling: the first attempt runs on the dialer's shard. Any thread. */
    void start()
    {
        shard.execute(dial);
    }

    private void dial()
    {
        if (!table.isAdmitting())
        {
            return;
        }
        final Connection connection = table.newConnection(shard.index(), this, false);
        if (connection == null)
        {
            scheduleRedial();
            return;
        }
        registered = false;
        exchange = handshake.newExchange();
        handshake.awaitChallenge(connection);
        try
        {
            final IoChannel channel = shard.backend().connect(address, connection);
            connection.connecting(channel, address);
        }
        catch (final IOException ex)
        {
            connection.abort(CloseReason.CONNECT_FAILED, ex.toString());
        }
    }

    @Override
    public void onOpen(final Connection connection)
    {
        if (handshake.open(connection, exchange, peer))
        {
            register(connection);
        }
    }

    private void register(final Connection connection)
    {
        registered = links.register(peer, connection, false);
        if (registered)
        {
            failures = 0;
        }
    }

    @Override
    public void onFrame(final Connection connection, final DirectBuffer buffer, final int offset, final int length)
    {
        if (exchange.done)
        {
            links.deliver(peer, connection, buffer, offset, length);
        }
        else if (handshake.onChallenge(connection, exchange, peer, buffer, offset))
        {
            register(connection);
        }
    }

    @Override
    public void onClosed(final Connection connection)
    {
        handshake.onClosed(connection, exchange, "as dialer");
        if (registered)
        {
            links.unregister(peer, connection);
            registered = false;
        }
        table.release(connection);
        scheduleRedial();
    }

    private void scheduleRedial()
    {
        if (!table.isAdmitting())
        {
            return;
        }
        final long minNs = config.reconnectBackoffMin().toNanos();
        final long maxNs = config.reconnectBackoffMax().toNanos();
        final long delayNs = Math.min(maxNs, minNs << Math.min(failures, 20));
        failures++;
        shard.schedule(shard.nowNs() + delayNs, dial);
    }
}
