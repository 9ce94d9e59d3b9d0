package io.ringbus.quic.conn;

import io.ringbus.quic.frame.FrameReader;
import io.ringbus.quic.frame.FrameVisitor;
import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.tls.EncryptionLevel;
import io.ringbus.quic.tls.TransportParameters;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The frames of one opened packet, as the {@link FrameReader} decodes them, handed to the part of
 * the connection they concern: ACKs to loss detection, CRYPTO to the TLS engine, stream and flow
 * control frames to {@link StreamFlow}, connection IDs to {@link PeerConnectionIds}, PATH_CHALLENGE
 * to {@link PacketAssembler}, CONNECTION_CLOSE and HANDSHAKE_DONE to the {@link QuicConnection}
 * state machine. Connection thread only, from {@link PacketOpener} (which names the packet's space
 * first with {@link #beginPacket}).
 */
final class FrameDispatcher implements FrameVisitor
{
    private static final int INITIAL = LossDetector.INITIAL;
    private static final int HANDSHAKE = LossDetector.HANDSHAKE;
    private static final int APPLICATION = LossDetector.APPLICATION;
    private static final EncryptionLevel[] LEVELS = EncryptionLevel.values();

    private final QuicConnection connection;
    private final QuicConnectionConfig config;
    private final PacketSpace[] spaces;
    private final LossDetector recovery;
    private final StreamFlow stream;
    private final PeerConnectionIds peerCids;
    private final PacketAssembler assembler;
    private int spaceIndex = INITIAL;
    private long nowNs;
    private boolean handshakeAckReceived;
    private long peerAckDelayExponent = 3;

    FrameDispatcher(final QuicConnection connection, final QuicConnectionConfig config, final PacketSpace[] spaces,
        final LossDetector recovery, final StreamFlow stream, final PeerConnectionIds peerCids,
        final PacketAssembler assembler)
    {
        this.connection = connection;
        this.config = config;
        this.spaces = spaces;
        this.recovery = recovery;
        this.stream = stream;
        this.peerCids = peerCids;
        this.assembler = assembler;
    }

    /** The frames that follow are of a packet in {@code spaceIndex}, received at {@code nowNs}. */
    void beginPacket(final int spaceIndex, final long nowNs)
    {
        this.spaceIndex = spaceIndex;
        this.nowNs = nowNs;
    }

    /** The peer's transport parameters arrived: the scale of its ACK delays. */
    void onPeerParameters(final TransportParameters peer)
    {
        peerAckDelayExponent = peer.ackDelayExponent;
    }

    /** RFC 9002 A.6: a client heard an ACK at the Handshake level (the server validated our address). */
    boolean handshakeAckReceived()
    {
        return handshakeAckReceived;
    }

    @Override
    public void onAck(final long ackDelay, final long[] ranges, final int rangeCount, final boolean ecn,
        final long ect0, final long ect1, final long ce)
    {
        final PacketSpace space = spaces[spaceIndex];
        if (space.discarded)
        {
            return;
        }
        if (ranges[1] >= space.nextPacketNumber)
        {
            throw new AckOfUnsentPacket(ranges[1], space.nextPacketNumber);
        }
        if (spaceIndex == HANDSHAKE)
        {
            handshakeAckReceived = true;
        }
        // RFC 9000 19.3: microseconds scaled by the peer's ack_delay_exponent; ignored at Initial/Handshake
        final long ackDelayNs = spaceIndex == APPLICATION ?
            (Math.min(ackDelay, 1L << 30) << Math.min(peerAckDelayExponent, 20)) * 1000 : 0;
        recovery.onAckReceived(spaceIndex, ranges, rangeCount, ackDelayNs, nowNs);
    }

    @Override
    public void onCrypto(final long offset, final ByteBuffer data) throws QuicException
    {
        final PacketSpace space = spaces[spaceIndex];
        if (space.discarded)
        {
            return;
        }
        if (space.cryptoRx == null)
        {
            space.cryptoRx = new ReceiveBuffer(config.cryptoBufferBytes(), config.cryptoReceiveRanges());
        }
        final ReceiveBuffer buffer = space.cryptoRx;
        final long end = offset + data.remaining();
        if (end > buffer.readOffset() + buffer.capacity())
        {
            throw new QuicException(QuicException.CRYPTO_BUFFER_EXCEEDED, "CRYPTO data up to " + end +
                " at " + LEVELS[spaceIndex] + ": more than " + buffer.capacity() +
                " bytes ahead of " + buffer.readOffset() + " (RFC 9000 7.5)");
        }
        if (!buffer.insert(offset, data))
        {
            // RFC 9000 7.5: data we will not buffer is CRYPTO_BUFFER_EXCEEDED, be it bytes or gaps
            throw new QuicException(QuicException.CRYPTO_BUFFER_EXCEEDED, "CRYPTO data at " + offset + " at " +
                LEVELS[spaceIndex] + ": more than " + buffer.maxRanges() + " disjoint ranges ahead of " +
                buffer.readOffset() + " (RFC 9000 7.5)");
        }
        final EncryptionLevel level = LEVELS[spaceIndex];
        ByteBuffer chunk;
        while (!space.discarded && (chunk = buffer.poll()) != null)
        {
            connection.tls().onHandshakeBytes(level, chunk);
        }
        connection.checkHandshakeComplete();
    }

    @Override
    public void onStream(final long streamId, final long offset, final boolean fin, final ByteBuffer data)
        throws QuicException
    {
        stream.checkStream(streamId, "STREAM");
        stream.onStreamFrame(offset, fin, data);
    }

    @Override
    public void onResetStream(final long streamId, final long errorCode, final long size) throws QuicException
    {
        stream.checkStream(streamId, "RESET_STREAM");
        stream.checkResetSize(size);
        // the stream is the connection: its reset ends the connection
        connection.startClosing(errorCode, "the peer reset the stream (RESET_STREAM error " + errorCode + ")", true);
    }

    @Override
    public void onStopSending(final long streamId, final long errorCode) throws QuicException
    {
        stream.checkStream(streamId, "STOP_SENDING");
        connection.startClosing(errorCode,
            "the peer stopped reading the stream (STOP_SENDING error " + errorCode + ")", true);
    }

    @Override
    public void onNewToken(final ByteBuffer token)
    {
        // a client may keep it for a later connection; we do not
    }

    @Override
    public void onMaxData(final long maximum)
    {
        stream.onMaxData(maximum);
    }

    @Override
    public void onMaxStreamData(final long streamId, final long maximum) throws QuicException
    {
        stream.checkStream(streamId, "MAX_STREAM_DATA");
        stream.onMaxStreamData(maximum);
    }

    @Override
    public void onMaxStreams(final boolean bidirectional, final long maximum)
    {
        if (bidirectional)
        {
            stream.onMaxStreamsBidi(maximum);
        }
    }

    @Override
    public void onStreamDataBlocked(final long streamId, final long limit) throws QuicException
    {
        stream.checkStream(streamId, "STREAM_DATA_BLOCKED");
    }

    @Override
    public void onNewConnectionId(final long sequence, final long retirePriorTo, final ByteBuffer connectionId,
        final ByteBuffer resetToken) throws QuicException
    {
        peerCids.onNewConnectionId(sequence, retirePriorTo, connectionId);
    }

    @Override
    public void onRetireConnectionId(final long sequence) throws QuicException
    {
        // we issue no connection id beyond the handshake one (sequence 0), which carries this packet
        throw new QuicException(QuicException.PROTOCOL_VIOLATION, "RETIRE_CONNECTION_ID " + sequence + ": " +
            (sequence == 0 ? "retires the connection id of the packet carrying it" :
            "no connection id with that sequence number was issued") + " (RFC 9000 19.16)");
    }

    @Override
    public void onPathChallenge(final long data)
    {
        assembler.queuePathResponse(data);
    }

    @Override
    public void onConnectionClose(final boolean application, final long errorCode, final long frameType,
        final ByteBuffer reason)
    {
        if (!connection.isOpen())
        {
            return;
        }
        final byte[] bytes = new byte[reason.remaining()];
        reason.get(bytes);
        connection.enterDraining(errorCode, new String(bytes, StandardCharsets.UTF_8));
    }

    @Override
    public void onHandshakeDone()
    {
        connection.confirmHandshake(); // the reader refuses it at a server
    }

    /** An ACK of a packet never sent, raised from {@link #onAck} (which cannot throw a QuicException). */
    static final class AckOfUnsentPacket extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        AckOfUnsentPacket(final long largest, final long next)
        {
            super("ACK of packet " + largest + ", never sent (next is " + next + ") (RFC 9000 13.1)", null, false, false);
        }
    }
}
