package io.ringbus.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 17 point 6: errors a newcomer can act on, quoted exactly, with their exit codes. */
class NewcomerErrorsTest
{
    @TempDir
    Path temp;

    /** What one Main.run printed, and its exit code. */
    private record Run(int code, String out, String err)
    {
    }

    private static Run run(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Main.run(args, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aTakenPortNamesTheListenerAndTheAddress() throws Exception
    {
        for (final String backend : List.of("nio", "auto"))
        {
            try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
            {
                final String address = "127.0.0.1:" + taken.getLocalPort();
                final Run run = run("serve", "--tcp", address, "--backend", backend, "--shards", "1",
                    "--data-dir", temp.toString());
                assertEquals(Main.EXIT_FAILURE, run.code(), run.toString());
                assertTrue(run.err().lines().anyMatch(
                    ("ringbus serve: cannot listen on tcp " + address + ": address already in use")::equals),
                    backend + ": " + run.err());
                assertTrue(run.out().startsWith("backend "), run.out());
            }
        }
    }

    @Test
    void socketErrorsDropTheNativeCallAndTheWrapping()
    {
        assertEquals("address already in use", SocketErrors.describe(new IllegalStateException("cannot bind",
            new java.io.IOException("bind(..) failed with error(-98): Address already in use"))));
        assertEquals("address already in use", SocketErrors.describe(new java.io.UncheckedIOException(
            new java.net.BindException("Address already in use"))));
        assertEquals("IllegalStateException", SocketErrors.describe(new IllegalStateException()));
    }

    @Test
    void anUnresolvableHostIsRefusedAtParsing()
    {
        assertEquals("ringbus serve: --tcp = nosuchhost.invalid:7000: cannot resolve host nosuchhost.invalid",
            assertThrows(UsageException.class, () -> ServeOptions.parse(List.of("--tcp", "nosuchhost.invalid:7000"),
                Map.of())).getMessage());
        assertEquals("ringbus serve: --replicas entry 1 = nosuchhost.invalid:7001: cannot resolve host " +
            "nosuchhost.invalid", assertThrows(UsageException.class, () -> ServeOptions.parse(List.of("--replica-id",
            "0", "--replicas", "0=127.0.0.1:7000,1=nosuchhost.invalid:7001"), Map.of())).getMessage());
        final Run run = run("serve", "--tcp", "nosuchhost.invalid:7000");
        assertEquals(Main.EXIT_USAGE, run.code());
        assertEquals("ringbus serve: --tcp = nosuchhost.invalid:7000: cannot resolve host nosuchhost.invalid",
            run.err().lines().findFirst().orElseThrow());
    }

    @Test
    void versionPrintsTheProjectVersion()
    {
        // Tests run from target/classes: no manifest, so the version Maven filtered into the resource.
        final String version = Version.fromResource();
        assertTrue(version.matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), version);
        for (final String command : List.of("--version", "version"))
        {
            final Run run = run(command);
            assertEquals(Main.EXIT_OK, run.code(), run.toString());
            assertEquals("ringbus " + version + "\n", run.out());
            assertEquals("", run.err());
        }
    }
}
