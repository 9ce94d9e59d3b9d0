package io.ringbus.quic.frame;

import io.ringbus.quic.packet.VarInt;

import java.nio.ByteBuffer;

/**
 * Writes frames (RFC 9000 section 19) at a buffer's position, in their shortest encodings.
 * Stateless; any thread.
 */
public final class FrameWriter
{
    private FrameWriter()
    {
    }

    public static void padding(final ByteBuffer out, final int length)
    {
        for (int i = 0; i < length; i++)
        {
            out.put((byte)FrameType.PADDING);
        }
    }

    public static void ping(final ByteBuffer out)
    {
        out.put((byte)FrameType.PING);
    }

    /**
     * An ACK frame for {@code rangeCount} ranges given as [smallest, largest] pairs, largest range
     * first, disjoint and descending.
     */
    public static void ack(final ByteBuffer out, final long ackDelay, final long[] ranges, final int rangeCount)
    {
        VarInt.write(out, FrameType.ACK);
        VarInt.write(out, ranges[1]);
        VarInt.write(out, ackDelay);
        VarInt.write(out, rangeCount - 1);
        VarInt.write(out, ranges[1] - ranges[0]);
        long smallest = ranges[0];
        for (int i = 1; i < rangeCount; i++)
        {
            final long low = ranges[2 * i];
            final long high = ranges[2 * i + 1];
            VarInt.write(out, smallest - high - 2); // gap
            VarInt.write(out, high - low);
            smallest = low;
        }
    }

    public static void resetStream(final ByteBuffer out, final long streamId, final long errorCode, final long finalSize)
    {
        VarInt.write(out, FrameType.RESET_STREAM);
        VarInt.write(out, streamId);
        VarInt.write(out, errorCode);
        VarInt.write(out, finalSize);
    }

    public static void stopSending(final ByteBuffer out, final long streamId, final long errorCode)
    {
        VarInt.write(out, FrameType.STOP_SENDING);
        VarInt.write(out, streamId);
        VarInt.write(out, errorCode);
    }

    public static void crypto(final ByteBuffer out, final long offset, final ByteBuffer data)
    {
        VarInt.write(out, FrameType.CRYPTO);
        VarInt.write(out, offset);
        VarInt.write(out, data.remaining());
        out.put(data);
    }

    /** A STREAM frame with explicit offset and length (OFF and LEN bits set). */
    public static void stream(final ByteBuffer out, final long streamId, final long offset, final boolean fin,
        final ByteBuffer data)
    {
        VarInt.write(out, FrameType.STREAM | FrameType.STREAM_OFF | FrameType.STREAM_LEN | (fin ? FrameType.STREAM_FIN : 0));
        VarInt.write(out, streamId);
        VarInt.write(out, offset);
        VarInt.write(out, data.remaining());
        out.put(data);
    }

    public static void maxData(final ByteBuffer out, final long maximum)
    {
        VarInt.write(out, FrameType.MAX_DATA);
        VarInt.write(out, maximum);
    }

    public static void maxStreamData(final ByteBuffer out, final long streamId, final long maximum)
    {
        VarInt.write(out, FrameType.MAX_STREAM_DATA);
        VarInt.write(out, streamId);
        VarInt.write(out, maximum);
    }

    public static void maxStreams(final ByteBuffer out, final boolean bidirectional, final long maximum)
    {
        VarInt.write(out, bidirectional ? FrameType.MAX_STREAMS_BIDI : FrameType.MAX_STREAMS_UNI);
        VarInt.write(out, maximum);
    }

    public static void dataBlocked(final ByteBuffer out, final long limit)
    {
        VarInt.write(out, FrameType.DATA_BLOCKED);
        VarInt.write(out, limit);
    }

    public static void streamDataBlocked(final ByteBuffer out, final long streamId, final long limit)
    {
        VarInt.write(out, FrameType.STREAM_DATA_BLOCKED);
        VarInt.write(out, streamId);
        VarInt.write(out, limit);
    }

    public static void newConnectionId(final ByteBuffer out, final long sequence, final long retirePriorTo,
        final byte[] connectionId, final byte[] resetToken)
    {
        VarInt.write(out, FrameType.NEW_CONNECTION_ID);
        VarInt.write(out, sequence);
        VarInt.write(out, retirePriorTo);
        out.put((byte)connectionId.length).put(connectionId).put(resetToken);
    }

    public static void retireConnectionId(final ByteBuffer out, final long sequence)
    {
        VarInt.write(out, FrameType.RETIRE_CONNECTION_ID);
        VarInt.write(out, sequence);
    }

    /** A transport CONNECTION_CLOSE (0x1c) naming the frame type that caused it (0 if none). */
    public static void connectionClose(final ByteBuffer out, final long errorCode, final long frameType,
        final byte[] reason)
    {
        VarInt.write(out, FrameType.CONNECTION_CLOSE);
        VarInt.write(out, errorCode);
        VarInt.write(out, frameType);
        VarInt.write(out, reason.length);
        out.put(reason);
    }

    /** An application CONNECTION_CLOSE (0x1d). */
    public static void applicationClose(final ByteBuffer out, final long errorCode, final byte[] reason)
    {
        VarInt.write(out, FrameType.CONNECTION_CLOSE_APP);
        VarInt.write(out, errorCode);
        VarInt.write(out, reason.length);
        out.put(reason);
    }

    public static void handshakeDone(final ByteBuffer out)
    {
        out.put((byte)FrameType.HANDSHAKE_DONE);
    }
}
