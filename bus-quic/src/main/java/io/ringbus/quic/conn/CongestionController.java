package io.ringbus.quic.conn;

/**
 * Congestion control of one QUIC connection (RFC 9002 section 7): told of every in-flight packet
 * sent, acknowledged, lost or discarded, it says how many bytes may be in flight. Called on the
 * connection's thread only.
 */
public interface CongestionController
{
    /** An in-flight packet of {@code bytes} was sent. */
    void onPacketSent(int bytes, long nowNs);

    /** An in-flight packet sent at {@code timeSentNs} was acknowledged. */
    void onPacketAcked(int bytes, long timeSentNs, long nowNs);

    /** An in-flight packet sent at {@code timeSentNs} was declared lost. */
    void onPacketLost(int bytes, long timeSentNs, long nowNs);

    /** An in-flight packet was discarded with its keys (RFC 9002 6.4): no longer in flight, no signal. */
    void onPacketDiscarded(int bytes);

    /** Bytes of in-flight packets sent and not yet acknowledged, lost or discarded. */
    long bytesInFlight();

    /** The congestion window in bytes. */
    long congestionWindow();

    /**
     * Path MTU discovery changed the datagram size to {@code bytes} (RFC 9002 7.2: the window's
     * units follow max_datagram_size). By default nothing changes.
     */
    default void onDatagramSizeChanged(final int bytes)
    {
    }

    /** True if an ack-eliciting packet may be sent now. */
    default boolean canSend()
    {
        return bytesInFlight() < congestionWindow();
    }
}
