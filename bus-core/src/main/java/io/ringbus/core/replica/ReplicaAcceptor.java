package io.ringbus.core.replica;

import io.ringbus.core.backend.AcceptedSocket;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.transport.Connection;
import io.ringbus.core.transport.ConnectionHandler;
import io.ringbus.core.transport.ConnectionTable;
import org.agrona.DirectBuffer;

/**
 * Accepted replica connections (from lower ids): a valid ping within handshake_grace, then replica
 * frames on the link. {@link #onAccepted} runs on shard 0 (the replica listener lives there); the
 * connection's events on its owning shard, picked round-robin.
 */
final class ReplicaAcceptor implements ConnectionHandler
{
    private final ConnectionTable table;
    private final ReplicaLinks links;
    private final PingHandshake handshake;
    private final ConnectionTable.Admission admission;

    /** The handshake state of one accepted connection: the dialer's id once its ping was valid. */
    private static final class AcceptedReplica
    {
        int replica = -1;
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
        connection.attachment(new AcceptedReplica());
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
        final int replica = handshake.accept(connection, buffer, offset);
        if (replica >= 0 && links.register(replica, connection))
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
            links.unregister(state.replica, connection);
        }
        table.release(connection);
    }
}
