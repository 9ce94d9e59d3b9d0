package io.ringbus.bench.harness;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The harness end to end with tiny durations: it measures and prints the absolute and ratio tables. */
class HarnessTest
{
    private static final Harness.Settings SETTINGS =
        new Harness.Settings(Duration.ofMillis(200), Duration.ZERO, Duration.ZERO, 2);

    @Test
    void measuresAServerAndPrintsAbsoluteAndRatioTables()
    {
        final Harness.Row row = Harness.measure("blocking", Harness.SERVERS.get("blocking"), SETTINGS);
        assertTrue(row.ok(), row.error());
        assertEquals("tcp", row.security());
        assertTrue(row.pipelined().medianMessagesPerSecond() > 0);
        assertTrue(row.bulk().medianMegabytesPerSecond() > 0);
        assertTrue(row.latency().samples() > 0);

        final String report = report(List.of(row), null);
        assertTrue(report.contains("| blocking | "), report);
        assertTrue(report.contains("Ratios against blocking"), report);
        assertTrue(report.contains("- command: "), report);
    }

    @Test
    void plainAndTlsServersShareARunWithOneRatioTablePerBaseline()
    {
        final Harness.Row plain = Harness.measure("ringbus-nio", Harness.SERVERS.get("ringbus-nio"), SETTINGS);
        final Harness.Row tls = Harness.measure("ringbus-tls", Harness.SERVERS.get("ringbus-tls"), SETTINGS);
        assertTrue(plain.ok(), plain.error());
        assertTrue(tls.ok(), tls.error());
        assertTrue(tls.security().startsWith("TLSv1.3 "), tls.security());

        final String report = report(List.of(tls, plain), List.of("ringbus-nio", "ringbus-tls"));
        assertTrue(report.contains("Ratios against ringbus-nio"), report);
        assertTrue(report.contains("Ratios against ringbus-tls"), report);
        assertTrue(report.contains("- ringbus-tls negotiated TLSv1.3 "), report);
    }

    @Test
    void everyGroupNamesRegisteredServersAndBaselinesAmongThem()
    {
        for (final Map.Entry<String, Harness.Group> entry : Harness.GROUPS.entrySet())
        {
            final Harness.Group group = entry.getValue();
            assertTrue(Harness.SERVERS.keySet().containsAll(group.servers()), entry.getKey());
            assertTrue(group.servers().containsAll(group.baselines()), entry.getKey());
        }
    }

    @Test
    void roundsArePooledForThroughputAndTakenAsMediansForLatency()
    {
        final Harness.Row first = new Harness.Row("s", "tcp",
            series(100, 200, 300), new LatencyResult(10, 1, 2, 3, 4, 50), series(10), null);
        final Harness.Row second = new Harness.Row("s", "tcp",
            series(400, 500), new LatencyResult(20, 3, 4, 5, 6, 70), series(20), null);
        final Harness.Row third = new Harness.Row("s", "tcp",
            series(600), new LatencyResult(30, 2, 3, 4, 5, 60), series(30), null);

        final Harness.Row combined = Harness.Row.combine(List.of(first, second, third));
        assertEquals(6, combined.pipelined().runs().size());
        assertEquals(350, combined.pipelined().medianMessagesPerSecond(), 1e-9);
        assertEquals(100.0 * (600 - 100) / 350, combined.pipelined().spreadPercent(), 1e-9);
        // Nearest-rank quartiles of 100..600: 200 and 500.
        assertEquals(100.0 * (500 - 200) / 350, combined.pipelined().iqrPercent(), 1e-9);
        assertEquals(20, combined.bulk().medianMessagesPerSecond(), 1e-9);
        assertEquals(new LatencyResult(60, 2, 3, 4, 5, 60), combined.latency());

        final Harness.Row failed = new Harness.Row("s", null, null, null, null, "boom");
        assertEquals("boom", Harness.Row.combine(List.of(first, failed)).error());
    }

    /** Runs of one second each with the given message counts, so that msg/s equals the count. */
    private static Harness.Series series(final long... messages)
    {
        final List<ThroughputResult> runs = new ArrayList<>();
        for (final long count : messages)
        {
            runs.add(new ThroughputResult(count, 64, 1_000_000_000L));
        }
        return new Harness.Series(runs);
    }

    private static String report(final List<Harness.Row> rows, final List<String> baselines)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8))
        {
            if (baselines == null)
            {
                Harness.printReport(out, rows, SETTINGS);
            }
            else
            {
                Harness.printReport(out, rows, SETTINGS, baselines);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
