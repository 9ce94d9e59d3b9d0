package io.ringbus.core.replica;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.SendResult;
import io.ringbus.core.backend.AcceptedSocket;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.shard.Shard;
import io.ringbus.core.transport.Connection;
import io.ringbus.core.transport.ConnectionTable;

import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * A bus's replica plane: its links to the other replicas of {@code config.replicas()}. The bus binds
 * the replica listener on shard 0 with {@link #onAccepted} as its accept handler and calls
 * {@link #startDialers()}; a bus that is no replica has a plane with no links, whose sends answer
 * NOT_CONNECTED.
 *
 * <p>{@link #sendToReplica}, {@link #broadcast}, {@link #isConnected} and {@link #startDialers()}:
 * any thread. {@link #onAccepted}: shard 0.
 */
public final class ReplicaPlane
{
    /** The warning a replica without a cluster key logs once at start. */
    public static final String UNAUTHENTICATED_WARNING = "the replica plane is unauthenticated: anyone who can " +
        "reach the replica port can claim a replica id; set a cluster key (write one with 'ringbus keygen FILE', " +
        "then 'ringbus serve --cluster-key FILE' on every replica, or BusConfig.Builder.clusterKey)";

    /** The bus's logger, where operators look. */
    private static final System.Logger LOG = System.getLogger(MessageBus.class.getName());

    private final BusConfig config;
    private final Shard[] shards;
    private final ConnectionTable table;
    private final ReplicaLinks links;
    private final PingHandshake handshake;
    private final ReplicaAcceptor acceptor;

    /** The plane of {@code bus}; nothing is dialled or accepted until the bus says so. */
    public ReplicaPlane(final MessageBus bus, final BusHandler handler, final BusConfig config, final FramePool pool,
        final Shard[] shards, final ConnectionTable table)
    {
        this.config = config;
        this.shards = shards;
        this.table = table;
        this.links = new ReplicaLinks(bus, handler, config, pool);
        this.handshake = new PingHandshake(config, pool, shards.length);
        this.acceptor = new ReplicaAcceptor(table, links, handshake);
    }

    /** On shard 0, the replica listener's accept handler: hand the socket to its owning shard. */
    public void onAccepted(final AcceptedSocket socket)
    {
        acceptor.onAccepted(socket);
    }

    /**
     * Dial every replica with a higher id than ours (lower dials higher), each from its shard. Once,
     * at start; without a cluster key it warns (once) that the replica plane is unauthenticated.
     */
    public void startDialers()
    {
        final Map<Integer, InetSocketAddress> replicas = config.replicas();
        if (!handshake.isKeyed() && !replicas.isEmpty())
        {
            LOG.log(Level.WARNING, UNAUTHENTICATED_WARNING);
        }
        for (int peer = config.replicaId() + 1; peer < replicas.size(); peer++)
        {
            new ReplicaDialer(peer, replicas.get(peer), shards[peer % shards.length], config, table, links,
                handshake).start();
        }
    }

    /** Queue a frame for {@code replica}. Takes over the caller's reference. Any thread. */
    public SendResult sendToReplica(final int replica, final FrameBuffer frame)
    {
        return links.send(replica, frame);
    }

    /** Queue one buffer for every connected replica without copying it. Takes over the reference. Any thread. */
    public int broadcast(final FrameBuffer frame)
    {
        int queued = 0;
        final int self = config.replicaId();
        for (int replica = 0; replica < config.replicas().size(); replica++)
        {
            if (replica != self && links.get(replica) != null)
            {
                if (links.send(replica, frame.retain()) == SendResult.OK)
                {
                    queued++;
                }
            }
        }
        frame.release();
        return queued;
    }

    /**
     * Replica connections closed because their handshake failed, as acceptor or dialer: a wrong or
     * missing proof (an unauthenticated ping to a keyed node), a wrong cluster or another protocol
     * error before the handshake completed, or handshake_grace. Any thread.
     */
    public long handshakesRefused()
    {
        return handshake.refused();
    }

    /** Heartbeats received on established replica links (never given to the handler). Any thread. */
    public long heartbeatsReceived()
    {
        return links.heartbeatsReceived();
    }

    /** Frames queued on the link to {@code replica} and not yet handed to a write; 0 if it is down. Any thread. */
    public int queuedFrames(final int replica)
    {
        final Connection link = links.get(replica);
        return link != null ? link.queuedFrames() : 0;
    }

    /** True if the link to {@code replica} is up now. Any thread. */
    public boolean isConnected(final int replica)
    {
        return links.get(replica) != null;
    }
}
