package io.ringbus.quic.frame;

import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.packet.VarInt;

import java.nio.ByteBuffer;

/**
 * Parses the frames of one decrypted packet payload (RFC 9000 section 19) and hands each to a
 * {@link FrameVisitor}. Every malformation is a {@link QuicException} with the code RFC 9000 gives:
 * an unknown frame type or a badly encoded frame is FRAME_ENCODING_ERROR (12.4, 19); a frame in a
 * packet type that does not permit it, a HANDSHAKE_DONE or NEW_TOKEN sent to a server, or an
 * empty payload is PROTOCOL_VIOLATION. Data is handed out as views, nothing is copied.
 *
 * <p>Reusable; not thread-safe.
 */
public final class FrameReader
{
    private static final long MAX_OFFSET = VarInt.MAX;
    private static final int RESET_TOKEN_LENGTH = 16;

    private long[] ranges = new long[32];

    /**
     * Parse every frame of {@code payload} (position to limit) received in a packet of {@code kind}.
     *
     * @param receivedByServer true on the server (HANDSHAKE_DONE and NEW_TOKEN are refused there).
     * @return true if the packet was ack-eliciting (any frame other than PADDING, ACK, CONNECTION_CLOSE).
     */
    public boolean read(final ByteBuffer payload, final PacketKind kind, final boolean receivedByServer,
        final FrameVisitor visitor) throws QuicException
    {
        if (!payload.hasRemaining())
        {
            throw new QuicException(QuicException.PROTOCOL_VIOLATION, "a packet with no frames (RFC 9000 12.4)");
        }
        boolean ackEliciting = false;
        while (payload.hasRemaining())
        {
            final long type = VarInt.read(payload, "frame type");
            if (!kind.permits(type) && isKnown(type))
            {
                throw new QuicException(QuicException.PROTOCOL_VIOLATION,
                    FrameType.name(type) + " frame not permitted in a " + kind + " packet (RFC 9000 12.4)");
            }
            if (type != FrameType.PADDING && type != FrameType.ACK && type != FrameType.ACK_ECN &&
                type != FrameType.CONNECTION_CLOSE && type != FrameType.CONNECTION_CLOSE_APP)
            {
                ackEliciting = true;
            }
            readFrame(type, payload, receivedByServer, visitor);
        }
        return ackEliciting;
    }

    private static boolean isKnown(final long type)
    {
        return type >= FrameType.PADDING && type <= FrameType.HANDSHAKE_DONE;
    }

    private void readFrame(final long type, final ByteBuffer in, final boolean server, final FrameVisitor visitor)
        throws QuicException
    {
        if (type >= FrameType.STREAM && type <= FrameType.STREAM_LAST)
        {
            readStream((int)type, in, visitor);
            return;
        }
        switch ((int)Math.min(type, Integer.MAX_VALUE))
        {
            case FrameType.PADDING:
            {
                int length = 1;
                while (in.hasRemaining() && in.get(in.position()) == 0)
                {
                    in.get();
                    length++;
                }
                visitor.onPadding(length);
                break;
            }
            case FrameType.PING:
                visitor.onPing();
                break;
            case FrameType.ACK:
            case FrameType.ACK_ECN:
                readAck(type == FrameType.ACK_ECN, in, visitor);
                break;
            case FrameType.RESET_STREAM:
                visitor.onResetStream(VarInt.read(in, "RESET_STREAM stream id"), VarInt.read(in, "RESET_STREAM error code"),
                    VarInt.read(in, "RESET_STREAM final size"));
                break;
            case FrameType.STOP_SENDING:
                visitor.onStopSending(VarInt.read(in, "STOP_SENDING stream id"),
                    VarInt.read(in, "STOP_SENDING error code"));
                break;
            case FrameType.CRYPTO:
            {
                final long offset = VarInt.read(in, "CRYPTO offset");
                final long length = VarInt.read(in, "CRYPTO length");
                checkOffset("CRYPTO", offset, length);
                visitor.onCrypto(offset, slice(in, length, "CRYPTO data"));
                break;
            }
            case FrameType.NEW_TOKEN:
            {
                if (server)
                {
                    throw new QuicException(QuicException.PROTOCOL_VIOLATION, "NEW_TOKEN sent to a server (RFC 9000 19.7)");
                }
                final long length = VarInt.read(in, "NEW_TOKEN length");
                if (length == 0)
                {
                    throw new QuicException(QuicException.FRAME_ENCODING_ERROR, "NEW_TOKEN with an empty token (19.7)");
                }
                visitor.onNewToken(slice(in, length, "NEW_TOKEN token"));
                break;
            }
            case FrameType.MAX_DATA:
                visitor.onMaxData(VarInt.read(in, "MAX_DATA maximum"));
                break;
            case FrameType.MAX_STREAM_DATA:
                visitor.onMaxStreamData(VarInt.read(in, "MAX_STREAM_DATA stream id"),
                    VarInt.read(in, "MAX_STREAM_DATA maximum"));
                break;
            case FrameType.MAX_STREAMS_BIDI:
            case FrameType.MAX_STREAMS_UNI:
                visitor.onMaxStreams(type == FrameType.MAX_STREAMS_BIDI, streamCount(in, "MAX_STREAMS maximum"));
                break;
            case FrameType.DATA_BLOCKED:
                visitor.onDataBlocked(VarInt.read(in, "DATA_BLOCKED limit"));
                break;
            case FrameType.STREAM_DATA_BLOCKED:
                visitor.onStreamDataBlocked(VarInt.read(in, "STREAM_DATA_BLOCKED stream id"),
                    VarInt.read(in, "STREAM_DATA_BLOCKED limit"));
                break;
            case FrameType.STREAMS_BLOCKED_BIDI:
            case FrameType.STREAMS_BLOCKED_UNI:
                visitor.onStreamsBlocked(type == FrameType.STREAMS_BLOCKED_BIDI, streamCount(in, "STREAMS_BLOCKED limit"));
                break;
            case FrameType.NEW_CONNECTION_ID:
                readNewConnectionId(in, visitor);
                break;
            case FrameType.RETIRE_CONNECTION_ID:
                visitor.onRetireConnectionId(VarInt.read(in, "RETIRE_CONNECTION_ID sequence"));
                break;
            case FrameType.PATH_CHALLENGE:
                visitor.onPathChallenge(eightBytes(in, "PATH_CHALLENGE data"));
                break;
            case FrameType.PATH_RESPONSE:
                visitor.onPathResponse(eightBytes(in, "PATH_RESPONSE data"));
                break;
            case FrameType.CONNECTION_CLOSE:
            case FrameType.CONNECTION_CLOSE_APP:
            {
                final boolean application = type == FrameType.CONNECTION_CLOSE_APP;
                final long errorCode = VarInt.read(in, "CONNECTION_CLOSE error code");
                final long frameType = application ? -1 : VarInt.read(in, "CONNECTION_CLOSE frame type");
                final long length = VarInt.read(in, "CONNECTION_CLOSE reason length");
                visitor.onConnectionClose(application, errorCode, frameType, slice(in, length, "CONNECTION_CLOSE reason"));
                break;
            }
            case FrameType.HANDSHAKE_DONE:
                if (server)
                {
                    throw new QuicException(QuicException.PROTOCOL_VIOLATION,
                        "HANDSHAKE_DONE sent to a server (RFC 9000 19.20)");
                }
                visitor.onHandshakeDone();
                break;
            default:
                throw new QuicException(QuicException.FRAME_ENCODING_ERROR,
                    "unknown frame type 0x" + Long.toHexString(type) + " (RFC 9000 12.4)");
        }
    }

    private void readStream(final int type, final ByteBuffer in, final FrameVisitor visitor) throws QuicException
    {
        final long streamId = VarInt.read(in, "STREAM stream id");
        final long offset = (type & FrameType.STREAM_OFF) != 0 ? VarInt.read(in, "STREAM offset") : 0;
        final long length = (type & FrameType.STREAM_LEN) != 0 ? VarInt.read(in, "STREAM length") : in.remaining();
        checkOffset("STREAM", offset, length);
        checkLength(in, length, "STREAM data");
        // The data is the input itself, its limit lowered for the call: a slice would be a new
        // ByteBuffer per STREAM frame, the receive path's only allocation (issue 16).
        final int limit = in.limit();
        final int end = in.position() + (int)length;
        in.limit(end);
        try
        {
            visitor.onStream(streamId, offset, (type & FrameType.STREAM_FIN) != 0, in);
        }
        finally
        {
            in.limit(limit).position(end);
        }
    }

    private void readAck(final boolean ecn, final ByteBuffer in, final FrameVisitor visitor) throws QuicException
    {
        final long largest = VarInt.read(in, "ACK largest acknowledged");
        final long delay = VarInt.read(in, "ACK delay");
        final long rangeCount = VarInt.read(in, "ACK range count");
        final long firstRange = VarInt.read(in, "ACK first range");
        if (firstRange > largest)
        {
            throw new QuicException(QuicException.FRAME_ENCODING_ERROR,
                "ACK first range = " + firstRange + ": below packet number 0 (largest " + largest + ") (19.3.1)");
        }
        if (rangeCount > in.remaining())
        {
            throw new QuicException(QuicException.FRAME_ENCODING_ERROR,
                "ACK range count = " + rangeCount + ": more than the packet can hold");
        }
        ensureRanges((int)rangeCount + 1);
        long smallest = largest - firstRange;
        ranges[0] = smallest;
        ranges[1] = largest;
        for (int i = 1; i <= rangeCount; i++)
        {
            final long gap = VarInt.read(in, "ACK gap");
            final long length = VarInt.read(in, "ACK range length");
            final long next = smallest - gap - 2;
            if (next < 0 || next - length < 0)
            {
                throw new QuicException(QuicException.FRAME_ENCODING_ERROR,
                    "ACK range " + i + ": below packet number 0 (19.3.1)");
            }
            ranges[2 * i] = next - length;
            ranges[2 * i + 1] = next;
            smallest = next - length;
        }
        long ect0 = 0;
        long ect1 = 0;
        long ce = 0;
        if (ecn)
        {
            ect0 = VarInt.read(in, "ACK ECT0 count");
            ect1 = VarInt.read(in, "ACK ECT1 count");
            ce = VarInt.read(in, "ACK ECN-CE count");
        }
        visitor.onAck(delay, ranges, (int)rangeCount + 1, ecn, ect0, ect1, ce);
    }

    private void ensureRanges(final int count)
    {
        if (ranges.length < 2 * count)
        {
            ranges = new long[Math.max(2 * count, 2 * ranges.length)];
        }
    }

    private static void readNewConnectionId(final ByteBuffer in, final FrameVisitor visitor) throws QuicException
    {
        final long sequence = VarInt.read(in, "NEW_CONNECTION_ID sequence");
        final long retirePriorTo = VarInt.read(in, "NEW_CONNECTION_ID retire prior to");
        if (retirePriorTo > sequence)
        {
            throw new QuicException(QuicException.FRAME_ENCODING_ERROR,
                "NEW_CONNECTION_ID retire prior to = " + retirePriorTo + ": above sequence " + sequence + " (19.15)");
        }
        if (!in.hasRemaining())
        {
            throw new QuicException(QuicException.FRAME_ENCODING_ERROR, "NEW_CONNECTION_ID length: missing");
        }
        final int length = in.get() & 0xFF;
        if (length < 1 || length > 20)
        {
            throw new QuicException(QuicException.FRAME_ENCODING_ERROR,
                "NEW_CONNECTION_ID length = " + length + ": must be 1..20 (19.15)");
        }
        final ByteBuffer id = slice(in, length, "NEW_CONNECTION_ID connection id");
        final ByteBuffer token = slice(in, RESET_TOKEN_LENGTH, "NEW_CONNECTION_ID stateless reset token");
        visitor.onNewConnectionId(sequence, retirePriorTo, id, token);
    }

    private static long streamCount(final ByteBuffer in, final String what) throws QuicException
    {
        final long count = VarInt.read(in, what);
        if (count > (1L << 60))
        {
            throw new QuicException(QuicException.FRAME_ENCODING_ERROR, what + " = " + count + ": above 2^60 (19.11)");
        }
        return count;
    }

    private static long eightBytes(final ByteBuffer in, final String what) throws QuicException
    {
        if (in.remaining() < 8)
        {
            throw new QuicException(QuicException.FRAME_ENCODING_ERROR, what + ": 8 bytes needed, " + in.remaining() + " left");
        }
        return in.getLong();
    }

    private static void checkOffset(final String frame, final long offset, final long length) throws QuicException
    {
        if (offset + length > MAX_OFFSET || offset + length < 0)
        {
            throw new QuicException(QuicException.FRAME_ENCODING_ERROR,
                frame + " offset + length = " + offset + " + " + length + ": above 2^62 - 1 (19.6, 19.8)");
        }
    }

    private static void checkLength(final ByteBuffer in, final long length, final String what) throws QuicException
    {
        if (length > in.remaining())
        {
            throw new QuicException(QuicException.FRAME_ENCODING_ERROR,
                what + ": length " + length + " beyond the packet (" + in.remaining() + " left)");
        }
    }

    private static ByteBuffer slice(final ByteBuffer in, final long length, final String what) throws QuicException
    {
        checkLength(in, length, what);
        final ByteBuffer data = in.slice(in.position(), (int)length);
        in.position(in.position() + (int)length);
        return data;
    }
}
