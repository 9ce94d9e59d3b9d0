package io.ringbus.cli;

import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.client.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The project's process-level cluster test: three {@code ringbus serve} processes on loopback
 * answer requests, keep answering with a majority after one is killed (SIGKILL), and take the
 * killed one back when it restarts on the same ports. Waits are condition waits with deadlines.
 */
class ServeProcessClusterTest
{
    private static final int NODES = 3;
    /** Generous: three JVMs start on a two-core machine and redials back off up to 5 s. */
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final Duration REPLY = Duration.ofSeconds(45);
    private static final Duration ATTEMPT = Duration.ofSeconds(3);

    @TempDir
    Path logs;

    private final Node[] nodes = new Node[NODES];
    private int[] clientPorts;
    private int[] replicaPorts;

    /** One {@code ringbus serve} process and the lines it printed. */
    private static final class Node
    {
        final Process process;
        final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final List<String> seen = new ArrayList<>();
        final Path stderr;

        Node(final Process process, final Path stderr)
        {
            this.process = process;
            this.stderr = stderr;
            final Thread reader = new Thread(() ->
            {
                try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
                {
                    String line;
                    while ((line = in.readLine()) != null)
                    {
                        lines.add(line);
                    }
                }
                catch (final IOException ex)
                {
                    lines.add("<stdout failed: " + ex + ">");
                }
            }, "serve-stdout-" + process.pid());
            reader.setDaemon(true);
            reader.start();
        }

        /** Read stdout until {@code expected}, within {@code timeout}; fail with what was seen. */
        void awaitLine(final String expected, final Duration timeout) throws InterruptedException, IOException
        {
            final long deadlineNs = System.nanoTime() + timeout.toNanos();
            while (true)
            {
                final long leftNs = deadlineNs - System.nanoTime();
                final String line = leftNs > 0 ? lines.poll(leftNs, TimeUnit.NANOSECONDS) : null;
                if (line == null)
                {
                    fail("no '" + expected + "' line within " + timeout.toSeconds() + " s; stdout: " + seen +
                        (process.isAlive() ? "" : ", exit code " + process.exitValue()) + "; stderr: " +
                        Files.readString(stderr));
                }
                seen.add(line);
                if (line.equals(expected))
                {
                    return;
                }
            }
        }
    }

    @AfterEach
    void stopEverything() throws InterruptedException
    {
        for (final Node node : nodes)
        {
            if (node != null)
            {
                node.process.destroyForcibly();
            }
        }
        for (final Node node : nodes)
        {
            if (node != null)
            {
                node.process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static int[] freePorts(final int count) throws IOException
    {
        final InetAddress loopback = InetAddress.getLoopbackAddress();
        final List<ServerSocket> sockets = new ArrayList<>();
        final int[] ports = new int[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                final ServerSocket socket = new ServerSocket(0, 1, loopback);
                sockets.add(socket);
                ports[i] = socket.getLocalPort();
            }
        }
        finally
        {
            for (final ServerSocket socket : sockets)
            {
                socket.close();
            }
        }
        return ports;
    }

    private Node start(final int id) throws IOException
    {
        final StringBuilder replicas = new StringBuilder();
        for (int i = 0; i < NODES; i++)
        {
            replicas.append(i == 0 ? "" : ",").append(i).append("=127.0.0.1:").append(replicaPorts[i]);
        }
        final Path stderr = logs.resolve("node-" + id + "-" + System.nanoTime() + ".err");
        final List<String> command = List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-Xmx256m", "-XX:TieredStopAtLevel=1",
            "-cp", System.getProperty("java.class.path"),
            Main.class.getName(), "serve",
            "--tcp", "127.0.0.1:" + clientPorts[id],
            "--replica-id", Integer.toString(id),
            "--replicas", replicas.toString(),
            "--shards", "1",
            "--close-grace", "500");
        final Process process = new ProcessBuilder(command)
            .redirectErrorStream(false)
            .redirectError(stderr.toFile())
            .start();
        process.getOutputStream().close();
        final Node node = new Node(process, stderr);
        nodes[id] = node;
        return node;
    }

    private void awaitReady(final int id) throws InterruptedException, IOException
    {
        final Node node = nodes[id];
        node.awaitLine("ready", STARTUP);
        assertTrue(node.seen.contains("listening tcp 127.0.0.1:" + clientPorts[id]), node.seen.toString());
        assertTrue(node.seen.contains("listening replica 127.0.0.1:" + replicaPorts[id]), node.seen.toString());
    }

    /**
     * Send requests to node {@code id} until one is answered with its body, within {@link #REPLY}:
     * a request that waits for a majority may be dropped by the node, and then a new one goes.
     */
    private void assertEchoes(final int id, final String text) throws Exception
    {
        final URI uri = URI.create("tcp://127.0.0.1:" + clientPorts[id]);
        final byte[] body = text.getBytes(StandardCharsets.UTF_8);
        final long deadlineNs = System.nanoTime() + REPLY.toNanos();
        BusClient client = null;
        Throwable last = null;
        try
        {
            while (System.nanoTime() - deadlineNs < 0)
            {
                if (client == null || !client.isConnected())
                {
                    if (client != null)
                    {
                        client.close();
                    }
                    client = BusClient.connect(uri, ClientOptions.defaults());
                }
                final CompletableFuture<Reply> reply = client.requestAsync(1, body);
                try
                {
                    final Reply answer = reply.get(ATTEMPT.toMillis(), TimeUnit.MILLISECONDS);
                    assertArrayEquals(body, answer.body());
                    assertEquals(id, answer.replica());
                    return;
                }
                catch (final TimeoutException | ExecutionException ex)
                {
                    last = ex; // no majority yet: ask again
                }
            }
        }
        finally
        {
            if (client != null)
            {
                client.close();
            }
        }
        fail("node " + id + " did not answer within " + REPLY.toSeconds() + " s (last: " + last + "); stderr: " +
            Files.readString(nodes[id].stderr));
    }

    @Test
    void threeServeProcessesSurviveAKilledNodeAndTakeItBack() throws Exception
    {
        final int[] ports = freePorts(2 * NODES);
        clientPorts = new int[] {ports[0], ports[1], ports[2]};
        replicaPorts = new int[] {ports[3], ports[4], ports[5]};
        for (int id = 0; id < NODES; id++)
        {
            start(id);
        }
        for (int id = 0; id < NODES; id++)
        {
            awaitReady(id);
        }
        for (int id = 0; id < NODES; id++)
        {
            assertEchoes(id, "all three up, via node " + id);
        }

        // SIGKILL node 2: nodes 0 and 1 are still a majority (2 of 3).
        final Process killed = nodes[2].process;
        killed.destroyForcibly();
        assertTrue(killed.waitFor(30, TimeUnit.SECONDS), "node 2 did not die");
        assertEchoes(0, "node 2 is dead, via node 0");
        assertEchoes(1, "node 2 is dead, via node 1");

        // Restart it on the same ports: it rejoins, and answers through a majority it is part of.
        start(2);
        awaitReady(2);
        assertEchoes(2, "node 2 is back, via node 2");
        assertEchoes(0, "node 2 is back, via node 0");

        // SIGTERM stops a node gracefully (its shutdown hook closes the bus within close_grace).
        // kill(1), not Process.destroy(): destroy() closes our end of its stdout, and "stopped" is there.
        final Process stopped = nodes[1].process;
        final Process kill = new ProcessBuilder("kill", "-TERM", Long.toString(stopped.pid())).inheritIO().start();
        assertTrue(kill.waitFor(30, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -TERM failed");
        nodes[1].awaitLine("stopped", STARTUP);
        assertTrue(stopped.waitFor(30, TimeUnit.SECONDS), "node 1 did not exit after SIGTERM");
        assertEquals(143, stopped.exitValue(), "exit status of a JVM ended by SIGTERM");
    }
}
