package io.ringbus.core.replica;

import io.ringbus.core.backend.AcceptedSocket;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.transport.Connection;
import io.ringbus.core.transport.ConnectionHandler;
import io.ringbus.core.transport.ConnectionTable;
import org.agrona.DirectBuffer;

/**
 * Accepted replica connections (from lower ids): the handshake within handshake_grace (a valid
 * ping, or with a cluster key hello, challenge and proof), then replica frames on the link. {@link #onAccepted} runs on shard 0 (the replica listener lives there); the
 * connection's events on its owning shard, picked round-robin.
 */
final class ReplicaAcceptor implements ConnectionHandler
{
    private final ConnectionTable table;
    private final ReplicaLinks links;
    private final PingHandshake handshake;
    private final ConnectionTable.Admission admission;

    /** The handshake state of one accepted connection: the dialer's id once its handshake is done. */
    private static final class AcceptedReplica
    {
        final PingHandshake.Exchange exchange;
        int replica = -1;

        AcceptedReplica(final PingHandshake.Exchange exchange)
        {
            this.exchange = exchange;
        }
    }

    ReplicaAcceptor(final ConnectionTable table, final ReplicaLinks links, final PingHandshake handshake)
    {
        this.table = table;
        this.links = links;
        this.handshake = handshake;
        this.admission = this::prepare;
    }

    /** On shard 0: hand an accepted socket to its owner before a byte is read (fd delegation). */
    void onAccepted(final AcceptedSocket socket)
    {
        table.delegate(socket, table.pickShard(), this, false, admission);
    }

    private boolean prepare(final Connection connection, final AcceptedSocket socket,
        final IoChannel channel)
    {
        connection.attachment(new AcceptedReplica(handshake.newExchange()));
        handshake.await(connection);
        return true;
    }

    @Override
    public void onOpen(final Connection connection)
    {
    }

    @Override
    public void onFrame(final Connection connection, final DirectBuffer buffer, final int offset, final int length)
    {
        final AcceptedReplica state = (AcceptedReplica)connection.attachment();
        if (state.replica >= 0)
        {
            links.deliver(state.replica, connection, buffer, offset, length);
            return;
        }
        final int replica = handshake.accept(connection, state.exchange, buffer, offset);
        // An authenticated newcomer replaces a stale link of its replica (half-open after a crash);
        // without a key anyone could claim the id, so the first connection keeps it.
        if (replica >= 0 && links.register(replica, connection, handshake.isKeyed()))
        {
            state.replica = replica;
        }
    }

    @Override
    public void onClosed(final Connection connection)
    {
        final AcceptedReplica state = (AcceptedReplica)connection.attachment();
        if (state != null)
        {
            handshake.onClosed(connection, state.exchange, "as acceptor");
            links.unregister(state.replica, connection);
        }
        table.release(connection);
    }
}
