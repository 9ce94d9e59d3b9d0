package io.ringbus.cli;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.client.Reply;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import io.ringbus.core.replica.ReplicaPlane;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 13 point 1 from the command line: {@code ringbus keygen} writes an owner-only key and never
 * overwrites; {@code ringbus serve --cluster-key} refuses a missing, too open or too short key file
 * (exit 2); three {@code serve} processes sharing a key form a cluster that a node with another key
 * cannot join; a keyless stranger cannot stand in for a replica of a keyed cluster; the demo's
 * replicas authenticate each other.
 */
class ClusterKeyTest
{
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final Duration REPLY = Duration.ofSeconds(45);
    private static final Duration ATTEMPT = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    private final List<ServeProcess> processes = new ArrayList<>();
    private final List<EchoNode> nodes = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void stopEverything() throws Exception
    {
        for (final AutoCloseable closeable : closeables)
        {
            closeable.close();
        }
        for (final EchoNode node : nodes)
        {
            node.close();
        }
        for (final ServeProcess process : processes)
        {
            process.kill();
        }
    }

    @Test
    void keygenWritesAnOwnerOnlyHexKeyAndRefusesToOverwrite() throws Exception
    {
        final Path key = dir.resolve("cluster.key");
        final ServeProcess first = command("keygen", List.of(key.toString()));
        assertEquals(Main.EXIT_OK, first.awaitExit(STARTUP), first.describe());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        final String text = Files.readString(key, StandardCharsets.US_ASCII);
        assertTrue(text.matches("[0-9a-f]{64}\n"), "one line of 64 hex digits: " + text.length() + " chars");
        assertEquals(32, KeygenCommand.read("--cluster-key", key).length);

        final ServeProcess second = command("keygen", List.of(key.toString()));
        assertEquals(Main.EXIT_USAGE, second.awaitExit(STARTUP), second.describe());
        assertTrue(second.stderrText().contains("refusing to overwrite"), second.describe());
        assertEquals(text, Files.readString(key, StandardCharsets.US_ASCII), "the existing key is untouched");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));

        final Path other = dir.resolve("other.key");
        final ServeProcess third = command("keygen", List.of(other.toString()));
        assertEquals(Main.EXIT_OK, third.awaitExit(STARTUP), third.describe());
        assertFalse(text.equals(Files.readString(other, StandardCharsets.US_ASCII)), "each key is new");
    }

    @Test
    void serveRefusesAMissingTooOpenOrTooShortKeyWithExitCode2() throws Exception
    {
        final Path missing = dir.resolve("missing.key");
        final ServeProcess process = serve("missing", missing, 0, new int[] {1}, 0);
        assertEquals(Main.EXIT_USAGE, process.awaitExit(STARTUP), process.describe());
        assertTrue(process.stderrText().contains("--cluster-key = " + missing + ": no such file"), process.describe());

        final Path open = dir.resolve("open.key");
        assertEquals(Main.EXIT_OK, runInProcess("keygen", open.toString()));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        assertRefused(open, "permissions rw-r--r-- are too open");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw--w----"));
        assertRefused(open, "permissions rw--w---- are too open");

        final Path shortKey = dir.resolve("short.key");
        Files.writeString(shortKey, HexFormat.of().formatHex(new byte[16]) + "\n");
        Files.setPosixFilePermissions(shortKey, PosixFilePermissions.fromString("rw-------"));
        assertRefused(shortKey, "the key is too short: 16 bytes, at least 32");

        // Raw bytes are a key too.
        final Path raw = dir.resolve("raw.key");
        Files.write(raw, new byte[] {(byte)0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
            20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32});
        Files.setPosixFilePermissions(raw, PosixFilePermissions.fromString("rw-------"));
        assertEquals(33, ServeOptions.parse(List.of("--replica-id", "0", "--replicas", "0=127.0.0.1:1,1=127.0.0.1:2",
            "--cluster-key", raw.toString())).config().clusterKey().length);
    }

    private void assertRefused(final Path key, final String expected) throws Exception
    {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Main.run(new String[] {"serve", "--replica-id", "0", "--replicas",
            "0=127.0.0.1:1,1=127.0.0.1:2", "--cluster-key", key.toString()},
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        final String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(Main.EXIT_USAGE, code, text);
        assertTrue(text.contains("--cluster-key = " + key + ": " + expected), text);
    }

    @Test
    void threeServeProcessesWithOneKeyFormAClusterThatANodeWithAnotherKeyCannotJoin() throws Exception
    {
        final Path key = dir.resolve("cluster.key");
        final Path otherKey = dir.resolve("other.key");
        assertEquals(Main.EXIT_OK, runInProcess("keygen", key.toString()));
        assertEquals(Main.EXIT_OK, runInProcess("keygen", otherKey.toString()));
        final int[] ports = ServeProcess.freePorts(6);
        final int[] clientPorts = {ports[0], ports[1], ports[2]};
        final int[] replicaPorts = {ports[3], ports[4], ports[5]};

        final ServeProcess node0 = serve("node-0", key, 0, replicaPorts, clientPorts[0]);
        final ServeProcess node1 = serve("node-1", key, 1, replicaPorts, clientPorts[1]);
        final ServeProcess stranger = serve("node-2-other-key", otherKey, 2, replicaPorts, clientPorts[2]);
        for (final ServeProcess process : List.of(node0, node1, stranger))
        {
            process.awaitLine("ready", STARTUP);
        }
        assertEchoes(node0, clientPorts[0], "0 and 1 are a majority");
        assertEchoes(node1, clientPorts[1], "via 1");
        // 0 and 1 dial 2, which cannot prove the key: both refuse it, and it never becomes their replica.
        awaitStderr(node0, "replica handshake refused (as dialer)");
        awaitStderr(node1, "replica handshake refused (as dialer)");
        assertFalse(stranger.stderrText().contains("replica 0 connected"), stranger.describe());
        assertFalse(node0.stderrText().contains("replica 2 connected"), node0.describe());

        // Node 2 with the cluster's key joins.
        stranger.kill();
        final ServeProcess node2 = serve("node-2", key, 2, replicaPorts, clientPorts[2]);
        node2.awaitLine("ready", STARTUP);
        awaitStderr(node2, "replica 0 connected");
        awaitStderr(node2, "replica 1 connected");
        assertEchoes(node2, clientPorts[2], "all three hold the key, via 2");
        assertFalse(node2.stderrText().contains("replica plane is unauthenticated"), node2.describe());
    }

    @Test
    void aKeylessStrangerCannotStandInForAReplicaOfAKeyedCluster() throws Exception
    {
        // Replicas 0 and 1 are down; replica 2 runs alone, with the cluster key.
        final SortedMap<Integer, InetSocketAddress> replicas = new TreeMap<>();
        final int[] ports = ServeProcess.freePorts(3);
        for (int i = 0; i < 3; i++)
        {
            replicas.put(i, new InetSocketAddress("127.0.0.1", ports[i]));
        }
        final byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        final BusConfig config = ServeOptions.replica(2, replicas, 1, Duration.ofMillis(500), Backend.AUTO).config()
            .toBuilder().clusterKey(key).handshakeGrace(Duration.ofSeconds(2)).build();
        final EchoNode node = EchoNode.start(config);
        nodes.add(node);
        final InetSocketAddress bound = node.listen(URI.create("tcp://127.0.0.1:0"));
        final BusClient client = BusClient.connect(URI.create("tcp://" + Flags.format(bound)), ClientOptions.defaults());
        closeables.add(client);
        final CompletableFuture<Reply> reply = client.requestAsync(1, "needs a majority".getBytes(StandardCharsets.UTF_8));

        // The stranger claims replica 1 with today's ping, ready to answer every prepare with prepare_ok.
        final Socket stranger = new Socket(replicas.get(2).getAddress(), replicas.get(2).getPort());
        closeables.add(stranger);
        stranger.getOutputStream().write(ping(1));
        assertEquals(0, drain(stranger), "refused without being sent a single prepare");
        final MessageBus bus = node.bus();
        Await.until("the refusal counted", REPLY, () -> bus.replicaHandshakesRefused() == 1);
        assertFalse(bus.isReplicaConnected(1), "the stranger never became replica 1");
        assertFalse(reply.isDone(), "no reply without a real majority");
    }

    @Test
    void theDemosReplicasAuthenticateEachOther()
    {
        final Logger logger = Logger.getLogger(MessageBus.class.getName());
        final List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        final Handler handler = new Handler()
        {
            @Override
            public void publish(final LogRecord record)
            {
                warnings.add(String.valueOf(record.getMessage()));
            }

            @Override
            public void flush()
            {
            }

            @Override
            public void close()
            {
            }
        };
        logger.addHandler(handler);
        try
        {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final int code = Main.run(new String[] {"demo", "--duration-ms", "2000"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(),
                    true, StandardCharsets.UTF_8));
            assertEquals(Main.EXIT_OK, code, out.toString(StandardCharsets.UTF_8));
        }
        finally
        {
            logger.removeHandler(handler);
        }
        assertFalse(warnings.contains(ReplicaPlane.UNAUTHENTICATED_WARNING), warnings.toString());
    }

    private ServeProcess command(final String name, final List<String> args) throws IOException
    {
        final ServeProcess process = ServeProcess.startCommand(dir, name, List.of(), name, args);
        processes.add(process);
        return process;
    }

    private ServeProcess serve(final String name, final Path key, final int id, final int[] replicaPorts,
        final int clientPort) throws IOException
    {
        final StringBuilder replicas = new StringBuilder();
        for (int i = 0; i < replicaPorts.length; i++)
        {
            replicas.append(i == 0 ? "" : ",").append(i).append("=127.0.0.1:").append(replicaPorts[i]);
        }
        final ServeProcess process = ServeProcess.start(dir, name, List.of(), List.of(
            "--tcp", "127.0.0.1:" + clientPort,
            "--replica-id", Integer.toString(id),
            "--replicas", replicas.toString(),
            "--shards", "1",
            "--backend", "nio",
            "--close-grace", "500",
            "--cluster-key", key.toString()));
        processes.add(process);
        return process;
    }

    private static int runInProcess(final String... args)
    {
        return Main.run(args, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    private static void awaitStderr(final ServeProcess process, final String text)
    {
        Await.until("'" + text + "' on stderr", STARTUP, () ->
        {
            try
            {
                return process.stderrText().contains(text);
            }
            catch (final IOException ex)
            {
                return false;
            }
        });
    }

    /** Requests to the node until one is answered with its body, within {@link #REPLY}. */
    private static void assertEchoes(final ServeProcess process, final int port, final String text) throws Exception
    {
        final byte[] body = text.getBytes(StandardCharsets.UTF_8);
        final long deadlineNs = System.nanoTime() + REPLY.toNanos();
        Throwable last = null;
        try (BusClient client = BusClient.connect(URI.create("tcp://127.0.0.1:" + port), ClientOptions.defaults()))
        {
            while (System.nanoTime() - deadlineNs < 0 && client.isConnected())
            {
                try
                {
                    final Reply answer = client.requestAsync(1, body).get(ATTEMPT.toMillis(), TimeUnit.MILLISECONDS);
                    assertArrayEquals(body, answer.body());
                    return;
                }
                catch (final TimeoutException | ExecutionException ex)
                {
                    last = ex; // no majority yet: ask again
                }
            }
        }
        fail("no answer within " + REPLY.toSeconds() + " s (last: " + last + "); " + process.describe());
    }

    private static byte[] ping(final int replica)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[FrameHeader.HEADER_SIZE]);
        Frames.header().wrap(buffer, 0).clear().size(FrameHeader.HEADER_SIZE).command(Command.PING).replica(replica);
        Frames.seal(buffer, 0);
        return buffer.byteArray();
    }

    private static int drain(final Socket socket) throws IOException
    {
        socket.setSoTimeout((int)REPLY.toMillis());
        final InputStream in = socket.getInputStream();
        int total = 0;
        try
        {
            for (int read = in.read(); read >= 0; read = in.read())
            {
                total++;
            }
        }
        catch (final SocketException ex)
        {
            // reset: closed
        }
        return total;
    }
}
