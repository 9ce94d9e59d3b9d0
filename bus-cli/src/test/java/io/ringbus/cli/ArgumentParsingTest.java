package io.ringbus.cli;

import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

class ArgumentParsingTest
{
    /** What one {@link Main#run} printed and returned. */
    private record Outcome(int code, String out, String err)
    {
    }

    private static Outcome run(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "[{index}] ringbus {0}")
    @CsvSource(delimiter = '|', value = {
        "''                                                    | usage: ringbus COMMAND",
        "frobnicate                                            | unknown command 'frobnicate'",
        "serve --bogus 1                                       | unknown flag --bogus",
        "serve --tcp                                           | flag --tcp needs a value",
        "serve --tcp localhost                                 | --tcp = localhost: must be HOST:PORT",
        "serve --tcp 127.0.0.1:70000                           | port must be within 0..65535",
        "serve --tcp ::1:7000                                  | write an IPv6 host in brackets",
        "serve --tcp 127.0.0.1:0 --shards abc                  | --shards = abc: not a whole number",
        "serve --tcp 127.0.0.1:0 --shards 0                    | --shards = 0: must be within 1..1024",
        "serve --tcp 127.0.0.1:0 --shards 2 --shards 3         | flag --shards given more than once",
        "serve --tcp 127.0.0.1:0 --max-message-size 100        | --max-message-size = 100: must be within 256..",
        "serve --tcp 127.0.0.1:0 --close-grace -5              | --close-grace = -5: must be within 1..",
        "serve --tcp 127.0.0.1:0 --backend fast                | --backend = fast: must be auto, nio or io_uring",
        "serve --tcp 127.0.0.1:0 --cluster -1                  | --cluster = -1: must be within 0..2^128-1",
        "serve --tcp 127.0.0.1:0 --cluster 340282366920938463463374607431768211456 | must be within 0..2^128-1",
        "serve --tcp 127.0.0.1:0 --cluster 12ab                | --cluster = 12ab: not a decimal number",
        "serve --tcp 127.0.0.1:0 --cert a.pem                  | --cert and --key go together",
        "serve --replica-id 0                                  | --replica-id and --replicas go together",
        "serve --replicas 0=127.0.0.1:1,1=127.0.0.1:2          | --replica-id and --replicas go together",
        "serve --replica-id 0 --replicas 0=127.0.0.1:1,2=127.0.0.1:2 | ids must be exactly 0..1",
        "serve --replica-id 3 --replicas 0=127.0.0.1:1,1=127.0.0.1:2 | --replica-id = 3: not one of the --replicas ids",
        "serve --replica-id 0 --replicas 0=127.0.0.1:1,0=127.0.0.1:2 | replica 0 given twice",
        "serve --replica-id 0 --replicas 0:127.0.0.1:1         | must be ID=HOST:PORT",
        "serve                                                 | nothing to serve",
        "serve stray                                           | unexpected argument 'stray'",
        "load                                                  | give at least one URI",
        "load http://127.0.0.1:1                               | scheme must be one of tcp, tls, ws, wss, quic",
        "load tcp://127.0.0.1                                  | must be scheme://host:port",
        "load tcp://127.0.0.1:1 --window 0                     | --window = 0: must be within 1..256",
        "load tcp://127.0.0.1:1 --connections many             | --connections = many: not a whole number",
        "load tcp://127.0.0.1:1 --size -1                      | --size = -1: must be within 0..",
        "load tcp://127.0.0.1:1 --duration-ms 0                | --duration-ms = 0: must be within 1..",
        "demo --duration-ms soon                               | --duration-ms = soon: not a whole number",
        "demo --duration-ms 10                                 | --duration-ms = 10: must be within 2000..",
        "demo --connections 3                                  | unknown flag --connections",
    })
    void badCommandLinesExitWithTwoAndSayWhy(final String line, final String expected)
    {
        final String[] args = line.isBlank() ? new String[0] : line.trim().split("\\s+");
        final Outcome outcome = run(args);
        assertEquals(Main.EXIT_USAGE, outcome.code(), () -> "exit code of '" + line + "'; err: " + outcome.err());
        assertTrue(outcome.err().contains(expected), () -> "'" + line + "' should say '" + expected + "', said: " +
            outcome.err());
    }

    @Test
    void helpPrintsUsageAndSucceeds()
    {
        final Outcome top = run("--help");
        assertEquals(Main.EXIT_OK, top.code());
        assertTrue(top.out().contains("usage: ringbus COMMAND"));
        final Outcome serve = run("serve", "--help");
        assertEquals(Main.EXIT_OK, serve.code());
        assertTrue(serve.out().contains("--replica-id I --replicas 0=HOST:PORT,1=HOST:PORT,..."));
        assertTrue(run("load", "-h").out().contains("usage: ringbus load URI..."));
    }

    @Test
    void serveOptionsCarryEveryFlag() throws UsageException
    {
        final ServeOptions options = ServeOptions.parse(List.of(
            "--tcp", "127.0.0.1:7001", "--ws=[::1]:7002", "--tcp", "0.0.0.0:0",
            "--cert", "node.pem", "--key", "node.key",
            "--max-message-size", "1048576", "--close-grace", "250", "--shards", "3", "--backend", "nio",
            "--cluster", "18446744073709551621", // 2^64 + 5
            "--replica-id", "1", "--replicas", "0=127.0.0.1:8001,1=127.0.0.1:8002,2=localhost:8003"));
        assertEquals(List.of(URI.create("tcp://127.0.0.1:7001"), URI.create("ws://[::1]:7002"),
            URI.create("tcp://0.0.0.0:0")), options.listeners());
        assertEquals("node.pem", options.cert().toString());
        assertEquals("node.key", options.key().toString());
        assertEquals(1_048_576, options.maxMessageSize());
        assertEquals(Duration.ofMillis(250), options.closeGrace());
        assertEquals(3, options.shards());
        assertEquals(Backend.NIO, options.backend());
        assertEquals(1, options.clusterHi());
        assertEquals(5, options.clusterLo());
        assertEquals(1, options.replicaId());
        assertEquals(3, options.replicas().size());
        assertEquals(new InetSocketAddress("localhost", 8003), options.replicas().get(2));

        final BusConfig config = options.config();
        assertEquals(1, config.replicaId());
        assertEquals(1, config.clusterHi());
        assertEquals(5, config.clusterLo());
        assertEquals(Duration.ofMillis(250), config.closeGrace());
        assertEquals(Backend.NIO, config.backend());
        assertEquals(3, config.shards());
    }

    @Test
    void serveDefaultsFollowTheDesign() throws UsageException
    {
        final ServeOptions options = ServeOptions.parse(List.of("--tcp", "127.0.0.1:0"));
        assertEquals(BusConfig.DEFAULT_MAX_MESSAGE_SIZE, options.maxMessageSize());
        assertEquals(BusConfig.DEFAULT_CLOSE_GRACE, options.closeGrace());
        assertEquals(Runtime.getRuntime().availableProcessors(), options.shards());
        assertEquals(Backend.AUTO, options.backend());
        assertEquals(0, options.clusterHi());
        assertEquals(0, options.clusterLo());
        assertEquals(BusConfig.NO_REPLICA, options.replicaId());
        assertTrue(options.replicas().isEmpty());
        assertNull(options.cert());
    }

    @Test
    void largestClusterIdIsAccepted() throws UsageException
    {
        final ServeOptions options = ServeOptions.parse(List.of("--tcp", "127.0.0.1:0",
            "--cluster", "340282366920938463463374607431768211455"));
        assertEquals(-1L, options.clusterHi());
        assertEquals(-1L, options.clusterLo());
    }

    @Test
    void loadSettingsCarryEveryFlag() throws UsageException
    {
        final LoadGenerator.Settings settings = LoadCommand.parse(List.of("tcp://127.0.0.1:7001",
            "--connections", "8", "tcp://127.0.0.1:7002", "--window=64", "--size", "0", "--duration-ms", "2500",
            "--cluster", "18446744073709551617")); // 2^64 + 1
        assertEquals(List.of(URI.create("tcp://127.0.0.1:7001"), URI.create("tcp://127.0.0.1:7002")),
            settings.targets());
        assertEquals(8, settings.connections());
        assertEquals(64, settings.window());
        assertEquals(0, settings.size());
        assertEquals(Duration.ofMillis(2500), settings.duration());
        assertEquals(Duration.ofMillis(500), settings.warmup());
        assertEquals(1, settings.clusterHi());
        assertEquals(1, settings.clusterLo());
        assertThrows(UsageException.class, () -> LoadCommand.parse(List.of("tcp://127.0.0.1:1", "--window", "257")));
    }

    @Test
    void aTransportThisBuildLacksIsAClearUsageError()
    {
        // Only meaningful while the class path has no tls transport; once it has one, serve would run.
        assumeFalse(Transports.isAvailable("tls"), "this build has a tls transport");
        assertTrue(Transports.isAvailable("tcp"));
        final Outcome outcome = run("serve", "--tcp", "127.0.0.1:0", "--tls", "127.0.0.1:0", "--shards", "1");
        assertEquals(Main.EXIT_USAGE, outcome.code(), outcome.err());
        assertTrue(outcome.err().contains("--tls: transport tls is not available in this build"), outcome.err());
        assumeFalse(Transports.isAvailable("quic"), "this build has a quic transport");
        final Outcome load = run("load", "quic://127.0.0.1:7001", "--duration-ms", "100");
        assertEquals(Main.EXIT_USAGE, load.code(), load.err());
        assertTrue(load.err().contains("transport quic is not available in this build"), load.err());
    }

    @Test
    void demoTableListsEveryTransport()
    {
        final String table = DemoCommand.table(java.util.Map.of(),
            java.util.Map.of("tcp", DemoCommand.NOT_AVAILABLE, "quic", DemoCommand.NOT_AVAILABLE));
        final String[] lines = table.split("\n");
        assertEquals(4, lines.length, table);
        assertTrue(lines[0].startsWith("| transport | "), table);
        assertTrue(lines[0].contains("| p99.9 µs |"), table);
        assertTrue(lines[2].startsWith("| tcp "), table);
        assertTrue(lines[3].startsWith("| quic ") && lines[3].contains(DemoCommand.NOT_AVAILABLE), table);
    }
}
