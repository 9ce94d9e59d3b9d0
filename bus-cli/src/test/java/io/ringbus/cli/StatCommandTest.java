package io.ringbus.cli;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15, point 3 (and serve's part of 6): {@code ringbus stat} reads a node's counters file from
 * another reader while the node runs and after it stopped, as text and as JSON, its error log,
 * and refuses a directory without a counters file (or with another layout) with one line and exit
 * code 2.
 */
class StatCommandTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** The exact shape of one --json refresh. */
    private static final Pattern JSON_LINE = Pattern.compile(
        "\\{\"pid\":(\\d+),\"alive\":(true|false),\"counters\":\\{((?:\"[a-z0-9_.]+\":-?\\d+,?)*)}}");
    private static final Pattern JSON_ENTRY = Pattern.compile("\"([a-z0-9_.]+)\":(-?\\d+)");

    private final List<AutoCloseable> toClose = new ArrayList<>();

    private record Outcome(int code, String out, String err)
    {
    }

    /** One parsed --json line. */
    private record Refresh(long pid, boolean alive, Map<String, Long> counters)
    {
    }

    @AfterEach
    void tearDown() throws Exception
    {
        for (int i = toClose.size() - 1; i >= 0; i--)
        {
            toClose.get(i).close();
        }
    }

    private static Outcome run(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Run {@code stat --json --count 1} on {@code dataDir} and parse its one line. */
    private static Refresh statJson(final Path dataDir)
    {
        final Outcome outcome = run("stat", "--data-dir", dataDir.toString(), "--count", "1", "--json");
        assertEquals(Main.EXIT_OK, outcome.code(), outcome.err());
        final String[] lines = outcome.out().split("\n");
        assertEquals(1, lines.length, "one line per refresh: " + outcome.out());
        final Matcher matcher = JSON_LINE.matcher(lines[0]);
        assertTrue(matcher.matches(), "the shape {\"pid\":...,\"alive\":...,\"counters\":{...}}: " + lines[0]);
        final Map<String, Long> counters = new LinkedHashMap<>();
        final Matcher entry = JSON_ENTRY.matcher(matcher.group(3));
        while (entry.find())
        {
            counters.put(entry.group(1), Long.parseLong(entry.group(2)));
        }
        return new Refresh(Long.parseLong(matcher.group(1)), Boolean.parseBoolean(matcher.group(2)), counters);
    }

    @Test
    void statReadsARunningBusAndTheSameFileAfterItStopped(@TempDir final Path dataDir) throws Exception
    {
        final MessageBus bus = MessageBus.start(BusConfig.builder().shards(2).dataDirectory(dataDir).build(),
            new EchoBack());
        toClose.add(bus);
        final InetSocketAddress address = bus.listen(URI.create("tcp://127.0.0.1:0"));
        try (BusClient client = BusClient.connect(URI.create("tcp://127.0.0.1:" + address.getPort())))
        {
            for (int i = 0; i < 3; i++)
            {
                client.request(1, new byte[10], TIMEOUT);
            }
        }
        Await.until("the exchange is counted", TIMEOUT,
            () -> bus.counters().value("client.tcp.connections_closed") == 1 &&
                bus.counters().value("client.tcp.frames_out") == 3);

        final Refresh live = statJson(dataDir);
        assertEquals(ProcessHandle.current().pid(), live.pid());
        assertTrue(live.alive());
        assertEquals(3L, live.counters().get("client.tcp.frames_in"));
        assertEquals(3L, live.counters().get("client.tcp.frames_out"));
        assertEquals(3L * (256 + 10), live.counters().get("client.tcp.bytes_in"));
        assertEquals(1L, live.counters().get("client.tcp.connections_opened"));
        assertEquals(1L, live.counters().get("client.tcp.closed.peer_closed"));
        assertEquals(0L, live.counters().get("client.backpressure_rejected"));
        assertTrue(live.counters().containsKey("shard.1.duty_cycles"), live.counters().toString());
        assertTrue(live.counters().containsKey("pool.buffers_in_use"), live.counters().toString());

        final Outcome text = run("stat", "--data-dir", dataDir.toString(), "--count", "2", "--interval", "1");
        assertEquals(Main.EXIT_OK, text.code(), text.err());
        final String[] lines = text.out().split("\n");
        assertTrue(lines[0].equals(dataDir.resolve("ringbus.stat") + ": pid " + ProcessHandle.current().pid() +
            " running, started " + java.time.Instant.ofEpochMilli(bus.counters().startTimeMs()) + ", " +
            live.counters().size() + " counters"), lines[0]);
        assertTrue(text.out().lines().anyMatch(line -> line.matches("client\\.tcp\\.frames_in +3")), text.out());
        assertEquals(2, text.out().lines().filter(line -> line.startsWith(dataDir.toString())).count(),
            "--count 2 refreshes twice");

        bus.close();
        final Refresh stopped = statJson(dataDir);
        assertTrue(!stopped.alive(), "alive=false once the bus closed");
        assertEquals(ProcessHandle.current().pid(), stopped.pid());
        assertEquals(live.counters().get("client.tcp.frames_in"), stopped.counters().get("client.tcp.frames_in"));
        assertEquals(live.counters().get("client.tcp.bytes_out"), stopped.counters().get("client.tcp.bytes_out"));
        assertTrue(run("stat", "--data-dir", dataDir.toString(), "--count", "1").out().contains(" stopped, started "));
    }

    @Test
    void aDirectoryWithoutACountersFileOrWithAnotherLayoutIsOneLineAndExitCode2(@TempDir final Path temp)
        throws Exception
    {
        final Path missing = temp.resolve("missing");
        final Outcome noDir = run("stat", "--data-dir", missing.toString(), "--count", "1");
        assertEquals(Main.EXIT_USAGE, noDir.code());
        assertEquals("ringbus stat: no data directory " + missing + "\n", noDir.err());
        assertEquals("", noDir.out());

        final Outcome noFile = run("stat", "--data-dir", temp.toString(), "--count", "1", "--json");
        assertEquals(Main.EXIT_USAGE, noFile.code());
        assertEquals("ringbus stat: no counters file in " + temp + " (ringbus.stat): is it the data directory " +
            "of a bus?\n", noFile.err());

        final Outcome noErrors = run("stat", "--data-dir", temp.toString(), "--errors");
        assertEquals(Main.EXIT_USAGE, noErrors.code());
        assertEquals("ringbus stat: no error log in " + temp + " (ringbus.errors): is it the data directory " +
            "of a bus?\n", noErrors.err());

        final byte[] header = new byte[128];
        final java.nio.ByteBuffer view = java.nio.ByteBuffer.wrap(header).order(java.nio.ByteOrder.nativeOrder());
        view.putInt(0, 0x52425354).putInt(4, 7);
        Files.write(temp.resolve("ringbus.stat"), header);
        final Outcome otherLayout = run("stat", "--data-dir", temp.toString(), "--count", "1");
        assertEquals(Main.EXIT_USAGE, otherLayout.code());
        assertEquals("ringbus stat: " + temp.resolve("ringbus.stat") + " has counters layout 7; this ringbus " +
            "reads layout 1\n", otherLayout.err());

        final Outcome badFlag = run("stat", "--count", "0");
        assertEquals(Main.EXIT_USAGE, badFlag.code());
        assertTrue(badFlag.err().startsWith("ringbus stat: --count = 0"), badFlag.err());
    }

    @Test
    void statErrorsPrintsEachDistinctErrorOnceWithItsCount(@TempDir final Path dataDir) throws Exception
    {
        final MessageBus bus = MessageBus.start(BusConfig.builder().shards(1).dataDirectory(dataDir).build(),
            new BusHandler()
            {
                @Override
                public void onClientRequest(final MessageBus bus, final ClientConnMeta client,
                    final DirectBuffer buffer, final int offset, final int length)
                {
                    throw new IllegalStateException("stat test failure");
                }
            });
        toClose.add(bus);
        final InetSocketAddress address = bus.listen(URI.create("tcp://127.0.0.1:0"));
        for (int i = 0; i < 3; i++)
        {
            try (BusClient client = BusClient.connect(URI.create("tcp://127.0.0.1:" + address.getPort())))
            {
                assertThrows(ExecutionException.class,
                    () -> client.requestAsync(1, new byte[1]).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
            }
        }
        // One entry per distinct stack: the same failure reached through another dispatch path (a
        // completion from the blocking poll, or from the duty cycle's poll) is another entry.
        final Outcome json = run("stat", "--data-dir", dataDir.toString(), "--errors", "--json");
        assertEquals(Main.EXIT_OK, json.code(), json.err());
        final Pattern entry = Pattern.compile("\\{\"count\":(\\d+),\"first_ms\":(\\d+),\"last_ms\":(\\d+)," +
            "\"error\":\"java\\.lang\\.IllegalStateException: stat test failure\\\\n.*\"}");
        long observations = 0;
        final String[] lines = json.out().split("\n");
        for (final String line : lines)
        {
            final Matcher matcher = entry.matcher(line);
            assertTrue(matcher.matches(), line);
            assertTrue(Long.parseLong(matcher.group(2)) <= Long.parseLong(matcher.group(3)), "first <= last: " + line);
            observations += Long.parseLong(matcher.group(1));
        }
        assertEquals(3, observations, "each failure counted once: " + json.out());

        final Outcome text = run("stat", "--data-dir", dataDir.toString(), "--errors");
        assertEquals(Main.EXIT_OK, text.code(), text.err());
        assertTrue(text.out().matches("(?s)\\d time\\(s\\), first .*"), text.out());
        assertTrue(text.out().contains("java.lang.IllegalStateException: stat test failure"), text.out());
        assertTrue(text.out().endsWith(lines.length + " distinct error(s) in " + dataDir.resolve("ringbus.errors") +
            "\n"), text.out());
    }

    @Test
    void serveCountsIntoItsDataDirByDefault() throws Exception
    {
        final ServeOptions options = ServeOptions.parse(List.of("--tcp", "127.0.0.1:0"));
        assertEquals(ServeOptions.DEFAULT_DATA_DIR, ServeCommand.withDataDirectory(options, options.config())
            .dataDirectory());
        final ServeOptions given = ServeOptions.parse(List.of("--tcp", "127.0.0.1:0", "--data-dir", "/tmp/node-7"));
        assertEquals(Path.of("/tmp/node-7"), ServeCommand.withDataDirectory(given, given.config()).dataDirectory());
    }

    @Test
    void statReadsARunningServeProcessAndItsFileAfterSigterm(@TempDir final Path temp) throws Exception
    {
        final Path dataDir = temp.resolve("node");
        final ServeProcess node = ServeProcess.start(temp, "serve", List.of(), List.of("--tcp", "127.0.0.1:0",
            "--shards", "1", "--data-dir", dataDir.toString()));
        toClose.add(node::kill);
        node.awaitLine("ready", TIMEOUT);
        final String listening = node.seenStartingWith("listening tcp ");
        final int port = Integer.parseInt(listening.substring(listening.lastIndexOf(':') + 1));
        try (BusClient client = BusClient.connect(URI.create("tcp://127.0.0.1:" + port)))
        {
            for (int i = 0; i < 5; i++)
            {
                client.request(1, new byte[1], TIMEOUT);
            }
        }
        Await.until("the node counted the connection and its close", TIMEOUT,
            () -> statJson(dataDir).counters().get("client.tcp.connections_closed") == 1);
        final Refresh live = statJson(dataDir);
        assertEquals(node.process.pid(), live.pid());
        assertTrue(live.alive());
        assertEquals(5L, live.counters().get("client.tcp.frames_in"));

        node.process.destroy(); // SIGTERM: a graceful stop
        node.awaitExit(TIMEOUT);
        final Refresh stopped = statJson(dataDir);
        assertTrue(!stopped.alive(), node.describe());
        assertEquals(5L, stopped.counters().get("client.tcp.frames_in"));
        assertEquals(5L, stopped.counters().get("client.tcp.frames_out"));
    }

    /** Answers each request with its own body. */
    private static final class EchoBack implements BusHandler
    {
        @Override
        public void onClientRequest(final MessageBus bus, final ClientConnMeta client, final DirectBuffer buffer,
            final int offset, final int length)
        {
            bus.sendToClient(client.clientId(), Frames.reply(bus.pool(), buffer, offset, buffer,
                offset + FrameHeader.HEADER_SIZE, length - FrameHeader.HEADER_SIZE, FrameHeader.REPLICA_NONE));
        }
    }
}
