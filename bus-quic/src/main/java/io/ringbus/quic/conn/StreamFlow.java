package io.ringbus.quic.conn;

import io.ringbus.quic.frame.FrameType;
import io.ringbus.quic.frame.FrameWriter;
import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.packet.VarInt;
import io.ringbus.quic.tls.TransportParameters;

import java.nio.ByteBuffer;

/**
 * The connection's one bidirectional stream (id 0, opened by the client) and its flow control
 * (RFC 9000 2-4): the send and reassembly buffers, the peer's limits on what we send and ours on
 * what it sends, the final size, delivery to the {@link QuicConnection.Listener}, and the flow
 * control frames owed (MAX_DATA, MAX_STREAM_DATA, DATA_BLOCKED, STREAM_DATA_BLOCKED). Connection
 * thread only: {@link QuicConnection}'s stream API, {@link FrameDispatcher} for the peer's frames,
 * {@link PacketAssembler} for STREAM and flow control frames and their acknowledgement or loss.
 */
final class StreamFlow
{
    static final long STREAM_ID = 0;

    private final QuicConnection connection;
    private final boolean client;
    private final QuicConnectionConfig config;
    private final QuicConnectionStats stats;
    private final QuicConnection.Listener listener;
    private final SendBuffer tx;
    private final ReceiveBuffer rx;
    private boolean opened;
    private boolean outputShutdown;
    private boolean wantWritable;
    private long finalSize = -1;
    private boolean finDelivered;
    private long peerMaxData;
    private long peerMaxStreamData;
    private long peerMaxStreamsBidi;
    private long localMaxData;
    private long localMaxStreamData;

    private boolean maxDataPending;
    private boolean maxStreamDataPending;
    private boolean dataBlockedPending;
    private long dataBlockedLimit = -1;
    private boolean streamDataBlockedPending;
    private long streamDataBlockedLimit = -1;

    StreamFlow(final QuicConnection connection, final QuicConnectionConfig config, final QuicConnectionStats stats,
        final QuicConnection.Listener listener)
    {
        this.connection = connection;
        this.client = connection.isClient();
        this.config = config;
        this.stats = stats;
        this.listener = listener;
        this.tx = new SendBuffer(config.sendBufferBytes(), false);
        this.rx = new ReceiveBuffer(config.streamWindowBytes(), config.streamReceiveRanges());
        this.localMaxData = config.connectionWindowBytes();
        this.localMaxStreamData = config.streamWindowBytes();
    }

    /** The peer's transport parameters arrived: its initial limits. */
    void onPeerParameters(final TransportParameters peer)
    {
        peerMaxData = Math.max(peerMaxData, peer.initialMaxData);
        peerMaxStreamData = Math.max(peerMaxStreamData,
            client ? peer.initialMaxStreamDataBidiRemote : peer.initialMaxStreamDataBidiLocal);
        peerMaxStreamsBidi = Math.max(peerMaxStreamsBidi, peer.initialMaxStreamsBidi);
    }

    // ---------------------------------------------------------------------------------------------
    // Send side

    /** See {@link QuicConnection#write}; the connection checked it is open. */
    int write(final ByteBuffer[] srcs, final int count)
    {
        long wanted = 0;
        for (int i = 0; i < count; i++)
        {
            wanted += srcs[i].remaining();
        }
        if (wanted == 0)
        {
            return 0;
        }
        final long room = writeRoom();
        int taken = 0;
        for (int i = 0; i < count && taken < room; i++)
        {
            taken += tx.append(srcs[i], (int)(room - taken));
        }
        if (taken > 0 && client)
        {
            opened = true;
        }
        if (taken < wanted)
        {
            wantWritable = true;
            noteBlocked();
        }
        return taken;
    }

    boolean isOutputShutdown()
    {
        return outputShutdown;
    }

    void shutdownOutput()
    {
        if (outputShutdown)
        {
            return;
        }
        outputShutdown = true;
        tx.shutdown();
        if (client)
        {
            opened = true;
        }
    }

    private long writeRoom()
    {
        if (!connection.isHandshakeComplete() || (client && peerMaxStreamsBidi < 1))
        {
            return 0;
        }
        final long written = tx.writeOffset();
        final long flow = Math.min(peerMaxStreamData, peerMaxData) - written;
        return Math.max(0, Math.min(tx.free(), flow));
    }

    private void noteBlocked()
    {
        if (!connection.isHandshakeComplete())
        {
            return;
        }
        final long written = tx.writeOffset();
        if (written >= peerMaxStreamData && streamDataBlockedLimit != peerMaxStreamData)
        {
            streamDataBlockedLimit = peerMaxStreamData;
            streamDataBlockedPending = true;
        }
        if (written >= peerMaxData && dataBlockedLimit != peerMaxData)
        {
            dataBlockedLimit = peerMaxData;
            dataBlockedPending = true;
        }
    }

    /** After events: tell a writer that was refused that there is room now. */
    void notifyWritable()
    {
        if (wantWritable && connection.isOpen() && writeRoom() > 0)
        {
            wantWritable = false;
            listener.onWritable();
        }
    }

    void onMaxData(final long maximum)
    {
        peerMaxData = Math.max(peerMaxData, maximum);
    }

    void onMaxStreamData(final long maximum)
    {
        peerMaxStreamData = Math.max(peerMaxStreamData, maximum);
    }

    void onMaxStreamsBidi(final long maximum)
    {
        peerMaxStreamsBidi = Math.max(peerMaxStreamsBidi, maximum);
    }

    /** True if flow control frames are owed. */
    boolean controlPending()
    {
        return maxDataPending || maxStreamDataPending || dataBlockedPending || streamDataBlockedPending;
    }

    /** True if stream bytes (or the FIN) wait to be sent. */
    boolean sendPending()
    {
        return opened && tx.hasPending();
    }

    /** Write the owed flow control frames that fit, recorded in {@code record}; @return true if any was written. */
    boolean writeControlFrames(final ByteBuffer buffer, final SentPacket record)
    {
        boolean wrote = false;
        if (maxDataPending && buffer.remaining() >= 9)
        {
            FrameWriter.maxData(buffer, localMaxData);
            maxDataPending = false;
            record.controlFlags |= SentPacket.MAX_DATA;
            wrote = true;
        }
        if (maxStreamDataPending && buffer.remaining() >= 10)
        {
            FrameWriter.maxStreamData(buffer, STREAM_ID, localMaxStreamData);
            maxStreamDataPending = false;
            record.controlFlags |= SentPacket.MAX_STREAM_DATA;
            wrote = true;
        }
        if (dataBlockedPending && buffer.remaining() >= 9)
        {
            dataBlockedPending = false;
            if (dataBlockedLimit == peerMaxData)
            {
                FrameWriter.dataBlocked(buffer, dataBlockedLimit);
                record.controlFlags |= SentPacket.DATA_BLOCKED;
                wrote = true;
            }
        }
        if (streamDataBlockedPending && buffer.remaining() >= 10)
        {
            streamDataBlockedPending = false;
            if (streamDataBlockedLimit == peerMaxStreamData)
            {
                FrameWriter.streamDataBlocked(buffer, STREAM_ID, streamDataBlockedLimit);
                record.controlFlags |= SentPacket.STREAM_DATA_BLOCKED;
                wrote = true;
            }
        }
        return wrote;
    }

    /**
     * Write STREAM frames of pending bytes while they fit: a lost range first, then new bytes, so a
     * short range resent leaves no room unused (up to {@link SentPacket#MAX_STREAM_RANGES} frames),
     * each recorded in {@code record}.
     *
     * @return true if at least one frame was written.
     */
    boolean writeStreamFrames(final ByteBuffer buffer, final SentPacket record)
    {
        boolean wrote = false;
        while (record.streamCount < SentPacket.MAX_STREAM_RANGES && !record.streamFin && tx.hasPending())
        {
            // type, stream id 0, the offset's exact size and a 2-byte length: nothing of the room is lost
            final int overhead = 1 + 1 + VarInt.length(tx.nextChunkOffset()) + 2;
            final int maxLength = Math.min(buffer.remaining() - overhead, 16383);
            if (maxLength < 0 || !tx.nextChunk(maxLength))
            {
                break;
            }
            final long offset = tx.chunkOffset();
            final int length = tx.chunkLength();
            final boolean fin = tx.chunkFin();
            VarInt.write(buffer, FrameType.STREAM | FrameType.STREAM_OFF | FrameType.STREAM_LEN |
                (fin ? FrameType.STREAM_FIN : 0));
            VarInt.write(buffer, STREAM_ID);
            VarInt.write(buffer, offset);
            VarInt.write(buffer, length, 2); // 2 bytes as counted, even for a short tail (RFC 9000 16 allows it)
            tx.copy(offset, length, buffer);
            final int i = record.streamCount++;
            record.streamOffsets[i] = offset;
            record.streamLengths[i] = length;
            record.streamFin = fin;
            wrote = true;
        }
        return wrote;
    }

    /** A packet was acknowledged: its stream bytes are delivered. */
    void onAcked(final SentPacket packet)
    {
        final int last = packet.streamCount - 1;
        for (int i = 0; i <= last; i++)
        {
            tx.onAcked(packet.streamOffsets[i], packet.streamLengths[i], i == last && packet.streamFin);
        }
    }

    /** A packet is to be sent again: its stream bytes and still current flow control frames. */
    void onLost(final SentPacket packet)
    {
        final int last = packet.streamCount - 1;
        for (int i = 0; i <= last; i++)
        {
            tx.onLost(packet.streamOffsets[i], packet.streamLengths[i], i == last && packet.streamFin);
        }
        final int flags = packet.controlFlags;
        if ((flags & SentPacket.MAX_DATA) != 0)
        {
            maxDataPending = true;
        }
        if ((flags & SentPacket.MAX_STREAM_DATA) != 0 && finalSize < 0)
        {
            maxStreamDataPending = true;
        }
        if ((flags & SentPacket.DATA_BLOCKED) != 0 && dataBlockedLimit == peerMaxData)
        {
            dataBlockedPending = true;
        }
        if ((flags & SentPacket.STREAM_DATA_BLOCKED) != 0 && streamDataBlockedLimit == peerMaxStreamData)
        {
            streamDataBlockedPending = true;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Receive side

    /** RFC 9000 19.8, 4.6: one bidirectional stream, id 0, opened by the client. */
    void checkStream(final long streamId, final String frame) throws QuicException
    {
        if (streamId == STREAM_ID)
        {
            if (client && !opened)
            {
                throw new QuicException(QuicException.STREAM_STATE_ERROR,
                    frame + " for stream 0, which this client has not opened (RFC 9000 19.8)");
            }
            opened = true;
            return;
        }
        final boolean clientInitiated = (streamId & 1) == 0;
        final boolean unidirectional = (streamId & 2) != 0;
        if (clientInitiated == client)
        {
            throw new QuicException(QuicException.STREAM_STATE_ERROR,
                frame + " for stream " + streamId + ", which we never opened (RFC 9000 19.8)");
        }
        throw new QuicException(QuicException.STREAM_LIMIT_ERROR, frame + " for stream " + streamId + ": " +
            (unidirectional ? "no unidirectional streams are allowed" : "only one bidirectional stream is allowed") +
            " (RFC 9000 4.6)");
    }

    /** A STREAM frame for stream 0 (checked by {@link #checkStream}). */
    void onStreamFrame(final long offset, final boolean fin, final ByteBuffer data) throws QuicException
    {
        final long end = offset + data.remaining();
        if (finalSize >= 0 && (end > finalSize || (fin && end != finalSize)))
        {
            throw new QuicException(QuicException.FINAL_SIZE_ERROR,
                "STREAM frame ending at " + end + (fin ? " with FIN" : "") + ": the final size is " + finalSize +
                    " (RFC 9000 4.5)");
        }
        if (fin && end < rx.highestOffset())
        {
            throw new QuicException(QuicException.FINAL_SIZE_ERROR,
                "FIN at " + end + " below data received up to " + rx.highestOffset() + " (RFC 9000 4.5)");
        }
        if (end > localMaxStreamData)
        {
            throw new QuicException(QuicException.FLOW_CONTROL_ERROR,
                "stream data up to " + end + " beyond the stream limit " + localMaxStreamData + " (RFC 9000 4.1)");
        }
        if (end > localMaxData)
        {
            throw new QuicException(QuicException.FLOW_CONTROL_ERROR,
                "stream data up to " + end + " beyond the connection limit " + localMaxData + " (RFC 9000 4.1)");
        }
        if (!rx.insert(offset, data))
        {
            // RFC 9000 21.7, 21.9: a stream fragmented into more gaps than we track is an attack
            throw new QuicException(QuicException.PROTOCOL_VIOLATION, "STREAM data at " + offset + ": more than " +
                rx.maxRanges() + " disjoint ranges ahead of " + rx.readOffset() + " (RFC 9000 21.7)");
        }
        if (fin)
        {
            finalSize = end;
        }
        deliver();
    }

    /** RFC 9000 4.5: the final size of a RESET_STREAM must agree with what was received. */
    void checkResetSize(final long size) throws QuicException
    {
        if ((finalSize >= 0 && size != finalSize) || size < rx.highestOffset())
        {
            throw new QuicException(QuicException.FINAL_SIZE_ERROR, "RESET_STREAM final size " + size +
                " contradicts " + (finalSize >= 0 ? "final size " + finalSize : "data received up to " +
                rx.highestOffset()) + " (RFC 9000 4.5)");
        }
    }

    /** See {@link QuicConnection#read}. */
    int read(final ByteBuffer dst)
    {
        final int read = rx.read(dst);
        if (read == 0)
        {
            return finalSize >= 0 && rx.readOffset() == finalSize ? -1 : 0;
        }
        stats.streamBytesReceived += read;
        creditConsumed();
        return read;
    }

    int readableBytes()
    {
        return rx.available();
    }

    private void deliver()
    {
        if (listener.pullsStreamData())
        {
            if (connection.isOpen() && (rx.available() > 0 || finalSize >= 0 && rx.readOffset() == finalSize))
            {
                listener.onStreamReadable();
            }
            return;
        }
        ByteBuffer chunk;
        while (connection.isOpen() && (chunk = rx.poll()) != null)
        {
            stats.streamBytesReceived += chunk.remaining();
            listener.onStreamData(chunk);
        }
        if (!connection.isOpen())
        {
            return;
        }
        creditConsumed();
    }

    /** After bytes were consumed: the FIN once every byte is, and new flow-control limits. */
    private void creditConsumed()
    {
        final long consumed = rx.readOffset();
        if (finalSize >= 0 && consumed == finalSize && !finDelivered)
        {
            finDelivered = true;
            listener.onStreamFin();
        }
        // RFC 9000 4.2: raise the limits once half a window is consumed
        if (finalSize < 0 && localMaxStreamData - consumed < config.streamWindowBytes() / 2)
        {
            localMaxStreamData = consumed + config.streamWindowBytes();
            maxStreamDataPending = true;
        }
        if (localMaxData - consumed < config.connectionWindowBytes() / 2)
        {
            localMaxData = consumed + config.connectionWindowBytes();
            maxDataPending = true;
        }
    }
}
