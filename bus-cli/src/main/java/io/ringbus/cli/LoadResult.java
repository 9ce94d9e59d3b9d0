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
    long unanswered, String firstError)
{
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
