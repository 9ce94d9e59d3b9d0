package io.ringbus.quic.frame;

import io.ringbus.quic.packet.QuicException;

import java.nio.ByteBuffer;

/**
 * Receives each frame a {@link FrameReader} parses, in packet order. Data fields ({@code data},
 * {@code reason}, {@code token}) are views into the packet valid only during the call: position
 * to limit. Methods may throw {@link QuicException} to close the connection.
 */
public interface FrameVisitor
{
    default void onPadding(int length)
    {
    }

    default void onPing()
    {
    }

    /**
     * An ACK frame. {@code ranges} holds {@code rangeCount} pairs [smallest, largest] of
     * acknowledged packet numbers, largest range first.
     */
    default void onAck(long ackDelay, long[] ranges, int rangeCount, boolean ecn, long ect0, long ect1, long ce)
    {
    }

    default void onResetStream(long streamId, long errorCode, long finalSize) throws QuicException
    {
    }

    default void onStopSending(long streamId, long errorCode) throws QuicException
    {
    }

    default void onCrypto(long offset, ByteBuffer data) throws QuicException
    {
    }

    default void onNewToken(ByteBuffer token) throws QuicException
    {
    }

    default void onStream(long streamId, long offset, boolean fin, ByteBuffer data)
        throws QuicException
    {
    }

    default void onMaxData(long maximum)
    {
    }

    default void onMaxStreamData(long streamId, long maximum) throws QuicException
    {
    }

    default void onMaxStreams(boolean bidirectional, long maximum) throws QuicException
    {
    }

    default void onDataBlocked(long limit)
    {
    }

    default void onStreamDataBlocked(long streamId, long limit) throws QuicException
    {
    }

    default void onStreamsBlocked(boolean bidirectional, long limit) throws QuicException
    {
    }

    default void onNewConnectionId(long sequence, long retirePriorTo, ByteBuffer connectionId, ByteBuffer resetToken)
        throws QuicException
    {
    }

    default void onRetireConnectionId(long sequence) throws QuicException
    {
    }

    default void onPathChallenge(long data)
    {
    }

    default void onPathResponse(long data)
    {
    }

    /** CONNECTION_CLOSE: {@code application} for type 0x1d, whose frame type is then -1. */
    default void onConnectionClose(boolean application, long errorCode, long frameType, ByteBuffer reason)
    {
    }

    default void onHandshakeDone() throws QuicException
    {
    }
}
