package io.ringbus.quic.conn;

/**
 * The idle timeout of one connection (RFC 9000 10.1): the smaller of both sides'
 * max_idle_timeout, restarted by every packet processed and by the first ack-eliciting packet sent
 * since, and never shorter than three PTOs. Connection thread only: {@link QuicConnection} checks
 * the deadline, {@link PacketOpener} and {@link PacketAssembler} restart it.
 */
final class IdleTimer
{
    private static final long NANOS_PER_MS = 1_000_000L;

    private final LossDetector recovery;
    private long timeoutNs = Long.MAX_VALUE;
    private long deadlineNs = Long.MAX_VALUE;
    private boolean ackElicitingSentSinceReceive;

    IdleTimer(final LossDetector recovery)
    {
        this.recovery = recovery;
    }

    /** Both sides' max_idle_timeout in milliseconds, 0 meaning none (the peer's is 0 until known). */
    void negotiate(final long localMs, final long peerMs)
    {
        final long ms = localMs == 0 ? peerMs : (peerMs == 0 ? localMs : Math.min(localMs, peerMs));
        timeoutNs = ms == 0 ? Long.MAX_VALUE : ms * NANOS_PER_MS;
    }

    /** The negotiated timeout, Long.MAX_VALUE if none. */
    long timeoutNs()
    {
        return timeoutNs;
    }

    /** When the connection is idle, Long.MAX_VALUE if never. */
    long deadlineNs()
    {
        return deadlineNs;
    }

    void restart(final long nowNs)
    {
        deadlineNs = timeoutNs == Long.MAX_VALUE ? Long.MAX_VALUE : nowNs + Math.max(timeoutNs, 3 * recovery.ptoNs());
    }

    /** A packet from the peer was processed. */
    void onPacketReceived(final long nowNs)
    {
        restart(nowNs);
        ackElicitingSentSinceReceive = false;
    }

    /** An ack-eliciting packet was sent: the first since receiving restarts the timer. */
    void onAckElicitingSent(final long nowNs)
    {
        if (!ackElicitingSentSinceReceive)
        {
            ackElicitingSentSinceReceive = true;
            restart(nowNs);
        }
    }
}
