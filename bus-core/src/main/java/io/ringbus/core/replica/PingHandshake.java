package io.ringbus.core.replica;

import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.frame.Frames;
import io.ringbus.core.transport.CloseReason;
import io.ringbus.core.transport.Connection;
import org.agrona.DirectBuffer;

/**
 * The replica plane's ping handshake (WIRE.md): the dialer's first frame is a ping carrying its
 * replica id and the cluster id (checked by the frame decoder); the acceptor admits it only if that
 * id is lower than its own and names a configured replica, within handshake_grace (armed by the
 * {@link Connection}, see {@link Connection#awaitPlaneHandshake}). A ping after the first frame is
 * a protocol error.
 *
 * <p>Immutable; the methods run on the shard that owns the connection in question.
 */
final class PingHandshake
{
    /** What an accepted connection failed to send when its grace runs out. */
    static final String MISSING = "no valid ping";

    private final BusConfig config;
    private final FramePool pool;

    PingHandshake(final BusConfig config, final FramePool pool)
    {
        this.config = config;
        this.pool = pool;
    }

    /** The acceptor side: the connection must send a valid ping within handshake_grace. Before it opens. */
    void await(final Connection connection)
    {
        connection.awaitPlaneHandshake(config.handshakeGrace().toNanos(), MISSING);
    }

    /** The dialer side: send our ping, the connection's first frame. */
    void sendPing(final Connection connection)
    {
        connection.send(Frames.headerOnly(pool, Command.PING, config.replicaId(), config.clusterHi(),
            config.clusterLo()));
    }

    /**
     * The acceptor side, on the first frame: the dialer's replica id if it is a valid ping (the
     * handshake is done), else -1 with the connection closing for a protocol error.
     */
    int accept(final Connection connection, final DirectBuffer buffer, final int offset)
    {
        final int command = FrameHeader.command(buffer, offset);
        final int replica = FrameHeader.replica(buffer, offset);
        final int self = config.replicaId();
        if (command != Command.PING.code())
        {
            connection.close(CloseReason.PROTOCOL_ERROR, "command = " + command + ": the first frame must be ping");
            return -1;
        }
        if (replica >= self || replica >= config.replicas().size())
        {
            connection.close(CloseReason.PROTOCOL_ERROR, "replica = " + replica +
                ": a dialer must have a lower id than " + self + " and be below " + config.replicas().size());
            return -1;
        }
        connection.planeHandshakeDone();
        return replica;
    }

    /** True (and the connection closing) if a frame after the handshake is a ping. */
    static boolean rejectAfterHandshake(final Connection connection, final DirectBuffer buffer, final int offset)
    {
        if (FrameHeader.command(buffer, offset) == Command.PING.code())
        {
            connection.close(CloseReason.PROTOCOL_ERROR, "command = ping (1): only as the first frame of a connection");
            return true;
        }
        return false;
    }
}
