package io.ringbus.cli;

import io.ringbus.core.client.BusClient;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.tls.SelfSignedCertificate;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code ringbus demo [--duration-ms N] [--json]}: starts a three-replica echo cluster in this process
 * (replicas 0, 1, 2 on 127.0.0.1), a client listener per transport on every node, drives load
 * through each available transport in turn (connections spread over the three nodes, so each
 * node is primary for some requests) and prints one table of throughput and latency per
 * transport. The tls, wss and quic listeners present a self-signed certificate generated for the
 * run (kept in memory), which the demo's clients trust; the replicas authenticate each other with a
 * cluster key generated for the run (kept in memory too). Transports this build lacks are listed as
 * "not available in this build". The whole run takes about the duration (default 10 s); a transport's
 * run of 2 s or more prints a progress line per second ({@link LoadReport}). With {@code --json} the
 * table is replaced by JSON lines on stdout: one {@code "type":"result"} object per row (with
 * {@code "available":false} and a {@code reason} for a transport the build lacks). Runs on the
 * calling thread.
 */
public final class DemoCommand
{
    /** The usage text of {@code ringbus demo}. */
    public static final String USAGE = String.join("\n",
        "usage: ringbus demo [--duration-ms N] [--json]",
        "  Starts a three-replica cluster in this process, drives load through every transport and",
        "  prints a table of throughput and latency per transport. --duration-ms is the whole run",
        "  (default 10000, at least 2000), shared by the transports; one that runs 2 s or more prints",
        "  a progress line on stderr per second. --json prints JSON objects on stdout instead, one per",
        "  line: a {\"type\":\"progress\",...} per second and a {\"type\":\"result\",...} per transport",
        "  with the fields of 'ringbus load --json' and backend, replicas and available (false, with a",
        "  reason, for a transport this build lacks).",
        CliLogging.USAGE);

    /** Replicas in the demo cluster. */
    public static final int REPLICAS = 3;
    /** Body bytes of every demo request. */
    public static final int SIZE = 128;
    /** Client connections per node and transport. */
    public static final int CONNECTIONS_PER_NODE = 1;
    /** Requests in flight per connection. */
    public static final int WINDOW = 16;
    /** Text of a transport this build has no implementation of. */
    public static final String NOT_AVAILABLE = "not available in this build";

    private static final long DEFAULT_DURATION_MS = 10_000;
    private static final Duration CLOSE_GRACE = Duration.ofMillis(500);
    private static final Duration CLUSTER_TIMEOUT = Duration.ofSeconds(10);
    /** Time kept back from the load for closing the cluster. */
    private static final Duration CLOSE_RESERVE = Duration.ofMillis(300);
    private static final Duration MIN_LOAD = Duration.ofMillis(500);
    private static final Duration WARM_UP_TIMEOUT = Duration.ofSeconds(5);

    private DemoCommand()
    {
    }

    /** Run the demo; returns the exit code. */
    public static int run(final List<String> args, final PrintStream out, final PrintStream err) throws UsageException
    {
        final Flags flags = Flags.parse("demo", args, Set.of("duration-ms", "json"), Set.of("json"), Set.of(), false);
        final long durationMs = flags.longValue("duration-ms", DEFAULT_DURATION_MS, 2_000, 3_600_000);
        final boolean json = flags.has("json");
        final long startNs = System.nanoTime();
        final long endNs = startNs + TimeUnit.MILLISECONDS.toNanos(durationMs);
        // The nodes' INFO lines are kept off stderr by the demo's default --log-level warn (CliLogging).

        final Map<String, String> unavailable = new LinkedHashMap<>();
        final Map<String, LoadResult> results = new LinkedHashMap<>();
        final Map<String, LoadGenerator.Settings> settingsOf = new LinkedHashMap<>();
        final List<EchoNode> nodes = new ArrayList<>();
        boolean failed = false;
        String backend = "?";
        try
        {
            final SortedMap<Integer, InetSocketAddress> replicas = freeReplicaAddresses(REPLICAS);
            final int shards = Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors() / 2));
            // One certificate for the run: every node presents it, every client trusts it (and checks 127.0.0.1).
            final SelfSignedCertificate certificate = SelfSignedCertificate.generate();
            final Object server = certificate.serverSettings().build();
            final Object client = certificate.clientSettings().build();
            final Map<String, Object> serverSettings = Map.of("tls", server, "wss", server, "quic", server);
            final Map<String, Object> clientSettings = Map.of("tls", client, "wss", client, "quic", client);
            // One fresh cluster key for the run, in memory only: the demo's replicas authenticate each other.
            final byte[] clusterKey = new byte[KeygenCommand.KEY_BYTES];
            new SecureRandom().nextBytes(clusterKey);
            for (int i = 0; i < REPLICAS; i++)
            {
                final BusConfig config = ServeOptions.replica(i, replicas, shards, CLOSE_GRACE, Backend.AUTO)
                    .config(serverSettings).toBuilder().clusterKey(clusterKey).build();
                nodes.add(EchoNode.start(config));
            }
            backend = nodes.get(0).bus().backendName();
            final Map<String, List<URI>> targets = listenEverywhere(nodes, unavailable);
            if (!awaitCluster(nodes, System.nanoTime() + CLUSTER_TIMEOUT.toNanos()))
            {
                err.println("ringbus demo: the three replicas did not connect within " +
                    CLUSTER_TIMEOUT.toSeconds() + " s");
                return Main.EXIT_FAILURE;
            }
            warmUp(targets, clientSettings);
            int left = targets.size();
            for (final Map.Entry<String, List<URI>> entry : targets.entrySet())
            {
                final long budgetNs = (endNs - System.nanoTime() - CLOSE_RESERVE.toNanos()) / left--;
                final Duration duration = Duration.ofNanos(Math.max(MIN_LOAD.toNanos(), budgetNs));
                try
                {
                    final LoadGenerator.Settings settings = new LoadGenerator.Settings(entry.getValue(),
                        CONNECTIONS_PER_NODE * REPLICAS, WINDOW, SIZE, duration, LoadCommand.warmupOf(duration), 0, 0,
                        clientSettings);
                    final LoadResult result = LoadGenerator.run(settings, LoadReport.progress(duration, json,
                        "ringbus demo: " + entry.getKey() + " ", entry.getKey(), out, err));
                    results.put(entry.getKey(), result);
                    settingsOf.put(entry.getKey(), settings);
                    failed |= result.messages() == 0 || result.errors() > 0;
                }
                catch (final TransportUnavailableException ex)
                {
                    unavailable.put(entry.getKey(), "client " + NOT_AVAILABLE);
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            err.println("ringbus demo: " + ex);
            return Main.EXIT_FAILURE;
        }
        finally
        {
            for (final EchoNode node : nodes)
            {
                node.close();
            }
        }
        // With --json stdout carries JSON only: the human line goes to stderr.
        (json ? err : out).println("ringbus demo: " + REPLICAS + " replicas on 127.0.0.1 (backend " + backend +
            "), replicated echo of " + SIZE +
            "-byte bodies, " + CONNECTIONS_PER_NODE * REPLICAS + " connections x window " + WINDOW +
            " per transport, " + String.format(Locale.ROOT, "%.1f", (System.nanoTime() - startNs) / 1e9) + " s");
        if (json)
        {
            for (final String line : jsonRows(backend, settingsOf, results, unavailable))
            {
                out.println(line);
            }
        }
        else
        {
            out.print(table(results, unavailable));
        }
        (json ? err : out).flush();
        out.flush();
        return failed ? Main.EXIT_FAILURE : Main.EXIT_OK;
    }

    /** Addresses on 127.0.0.1 with ports free a moment ago (replicas need known addresses). */
    static SortedMap<Integer, InetSocketAddress> freeReplicaAddresses(final int count) throws IOException
    {
        final InetAddress loopback = InetAddress.getLoopbackAddress();
        final List<ServerSocket> sockets = new ArrayList<>();
        final SortedMap<Integer, InetSocketAddress> addresses = new TreeMap<>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                final ServerSocket socket = new ServerSocket(0, 1, loopback);
                sockets.add(socket);
                addresses.put(i, new InetSocketAddress(loopback.getHostAddress(), socket.getLocalPort()));
            }
        }
        finally
        {
            for (final ServerSocket socket : sockets)
            {
                socket.close();
            }
        }
        return addresses;
    }

    private static Map<String, List<URI>> listenEverywhere(final List<EchoNode> nodes,
        final Map<String, String> unavailable)
    {
        final Map<String, List<URI>> targets = new LinkedHashMap<>();
        for (final String scheme : ServeOptions.TRANSPORTS)
        {
            final List<URI> uris = new ArrayList<>();
            try
            {
                for (final EchoNode node : nodes)
                {
                    final InetSocketAddress bound = node.listen(URI.create(scheme + "://127.0.0.1:0"));
                    uris.add(URI.create(scheme + "://" + Flags.format(bound)));
                }
                targets.put(scheme, uris);
            }
            catch (final TransportUnavailableException ex)
            {
                unavailable.put(scheme, NOT_AVAILABLE);
            }
        }
        return targets;
    }

    /**
     * One connection and one request per listener before the timed runs, so that no run pays for
     * a cold code path (the first TLS handshakes of a JVM take a good part of a second). Failures
     * are left for the runs to report.
     */
    private static void warmUp(final Map<String, List<URI>> targets, final Map<String, Object> clientSettings)
    {
        for (final List<URI> uris : targets.values())
        {
            for (final URI uri : uris)
            {
                try (BusClient client = LoadGenerator.connect(uri, 0, 0, clientSettings))
                {
                    client.requestAsync(LoadGenerator.OPERATION, new byte[SIZE]).get(WARM_UP_TIMEOUT.toMillis(),
                        TimeUnit.MILLISECONDS);
                }
                catch (final IOException | TransportUnavailableException | ExecutionException | TimeoutException ex)
                {
                    // the timed run meets the same problem and reports it
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static boolean awaitCluster(final List<EchoNode> nodes, final long deadlineNs)
    {
        while (System.nanoTime() < deadlineNs)
        {
            boolean connected = true;
            for (int i = 0; i < nodes.size(); i++)
            {
                for (int j = 0; j < nodes.size(); j++)
                {
                    connected &= i == j || nodes.get(i).bus().isReplicaConnected(j);
                }
            }
            if (connected)
            {
                return true;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        return false;
    }

    /** The result table, one row per transport in {@link ServeOptions#TRANSPORTS} order. */
    static String table(final Map<String, LoadResult> results, final Map<String, String> unavailable)
    {
        final List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"transport", "messages/s", "MB/s", "p50 µs", "p99 µs", "p99.9 µs", "max µs"});
        for (final String scheme : ServeOptions.TRANSPORTS)
        {
            final LoadResult result = results.get(scheme);
            if (result != null)
            {
                rows.add(new String[] {scheme, format("%.0f", result.messagesPerSecond()),
                    format("%.2f", result.megabytesPerSecond()), format("%.1f", result.percentileMicros(50)),
                    format("%.1f", result.percentileMicros(99)), format("%.1f", result.percentileMicros(99.9)),
                    format("%.1f", result.maxMicros())});
            }
            else if (unavailable.containsKey(scheme))
            {
                rows.add(new String[] {scheme, unavailable.get(scheme), "-", "-", "-", "-", "-"});
            }
        }
        final int[] widths = new int[rows.get(0).length];
        for (final String[] row : rows)
        {
            for (int i = 0; i < row.length; i++)
            {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        final StringBuilder text = new StringBuilder();
        for (int r = 0; r < rows.size(); r++)
        {
            appendRow(text, rows.get(r), widths);
            if (r == 0)
            {
                final String[] rule = new String[widths.length];
                for (int i = 0; i < widths.length; i++)
                {
                    rule[i] = "-".repeat(Math.max(0, widths[i] - 1)) + (i == 0 ? "-" : ":");
                }
                appendRow(text, rule, widths);
            }
        }
        return text.toString();
    }

    /**
     * The rows of the table as JSON objects, in {@link ServeOptions#TRANSPORTS} order: a measured
     * transport with the fields of {@link LoadReport#result}, one this build lacks with
     * {@code "available":false} and its {@code reason}.
     */
    static List<String> jsonRows(final String backend, final Map<String, LoadGenerator.Settings> settings,
        final Map<String, LoadResult> results, final Map<String, String> unavailable)
    {
        final List<String> rows = new ArrayList<>();
        for (final String scheme : ServeOptions.TRANSPORTS)
        {
            final LoadResult result = results.get(scheme);
            final JsonLine row = new JsonLine().put("type", "result").put("transport", scheme);
            if (result != null)
            {
                row.put("available", true).put("backend", backend).put("replicas", REPLICAS);
                rows.add(LoadReport.result(row, settings.get(scheme), result).toString());
            }
            else if (unavailable.containsKey(scheme))
            {
                rows.add(row.put("available", false).put("reason", unavailable.get(scheme)).toString());
            }
        }
        return rows;
    }

    private static void appendRow(final StringBuilder text, final String[] cells, final int[] widths)
    {
        text.append('|');
        for (int i = 0; i < cells.length; i++)
        {
            final String pad = " ".repeat(widths[i] - cells[i].length());
            text.append(' ').append(i == 0 ? cells[i] + pad : pad + cells[i]).append(" |");
        }
        text.append('\n');
    }

    private static String format(final String pattern, final double value)
    {
        return String.format(Locale.ROOT, pattern, value);
    }
}
