package io.ringbus.bench.harness;

import java.util.Locale;

/**
 * What an open-loop run ({@link LoadClient#openLoop}) measured: the schedule it was to keep, what
 * it sent and got back, and the latency of the replies after the warm-up, counted from each
 * request's intended send time (free of coordinated omission). Immutable.
 *
 * @param targetPerSecond requests a second the schedule asked for
 * @param due             requests the schedule made due during the run
 * @param sent            requests sent (at most {@code due})
 * @param received        replies received and checked (every request sent, by the end)
 * @param durationNs      length of the sending phase
 * @param latency         latency of the replies after the warm-up, from intended send time to reply
 * @param maxSendLagNs    the longest a request went out after its intended time
 * @param keptUp          true if at least 99% of the requests due were sent
 */
public record OpenLoopResult(double targetPerSecond, long due, long sent, long received, long durationNs,
    LatencyResult latency, long maxSendLagNs, boolean keptUp)
{
    /** Requests sent a second over the sending phase. */
    public double achievedPerSecond()
    {
        return durationNs == 0 ? 0 : sent * 1e9 / durationNs;
    }

    /** One line for people: target, achieved, whether it kept up, latency percentiles. */
    public String describe()
    {
        return String.format(Locale.ROOT,
            "open loop: target %.0f msg/s, achieved %.0f msg/s (%d of %d due)%s; latency from intended send " +
            "time p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us; send lag max %.1f us",
            targetPerSecond, achievedPerSecond(), sent, due,
            keptUp ? "" : ": COULD NOT KEEP UP (" + (due - sent) + " requests never sent)",
            latency.p50Us(), latency.p99Us(), latency.p999Us(), latency.maxUs(), maxSendLagNs / 1e3);
    }
}
