package io.ringbus.bench.harness;

import org.HdrHistogram.Histogram;

import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

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

    /** Each percentile the median of {@code results}' (max included); samples their total. */
    public static LatencyResult medianOf(final List<LatencyResult> results)
    {
        long samples = 0;
        for (final LatencyResult result : results)
        {
            samples += result.samples();
        }
        return new LatencyResult(
            samples,
            median(results, LatencyResult::p50Us),
            median(results, LatencyResult::p90Us),
            median(results, LatencyResult::p99Us),
            median(results, LatencyResult::p999Us),
            median(results, LatencyResult::maxUs));
    }

    private static double median(final List<LatencyResult> results, final ToDoubleFunction<LatencyResult> field)
    {
        final double[] sorted = results.stream().mapToDouble(field).toArray();
        Arrays.sort(sorted);
        final int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
