package io.ringbus.cli;

import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How {@code ringbus load} and {@code ringbus demo} report a run: one progress line per whole
 * second of a long run, and the result, as text or as JSON lines ({@code --json}).
 *
 * <p>Text progress lines go to stderr, so that stdout holds the result alone; with {@code --json}
 * stdout holds JSON objects only, one per line: {@code "type":"progress"} once a second, then
 * {@code "type":"result"}. Members of a progress object: {@code transport}, {@code second} (1 for the
 * first second after the warm-up), {@code messages} and {@code messages_per_s} (replies read in
 * that second), {@code p50_us}, {@code p99_us}, {@code max_us} (their latency in microseconds),
 * {@code errors} (failed requests so far). Members of a result object: {@code transport},
 * {@code targets}, {@code connections}, {@code inflight} (requests in flight per connection,
 * --window), {@code size} (body bytes), {@code duration_ms}, {@code warmup_ms}, {@code measured_s},
 * {@code messages}, {@code messages_per_s}, {@code mb_per_s}, {@code p50_us}, {@code p90_us},
 * {@code p99_us}, {@code p999_us}, {@code max_us}, {@code errors}, {@code unanswered},
 * {@code first_error} (a string or null); after an open-loop run ({@code --rate}) also
 * {@code target_per_s}, {@code sent_per_s}, {@code due}, {@code sent}, {@code kept_up} and
 * {@code max_send_lag_us}. Called on the thread that runs the load.
 */
final class LoadReport
{
    /** Runs shorter than this print no progress lines: their result follows at once. */
    static final Duration PROGRESS_MIN_DURATION = Duration.ofSeconds(2);

    private LoadReport()
    {
    }

    /**
     * A listener that prints a progress line for each whole second of a run of {@code duration}
     * ({@link LoadGenerator.IntervalListener#NONE} for a short run): as JSON on {@code out} if
     * {@code json}, else as text on {@code err} prefixed with {@code prefix}.
     */
    static LoadGenerator.IntervalListener progress(final Duration duration, final boolean json, final String prefix,
        final String transport, final PrintStream out, final PrintStream err)
    {
        if (duration.compareTo(PROGRESS_MIN_DURATION) < 0)
        {
            return LoadGenerator.IntervalListener.NONE;
        }
        return interval ->
        {
            if (interval.lengthNs() != LoadGenerator.INTERVAL_NS)
            {
                return; // the shorter rest at the end: the result follows
            }
            if (json)
            {
                out.println(progressJson(transport, interval));
                out.flush();
            }
            else
            {
                err.println(prefix + progressText(interval));
                err.flush();
            }
        };
    }

    /** {@code second 3  messages/s 41234  p50 µs 412.3  p99 µs 1203.4  errors 0}. */
    static String progressText(final LoadGenerator.Interval interval)
    {
        return String.format(Locale.ROOT, "second %d  messages/s %.0f  p50 µs %.1f  p99 µs %.1f  errors %d",
            interval.index(), interval.messagesPerSecond(), micros(interval, 50), micros(interval, 99),
            interval.errors());
    }

    /** A progress object: see the class comment. */
    static String progressJson(final String transport, final LoadGenerator.Interval interval)
    {
        return new JsonLine()
            .put("type", "progress")
            .put("transport", transport)
            .put("second", interval.index())
            .put("messages", interval.messages())
            .put("messages_per_s", interval.messagesPerSecond(), 0)
            .put("p50_us", micros(interval, 50), 1)
            .put("p99_us", micros(interval, 99), 1)
            .put("max_us", interval.latencyNs().getMaxValue() / 1e3, 1)
            .put("errors", interval.errors())
            .toString();
    }

    /**
     * Append the members of a result object (see the class comment) after those the caller put
     * first ({@code type}, {@code transport}, ...).
     */
    static JsonLine result(final JsonLine line, final LoadGenerator.Settings settings, final LoadResult result)
    {
        final List<String> targets = new ArrayList<>();
        for (final URI target : settings.targets())
        {
            targets.add(target.toString());
        }
        line
            .put("targets", targets)
            .put("connections", settings.connections())
            .put("inflight", settings.window())
            .put("size", settings.size())
            .put("duration_ms", settings.duration().toMillis())
            .put("warmup_ms", settings.warmup().toMillis())
            .put("measured_s", result.seconds(), 3)
            .put("messages", result.messages())
            .put("messages_per_s", result.messagesPerSecond(), 0)
            .put("mb_per_s", result.megabytesPerSecond(), 2)
            .put("p50_us", result.percentileMicros(50), 1)
            .put("p90_us", result.percentileMicros(90), 1)
            .put("p99_us", result.percentileMicros(99), 1)
            .put("p999_us", result.percentileMicros(99.9), 1)
            .put("max_us", result.maxMicros(), 1)
            .put("errors", result.errors())
            .put("unanswered", result.unanswered())
            .put("first_error", result.firstError());
        final LoadResult.OpenLoop openLoop = result.openLoop();
        if (openLoop != null)
        {
            line.put("target_per_s", openLoop.targetPerSecond(), 0)
                .put("sent_per_s", openLoop.sentPerSecond(), 0)
                .put("due", openLoop.due())
                .put("sent", openLoop.sent())
                .put("kept_up", openLoop.keptUp())
                .put("max_send_lag_us", openLoop.maxSendLagNs() / 1e3, 1);
        }
        return line;
    }

    /**
     * {@code open loop: target 100000 msg/s, sent 99990 msg/s (999900 of 1000000 due); latency counted
     * from the intended send times; send lag max 12.3 µs}, or with {@code ": COULD NOT KEEP UP"}.
     */
    static String openLoopText(final LoadResult.OpenLoop openLoop)
    {
        return String.format(Locale.ROOT, "open loop: target %.0f msg/s, sent %.0f msg/s (%d of %d due)%s; latency " +
            "counted from the intended send times; send lag max %.1f µs", openLoop.targetPerSecond(),
            openLoop.sentPerSecond(), openLoop.sent(), openLoop.due(), openLoop.keptUp() ? "" :
            ": COULD NOT KEEP UP (" + (openLoop.due() - openLoop.sent()) + " requests due were never sent; a larger " +
            "--window or more --connections may help, or the node is saturated)", openLoop.maxSendLagNs() / 1e3);
    }

    /** The schemes of {@code targets}, in order, without repeats, joined by commas ("tcp", "tcp,quic"). */
    static String transportOf(final List<URI> targets)
    {
        final Set<String> schemes = new LinkedHashSet<>();
        for (final URI target : targets)
        {
            schemes.add(target.getScheme());
        }
        return String.join(",", schemes);
    }

    private static double micros(final LoadGenerator.Interval interval, final double percentile)
    {
        return interval.latencyNs().getValueAtPercentile(percentile) / 1e3;
    }
}
