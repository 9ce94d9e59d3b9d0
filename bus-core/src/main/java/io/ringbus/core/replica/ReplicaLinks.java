package io.ringbus.core.replica;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.SendResult;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.frame.Frames;
import io.ringbus.core.stat.BusCounters;
import io.ringbus.core.transport.CloseReason;
import io.ringbus.core.transport.Connection;
import org.agrona.DirectBuffer;

import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * The replica link table: at most one connection per replica, whoever dialled, and the
 * {@link BusHandler} told when a link comes and goes and of every replica frame on it.
 *
 * <p>{@link #get} and {@link #send}: any thread. {@link #register}, {@link #unregister} and
 * {@link #deliver}: the shard that owns the connection.
 */
final class ReplicaLinks
{
    /** The bus's logger: links coming and going are reported under the bus's name, where operators look. */
    private static final System.Logger LOG = System.getLogger(MessageBus.class.getName());

    private final AtomicReferenceArray<Connection> links = new AtomicReferenceArray<>(FrameHeader.MAX_REPLICA_ID + 1);
    private final MessageBus bus;
    private final BusHandler handler;
    private final FramePool pool;
    private final int self;
    private final long clusterHi;
    private final long clusterLo;
    private final long heartbeatNs;
    private final AtomicLong heartbeatsReceived = new AtomicLong();
    /** Per replica: 1 once it has been connected, so later links count as reconnects. */
    private final AtomicIntegerArray everConnected = new AtomicIntegerArray(FrameHeader.MAX_REPLICA_ID + 1);

    ReplicaLinks(final MessageBus bus, final BusHandler handler, final BusConfig config, final FramePool pool)
    {
        this.bus = bus;
        this.handler = handler;
        this.pool = pool;
        this.self = config.replicaId();
        this.clusterHi = config.clusterHi();
        this.clusterLo = config.clusterLo();
        this.heartbeatNs = config.replicaHeartbeat().toNanos();
    }

    /** Heartbeats received on established links (they never reach the handler). Any thread. */
    long heartbeatsReceived()
    {
        return heartbeatsReceived.get();
    }

    /** The link to {@code replica}, or null if it is down (or the id is out of range). */
    Connection get(final int replica)
    {
        return replica >= 0 && replica <= FrameHeader.MAX_REPLICA_ID ? links.get(replica) : null;
    }

    /** Queue a frame on the link to {@code replica}. Takes over the caller's reference. */
    SendResult send(final int replica, final FrameBuffer frame)
    {
        final Connection connection = get(replica);
        if (connection == null)
        {
            frame.release();
            return SendResult.NOT_CONNECTED;
        }
        return connection.send(frame);
    }

    /**
     * {@code connection} becomes the link to {@code replica}. If the replica already has one: with
     * {@code replaceStale} (an authenticated newcomer) the old link is taken to be stale (its peer
     * crashed and came back; a live replica keeps one connection per pair) and closes, reported as
     * lost before the newcomer is reported connected; without it {@code connection} closes as a
     * duplicate and this returns false.
     */
    boolean register(final int replica, final Connection connection, final boolean replaceStale)
    {
        if (replaceStale)
        {
            final Connection stale = links.getAndSet(replica, connection);
            if (stale != null)
            {
                final String detail = "stale: replaced by a newer authenticated connection of replica " + replica +
                    " from " + connection.remoteAddress();
                LOG.log(Level.WARNING, "replica " + replica + " reconnected from " + connection.remoteAddress() +
                    ": closing its previous connection (" + stale.remoteAddress() + "), which was stale");
                // The stale connection's own cleanup finds the entry taken and reports nothing: report its loss here.
                handler.onReplicaLost(bus, replica);
                stale.shard().execute(() -> stale.close(CloseReason.DUPLICATE, detail));
            }
        }
        else if (!links.compareAndSet(replica, null, connection))
        {
            connection.close(CloseReason.DUPLICATE, "replica " + replica + " already has a connection");
            return false;
        }
        count(replica, connection);
        LOG.log(Level.INFO, "replica " + replica + " connected (" + connection.remoteAddress() + ")");
        if (heartbeatNs > 0)
        {
            new Heartbeat(replica, connection).schedule();
        }
        handler.onReplicaConnected(bus, replica);
        return true;
    }

    /** From now on the link counts its frames under replica.N on its shard; a second link of N counts a reconnect. */
    private void count(final int replica, final Connection connection)
    {
        final BusCounters counters = bus.counters();
        final int shard = connection.shard().index();
        connection.counters(counters.replica(replica, shard));
        final AtomicCounter reconnects = counters.replicaReconnects(replica, shard);
        if (everConnected.getAndSet(replica, 1) == 1 && reconnects != null)
        {
            reconnects.incrementRelease();
        }
    }

    /** The link {@code connection} to {@code replica} is gone; a negative replica (never registered) is ignored. */
    void unregister(final int replica, final Connection connection)
    {
        // Only the registered connection may clear its entry: a stale cleanup never evicts a newer one.
        if (replica >= 0 && links.compareAndSet(replica, connection, null))
        {
            LOG.log(Level.INFO, "replica " + replica + " lost: " + connection.closeReason());
            handler.onReplicaLost(bus, replica);
        }
    }

    /** A frame on an established link: to the handler, unless it breaks the handshake rule or the link was replaced. */
    void deliver(final int replica, final Connection connection, final DirectBuffer buffer, final int offset,
        final int length)
    {
        if (PingHandshake.rejectAfterHandshake(connection, buffer, offset))
        {
            return;
        }
        if (links.get(replica) != connection)
        {
            return; // a link replaced by a newer one (its close is on the way): its loss was already reported
        }
        if (FrameHeader.command(buffer, offset) == Command.PONG.code())
        {
            heartbeatsReceived.lazySet(heartbeatsReceived.get() + 1); // one owner per link; a sum, not exact
            return; // a heartbeat: it kept the link honest by being sent, nothing to deliver
        }
        handler.onReplicaFrame(bus, replica, buffer, offset, length);
    }

    /**
     * The heartbeat of one established link, on its shard: every replica_heartbeat a header-only
     * {@code pong} goes out while the connection is still the link. Its point is the write: when
     * the peer crashed and restarted, our old connection is gone on its side and the peer waits for
     * us (lower ids dial), so only a segment of ours draws the reset that closes the link and starts
     * the redial. Without it an idle stale link would stay up for ever (found by the simulator,
     * issue 14). One object per registered link; the frame is one header from the pool.
     */
    private final class Heartbeat implements Runnable
    {
        private final int replica;
        private final Connection connection;

        Heartbeat(final int replica, final Connection connection)
        {
            this.replica = replica;
            this.connection = connection;
        }

        void schedule()
        {
            connection.shard().schedule(connection.shard().nowNs() + heartbeatNs, this);
        }

        @Override
        public void run()
        {
            if (links.get(replica) != connection || connection.state() != Connection.State.OPEN)
            {
                return; // the link is gone or replaced: its heartbeat ends with it
            }
            connection.send(Frames.headerOnly(pool, Command.PONG, self, clusterHi, clusterLo));
            schedule();
        }
    }
}
