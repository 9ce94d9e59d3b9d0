package io.ringbus.quic.conn;

import io.ringbus.quic.frame.FrameWriter;
import io.ringbus.quic.packet.QuicException;

import java.nio.ByteBuffer;

/**
 * The peer's connection IDs (RFC 9000 5.1): its handshake Source Connection ID, the ones it issued
 * with NEW_CONNECTION_ID (up to our active_connection_id_limit), the one we send with, and the
 * RETIRE_CONNECTION_ID frames owed for those it asked us to retire. Connection thread only:
 * {@link FrameDispatcher} and {@link PacketOpener} feed it, {@link PacketAssembler} reads the
 * Destination Connection ID and writes the retirements.
 */
final class PeerConnectionIds
{
    private static final int MAX_PENDING_RETIREMENTS = 64;

    private final long activeConnectionIdLimit;
    private final long[] sequences;
    private final byte[][] ids;
    private final RangeSet retirePending = new RangeSet(4);
    private int count;
    /** The peer's Source Connection ID of the handshake (client: learned from the first server Initial). */
    private byte[] handshakeCid;
    /** The Destination Connection ID we send with. */
    private byte[] current;
    private long currentSequence;
    private long retirePriorTo;

    /**
     * @param remoteCid the Destination Connection ID to start with: a client's random one, a server's
     *     the client's Source Connection ID (then also its handshake id, sequence 0).
     */
    PeerConnectionIds(final boolean client, final byte[] remoteCid, final long activeConnectionIdLimit)
    {
        this.activeConnectionIdLimit = activeConnectionIdLimit;
        final int slots = (int)Math.min(Math.max(activeConnectionIdLimit, 2), 16) + 1;
        this.sequences = new long[slots];
        this.ids = new byte[slots][];
        this.current = remoteCid.clone();
        if (!client)
        {
            this.handshakeCid = remoteCid.clone();
            add(0, current);
        }
    }

    /** The Destination Connection ID of the packets we send. */
    byte[] current()
    {
        return current;
    }

    /** The peer's handshake Source Connection ID, null until a client learns it. */
    byte[] handshakeCid()
    {
        return handshakeCid;
    }

    /** RFC 9000 17.2.5.2: after a Retry the client sends to the Retry's Source Connection ID (not yet the handshake id). */
    void onRetry(final byte[] cid)
    {
        current = cid.clone();
    }

    /** RFC 9000 7.2: the client switches to the Source Connection ID of the server's first Initial. */
    void onServerHandshakeCid(final byte[] cid)
    {
        handshakeCid = cid;
        current = cid.clone();
        add(0, current);
    }

    private void add(final long sequence, final byte[] cid)
    {
        sequences[count] = sequence;
        ids[count] = cid;
        count++;
    }

    /** A NEW_CONNECTION_ID frame (RFC 9000 19.15). */
    void onNewConnectionId(final long sequence, final long retirePriorTo, final ByteBuffer id) throws QuicException
    {
        if (current.length == 0)
        {
            throw new QuicException(QuicException.PROTOCOL_VIOLATION,
                "NEW_CONNECTION_ID from a peer using zero-length connection IDs (RFC 9000 19.15)");
        }
        for (int i = 0; i < count; i++)
        {
            if (sequences[i] == sequence)
            {
                if (!id.equals(ByteBuffer.wrap(ids[i])))
                {
                    throw new QuicException(QuicException.PROTOCOL_VIOLATION,
                        "NEW_CONNECTION_ID sequence " + sequence + " reused for another connection id (19.15)");
                }
                return;
            }
        }
        if (sequence < this.retirePriorTo)
        {
            queueRetirement(sequence); // RFC 9000 19.15: retire at once
            return;
        }
        if (retirePriorTo > this.retirePriorTo)
        {
            this.retirePriorTo = retirePriorTo;
            int kept = 0;
            for (int i = 0; i < count; i++)
            {
                if (sequences[i] < retirePriorTo)
                {
                    queueRetirement(sequences[i]);
                }
                else
                {
                    sequences[kept] = sequences[i];
                    ids[kept] = ids[i];
                    kept++;
                }
            }
            for (int i = kept; i < count; i++)
            {
                ids[i] = null;
            }
            count = kept;
        }
        if (count >= Math.min(activeConnectionIdLimit, ids.length - 1))
        {
            throw new QuicException(QuicException.CONNECTION_ID_LIMIT_ERROR,
                "NEW_CONNECTION_ID " + sequence + ": more than active_connection_id_limit = " +
                    activeConnectionIdLimit + " active connection ids (RFC 9000 5.1.1)");
        }
        final byte[] cid = new byte[id.remaining()];
        id.get(cid);
        add(sequence, cid);
        if (currentSequence < this.retirePriorTo)
        {
            int best = 0;
            for (int i = 1; i < count; i++)
            {
                if (sequences[i] < sequences[best])
                {
                    best = i;
                }
            }
            currentSequence = sequences[best];
            current = ids[best];
        }
    }

    private void queueRetirement(final long sequence) throws QuicException
    {
        retirePending.add(sequence, sequence + 1);
        if (retirePending.size() > MAX_PENDING_RETIREMENTS)
        {
            throw new QuicException(QuicException.CONNECTION_ID_LIMIT_ERROR,
                "more than " + MAX_PENDING_RETIREMENTS + " connection ids waiting to be retired");
        }
    }

    /** True if a RETIRE_CONNECTION_ID frame is owed. */
    boolean hasRetirement()
    {
        return !retirePending.isEmpty();
    }

    /** Write one owed RETIRE_CONNECTION_ID frame if it fits, recorded in {@code record}; @return true if written. */
    boolean writeRetirement(final ByteBuffer buffer, final SentPacket record)
    {
        if (retirePending.isEmpty() || buffer.remaining() < 9)
        {
            return false;
        }
        final long sequence = retirePending.low(0);
        retirePending.remove(sequence, sequence + 1);
        FrameWriter.retireConnectionId(buffer, sequence);
        record.controlFlags |= SentPacket.RETIRE_CONNECTION_ID;
        record.retireSequence = sequence;
        return true;
    }

    /** A packet carrying RETIRE_CONNECTION_ID {@code sequence} was lost: owe it again. */
    void onRetirementLost(final long sequence)
    {
        retirePending.add(sequence, sequence + 1);
    }
}
