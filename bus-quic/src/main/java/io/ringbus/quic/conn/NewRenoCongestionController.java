package io.ringbus.quic.conn;

/**
 * NewReno as RFC 9002 section 7 and Appendix B describe it, without ECN, pacing or persistent
 * congestion: slow start from 10 datagrams, one window halving per recovery period (a loss of a
 * packet sent after the period began starts the next), congestion avoidance of one datagram per
 * window acknowledged, the datagram being the size path MTU discovery settled on. Not thread-safe.
 */
public final class NewRenoCongestionController implements CongestionController
{
    private int maxDatagramSize;
    private long minimumWindow;
    private long window;
    private long slowStartThreshold = Long.MAX_VALUE;
    private long bytesInFlight;
    private long recoveryStartNs = Long.MIN_VALUE;
    private long bytesAckedInAvoidance;

    /** A controller for datagrams of {@code maxDatagramSize} bytes (until {@link #onDatagramSizeChanged}). */
    public NewRenoCongestionController(final int maxDatagramSize)
    {
        this.maxDatagramSize = maxDatagramSize;
        this.minimumWindow = 2L * maxDatagramSize;
        // RFC 9002 7.2: min(10 * max_datagram_size, max(14720, 2 * max_datagram_size))
        this.window = Math.min(10L * maxDatagramSize, Math.max(14720L, 2L * maxDatagramSize));
    }

    @Override
    public void onPacketSent(final int bytes, final long nowNs)
    {
        bytesInFlight += bytes;
    }

    @Override
    public void onPacketAcked(final int bytes, final long timeSentNs, final long nowNs)
    {
        bytesInFlight = Math.max(0, bytesInFlight - bytes);
        if (timeSentNs <= recoveryStartNs)
        {
            return; // RFC 9002 7.3.2: no increase for packets sent before recovery began
        }
        if (window < slowStartThreshold)
        {
            window += bytes;
        }
        else
        {
            bytesAckedInAvoidance += bytes;
            if (bytesAckedInAvoidance >= window)
            {
                bytesAckedInAvoidance -= window;
                window += maxDatagramSize;
            }
        }
    }

    @Override
    public void onPacketLost(final int bytes, final long timeSentNs, final long nowNs)
    {
        bytesInFlight = Math.max(0, bytesInFlight - bytes);
        if (timeSentNs > recoveryStartNs)
        {
            // RFC 9002 7.3.2: one reduction per recovery period
            recoveryStartNs = nowNs;
            window = Math.max(window / 2, minimumWindow);
            slowStartThreshold = window;
            bytesAckedInAvoidance = 0;
        }
    }

    @Override
    public void onDatagramSizeChanged(final int bytes)
    {
        // RFC 9002 7.2: the minimum window and the growth in congestion avoidance are counted in
        // datagrams; a window already grown stays (a fall-back to a smaller size keeps it too)
        maxDatagramSize = bytes;
        minimumWindow = 2L * bytes;
        window = Math.max(window, minimumWindow);
    }

    @Override
    public void onPacketDiscarded(final int bytes)
    {
        bytesInFlight = Math.max(0, bytesInFlight - bytes);
    }

    @Override
    public long bytesInFlight()
    {
        return bytesInFlight;
    }

    @Override
    public long congestionWindow()
    {
        return window;
    }
}
