package io.ringbus.quic.conn;

import io.ringbus.quic.frame.PacketKind;
import io.ringbus.quic.packet.PacketProtection;

/**
 * One packet number space of a connection (RFC 9000 12.3) with the keys of its encryption level:
 * the next packet number to send, the packet numbers received (bounded, for duplicate detection
 * and ACK frames) and when an ACK is owed (13.2.1), and the CRYPTO streams of the level.
 * Not thread-safe.
 */
final class PacketSpace
{
    /** Received ranges kept; older packet numbers count as duplicates. */
    static final int MAX_TRACKED_RANGES = 32;

    final int index;
    final PacketKind kind;
    PacketProtection read;
    PacketProtection write;
    boolean discarded;
    long nextPacketNumber;

    final RangeSet received = new RangeSet(MAX_TRACKED_RANGES + 1);
    long largestReceived = -1;
    long largestReceivedTimeNs;
    private long lowestTracked;
    int ackElicitingUnacked;
    boolean ackImmediate;
    boolean ackDirty;
    long ackDeadlineNs = Long.MAX_VALUE;

    SendBuffer cryptoTx;
    ReceiveBuffer cryptoRx;
    int probes;

    PacketSpace(final int index, final PacketKind kind)
    {
        this.index = index;
        this.kind = kind;
    }

    /** True if {@code packetNumber} was received before (or is too old to tell). */
    boolean isDuplicate(final long packetNumber)
    {
        return packetNumber < lowestTracked || received.contains(packetNumber);
    }

    /**
     * Record a processed packet. Initial and Handshake packets are acknowledged at once; 1-RTT
     * packets after two ack-eliciting ones, on a gap or reordering, or within {@code maxAckDelayNs}.
     */
    void onReceived(final long packetNumber, final boolean ackEliciting, final long nowNs, final long maxAckDelayNs)
    {
        final boolean outOfOrder = largestReceived >= 0 && packetNumber != largestReceived + 1;
        received.add(packetNumber, packetNumber + 1);
        if (received.size() > MAX_TRACKED_RANGES)
        {
            lowestTracked = received.high(0);
            received.removeFirst();
        }
        if (packetNumber > largestReceived)
        {
            largestReceived = packetNumber;
            largestReceivedTimeNs = nowNs;
        }
        ackDirty = true;
        if (!ackEliciting)
        {
            return;
        }
        ackElicitingUnacked++;
        if (kind != PacketKind.ONE_RTT || outOfOrder || ackElicitingUnacked >= 2)
        {
            ackImmediate = true;
        }
        else if (ackDeadlineNs == Long.MAX_VALUE)
        {
            ackDeadlineNs = nowNs + maxAckDelayNs;
        }
    }

    /** True if an ACK frame must go out now. */
    boolean ackNeeded(final long nowNs)
    {
        return ackElicitingUnacked > 0 && (ackImmediate || nowNs >= ackDeadlineNs);
    }

    /** When an owed ACK falls due, Long.MAX_VALUE if none is owed. */
    long ackDueNs()
    {
        if (ackElicitingUnacked == 0 || discarded)
        {
            return Long.MAX_VALUE;
        }
        return ackImmediate ? 0 : ackDeadlineNs;
    }

    void onAckSent()
    {
        ackElicitingUnacked = 0;
        ackImmediate = false;
        ackDirty = false;
        ackDeadlineNs = Long.MAX_VALUE;
    }

    /** Forget the keys and all state (RFC 9001 4.9). */
    void discard()
    {
        discarded = true;
        read = null;
        write = null;
        cryptoTx = null;
        cryptoRx = null;
        probes = 0;
        onAckSent();
    }
}
