package io.ringbus.bench.harness;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The harness end to end on the floor server with tiny durations: it measures and prints both tables. */
class HarnessTest
{
    @Test
    void measuresAServerAndPrintsAbsoluteAndRatioTables()
    {
        final Harness.Settings settings = new Harness.Settings(Duration.ofMillis(200), Duration.ZERO, Duration.ZERO, 2);
        final Harness.Row row = Harness.measure(new LoadClient(), "blocking", Harness.SERVERS.get("blocking"), settings);
        assertTrue(row.ok(), row.error());
        assertTrue(row.pipelined().medianMessagesPerSecond() > 0);
        assertTrue(row.bulk().medianMegabytesPerSecond() > 0);
        assertTrue(row.latency().samples() > 0);

        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8))
        {
            Harness.printReport(out, List.of(row), settings);
        }
        final String report = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(report.contains("| blocking | "), report);
        assertTrue(report.contains("Ratios against blocking"), report);
        assertTrue(report.contains("- command: "), report);
    }
}
