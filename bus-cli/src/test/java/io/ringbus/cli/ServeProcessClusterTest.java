package io.ringbus.cli;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.client.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The project's process-level cluster test, on each backend: three {@code ringbus serve}
 * processes on loopback answer requests, keep answering with a majority after one is killed
 * (SIGKILL), and take the killed one back when it restarts on the same ports. io_uring runs where
 * the kernel allows it and is skipped elsewhere. Waits are condition waits with deadlines.
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

    private final ServeProcess[] nodes = new ServeProcess[NODES];
    private String backend;
    private int[] clientPorts;
    private int[] replicaPorts;

    @AfterEach
    void stopEverything() throws InterruptedException
    {
        for (final ServeProcess node : nodes)
        {
            if (node != null)
            {
                node.process.destroyForcibly();
            }
        }
        for (final ServeProcess node : nodes)
        {
            if (node != null)
            {
                node.process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private ServeProcess start(final int id) throws IOException
    {
        final StringBuilder replicas = new StringBuilder();
        for (int i = 0; i < NODES; i++)
        {
            replicas.append(i == 0 ? "" : ",").append(i).append("=127.0.0.1:").append(replicaPorts[i]);
        }
        final ServeProcess node = ServeProcess.start(logs, "node-" + id, List.of(), List.of(
            "--tcp", "127.0.0.1:" + clientPorts[id],
            "--replica-id", Integer.toString(id),
            "--replicas", replicas.toString(),
            "--shards", "1",
            "--backend", backend,
            "--close-grace", "500"));
        nodes[id] = node;
        return node;
    }

    private void awaitReady(final int id) throws InterruptedException, IOException
    {
        final ServeProcess node = nodes[id];
        node.awaitLine("ready", STARTUP);
        assertEquals("backend " + backend, node.seen.get(0), node.seen.toString());
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
            nodes[id].stderrText());
    }

    @ParameterizedTest(name = "backend {0}")
    @ValueSource(strings = {"nio", "io_uring"})
    void threeServeProcessesSurviveAKilledNodeAndTakeItBack(final String backend) throws Exception
    {
        assumeTrue(!"io_uring".equals(backend) || IoUring.isAvailable(),
            () -> "io_uring is not available here: " + IoUring.unavailabilityCause());
        this.backend = backend;
        final int[] ports = ServeProcess.freePorts(2 * NODES);
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

        // SIGTERM stops a node gracefully (it closes the bus within close_grace) and it exits 0.
        // kill(1), not Process.destroy(): destroy() closes our end of its stdout, and "stopped" is there.
        final Process stopped = nodes[1].process;
        final Process kill = new ProcessBuilder("kill", "-TERM", Long.toString(stopped.pid())).inheritIO().start();
        assertTrue(kill.waitFor(30, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -TERM failed");
        nodes[1].awaitLine("stopped", STARTUP);
        assertTrue(stopped.waitFor(30, TimeUnit.SECONDS), "node 1 did not exit after SIGTERM");
        assertEquals(0, stopped.exitValue(), "a graceful stop on SIGTERM is a success (issue 17)");
    }
}
