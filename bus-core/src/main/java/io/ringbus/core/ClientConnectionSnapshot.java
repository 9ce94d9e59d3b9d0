package io.ringbus.core;

import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.transport.Connection;
import io.ringbus.core.transport.ConnectionTable;

import java.net.InetSocketAddress;

/**
 * One client connection of a bus at one moment, taken on its owning shard
 * ({@link MessageBus#clientConnection}, {@link MessageBus#clientConnections}): immutable, so any
 * thread may keep and read it; only {@code meta} is the live object the handler sees.
 *
 * <p>The frame and byte totals count whole frames (header and body) since the connection began:
 * {@code framesIn} frames the decoder verified, {@code framesOut} frames fully written (for tls,
 * ws, wss and quic: taken whole into the carrier's records). Carrier overhead (TLS records,
 * WebSocket headers, QUIC packets) is not in the bytes.
 *
 * @param clientId      the bus's id of the connection (as in {@link ClientConnMeta#clientId()}).
 * @param scheme        tcp, tls, ws, wss or quic.
 * @param remoteAddress the peer's address, or null if unknown.
 * @param state         HANDSHAKE while a TLS, WebSocket handshake runs, OPEN, or CLOSING.
 * @param queuedFrames  frames queued for the client and not yet handed to a write.
 * @param queuedBytes   pooled bytes of the frames taken by a send whose write has not finished.
 * @param framesIn      frames received whole.
 * @param framesOut     frames sent whole.
 * @param bytesIn       bytes of the frames received.
 * @param bytesOut      bytes of the frames sent.
 * @param meta          the connection's {@link ClientConnMeta} (peer subject, transport details).
 */
public record ClientConnectionSnapshot(long clientId, String scheme, InetSocketAddress remoteAddress,
    Connection.State state, int queuedFrames, long queuedBytes, long framesIn, long framesOut, long bytesIn,
    long bytesOut, ClientConnMeta meta)
{
    /** The index of the shard that owns the connection. */
    public int shard()
    {
        return ConnectionTable.shardOf(clientId);
    }
}
