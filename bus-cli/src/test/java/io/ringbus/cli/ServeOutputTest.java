package io.ringbus.cli;

import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ringbus serve} as a process says each fact once: {@code backend}, {@code listening ...},
 * {@code ready} and {@code tls reloaded: ...} (on SIGHUP) on stdout, once each, and no log line on
 * stderr repeats them; every log line is in the one-line format.
 */
class ServeOutputTest
{
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final Duration STOP = Duration.ofSeconds(30);
    private static final Pattern LISTENING_TCP = Pattern.compile("listening tcp 127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern LOG_LINE =
        Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z (ERROR|WARN |INFO |DEBUG) \\S+ .+");

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

    @Test
    void eachFactIsSaidOnceAndLogLinesAreOneLineEach() throws Exception
    {
        final int[] ports = ServeProcess.freePorts(2);
        node = ServeProcess.start(temp, "serve", List.of(), List.of("--tcp", "127.0.0.1:0", "--tls", "127.0.0.1:0",
            "--replica-id", "0", "--replicas", "0=127.0.0.1:" + ports[0] + ",1=127.0.0.1:" + ports[1],
            "--data-dir", temp.toString()));
        node.awaitLine("ready", STARTUP);
        final Matcher listening = LISTENING_TCP.matcher(node.seenStartingWith("listening tcp "));
        assertTrue(listening.matches(), node.describe());
        // A client that comes and goes: the node logs its close at INFO, a log line to look at.
        try (BusClient client = BusClient.connect(URI.create("tcp://127.0.0.1:" + listening.group(1)),
            ClientOptions.defaults()))
        {
            client.ping().get(STARTUP.toSeconds(), TimeUnit.SECONDS);
        }
        Await.until("the node's log line of the client's close", STARTUP,
            () -> stderr().contains(" closed: PEER_CLOSED"));
        // SIGHUP reloads the certificate: 'tls reloaded: ...' on stdout, and bus-core's record of it left out.
        signal("HUP");
        node.awaitLineStartingWith("tls reloaded: ", false, STARTUP);
        signal("TERM"); // a graceful stop
        node.awaitLine("stopped", STOP);
        node.awaitExit(STOP); // its exit code after SIGTERM is not this test's business

        final List<String> out = node.seen;
        assertEquals(1, count(out, "ready"), node.describe());
        assertEquals(1, count(out, "stopped"), node.describe());
        assertEquals(1, out.stream().filter(line -> line.startsWith("backend ")).count(), node.describe());
        assertEquals(1, out.stream().filter(line -> line.startsWith("listening tcp ")).count(), node.describe());
        assertEquals(1, out.stream().filter(line -> line.startsWith("listening tls ")).count(), node.describe());
        assertEquals(1, out.stream().filter(line -> line.startsWith("tls certificate ")).count(), node.describe());
        assertEquals(1, count(out, "listening replica 127.0.0.1:" + ports[0]), node.describe());

        final List<String> err = stderr().lines().toList();
        assertFalse(err.isEmpty(), node.describe());
        for (final String line : err)
        {
            assertTrue(LOG_LINE.matcher(line).matches(), "one line per record: " + line + "; " + node.describe());
            final String message = line.split(" +", 4)[3];
            assertFalse(message.startsWith("listening ") || message.startsWith("ringbus: backend ") ||
                message.contains("reloaded") || message.equals("ready"), "a fact stdout already says: " + line);
        }
    }

    /** kill(1) the node with {@code SIGNAL}; not Process.destroy(), which closes our end of its stdout. */
    private void signal(final String name) throws IOException, InterruptedException
    {
        final Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(node.process.pid())).inheritIO().start();
        assertTrue(kill.waitFor(STOP.toSeconds(), TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + name + " failed");
    }

    private static long count(final List<String> lines, final String line)
    {
        return lines.stream().filter(line::equals).count();
    }

    private String stderr()
    {
        try
        {
            return node.stderrText();
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }
}
