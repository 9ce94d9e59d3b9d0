package io.ringbus.bench.harness;

import org.HdrHistogram.Histogram;

/**
 * Round-trip percentiles of a one-at-a-time run, in microseconds. Immutable.
 *
 * @param samples round trips recorded (warm-up excluded).
 * @param p50Us   median.
 * @param p90Us   90th percentile.
 * @param p99Us   99th percentile.
 * @param p999Us  99.9th percentile.
 * @param maxUs   slowest round trip.
 */
public record LatencyResult(long samples, double p50Us, double p90Us, double p99Us, double p999Us, double maxUs)
{
    private static final double NS_PER_US = 1e3;

    /** Summarise a histogram of round trips recorded in nanoseconds. */
    public static LatencyResult of(final Histogram histogramNs)
    {
        return new LatencyResult(
            histogramNs.getTotalCount(),
            histogramNs.getValueAtPercentile(50) / NS_PER_US,
            histogramNs.getValueAtPercentile(90) / NS_PER_US,
            histogramNs.getValueAtPercentile(99) / NS_PER_US,
            histogramNs.getValueAtPercentile(99.9) / NS_PER_US,
            histogramNs.getMaxValue() / NS_PER_US);
    }
}
