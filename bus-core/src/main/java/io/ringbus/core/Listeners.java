package io.ringbus.core;

import io.ringbus.core.backend.IoListener;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.replica.ReplicaPlane;
import io.ringbus.core.shard.Shard;
import io.ringbus.core.transport.ConnectionTable;
import io.ringbus.core.transport.TransportProvider;

import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * A bus's listeners, all on shard 0 (DESIGN.md: listeners accept on shard 0): a client listener per
 * {@code listen} URI, each feeding the {@link ClientPlane}, and the replica listener feeding the
 * {@link ReplicaPlane}.
 *
 * <p>{@link #bindClient} and {@link #bindReplica}: any thread but a shard's (they wait for shard 0).
 * {@link #closeAll()}: shard 0.
 */
final class Listeners
{
    private final System.Logger log;
    private final BusConfig config;
    private final ShardGroup shards;
    private final ClientPlane clientPlane;
    private final ReplicaPlane replicaPlane;
    /** Shard 0's. */
    private final List<IoListener> bound = new ArrayList<>();

    Listeners(final System.Logger log, final BusConfig config, final ShardGroup shards, final ClientPlane clientPlane,
        final ReplicaPlane replicaPlane)
    {
        this.log = log;
        this.config = config;
        this.shards = shards;
        this.clientPlane = clientPlane;
        this.replicaPlane = replicaPlane;
    }

    /** Listen for clients on {@code uri}; returns the bound address (the real port when 0 was asked). */
    InetSocketAddress bindClient(final URI uri)
    {
        final TransportProvider transport = TransportProvider.forScheme(uri.getScheme());
        final InetSocketAddress address = transport.address(uri);
        final Shard shard0 = shards.shard0();
        final InetSocketAddress local = shards.onShard0(() ->
        {
            final IoListener listener;
            if (transport.ownsSockets())
            {
                listener = transport.listen(shard0, address, config, uri, clientPlane.limits(),
                    stream -> clientPlane.registerStream(stream, transport));
            }
            else
            {
                final ConnectionTable.Admission admission = clientPlane.admission(transport, uri);
                listener = shard0.backend().listen(address, socket -> clientPlane.onAccepted(socket, admission));
            }
            bound.add(listener);
            return listener.localAddress();
        });
        log.log(Level.INFO, "listening " + transport.scheme() + " " + local);
        return local;
    }

    /** Listen for replicas on our own entry of config.replicas(); returns the bound address. */
    InetSocketAddress bindReplica()
    {
        final int self = config.replicaId();
        final InetSocketAddress own = config.replicas().get(self);
        final InetSocketAddress local = shards.onShard0(() ->
        {
            final IoListener listener = shards.shard0().backend().listen(own, replicaPlane::onAccepted);
            bound.add(listener);
            return listener.localAddress();
        });
        log.log(Level.INFO, "listening replica " + local + " as replica " + self);
        return local;
    }

    /** Close every listener; one that throws does not keep the others open. On shard 0. */
    void closeAll()
    {
        for (final IoListener listener : bound)
        {
            try
            {
                listener.close();
            }
            catch (final RuntimeException ex)
            {
                log.log(Level.WARNING, "closing listener " + listener.localAddress(), ex);
            }
        }
        bound.clear();
    }
}
