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

    @Test
    void optionsPickAGroupWithItsFloorAndCanAddOrDropTheFloors()
    {
        final Harness.Options plain = Harness.Options.parse("--group", "plain", "--runs", "3", "--rounds", "2");
        assertEquals(List.of("ringbus-nio", "netty-nio", "netty-epoll", "blocking", "c-floor"), plain.servers());
        assertEquals(List.of("netty-nio", "netty-epoll", "blocking"), plain.baselines());
        assertEquals(3, plain.settings().runs());
        assertEquals(2, plain.settings().rounds());

        final Harness.Options spin = Harness.Options.parse("--group", "uring-spin");
        assertEquals("c-floor-poll", spin.servers().get(spin.servers().size() - 1));
        assertTrue(!spin.servers().contains("c-floor"), spin.servers().toString());

        final Harness.Options floor = Harness.Options.parse("--group", "floor");
        assertTrue(floor.servers().containsAll(List.of("c-floor", "c-floor-poll", "ringbus-uring-spin", "netty-epoll")),
            floor.servers().toString());
        assertEquals(List.of("c-floor", "c-floor-poll"), floor.baselines());

        final Harness.Options serve = Harness.Options.parse("--group", "serve");
        assertEquals(List.of("ringbus-serve", "ringbus-nio", "c-floor"), serve.servers());

        final Harness.Options noFloor = Harness.Options.parse("--group", "floor", "--no-floor");
        assertTrue(!noFloor.servers().contains("c-floor") && !noFloor.servers().contains("c-floor-poll"));
        assertEquals(List.of("ringbus-nio"), noFloor.baselines());

        final Harness.Options added = Harness.Options.parse("--servers", "ringbus-nio-spin,netty-epoll", "--floor");
        assertEquals(List.of("ringbus-nio-spin", "netty-epoll", "c-floor", "c-floor-poll"), added.servers());
        assertEquals(List.of("ringbus-nio-spin"), added.baselines());

        final Harness.Options explicit = Harness.Options.parse("--servers", "ringbus-nio,c-floor", "--baseline", "c-floor",
            "--duration-ms", "600", "--warmup-ms", "0", "--round-warmup-ms", "0");
        assertEquals(List.of("ringbus-nio", "c-floor"), explicit.servers());
        assertEquals(List.of("c-floor"), explicit.baselines());
        assertEquals(Duration.ofMillis(600), explicit.settings().duration());
        assertEquals(Duration.ZERO, explicit.settings().roundWarmup());

        assertEquals(null, Harness.Options.parse("--group", "plain", "--help"));
    }

    @Test
    void badCommandLinesSayWhatIsWrong()
    {
        assertMessage("unknown option --fast", "--fast", "1");
        assertMessage("missing value after --group", "--group");
        assertMessage("unknown group nope", "--group", "nope");
        assertMessage("unknown server nope", "--servers", "ringbus-nio,nope");
        assertMessage("baseline c-floor is not among the servers measured", "--servers", "ringbus-nio", "--baseline", "c-floor");
        assertMessage("--no-floor leaves no server to measure", "--servers", "c-floor", "--no-floor");
        assertMessage("--runs must be positive", "--runs", "0");
        assertMessage("--warmup-ms x: not a number", "--warmup-ms", "x");
    }

    private static void assertMessage(final String expected, final String... args)
    {
        final IllegalArgumentException ex =
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Harness.Options.parse(args));
        assertTrue(ex.getMessage().startsWith(expected), ex.getMessage());
    }

    @Test
    void theFloorTableComparesEachServerWithTheFloorOfItsIdleModeAndGivesCpuPerRequest()
    {
        final LatencyResult latency = new LatencyResult(10, 1, 2, 3, 4, 5);
        final Harness.Row floor = new Harness.Row("c-floor", "tcp",
            runWithCpu(1_000, 300, 100), latency, runWithCpu(200, Double.NaN, Double.NaN), null, false);
        final Harness.Row floorPoll = new Harness.Row("c-floor-poll", "tcp",
            runWithCpu(4_000, 0, 50), latency, runWithCpu(400, Double.NaN, Double.NaN), null, true);
        final Harness.Row blocking = new Harness.Row("ringbus-nio", "tcp",
            runWithCpu(800, 1_234, 2_345), latency, runWithCpu(100, Double.NaN, Double.NaN), null, false);
        final Harness.Row spinning = new Harness.Row("ringbus-nio-spin", "tcp",
            runWithCpu(3_000, Double.NaN, 999), latency, runWithCpu(100, Double.NaN, Double.NaN), null, true);

        final String report = report(List.of(blocking, spinning, floor, floorPoll), List.of("c-floor"));
        assertTrue(report.contains("| server | idle | pipelined 64 B msg/s | x of floor | CPU ns/req (I/O) |" +
            " CPU ns/req (process) |"), report);
        assertTrue(report.contains("| ringbus-nio | blocks | 800 | 0.80x | 1,234 | 2,345 |"), report);
        assertTrue(report.contains("| ringbus-nio-spin | spins | 3,000 | 0.75x | - | 999 |"), report);
        assertTrue(report.contains("| c-floor | blocks | 1,000 | 1.00x | 300 | 100 |"), report);
        // bulk: 100 of the blocking floor's 200 messages/s, the spinning one's 400
        assertTrue(report.contains("| 0.50x |"), report);
        assertTrue(report.contains("| 0.25x |"), report);

        final String withoutFloor = report(List.of(blocking), List.of("ringbus-nio"));
        assertTrue(withoutFloor.contains("| ringbus-nio | blocks | 800 | - | 1,234 | 2,345 |"), withoutFloor);
    }

    @Test
    void rowsCombinedOverRoundsKeepTheirCpuFiguresAndIdleMode()
    {
        final LatencyResult latency = new LatencyResult(10, 1, 2, 3, 4, 5);
        final Harness.Row first = new Harness.Row("s", "tcp",
            runWithCpu(100, 10, 20), latency, runWithCpu(1, Double.NaN, Double.NaN), null, true);
        final Harness.Row second = new Harness.Row("s", "tcp",
            runWithCpu(100, 30, 40), latency, runWithCpu(1, Double.NaN, Double.NaN), null, true);
        final Harness.Row third = new Harness.Row("s", "tcp",
            runWithCpu(100, 50, 60), latency, runWithCpu(1, Double.NaN, Double.NaN), null, true);
        final Harness.Row combined = Harness.Row.combine(List.of(first, second, third));
        assertTrue(combined.spins());
        assertEquals(30, combined.pipelined().medianIoNsPerRequest(), 1e-9);
        assertEquals(40, combined.pipelined().medianProcessNsPerRequest(), 1e-9);
        assertTrue(Double.isNaN(combined.bulk().medianIoNsPerRequest()));
    }

    @Test
    void aRunReportsTheServersCpuPerRequest()
    {
        final Harness.Row row = Harness.measure("ringbus-nio", Harness.SERVERS.get("ringbus-nio"), SETTINGS);
        assertTrue(row.ok(), row.error());
        assertEquals(SETTINGS.runs(), row.pipelined().cpu().size());
        // A shard handled every request: it cannot have used no CPU, nor more than the process.
        assertTrue(row.pipelined().medianIoNsPerRequest() > 0, row.pipelined().cpu().toString());
        assertTrue(row.pipelined().medianProcessNsPerRequest() >= row.pipelined().medianIoNsPerRequest(),
            row.pipelined().cpu().toString());
    }

    /** One run of one second with {@code messages} messages and the given CPU ns per request. */
    private static Harness.Series runWithCpu(final long messages, final double ioNs, final double processNs)
    {
        return new Harness.Series(List.of(new ThroughputResult(messages, 64, 1_000_000_000L)),
            List.of(new ServerCpu.CpuPerRequest(ioNs, processNs)));
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
