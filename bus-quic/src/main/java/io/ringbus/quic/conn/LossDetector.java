package io.ringbus.quic.conn;

/**
 * Loss detection of one connection (RFC 9002 section 6): keeps the records of ack-eliciting
 * packets sent in each packet number space, matches ACK frames against them, estimates the RTT,
 * declares packets lost by packet or time threshold, and runs the probe timeout. What packets
 * carried is the connection's business: it is told through a {@link Sink}. Called on the
 * connection's thread only.
 */
interface LossDetector
{
    /** Packet number spaces (RFC 9000 12.3), indexed as the connection indexes them. */
    int INITIAL = 0;
    int HANDSHAKE = 1;
    int APPLICATION = 2;

    /** What loss detection tells the connection, and asks of it. */
    interface Sink
    {
        /** The packet was acknowledged: what it carried is delivered. */
        void onPacketAcked(SentPacket packet);

        /** The packet was declared lost: what it carried must be sent again. */
        void onPacketLost(SentPacket packet);

        /** A probe timeout fired: send again what {@code packet} carried (it stays in flight). */
        void onProbeRequeue(SentPacket packet);

        /** A probe timeout fired for {@code space}: send one ack-eliciting packet there now. */
        void onProbe(int space);

        /** RFC 9002 A.6: true once the handshake is confirmed. */
        boolean isHandshakeConfirmed();

        /** RFC 9002 A.6: a server: true; a client: once the handshake is confirmed or a Handshake ACK came. */
        boolean peerCompletedAddressValidation();

        /** A server that may send nothing more before the client's address is validated (RFC 9002 6.2.2.1). */
        boolean isAmplificationBlocked();

        /** True while Handshake keys are installed and not discarded. */
        boolean hasHandshakeKeys();

        /** The peer's max_ack_delay in nanoseconds. */
        long peerMaxAckDelayNs();
    }

    /** A cleared record to fill for a packet about to be sent (pooled). */
    SentPacket acquire();

    /** The packet, filled in with its space, number, size and time, was sent. */
    void onPacketSent(SentPacket packet, long nowNs);

    /**
     * An ACK frame arrived in {@code space}: {@code ranges} holds {@code rangeCount} pairs
     * [smallest, largest] of acknowledged packet numbers, largest first.
     */
    void onAckReceived(int space, long[] ranges, int rangeCount, long ackDelayNs, long nowNs);

    /** When {@link #onTimeout} is next due, Long.MAX_VALUE if never. */
    long timerNs();

    /** The timer fired: detect losses by time, or send probes. */
    void onTimeout(long nowNs);

    /** Re-evaluate the timer (e.g. a server's amplification limit changed). */
    void updateTimer(long nowNs);

    /** The keys of {@code space} were discarded: forget its packets without declaring them lost. */
    void discardSpace(int space, long nowNs);

    /** Largest packet number the peer acknowledged in {@code space}, -1 if none. */
    long largestAcked(int space);

    /** The smoothed RTT. */
    long smoothedRttNs();

    /** The current probe timeout without backoff, including the peer's max_ack_delay (RFC 9002 6.2.1). */
    long ptoNs();

    /** Number of probe timeouts since the last acknowledgement. */
    int ptoCount();
}
