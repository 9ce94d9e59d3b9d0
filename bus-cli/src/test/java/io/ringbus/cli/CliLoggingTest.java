package io.ringbus.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI's logging: the one-line format (a stack trace only at ERROR or at --log-level debug),
 * --log-level filtering of records logged through System.Logger, --log-level taken out of the
 * arguments, the previous handlers put back, and the serve filter of facts it prints itself.
 */
class CliLoggingTest
{
    private static final Instant AT = Instant.parse("2026-12-03T17:56:47.123Z");
    private static final String NL = System.lineSeparator();

    private static LogRecord record(final Level level, final String message, final Throwable thrown)
    {
        final LogRecord record = new LogRecord(level, message);
        record.setInstant(AT);
        record.setLoggerName("io.ringbus.cli.EchoReplica");
        record.setThrown(thrown);
        return record;
    }

    @Test
    void oneLineHasTimeLevelLoggerAndMessage()
    {
        final CliLogging.OneLineFormatter formatter = new CliLogging.OneLineFormatter(false);
        assertEquals("2026-12-03T17:56:47.123Z INFO  EchoReplica replica 1 connected" + NL,
            formatter.format(record(Level.INFO, "replica 1 connected", null)));
        assertEquals("2026-12-03T17:56:47.123Z WARN  EchoReplica a\\nb" + NL,
            formatter.format(record(Level.WARNING, "a\nb", null)), "a line break in a message stays on the line");
        assertEquals("2026-12-03T17:56:47.123Z ERROR EchoReplica x" + NL, formatter.format(record(Level.SEVERE, "x", null)));
        assertEquals("2026-12-03T17:56:47.123Z DEBUG EchoReplica x" + NL, formatter.format(record(Level.FINE, "x", null)));
        assertEquals("2026-12-03T17:56:47.123Z TRACE EchoReplica x" + NL, formatter.format(record(Level.FINER, "x", null)));
        final LogRecord withParameter = record(Level.INFO, "accepting the certificate of {0}", null);
        withParameter.setParameters(new Object[] {"CN=localhost"});
        assertEquals("2026-12-03T17:56:47.123Z INFO  EchoReplica accepting the certificate of CN=localhost" + NL,
            formatter.format(withParameter));
    }

    @Test
    void throwableBelowErrorStaysOnTheLineWithoutItsStackTrace()
    {
        final CliLogging.OneLineFormatter formatter = new CliLogging.OneLineFormatter(false);
        final String text = formatter.format(record(Level.INFO, "closing", new IOException("reset by peer")));
        assertEquals("2026-12-03T17:56:47.123Z INFO  EchoReplica closing: java.io.IOException: reset by peer" + NL, text);
        final String warning = formatter.format(record(Level.WARNING, "closing", new IOException("reset by peer")));
        assertEquals(1, warning.lines().count(), warning);
    }

    @Test
    void throwableAtErrorOrAtDebugLevelHasItsStackTrace()
    {
        final String error = new CliLogging.OneLineFormatter(false)
            .format(record(Level.SEVERE, "shard 0 failed", new IllegalStateException("boom")));
        final List<String> lines = error.lines().toList();
        assertEquals("2026-12-03T17:56:47.123Z ERROR EchoReplica shard 0 failed", lines.get(0));
        assertEquals("java.lang.IllegalStateException: boom", lines.get(1));
        assertTrue(lines.get(2).startsWith("\tat io.ringbus.cli.CliLoggingTest."), error);

        final String debug = new CliLogging.OneLineFormatter(true)
            .format(record(Level.INFO, "closing", new IOException("reset by peer")));
        assertEquals("2026-12-03T17:56:47.123Z INFO  EchoReplica closing", debug.lines().findFirst().orElseThrow());
        assertTrue(debug.contains(NL + "java.io.IOException: reset by peer" + NL + "\tat "), debug);
    }

    /** Log one record per level through System.Logger with --log-level {@code level}; returns what went to err. */
    private static String logAtEveryLevel(final String level) throws UsageException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        final System.Logger logger = System.getLogger("io.ringbus.test.CliLoggingProbe");
        try (CliLogging logging = CliLogging.install("load", List.of("--log-level", level), err))
        {
            assertEquals(List.of(), logging.args());
            logger.log(System.Logger.Level.ERROR, "probe error");
            logger.log(System.Logger.Level.WARNING, "probe warning");
            logger.log(System.Logger.Level.INFO, "probe info");
            logger.log(System.Logger.Level.DEBUG, "probe debug");
            logger.log(System.Logger.Level.TRACE, "probe trace");
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void logLevelLetsThroughItsLevelAndAbove() throws UsageException
    {
        assertEquals(List.of("ERROR probe error"), levelsAndMessages(logAtEveryLevel("error")));
        assertEquals(List.of("ERROR probe error", "WARN probe warning"), levelsAndMessages(logAtEveryLevel("warn")));
        assertEquals(List.of("ERROR probe error", "WARN probe warning", "INFO probe info"),
            levelsAndMessages(logAtEveryLevel("info")));
        assertEquals(List.of("ERROR probe error", "WARN probe warning", "INFO probe info", "DEBUG probe debug"),
            levelsAndMessages(logAtEveryLevel("debug")));
    }

    /** "LEVEL message" of each line, checking the rest of the one-line format on the way. */
    private static List<String> levelsAndMessages(final String text)
    {
        return text.lines().map(line ->
        {
            assertTrue(line.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z (ERROR|WARN |INFO |DEBUG) " +
                "CliLoggingProbe probe \\w+"), line);
            final String[] parts = line.split(" +", 4);
            return parts[1] + " " + parts[3];
        }).toList();
    }

    @Test
    void installTakesOutTheFlagAndClosePutsBackTheHandlers() throws UsageException
    {
        final Logger root = Logger.getLogger("");
        final Handler[] before = root.getHandlers();
        final Level levelBefore = root.getLevel();
        final PrintStream err = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        try (CliLogging logging = CliLogging.install("load",
            List.of("tcp://127.0.0.1:1", "--log-level=debug", "--json"), err))
        {
            assertEquals(List.of("tcp://127.0.0.1:1", "--json"), logging.args());
            assertEquals(1, root.getHandlers().length);
            assertTrue(root.getHandlers()[0] instanceof CliLogging.OneLineHandler);
            assertEquals(Level.FINE, root.getLevel());
        }
        assertArrayEquals(before, root.getHandlers());
        assertEquals(levelBefore, root.getLevel());

        try (CliLogging logging = CliLogging.install("demo", List.of("--duration-ms", "2000"), err))
        {
            assertEquals(List.of("--duration-ms", "2000"), logging.args());
            assertEquals(Level.WARNING, root.getLevel(), "the demo's table is its output: warn by default");
        }
        try (CliLogging logging = CliLogging.install("serve", List.of("--tcp", "127.0.0.1:0"), err))
        {
            assertEquals(Level.INFO, root.getLevel());
        }
        try (CliLogging logging = CliLogging.install("keygen", List.of("--log-level"), err))
        {
            assertEquals(List.of("--log-level"), logging.args(), "keygen takes no --log-level: left to it to refuse");
        }
        assertArrayEquals(before, root.getHandlers());
        assertEquals(List.of("error", "warn", "info", "debug"),
            Arrays.stream(CliLogging.LogLevel.values()).map(CliLogging.LogLevel::flagValue).toList());
    }

    @Test
    void serveLeavesOutTheLibrarysRecordsOfFactsItPrints()
    {
        assertTrue(ServeCommand.printsItself(logged("io.ringbus.core.MessageBus", Level.INFO,
            "ringbus: backend nio (asked: auto), 2 shard(s)")));
        assertTrue(ServeCommand.printsItself(logged("io.ringbus.core.MessageBus", Level.INFO,
            "listening tcp /127.0.0.1:7001")));
        assertTrue(ServeCommand.printsItself(logged("io.ringbus.core.MessageBus", Level.INFO,
            "listening replica /127.0.0.1:7101 as replica 0")));
        assertTrue(ServeCommand.printsItself(logged("io.ringbus.core.MessageBus", Level.INFO,
            "transport settings of tls reloaded")));
        // Not facts serve prints: kept.
        assertFalse(ServeCommand.printsItself(logged("io.ringbus.core.MessageBus", Level.WARNING,
            "listening tcp /127.0.0.1:7001")));
        assertFalse(ServeCommand.printsItself(logged("io.ringbus.core.replica.ReplicaLinks", Level.INFO,
            "replica 1 connected (/127.0.0.1:7101)")));
        assertFalse(ServeCommand.printsItself(logged("io.ringbus.core.MessageBus", Level.INFO,
            "close: the stop already under way did not finish in time")));
    }

    private static LogRecord logged(final String logger, final Level level, final String message)
    {
        final LogRecord record = new LogRecord(level, message);
        record.setLoggerName(logger);
        return record;
    }
}
