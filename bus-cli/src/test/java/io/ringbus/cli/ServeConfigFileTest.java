package io.ringbus.cli;

import io.ringbus.core.config.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17 point 5: {@code ringbus serve --config FILE} and {@code RINGBUS_*} variables set the
 * flags' settings (file under variables under flags), through the flags' own checks, and every
 * refusal names the key, the value and the source.
 */
class ServeConfigFileTest
{
    @TempDir
    Path temp;

    @Test
    void flagsOverrideVariablesOverrideTheFile() throws Exception
    {
        final Path file = write("ringbus.properties",
            "# a comment",
            "tcp = 127.0.0.1:0",
            "idle-timeout = 1000",
            "max-connections=10",
            "shards: 2",
            "",
            "backend = nio");
        final ServeOptions options = ServeOptions.parse(
            List.of("--config", file.toString(), "--idle-timeout", "3000"),
            Map.of("RINGBUS_IDLE_TIMEOUT", "2000", "RINGBUS_MAX_CONNECTIONS", "20", "PATH", "/usr/bin"));
        assertEquals(Duration.ofMillis(3000), options.limits().idleTimeout(), "the flag wins");
        assertEquals(20, options.limits().maxConnections(), "the variable wins over the file");
        assertEquals(2, options.shards(), "the file's, when nothing else gives it");
        assertEquals(Backend.NIO, options.backend());
        assertEquals(List.of(URI.create("tcp://127.0.0.1:0")), options.listeners());
    }

    @Test
    void aListenerKeyIsACommaSeparatedListThatAFlagReplaces() throws Exception
    {
        final Path file = write("ringbus.properties", "tcp = 127.0.0.1:0, 127.0.0.1:0", "ws = 127.0.0.1:0");
        assertEquals(List.of(URI.create("tcp://127.0.0.1:0"), URI.create("tcp://127.0.0.1:0"),
            URI.create("ws://127.0.0.1:0")), ServeOptions.parse(List.of("--config", file.toString()), Map.of()).listeners());
        // A flag replaces the file's list of its kind, not the other kinds.
        assertEquals(List.of(URI.create("ws://127.0.0.1:0"), URI.create("tcp://127.0.0.1:1")),
            ServeOptions.parse(List.of("--config", file.toString(), "--tcp", "127.0.0.1:1"), Map.of()).listeners());
        assertEquals(List.of(URI.create("tcp://127.0.0.1:2"), URI.create("ws://127.0.0.1:0")),
            ServeOptions.parse(List.of("--config", file.toString()), Map.of("RINGBUS_TCP", "127.0.0.1:2")).listeners());
    }

    @Test
    void variablesAloneAndRingbusConfigNamingTheFile() throws Exception
    {
        final Path file = write("node.properties", "tcp = 127.0.0.1:0", "close-grace = 1500");
        final ServeOptions options = ServeOptions.parse(List.of(),
            Map.of("RINGBUS_CONFIG", file.toString(), "RINGBUS_DATA_DIR", temp.toString()));
        assertEquals(Duration.ofMillis(1500), options.closeGrace());
        assertEquals(temp, options.dataDir());
        assertEquals(List.of(URI.create("tcp://127.0.0.1:0")), options.listeners());
    }

    @Test
    void badValuesNameTheirSource() throws Exception
    {
        final Path file = write("ringbus.properties", "tcp = 127.0.0.1:0", "", "idle-timeout = abc");
        assertRefused("ringbus serve: --config " + file + ": line 3: idle-timeout = abc: not a whole number",
            List.of("--config", file.toString()), Map.of());
        assertRefused("ringbus serve: RINGBUS_IDLE_TIMEOUT = abc: not a whole number",
            List.of("--tcp", "127.0.0.1:0"), Map.of("RINGBUS_IDLE_TIMEOUT", "abc"));
        assertRefused("ringbus serve: RINGBUS_BACKEND = fast: must be auto, nio or io_uring",
            List.of("--tcp", "127.0.0.1:0"), Map.of("RINGBUS_BACKEND", "fast"));
        assertRefused("ringbus serve: --config " + file + ": line 3: idle-timeout = abc: not a whole number",
            List.of("--config", file.toString()), Map.of("RINGBUS_SHARDS", "2"));
        // The same value given by a flag that overrides the file's is not looked at.
        assertEquals(Duration.ofMillis(5), ServeOptions.parse(List.of("--config", file.toString(), "--idle-timeout",
            "5"), Map.of()).limits().idleTimeout());
        final Path ports = write("ports.properties", "tcp = 127.0.0.1:0, 127.0.0.1:99999");
        assertRefused("ringbus serve: --config " + ports + ": line 1: tcp = 127.0.0.1:99999: " +
            "port must be within 0..65535 and the host non-empty", List.of("--config", ports.toString()), Map.of());
        final Path missingKey = write("key.properties", "tcp = 127.0.0.1:0", "cluster-key = " + temp.resolve("none.key"));
        assertRefused("ringbus serve: --config " + missingKey + ": line 2: cluster-key = " + temp.resolve("none.key") +
            ": no such file (write a key with 'ringbus keygen " + temp.resolve("none.key") + "')",
            List.of("--config", missingKey.toString()), Map.of());
    }

    @Test
    void unknownKeysAndVariablesAreRefused() throws Exception
    {
        final Path file = write("ringbus.properties", "tcp = 127.0.0.1:0", "idle-timout = 5");
        assertRefused("ringbus serve: --config " + file + ": line 2: idle-timout = 5: unknown key (the keys are the " +
            "flags of 'ringbus serve' without their dashes, e.g. idle-timeout = 60000)",
            List.of("--config", file.toString()), Map.of());
        final Path nested = write("nested.properties", "config = other.properties");
        assertRefused("ringbus serve: --config " + nested + ": line 1: config = other.properties: unknown key (the " +
            "keys are the flags of 'ringbus serve' without their dashes, e.g. idle-timeout = 60000)",
            List.of("--config", nested.toString()), Map.of());
        assertRefused("ringbus serve: RINGBUS_IDLE_TIMOUT = 5: unknown variable (RINGBUS_<FLAG> sets a flag of " +
            "'ringbus serve', e.g. RINGBUS_IDLE_TIMEOUT for --idle-timeout)",
            List.of("--tcp", "127.0.0.1:0"), Map.of("RINGBUS_IDLE_TIMOUT", "5"));
    }

    @Test
    void malformedRepeatedMissingAndUnreadableFilesAreRefused() throws Exception
    {
        final Path malformed = write("malformed.properties", "tcp = 127.0.0.1:0", "idle-timeout");
        assertRefused("ringbus serve: --config " + malformed + ": line 2: 'idle-timeout' is not KEY = VALUE",
            List.of("--config", malformed.toString()), Map.of());
        final Path twice = write("twice.properties", "tcp = 127.0.0.1:0", "shards = 2", "shards = 3");
        assertRefused("ringbus serve: --config " + twice + ": line 3: shards = 3: given twice (first on line 2)",
            List.of("--config", twice.toString()), Map.of());
        final Path missing = temp.resolve("missing.properties");
        assertRefused("ringbus serve: --config " + missing + ": no such file",
            List.of("--config", missing.toString()), Map.of());
        assertRefused("ringbus serve: RINGBUS_CONFIG = " + missing + ": no such file",
            List.of(), Map.of("RINGBUS_CONFIG", missing.toString()));
        assertRefused("ringbus serve: --config " + temp + ": not a regular file",
            List.of("--config", temp.toString()), Map.of());
        final Path binary = temp.resolve("binary.properties");
        Files.write(binary, new byte[] {'t', 'c', 'p', '=', (byte)0xff, (byte)0xfe});
        assertRefused("ringbus serve: --config " + binary + ": not UTF-8 text",
            List.of("--config", binary.toString()), Map.of());
    }

    @Test
    void aRefusalExitsWithTheUsageCodeThroughMain() throws Exception
    {
        final Path file = write("ringbus.properties", "tcp = 127.0.0.1:0", "", "idle-timeout = abc");
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Main.run(new String[] {"serve", "--config", file.toString()}, Map.of(),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(Main.EXIT_USAGE, code);
        assertEquals("ringbus serve: --config " + file + ": line 3: idle-timeout = abc: not a whole number",
            err.toString(StandardCharsets.UTF_8).lines().findFirst().orElseThrow());

        final ByteArrayOutputStream envErr = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_USAGE, Main.run(new String[] {"serve", "--tcp", "127.0.0.1:0"},
            Map.of("RINGBUS_IDLE_TIMEOUT", "abc"), new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8), new PrintStream(envErr, true, StandardCharsets.UTF_8)));
        assertEquals("ringbus serve: RINGBUS_IDLE_TIMEOUT = abc: not a whole number",
            envErr.toString(StandardCharsets.UTF_8).lines().findFirst().orElseThrow());
    }

    @Test
    void theLogLevelFollowsTheSamePrecedence() throws Exception
    {
        final Path file = write("ringbus.properties", "tcp = 127.0.0.1:0", "log-level = warn");
        final List<String> args = List.of("--config", file.toString());
        assertEquals(List.of("--config", file.toString(), "--log-level=warn"), ConfigSources.withLogLevel(args, Map.of()));
        assertEquals(List.of("--config", file.toString(), "--log-level=debug"),
            ConfigSources.withLogLevel(args, Map.of("RINGBUS_LOG_LEVEL", "debug")));
        final List<String> flagged = List.of("--config", file.toString(), "--log-level", "error");
        assertEquals(flagged, ConfigSources.withLogLevel(flagged, Map.of("RINGBUS_LOG_LEVEL", "debug")));
        assertEquals(List.of("--tcp", "127.0.0.1:0"), ConfigSources.withLogLevel(List.of("--tcp", "127.0.0.1:0"),
            Map.of()));
        // The command parses the file as well: its log-level is no unknown key there.
        assertEquals(List.of(URI.create("tcp://127.0.0.1:0")), ServeOptions.parse(args, Map.of()).listeners());

        final Path loud = write("loud.properties", "log-level = loud");
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_USAGE, Main.run(new String[] {"serve", "--config", loud.toString()}, Map.of(),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertEquals("ringbus serve: --config " + loud + ": line 1: log-level = loud: must be error, warn, info or debug",
            err.toString(StandardCharsets.UTF_8).lines().findFirst().orElseThrow());
        final UsageException ex = assertThrows(UsageException.class,
            () -> ConfigSources.withLogLevel(List.of("--tcp", "127.0.0.1:0"), Map.of("RINGBUS_LOG_LEVEL", "LOUD")));
        assertEquals("ringbus serve: RINGBUS_LOG_LEVEL = LOUD: must be error, warn, info or debug", ex.getMessage());
    }

    /** Issue 17 point 8: the example configuration of dist/ is accepted as it is shipped. */
    @Test
    void theDistributedExampleIsAccepted() throws UsageException
    {
        // Surefire runs in bus-cli/; dist/ is beside it.
        final Path example = Path.of("..", "dist", "ringbus.properties");
        assertTrue(Files.isRegularFile(example), example.toAbsolutePath().toString());
        final ServeOptions options = ServeOptions.parse(List.of("--config", example.toString()), Map.of());
        assertEquals(List.of(URI.create("tcp://0.0.0.0:7000")), options.listeners());
        assertEquals(Path.of("/var/lib/ringbus"), options.dataDir());
        assertEquals(Duration.ofSeconds(2), options.closeGrace());
    }

    private Path write(final String name, final String... lines) throws IOException
    {
        return Files.writeString(temp.resolve(name), String.join("\n", lines) + "\n");
    }

    private static void assertRefused(final String expected, final List<String> args, final Map<String, String> env)
    {
        final UsageException ex = assertThrows(UsageException.class, () -> ServeOptions.parse(args, env));
        assertEquals(expected, ex.getMessage());
    }
}
