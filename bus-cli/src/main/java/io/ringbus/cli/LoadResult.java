package io.ringbus.cli;

import org.HdrHistogram.Histogram;

/**
 * What a {@link LoadGenerator} run measured, after its warm-up. Throughput counts replies; MB/s
 * counts request frames (256-byte header plus body) one way, in 10^6 bytes. The histogram is the
 * caller's to read; do not change it while others read it.
 *
 * @param messages        replies received in the measured interval
 * @param seconds         length of the measured interval
 * @param bytesPerMessage bytes of one request frame
 * @param latencyNs       request-to-reply latency of the measured replies, in nanoseconds
 * @param errors          requests that failed (back-pressure, connection closed)
 * @param unanswered      requests still without a reply when the run gave up waiting
 * @param firstError      the first failure seen, for the report, or null
 */
public record LoadResult(long messages, double seconds, long bytesPerMessage, Histogram latencyNs, long errors,
    long unanswered, String firstError, OpenLoop openLoop)
{
    /** A closed-loop result. */
    public LoadResult(final long messages, final double seconds, final long bytesPerMessage, final Histogram latencyNs,
        final long errors, final long unanswered, final String firstError)
    {
        this(messages, seconds, bytesPerMessage, latencyNs, errors, unanswered, firstError, null);
    }

    /**
     * What the schedule of an open-loop run asked for and what was sent; latency in such a run is
     * counted from each request's intended send time.
     *
     * @param targetPerSecond requests a second asked for (all connections together)
     * @param due             requests the schedule made due over the whole run, warm-up included
     * @param sent            requests sent (at most {@code due})
     * @param seconds         length of the sending phase, warm-up included
     * @param maxSendLagNs    the longest a request went out after its intended time
     */
    public record OpenLoop(double targetPerSecond, long due, long sent, double seconds, long maxSendLagNs)
    {
        /** Share of the requests due that must have been sent for the run to have kept up. */
        public static final double KEPT_UP_SHARE = 0.99;

        /** Requests sent a second. */
        public double sentPerSecond()
        {
            return sent / seconds;
        }

        /** True if at least {@link #KEPT_UP_SHARE} of the requests due were sent. */
        public boolean keptUp()
        {
            return sent >= KEPT_UP_SHARE * due;
        }
    }

    /** Replies per second. */
    public double messagesPerSecond()
    {
        return messages / seconds;
    }

    /** Request frame bytes per second, in MB (10^6 bytes). */
    public double megabytesPerSecond()
    {
        return messages * (double)bytesPerMessage / seconds / 1e6;
    }

    /** The latency at {@code percentile} (0..100) in microseconds. */
    public double percentileMicros(final double percentile)
    {
        return latencyNs.getValueAtPercentile(percentile) / 1e3;
    }

    /** The largest latency in microseconds. */
    public double maxMicros()
    {
        return latencyNs.getMaxValue() / 1e3;
    }
}
