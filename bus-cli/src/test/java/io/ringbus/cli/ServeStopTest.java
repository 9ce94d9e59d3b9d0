package io.ringbus.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17 point 6: {@code ringbus serve} stopped by SIGTERM or SIGINT closes gracefully, prints
 * {@code stopped} and exits 0 (a JVM ended by the signal itself exits 143 or 130, which systemd
 * and scripts take for a failure).
 */
class ServeStopTest
{
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final Duration STOP = Duration.ofSeconds(30);

    @TempDir
    Path temp;

    private ServeProcess node;

    @AfterEach
    void kill() throws InterruptedException
    {
        if (node != null)
        {
            node.kill();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TERM", "INT"})
    void aSignalStopsTheNodeGracefullyWithExitCodeZero(final String signal) throws Exception
    {
        node = ServeProcess.start(temp, "serve", List.of(), List.of("--tcp", "127.0.0.1:0", "--shards", "1",
            "--data-dir", temp.toString()));
        node.awaitLine("ready", STARTUP);
        // kill(1), not Process.destroy(): destroy() closes our end of its stdout, and "stopped" is there.
        final Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(node.process.pid()))
            .inheritIO().start();
        assertTrue(kill.waitFor(STOP.toSeconds(), TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + signal);
        node.awaitLine("stopped", STOP);
        assertEquals(0, node.awaitExit(STOP), node.describe());
    }
}
