package io.ringbus.cli;

import io.ringbus.core.config.BusConfig;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code ringbus load} and {@code ringbus demo} print: {@code --json} lines with the documented
 * members, the {@code --hlog} interval log read back, one progress line per second of a long run
 * and none for a short one, and the refusal of a bad {@code --log-level} or {@code --hlog}. Loads
 * run against an {@link EchoNode} on loopback in this JVM.
 */
class LoadAndDemoOutputTest
{
    /** The members of a result object, in order (LoadReport). */
    private static final List<String> RESULT_MEMBERS = List.of("type", "transport", "targets", "connections",
        "inflight", "size", "duration_ms", "warmup_ms", "measured_s", "messages", "messages_per_s", "mb_per_s",
        "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "errors", "unanswered", "first_error");
    /** The members of a progress object, in order (LoadReport). */
    private static final List<String> PROGRESS_MEMBERS = List.of("type", "transport", "second", "messages",
        "messages_per_s", "p50_us", "p99_us", "max_us", "errors");
    private static final Pattern PROGRESS_LINE = Pattern.compile(
        "ringbus load: second (\\d+)  messages/s (\\d+)  p50 µs (\\d+\\.\\d)  p99 µs (\\d+\\.\\d)  errors (\\d+)");

    @TempDir
    Path temp;

    private EchoNode node;
    private String target;

    /** What one {@link Main#run} printed and returned. */
    private record Outcome(int code, String out, String err)
    {
        String describe()
        {
            return "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    @BeforeEach
    void startNode() throws TransportUnavailableException
    {
        node = EchoNode.start(BusConfig.builder().shards(1).build());
        final InetSocketAddress bound = node.listen(URI.create("tcp://127.0.0.1:0"));
        target = "tcp://" + Flags.format(bound);
    }

    @AfterEach
    void closeNode()
    {
        node.close();
    }

    private static Outcome run(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Every stdout line as a JSON object (fails on one that is not). */
    private static List<Map<String, Object>> jsonLines(final Outcome outcome)
    {
        final List<Map<String, Object>> objects = new ArrayList<>();
        for (final String line : outcome.out().lines().toList())
        {
            objects.add(StrictJson.object(line));
        }
        return objects;
    }

    private static List<Map<String, Object>> ofType(final List<Map<String, Object>> objects, final String type)
    {
        return objects.stream().filter(object -> type.equals(object.get("type"))).toList();
    }

    private static long whole(final Map<String, Object> object, final String member)
    {
        return ((BigDecimal)object.get(member)).longValueExact();
    }

    private static double number(final Map<String, Object> object, final String member)
    {
        return ((BigDecimal)object.get(member)).doubleValue();
    }

    private static void assertResult(final Map<String, Object> result, final String transport, final int connections,
        final int inflight, final int size)
    {
        assertEquals("result", result.get("type"));
        assertEquals(transport, result.get("transport"));
        assertEquals(connections, whole(result, "connections"));
        assertEquals(inflight, whole(result, "inflight"));
        assertEquals(size, whole(result, "size"));
        assertTrue(whole(result, "messages") > 0, result::toString);
        assertEquals(0, whole(result, "errors"), result::toString);
        assertEquals(0, whole(result, "unanswered"), result::toString);
        assertEquals(StrictJson.NULL, result.get("first_error"));
        // Whole ms and a rounded second: equal within a millisecond.
        assertEquals(whole(result, "duration_ms") - whole(result, "warmup_ms"), number(result, "measured_s") * 1000,
            1.0 + 1e-9, result::toString);
        // messages_per_s is messages / measured_s (which is rounded to the ms), rounded to a whole number
        final double perSecond = number(result, "messages_per_s");
        assertEquals(whole(result, "messages") / number(result, "measured_s"), perSecond, 0.5 + perSecond * 2e-3,
            result::toString);
        assertEquals(number(result, "messages_per_s") * (256 + size) / 1e6, number(result, "mb_per_s"), 0.01);
        final double[] latencies = {number(result, "p50_us"), number(result, "p90_us"), number(result, "p99_us"),
            number(result, "p999_us"), number(result, "max_us")};
        for (int i = 1; i < latencies.length; i++)
        {
            assertTrue(latencies[i - 1] <= latencies[i], result::toString);
        }
        assertTrue(latencies[0] > 0, result::toString);
    }

    @Test
    void jsonPrintsOnlyOneResultObjectWithTheDocumentedMembers()
    {
        final Outcome outcome = run("load", target, "--connections", "2", "--window", "4", "--size", "64",
            "--duration-ms", "600", "--json");
        assertEquals(Main.EXIT_OK, outcome.code(), outcome::describe);
        final List<Map<String, Object>> objects = jsonLines(outcome);
        assertEquals(1, objects.size(), "a 600 ms run prints no progress, only its result: " + outcome.describe());
        final Map<String, Object> result = objects.get(0);
        assertEquals(RESULT_MEMBERS, new ArrayList<>(result.keySet()));
        assertResult(result, "tcp", 2, 4, 64);
        assertEquals(List.of(target), result.get("targets"));
        assertEquals(600, whole(result, "duration_ms"));
        assertEquals(120, whole(result, "warmup_ms"));
        // The human line about the run still goes out, on stderr.
        assertTrue(outcome.err().contains("ringbus load: 2 connection(s) to [" + target + "]"), outcome::describe);
    }

    @Test
    void hlogHoldsEverySecondAfterTheWarmUpAndEveryMeasuredReply() throws Exception
    {
        final Path hlog = temp.resolve("load.hlog");
        final Outcome outcome = run("load", target, "--connections", "2", "--window", "8", "--duration-ms", "3000",
            "--json", "--hlog", hlog.toString());
        assertEquals(Main.EXIT_OK, outcome.code(), outcome::describe);
        final List<Map<String, Object>> objects = jsonLines(outcome);
        final List<Map<String, Object>> results = ofType(objects, "result");
        assertEquals(1, results.size(), outcome::describe);
        final Map<String, Object> result = results.get(0);
        assertEquals(objects.get(objects.size() - 1), result, "the result comes last");
        assertResult(result, "tcp", 2, 8, 128);
        final double measuredS = number(result, "measured_s");

        // One progress object per whole second measured (2.4 s after a 0.6 s warm-up: two).
        final List<Map<String, Object>> progress = ofType(objects, "progress");
        assertEquals((int)Math.floor(measuredS), progress.size(), outcome::describe);
        assertEquals(objects.size(), progress.size() + 1, "nothing but progress and the result: " + outcome.describe());
        for (int i = 0; i < progress.size(); i++)
        {
            final Map<String, Object> second = progress.get(i);
            assertEquals(PROGRESS_MEMBERS, new ArrayList<>(second.keySet()));
            assertEquals("tcp", second.get("transport"));
            assertEquals(i + 1, whole(second, "second"));
            assertTrue(whole(second, "messages") > 0, second::toString);
            assertEquals(whole(second, "messages"), number(second, "messages_per_s"), 0.5 + 1e-9);
            assertTrue(number(second, "p50_us") <= number(second, "p99_us"), second::toString);
            assertTrue(number(second, "p99_us") <= number(second, "max_us"), second::toString);
        }

        // The log: an interval histogram per second and one for the rest, together every measured reply.
        long total = 0;
        long progressTotal = 0;
        int intervals = 0;
        try (HistogramLogReader reader = new HistogramLogReader(hlog.toFile()))
        {
            EncodableHistogram histogram;
            while ((histogram = reader.nextIntervalHistogram()) != null)
            {
                final long count = ((org.HdrHistogram.Histogram)histogram).getTotalCount();
                if (intervals < progress.size())
                {
                    assertEquals(whole(progress.get(intervals), "messages"), count, "interval " + (intervals + 1));
                    progressTotal += count;
                }
                total += count;
                intervals++;
            }
        }
        assertEquals((int)Math.ceil(measuredS), intervals);
        assertEquals(whole(result, "messages"), total);
        assertTrue(progressTotal < total, "the last 0.4 s is an interval of its own");
    }

    @Test
    void longRunPrintsOneProgressLinePerSecondOnStderr()
    {
        final Outcome outcome = run("load", target, "--connections", "2", "--window", "8", "--duration-ms", "3000");
        assertEquals(Main.EXIT_OK, outcome.code(), outcome::describe);
        final List<String> lines = outcome.err().lines().filter(line -> line.startsWith("ringbus load: second "))
            .toList();
        // 3000 ms with 600 ms of warm-up: 2.4 s measured, two whole seconds.
        assertEquals(2, lines.size(), outcome::describe);
        for (int i = 0; i < lines.size(); i++)
        {
            final Matcher matcher = PROGRESS_LINE.matcher(lines.get(i));
            assertTrue(matcher.matches(), lines.get(i));
            assertEquals(i + 1, Integer.parseInt(matcher.group(1)));
            assertTrue(Long.parseLong(matcher.group(2)) > 0, lines.get(i));
            assertEquals("0", matcher.group(5));
        }
        assertFalse(outcome.out().contains("second "), "stdout holds the result alone: " + outcome.describe());
        assertTrue(outcome.out().lines().anyMatch(line -> line.startsWith("messages/s ")), outcome::describe);
        assertTrue(outcome.out().lines().anyMatch(line -> line.startsWith("latency µs  p50 ")), outcome::describe);
    }

    @Test
    void shortTextRunPrintsNoProgress()
    {
        final Outcome outcome = run("load", target, "--connections", "1", "--window", "4", "--duration-ms", "1900");
        assertEquals(Main.EXIT_OK, outcome.code(), outcome::describe);
        // 1.9 s is below LoadReport.PROGRESS_MIN_DURATION: its 1.52 s measured would have had one whole second.
        assertFalse(outcome.err().contains("second "), outcome::describe);
        assertFalse(outcome.out().contains("second "), outcome::describe);
    }

    @Test
    void demoJsonPrintsOneObjectPerTransportRow()
    {
        final Outcome outcome = run("demo", "--duration-ms", "2000", "--json");
        assertEquals(Main.EXIT_OK, outcome.code(), outcome::describe);
        final List<Map<String, Object>> rows = jsonLines(outcome);
        assertEquals(ServeOptions.TRANSPORTS.size(), rows.size(), "one row per transport, no progress in 2 s: " +
            outcome.describe());
        for (int i = 0; i < rows.size(); i++)
        {
            final String scheme = ServeOptions.TRANSPORTS.get(i);
            final Map<String, Object> row = rows.get(i);
            assertEquals(scheme, row.get("transport"), outcome::describe);
            if (Transports.isAvailable(scheme))
            {
                assertEquals(Boolean.TRUE, row.get("available"));
                assertEquals(DemoCommand.REPLICAS, whole(row, "replicas"));
                assertTrue(row.get("backend") instanceof String, row::toString);
                for (final String member : RESULT_MEMBERS)
                {
                    assertTrue(row.containsKey(member), member + " in " + row);
                }
                assertResult(row, scheme, DemoCommand.CONNECTIONS_PER_NODE * DemoCommand.REPLICAS, DemoCommand.WINDOW,
                    DemoCommand.SIZE);
            }
            else
            {
                assertEquals(Boolean.FALSE, row.get("available"));
                assertTrue(String.valueOf(row.get("reason")).contains(DemoCommand.NOT_AVAILABLE), row::toString);
            }
        }
        assertTrue(outcome.err().contains("ringbus demo: " + DemoCommand.REPLICAS + " replicas"), outcome::describe);
    }

    @ParameterizedTest(name = "[{index}] ringbus {0}")
    @CsvSource(delimiter = '|', value = {
        "load tcp://127.0.0.1:1 --log-level verbose  | --log-level = verbose: must be error, warn, info or debug",
        "load tcp://127.0.0.1:1 --log-level=INFO     | --log-level = INFO: must be error, warn, info or debug",
        "serve --tcp 127.0.0.1:0 --log-level loud    | --log-level = loud: must be error, warn, info or debug",
        "demo --log-level trace                      | --log-level = trace: must be error, warn, info or debug",
        "demo --log-level                            | flag --log-level needs a value",
        "load tcp://127.0.0.1:1 --log-level warn --log-level=info | flag --log-level given more than once",
        "keygen --log-level debug                    | expected exactly one argument",
    })
    void badLogLevelIsRefusedWithItsValue(final String args, final String message)
    {
        final Outcome outcome = run(args.trim().split(" +"));
        assertEquals(Main.EXIT_USAGE, outcome.code(), outcome::describe);
        assertTrue(outcome.err().contains(message), outcome::describe);
        assertEquals("", outcome.out());
    }

    @Test
    void hlogThatCannotBeWrittenIsRefused()
    {
        final Path hlog = temp.resolve("no-such-dir").resolve("load.hlog");
        final Outcome outcome = run("load", target, "--duration-ms", "100", "--hlog", hlog.toString());
        assertEquals(Main.EXIT_USAGE, outcome.code(), outcome::describe);
        assertTrue(outcome.err().contains("ringbus load: --hlog = " + hlog + ": cannot write: "), outcome::describe);
    }
}
