package io.ringbus.quic.conn;

import io.ringbus.quic.frame.FrameType;
import io.ringbus.quic.frame.FrameWriter;
import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.packet.LongHeader;
import io.ringbus.quic.packet.PacketNumber;
import io.ringbus.quic.packet.PacketProtection;
import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.packet.VarInt;
import io.ringbus.quic.tls.TransportParameters;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The outbound path of one connection: fills a datagram of the path's size ({@link PathMtu}) with
 * one packet per space that has something to send (coalesced, RFC 9000 12.2), choosing the frames
 * within the congestion window and a server's amplification limit: an ACK when one is owed, then
 * control frames, CRYPTO, and STREAM frames (a lost range and new bytes side by side) until the
 * packet is full, PING for a probe, or CONNECTION_CLOSE when closing. It pads datagrams as RFC 9000
 * 14.1 asks, sends the path MTU probes (PING and PADDING, RFC 9000 14.4), protects the packets
 * (RFC 9001 5), records them with loss detection and hands the datagram to the
 * {@link DatagramSink}. When loss detection reports a packet acknowledged or lost, it tells the
 * parts whose frames the packet carried.
 * Connection thread only, from {@link QuicConnection#flush} and the loss detector's sink.
 */
final class PacketAssembler
{
    private static final int INITIAL = LossDetector.INITIAL;
    private static final int HANDSHAKE = LossDetector.HANDSHAKE;
    private static final int APPLICATION = LossDetector.APPLICATION;
    private static final int MAX_DATAGRAM = QuicConnectionConfig.MAX_DATAGRAM_SIZE;
    private static final int TAG = CipherSuite.TAG_LENGTH;
    /** A datagram is not started with less room than this. */
    static final int MIN_PACKET_ROOM = 64;
    private static final int MAX_ACK_RANGES_SENT = 16;
    private static final byte[] NO_REASON = new byte[0];

    private final QuicConnection connection;
    private final boolean client;
    private final byte[] localCid;
    private final TransportParameters localParams;
    private final PacketSpace[] spaces;
    private final QuicConnectionStats stats;
    private final LossDetector recovery;
    private final CongestionController congestion;
    private final DatagramSink sink;
    private final KeyPhases keyPhases;
    private final PeerConnectionIds peerCids;
    private final StreamFlow stream;
    private final AmplificationLimit amplification;
    private final IdleTimer idle;
    private final PathMtu pathMtu;
    /** Room for the largest datagram path MTU discovery may settle on. */
    private final byte[] tx;
    private final ByteBuffer txBuffer;
    private final long[] ackRanges = new long[2 * MAX_ACK_RANGES_SENT];
    private final OpenPacket[] openPackets = {new OpenPacket(), new OpenPacket(), new OpenPacket()};
    private int openCount;
    private boolean handshakeDonePending;
    private boolean pathResponsePending;
    /** A client's Initial token: empty, or the token of the server's Retry (RFC 9000 17.2.5.2). */
    private byte[] initialToken = NO_REASON;
    private long pathResponseData;

    PacketAssembler(final QuicConnection connection, final byte[] localCid, final TransportParameters localParams,
        final PacketSpace[] spaces, final QuicConnectionStats stats, final LossDetector recovery,
        final CongestionController congestion, final DatagramSink sink, final KeyPhases keyPhases,
        final PeerConnectionIds peerCids, final StreamFlow stream, final AmplificationLimit amplification,
        final IdleTimer idle, final PathMtu pathMtu, final int maxDatagramBytes)
    {
        this.connection = connection;
        this.client = connection.isClient();
        this.localCid = localCid;
        this.localParams = localParams;
        this.spaces = spaces;
        this.stats = stats;
        this.recovery = recovery;
        this.congestion = congestion;
        this.sink = sink;
        this.keyPhases = keyPhases;
        this.peerCids = peerCids;
        this.stream = stream;
        this.amplification = amplification;
        this.idle = idle;
        this.pathMtu = pathMtu;
        this.tx = new byte[Math.max(MAX_DATAGRAM, maxDatagramBytes)];
        this.txBuffer = ByteBuffer.wrap(tx);
    }

    /** A server's handshake is confirmed: owe HANDSHAKE_DONE (RFC 9001 4.1.2). */
    void queueHandshakeDone()
    {
        handshakeDonePending = true;
    }

    /** A PATH_CHALLENGE arrived: owe its PATH_RESPONSE. */
    void queuePathResponse(final long data)
    {
        pathResponsePending = true;
        pathResponseData = data;
    }

    /** Hand the datagram built by {@link #buildDatagram} ({@code length} bytes) to the sink. */
    void send(final int length)
    {
        stats.datagramsSent++;
        stats.bytesSent += length;
        amplification.onSent(length);
        txBuffer.limit(length).position(0);
        sink.send(txBuffer);
    }

    private boolean canWrite(final int index)
    {
        final PacketSpace space = spaces[index];
        return space.write != null && (index != APPLICATION || connection.isHandshakeComplete());
    }

    private boolean wantsToSend(final int index, final long nowNs)
    {
        final PacketSpace space = spaces[index];
        if (space.ackNeeded(nowNs))
        {
            return true;
        }
        final boolean content = space.probes > 0 || (space.cryptoTx != null && space.cryptoTx.hasPending()) ||
            (index == APPLICATION && (controlPending() || stream.sendPending()));
        return content && (space.probes > 0 || congestion.canSend());
    }

    private boolean controlPending()
    {
        return handshakeDonePending || stream.controlPending() || pathResponsePending || peerCids.hasRetirement();
    }

    /**
     * Build the next datagram: what is due at {@code nowNs}, or when {@code closing} a
     * CONNECTION_CLOSE ({@code errorCode}, {@code reason}, application or transport) in every space
     * with keys.
     *
     * @return the datagram's length, 0 if there is nothing to send.
     */
    int buildDatagram(final long nowNs, final boolean closing, final long errorCode, final byte[] reason,
        final boolean application) throws QuicException
    {
        if (!closing && connection.isHandshakeConfirmed())
        {
            final int probeBytes = pathMtu.probeBytes(nowNs);
            if (probeBytes > 0 && congestion.canSend() && canWrite(APPLICATION))
            {
                return writeMtuProbe(probeBytes, nowNs);
            }
        }
        int limit = pathMtu.currentBytes();
        if (amplification.limits())
        {
            final long budget = amplification.budget();
            if (budget < MIN_PACKET_ROOM)
            {
                return 0;
            }
            limit = (int)Math.min(limit, budget);
        }
        openCount = 0;
        int end = 0;
        boolean hasInitial = false;
        boolean initialAckEliciting = false;
        for (int index = INITIAL; index <= APPLICATION; index++)
        {
            if (!canWrite(index) || (!closing && !wantsToSend(index, nowNs)))
            {
                continue;
            }
            if (limit - end < MIN_PACKET_ROOM)
            {
                break;
            }
            final int next = closing ? writeClosePacket(index, end, limit - end, errorCode, reason, application) :
                writePacket(index, end, limit - end, nowNs);
            if (next > end)
            {
                end = next;
                if (index == INITIAL)
                {
                    hasInitial = true;
                    initialAckEliciting |= openPackets[openCount - 1].record.ackEliciting;
                }
            }
        }
        if (openCount == 0)
        {
            return 0;
        }
        // RFC 9000 14.1: a client pads every datagram with an Initial; a server those with ack-eliciting ones
        if (client ? hasInitial : initialAckEliciting)
        {
            final int target = Math.min(MAX_DATAGRAM, limit);
            if (end < target)
            {
                final OpenPacket last = openPackets[openCount - 1];
                Arrays.fill(tx, last.payloadEnd, last.payloadEnd + target - end, (byte)0);
                last.payloadEnd += target - end;
                end = target;
            }
        }
        boolean sentHandshake = false;
        for (int i = 0; i < openCount; i++)
        {
            sealPacket(openPackets[i], nowNs);
            sentHandshake |= openPackets[i].space == HANDSHAKE;
        }
        if (client && sentHandshake)
        {
            connection.discardSpace(INITIAL, nowNs); // RFC 9001 4.9.1
        }
        return end;
    }

    private int headerLength(final int index, final byte[] remoteCid)
    {
        if (index == APPLICATION)
        {
            return 1 + remoteCid.length;
        }
        return 1 + 4 + 1 + remoteCid.length + 1 + localCid.length +
            (index == INITIAL ? VarInt.length(initialToken.length) + initialToken.length : 0) + 2;
    }

    /** A client after a Retry: its Initials carry {@code token} from now on (RFC 9000 17.2.5.2). */
    void setInitialToken(final byte[] token)
    {
        initialToken = token.clone();
    }

    /** Write the header of a packet in {@code index} at {@code offset}; leaves txBuffer at the payload. */
    private OpenPacket openPacket(final int index, final int offset, final int room)
    {
        final PacketSpace space = spaces[index];
        final byte[] remoteCid = peerCids.current();
        final long packetNumber = space.nextPacketNumber;
        final int pnLength = PacketNumber.encodedLength(packetNumber, recovery.largestAcked(index));
        if (room < headerLength(index, remoteCid) + pnLength + TAG + 8)
        {
            return null;
        }
        final OpenPacket packet = openPackets[openCount];
        packet.space = index;
        packet.start = offset;
        packet.keys = space.write;
        packet.packetNumber = packetNumber;
        packet.pnLength = pnLength;
        txBuffer.limit(offset + room - TAG).position(offset);
        if (index == APPLICATION)
        {
            packet.lengthOffset = -1;
            txBuffer.put((byte)(0x40 | (keyPhases.writePhase() << 2) | (pnLength - 1)));
            txBuffer.put(remoteCid);
        }
        else
        {
            txBuffer.put((byte)(0xC0 | (index == INITIAL ? 0x00 : 0x20) | (pnLength - 1)));
            txBuffer.putInt(LongHeader.VERSION_1);
            txBuffer.put((byte)remoteCid.length).put(remoteCid);
            txBuffer.put((byte)localCid.length).put(localCid);
            if (index == INITIAL)
            {
                VarInt.write(txBuffer, initialToken.length); // RFC 9000 17.2.2: empty unless a Retry gave one
                txBuffer.put(initialToken);
            }
            packet.lengthOffset = txBuffer.position();
            txBuffer.putShort((short)0x4000);
        }
        packet.pnOffset = txBuffer.position();
        final long truncated = PacketNumber.truncate(packetNumber, pnLength);
        for (int i = pnLength - 1; i >= 0; i--)
        {
            txBuffer.put((byte)(truncated >>> (8 * i)));
        }
        packet.payloadStart = txBuffer.position();
        return packet;
    }

    /** Finish the payload of the packet just opened; @return the offset after its (future) tag. */
    private int closePacket(final OpenPacket packet)
    {
        // RFC 9001 5.4.2: at least 4 bytes of packet number and payload for the header protection sample
        while (txBuffer.position() - packet.pnOffset < 4)
        {
            txBuffer.put((byte)FrameType.PADDING);
        }
        packet.payloadEnd = txBuffer.position();
        spaces[packet.space].nextPacketNumber++;
        openCount++;
        return packet.payloadEnd + TAG;
    }

    private int writePacket(final int index, final int offset, final int room, final long nowNs)
    {
        final OpenPacket packet = openPacket(index, offset, room);
        if (packet == null)
        {
            return offset;
        }
        final PacketSpace space = spaces[index];
        final SentPacket record = recovery.acquire();
        record.space = index;
        record.packetNumber = packet.packetNumber;
        packet.record = record;
        boolean ackEliciting = false;
        if (space.ackDirty && txBuffer.remaining() >= 24)
        {
            writeAck(space, nowNs);
        }
        if (space.probes > 0 || congestion.canSend())
        {
            if (index == APPLICATION)
            {
                ackEliciting |= writeControlFrames(record);
            }
            if (space.cryptoTx != null && space.cryptoTx.hasPending())
            {
                ackEliciting |= writeCrypto(space.cryptoTx, record);
            }
            if (index == APPLICATION && stream.sendPending())
            {
                ackEliciting |= stream.writeStreamFrames(txBuffer, record);
            }
            if (!ackEliciting && space.probes > 0 && txBuffer.hasRemaining())
            {
                FrameWriter.ping(txBuffer);
                record.controlFlags |= SentPacket.PING;
                ackEliciting = true;
            }
        }
        if (txBuffer.position() == packet.payloadStart)
        {
            recovery.onPacketSent(record, nowNs); // not ack-eliciting: just recycled
            return offset;
        }
        if (ackEliciting && space.probes > 0)
        {
            space.probes--;
        }
        record.ackEliciting = ackEliciting;
        return closePacket(packet);
    }

    /**
     * A path MTU probe (RFC 9000 14.4, RFC 8899 4.1): one 1-RTT packet of PING and PADDING filling
     * {@code probeBytes}, alone in its datagram, so its acknowledgement proves the path carries the
     * size. It carries nothing to resend; its loss is no congestion signal.
     */
    private int writeMtuProbe(final int probeBytes, final long nowNs) throws QuicException
    {
        openCount = 0;
        final OpenPacket packet = openPacket(APPLICATION, 0, probeBytes);
        if (packet == null)
        {
            return 0;
        }
        final SentPacket record = recovery.acquire();
        record.space = APPLICATION;
        record.packetNumber = packet.packetNumber;
        record.ackEliciting = true;
        record.mtuProbe = true;
        record.controlFlags |= SentPacket.PING;
        packet.record = record;
        FrameWriter.ping(txBuffer);
        final int padding = txBuffer.remaining();
        Arrays.fill(tx, txBuffer.position(), txBuffer.position() + padding, (byte)FrameType.PADDING);
        txBuffer.position(txBuffer.position() + padding);
        final int end = closePacket(packet);
        sealPacket(packet, nowNs);
        pathMtu.onProbeSent(end);
        return end;
    }

    private void writeAck(final PacketSpace space, final long nowNs)
    {
        final RangeSet received = space.received;
        if (received.isEmpty())
        {
            return;
        }
        final long delayUs = Math.max(0, nowNs - space.largestReceivedTimeNs) / 1000;
        final long delay = space.index == APPLICATION ? delayUs >> localParams.ackDelayExponent : 0;
        final int last = received.size() - 1;
        final long largest = received.high(last) - 1;
        int size = 1 + VarInt.length(largest) + VarInt.length(delay) + 1 + VarInt.length(largest - received.low(last));
        if (size > txBuffer.remaining())
        {
            return;
        }
        ackRanges[0] = received.low(last);
        ackRanges[1] = largest;
        int count = 1;
        while (count < MAX_ACK_RANGES_SENT && count <= last)
        {
            final int i = last - count;
            final long gap = ackRanges[2 * count - 2] - received.high(i) - 1;
            final long length = received.high(i) - 1 - received.low(i);
            final int more = VarInt.length(gap) + VarInt.length(length);
            if (size + more + (count >= 63 ? 1 : 0) > txBuffer.remaining())
            {
                break;
            }
            size += more;
            ackRanges[2 * count] = received.low(i);
            ackRanges[2 * count + 1] = received.high(i) - 1;
            count++;
        }
        FrameWriter.ack(txBuffer, delay, ackRanges, count);
        space.onAckSent();
    }

    private boolean writeControlFrames(final SentPacket record)
    {
        boolean wrote = false;
        if (handshakeDonePending && txBuffer.remaining() >= 1)
        {
            FrameWriter.handshakeDone(txBuffer);
            handshakeDonePending = false;
            record.controlFlags |= SentPacket.HANDSHAKE_DONE;
            wrote = true;
        }
        wrote |= stream.writeControlFrames(txBuffer, record);
        wrote |= peerCids.writeRetirement(txBuffer, record);
        if (pathResponsePending && txBuffer.remaining() >= 9)
        {
            // not retransmitted (RFC 9000 13.3): a lost response is answered by the next challenge
            txBuffer.put((byte)FrameType.PATH_RESPONSE).putLong(pathResponseData);
            pathResponsePending = false;
            wrote = true;
        }
        return wrote;
    }

    private boolean writeCrypto(final SendBuffer buffer, final SentPacket record)
    {
        final int overhead = 1 + VarInt.length(buffer.writeOffset()) + 2;
        final int maxLength = Math.min(txBuffer.remaining() - overhead, 16383);
        if (maxLength <= 0 || !buffer.nextChunk(maxLength))
        {
            return false;
        }
        VarInt.write(txBuffer, FrameType.CRYPTO);
        VarInt.write(txBuffer, buffer.chunkOffset());
        VarInt.write(txBuffer, buffer.chunkLength());
        buffer.copy(buffer.chunkOffset(), buffer.chunkLength(), txBuffer);
        record.cryptoOffset = buffer.chunkOffset();
        record.cryptoLength = buffer.chunkLength();
        return true;
    }

    private int writeClosePacket(final int index, final int offset, final int room, final long errorCode,
        final byte[] closeReason, final boolean application)
    {
        final OpenPacket packet = openPacket(index, offset, room);
        if (packet == null)
        {
            return offset;
        }
        final SentPacket record = recovery.acquire();
        record.space = index;
        record.packetNumber = packet.packetNumber;
        packet.record = record;
        final int reasonRoom = Math.max(0, txBuffer.remaining() - 1 - 8 - 8 - 2);
        if (application && index != APPLICATION)
        {
            // RFC 9000 10.2.3: no application close before the handshake is confirmed
            FrameWriter.connectionClose(txBuffer, QuicException.APPLICATION_ERROR, 0, NO_REASON);
        }
        else
        {
            final byte[] reason = closeReason.length <= reasonRoom ? closeReason : Arrays.copyOf(closeReason, reasonRoom);
            if (application)
            {
                FrameWriter.applicationClose(txBuffer, errorCode, reason);
            }
            else
            {
                FrameWriter.connectionClose(txBuffer, errorCode, 0, reason);
            }
        }
        return closePacket(packet);
    }

    private void sealPacket(final OpenPacket packet, final long nowNs) throws QuicException
    {
        final int payloadLength = packet.payloadEnd - packet.payloadStart;
        if (packet.lengthOffset >= 0)
        {
            final int length = packet.pnLength + payloadLength + TAG;
            tx[packet.lengthOffset] = (byte)(0x40 | (length >>> 8));
            tx[packet.lengthOffset + 1] = (byte)length;
        }
        final int size = packet.keys.protect(tx, packet.start, packet.pnOffset, packet.pnLength, packet.packetNumber,
            payloadLength);
        stats.packetsSent++;
        if (packet.space == APPLICATION)
        {
            keyPhases.onPacketProtected(); // RFC 9001 6.6: the confidentiality limit counts per key
        }
        final SentPacket record = packet.record;
        record.size = size;
        for (int i = 0; i < record.streamCount; i++)
        {
            final long end = record.streamOffsets[i] + record.streamLengths[i];
            if (end > stats.streamBytesSent)
            {
                stats.streamBytesSent = end;
            }
        }
        if (record.ackEliciting)
        {
            // RFC 9000 10.1: sending the first ack-eliciting packet since receiving restarts the idle timer
            idle.onAckElicitingSent(nowNs);
        }
        packet.record = null;
        packet.keys = null;
        recovery.onPacketSent(record, nowNs);
    }

    // ---------------------------------------------------------------------------------------------
    // What loss detection reports

    /** The packet was acknowledged: what it carried is delivered. */
    void onPacketAcked(final SentPacket packet)
    {
        final PacketSpace space = spaces[packet.space];
        if (packet.cryptoLength > 0 && space.cryptoTx != null)
        {
            space.cryptoTx.onAcked(packet.cryptoOffset, packet.cryptoLength, false);
        }
        stream.onAcked(packet);
    }

    /** The packet was lost, or a probe resends it: queue again what it carried and is still current. */
    void requeue(final SentPacket packet)
    {
        final PacketSpace space = spaces[packet.space];
        if (packet.cryptoLength > 0 && space.cryptoTx != null)
        {
            space.cryptoTx.onLost(packet.cryptoOffset, packet.cryptoLength, false);
        }
        stream.onLost(packet);
        if ((packet.controlFlags & SentPacket.HANDSHAKE_DONE) != 0)
        {
            handshakeDonePending = true;
        }
        if ((packet.controlFlags & SentPacket.RETIRE_CONNECTION_ID) != 0)
        {
            peerCids.onRetirementLost(packet.retireSequence);
        }
    }

    /** A packet being built in the current datagram, sealed when the datagram is complete. */
    private static final class OpenPacket
    {
        int space;
        int start;
        int lengthOffset;
        int pnOffset;
        int pnLength;
        int payloadStart;
        int payloadEnd;
        long packetNumber;
        PacketProtection keys;
        SentPacket record;
    }
}
