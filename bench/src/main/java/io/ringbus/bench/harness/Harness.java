package io.ringbus.bench.harness;

import io.ringbus.core.config.Backend;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The end-to-end harness: for each server in turn (same JVM, one after the other) it measures,
 * with the same {@link LoadClient},
 * <ol>
 *   <li>pipelined throughput with 64-byte bodies over one connection,</li>
 *   <li>round-trip latency percentiles with 64-byte bodies, one request at a time,</li>
 *   <li>bulk throughput with 64 KiB bodies,</li>
 * </ol>
 * and prints a Markdown table of absolute numbers and one table of ratios per baseline server
 * ({@code --baseline a,b}; the first server listed by default). Each server says whether it speaks
 * TLS ({@link EchoServer#clientTls()}) and WebSocket ({@link EchoServer#clientFraming()}) and the
 * load client follows it, so that plain, TLS, WebSocket and QUIC servers can share a run. A warm-up round over all the servers comes first; each throughput test then
 * follows a warm-up of its own and is split into several runs, reported as their median with their
 * spread, because loopback numbers on a small machine vary from second to second. With
 * {@code --rounds R} the whole measurement is repeated R times, servers interleaved (each round
 * starts one server later), so that a burst of load from elsewhere on a shared machine hits every
 * server rather than one; the tables then give the median over all rounds' runs, and latency
 * percentiles as the median of the rounds' percentiles.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar io.ringbus.bench.harness.Harness \
 *     [--duration-ms N] [--warmup-ms N] [--round-warmup-ms N] [--runs N] [--rounds R]
 *     [--group plain|uring|tls|ws|wss|quic|serve] [--servers a,b,c] [--baseline a,b]
 * </pre>
 *
 * <p>{@code --group} picks a preset comparison ({@link #GROUPS}): its servers and its baselines,
 * each overridden by an explicit {@code --servers} or {@code --baseline}.
 *
 * <p>Runs on the main thread; {@link #SERVERS} is meant to be extended before {@link #main} runs
 * or in its static initialiser.
 */
public final class Harness
{
    /**
     * Every server the harness knows, by name, in the default order (the first is the default
     * baseline). Public and mutable so that another module can register a server; the map's key
     * must equal the server's {@link EchoServer#name()}.
     */
    public static final Map<String, Supplier<EchoServer>> SERVERS = new LinkedHashMap<>();

    static
    {
        SERVERS.put("netty-epoll", () -> new NettyEchoServer(NettyEchoServer.Transport.EPOLL));
        SERVERS.put("netty-nio", () -> new NettyEchoServer(NettyEchoServer.Transport.NIO));
        SERVERS.put("netty-uring", () -> new NettyEchoServer(NettyEchoServer.Transport.IO_URING));
        SERVERS.put("blocking", BlockingEchoServer::new);
        // ringbus server registered here: one shard, as each Netty peer has one event loop thread.
        SERVERS.put("ringbus-nio", () -> new RingbusEchoServer(Backend.NIO, 1));
        SERVERS.put("ringbus-uring", () -> new RingbusEchoServer(Backend.IO_URING, 1));
        // TLS 1.3 on the JDK provider, both sides (see BenchTls).
        SERVERS.put("ringbus-tls", () -> new RingbusEchoServer(Backend.NIO, 1, true));
        SERVERS.put("ringbus-tls-uring", () -> new RingbusEchoServer(Backend.IO_URING, 1, true));
        SERVERS.put("netty-tls", () -> new NettyEchoServer(NettyEchoServer.Transport.NIO, 1, true));
        // WebSocket (issue 7): one frame per binary message; wss on the same JDK TLS 1.3 as above.
        SERVERS.put("ringbus-ws", () -> new RingbusEchoServer(Backend.NIO, 1, RingbusEchoServer.Scheme.WS));
        SERVERS.put("netty-ws", () -> new NettyWebSocketEchoServer(false));
        SERVERS.put("java-websocket", () -> new JavaWebSocketEchoServer(false));
        SERVERS.put("ringbus-wss", () -> new RingbusEchoServer(Backend.NIO, 1, RingbusEchoServer.Scheme.WSS));
        SERVERS.put("netty-wss", () -> new NettyWebSocketEchoServer(true));
        SERVERS.put("java-websocket-wss", () -> new JavaWebSocketEchoServer(true));
        // QUIC (issue 6): one client-opened bidirectional stream, ALPN ringbus; one Netty QUIC
        // (quiche) load client for all three, each server on one I/O thread.
        SERVERS.put("ringbus-quic", () -> new RingbusEchoServer(Backend.NIO, 1, RingbusEchoServer.Scheme.QUIC));
        SERVERS.put("netty-quic", NettyQuicEchoServer::new);
        SERVERS.put("kwik-quic", KwikQuicEchoServer::new);
        // ringbus serve with one node (issue 11): the bare bus above plus serve's state machine
        // (dedup claim, cached reply), same shard count and backend as ringbus-nio.
        SERVERS.put(ServeEchoServer.NAME, ServeEchoServer::new);
    }

    /** A preset comparison: the servers measured and the baselines their ratio tables are against. */
    record Group(List<String> servers, List<String> baselines)
    {
    }

    /**
     * The comparisons RESULTS.md reports: plain Ringbus against the conventional peers (issue 3),
     * io_uring against NIO and Netty's own io_uring channels (issue 5), TLS against Netty's
     * SslHandler on the same provider and against plain tcp (issue 4), ws and wss against Netty's
     * WebSocket codec and Java-WebSocket (issue 7), quic against Netty's QUIC codec (quiche) and
     * Kwik (issue 6), ringbus serve with one node against the bare bus with an echo handler (issue 11).
     */
    public static final Map<String, Group> GROUPS = new LinkedHashMap<>();

    static
    {
        GROUPS.put("plain", new Group(
            List.of("ringbus-nio", "netty-nio", "netty-epoll", "blocking"),
            List.of("netty-nio", "netty-epoll", "blocking")));
        GROUPS.put("uring", new Group(
            List.of("ringbus-uring", "ringbus-nio", "netty-uring", "netty-epoll"),
            List.of("ringbus-nio", "netty-uring")));
        GROUPS.put("tls", new Group(
            List.of("ringbus-tls", "netty-tls", "ringbus-nio", "ringbus-tls-uring"),
            List.of("netty-tls", "ringbus-nio")));
        GROUPS.put("ws", new Group(
            List.of("ringbus-ws", "netty-ws", "java-websocket"),
            List.of("netty-ws", "java-websocket")));
        GROUPS.put("wss", new Group(
            List.of("ringbus-wss", "netty-wss", "java-websocket-wss"),
            List.of("netty-wss", "java-websocket-wss")));
        GROUPS.put("quic", new Group(
            List.of("ringbus-quic", "netty-quic", "kwik-quic"),
            List.of("netty-quic", "kwik-quic")));
        GROUPS.put("serve", new Group(
            List.of(ServeEchoServer.NAME, "ringbus-nio"),
            List.of("ringbus-nio")));
    }

    /** Default length of each measured test. */
    public static final long DEFAULT_DURATION_MS = 3_000;
    /** Default warm-up before each throughput test (the latency test warms up by count). */
    public static final long DEFAULT_WARMUP_MS = 1_000;
    /**
     * Default load per server in the warm-up round that precedes all measurements. Netty's paths
     * take many seconds of load to be compiled on a 2-core machine; without this round the first
     * server measured pays for the JIT and the client's own warm-up.
     */
    public static final long DEFAULT_ROUND_WARMUP_MS = 4_000;
    /** Default number of runs a throughput test's duration is split into. */
    public static final int DEFAULT_RUNS = 5;
    /** Most runs a throughput test may be split into. */
    public static final int MAX_RUNS = 100;
    /** Most rounds a measurement may be repeated. */
    public static final int MAX_ROUNDS = 20;
    /** Unrecorded round trips before the latency test records. */
    public static final int LATENCY_WARMUP = 10_000;
    /** Most round trips the latency test records (it also stops when its duration is up). */
    public static final int LATENCY_MAX_COUNT = 1_000_000;

    /** The JDK package Agrona reaches on Java 17 (the parent pom's {@code agrona.jvm.flags}). */
    private static final String AGRONA_PACKAGE = "jdk.internal.misc";
    private static final String AGRONA_EXPORTS = "java.base/" + AGRONA_PACKAGE + "=ALL-UNNAMED";
    /** Set on a relaunch to the command line the user typed, for the report. */
    private static final String COMMAND_LINE_PROPERTY = "ringbus.harness.commandLine";

    private static final String USAGE =
        "usage: java -cp bench/target/benchmarks.jar io.ringbus.bench.harness.Harness" +
        " [--duration-ms N] [--warmup-ms N] [--round-warmup-ms N] [--runs N] [--rounds R]" +
        " [--group plain|uring|tls|ws|wss|quic|serve] [--servers a,b,c] [--baseline a,b]%n" +
        "  servers: %s%n";

    private Harness()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        if (!Object.class.getModule().isExported(AGRONA_PACKAGE, Harness.class.getModule()))
        {
            System.exit(relaunchWithExports(args));
            return;
        }
        long durationMs = DEFAULT_DURATION_MS;
        long warmupMs = DEFAULT_WARMUP_MS;
        long roundWarmupMs = DEFAULT_ROUND_WARMUP_MS;
        int runs = DEFAULT_RUNS;
        int rounds = 1;
        List<String> names = null;
        List<String> baselines = null;
        Group group = null;
        for (int i = 0; i < args.length; i++)
        {
            final String arg = args[i];
            if ("--help".equals(arg) || "-h".equals(arg))
            {
                System.out.printf(USAGE, String.join(",", SERVERS.keySet()));
                return;
            }
            if (i + 1 >= args.length)
            {
                usageError("missing value after " + arg);
                return;
            }
            final String value = args[++i];
            switch (arg)
            {
                case "--duration-ms" -> durationMs = parsePositive(arg, value);
                case "--warmup-ms" -> warmupMs = parseNonNegative(arg, value);
                case "--round-warmup-ms" -> roundWarmupMs = parseNonNegative(arg, value);
                case "--runs" -> runs = (int)Math.min(MAX_RUNS, parsePositive(arg, value));
                case "--rounds" -> rounds = (int)Math.min(MAX_ROUNDS, parsePositive(arg, value));
                case "--servers" -> names = List.of(value.split(","));
                case "--baseline" -> baselines = List.of(value.split(","));
                case "--group" ->
                {
                    group = GROUPS.get(value);
                    if (group == null)
                    {
                        usageError("unknown group " + value + " (" + String.join(", ", GROUPS.keySet()) + ")");
                        return;
                    }
                }
                default ->
                {
                    usageError("unknown option " + arg);
                    return;
                }
            }
        }
        if (names == null)
        {
            names = group != null ? group.servers() : new ArrayList<>(SERVERS.keySet());
        }
        if (baselines == null)
        {
            baselines = group != null ? group.baselines() : List.of(names.get(0));
        }
        for (final String name : names)
        {
            if (!SERVERS.containsKey(name))
            {
                usageError("unknown server " + name);
                return;
            }
        }
        for (final String baseline : baselines)
        {
            if (!names.contains(baseline))
            {
                usageError("baseline " + baseline + " is not among the servers measured");
                return;
            }
        }

        final Settings settings = new Settings(
            Duration.ofMillis(durationMs), Duration.ofMillis(warmupMs), Duration.ofMillis(roundWarmupMs), runs, rounds);
        if (!settings.roundWarmup().isZero())
        {
            for (final String name : names)
            {
                warmUp(name, SERVERS.get(name), settings.roundWarmup());
            }
        }
        final Map<String, List<Row>> measured = new LinkedHashMap<>();
        for (final String name : names)
        {
            measured.put(name, new ArrayList<>());
        }
        for (int round = 0; round < settings.rounds(); round++)
        {
            for (int i = 0; i < names.size(); i++)
            {
                final String name = names.get((i + round) % names.size());
                if (settings.rounds() > 1 && i == 0)
                {
                    System.err.println("-- round " + (round + 1) + " of " + settings.rounds());
                }
                measured.get(name).add(measure(name, SERVERS.get(name), settings));
            }
        }
        final List<Row> rows = new ArrayList<>();
        for (final String name : names)
        {
            rows.add(Row.combine(measured.get(name)));
        }
        printReport(System.out, rows, settings, baselines);
    }

    /**
     * How long each test runs.
     *
     * @param duration    length of each measured test (a throughput test splits it into {@code runs}).
     * @param warmup      unmeasured load before each throughput test.
     * @param roundWarmup unmeasured load per server in the round before all measurements.
     * @param runs        runs each throughput test is split into; the table gives their median.
     * @param rounds      times the whole measurement is repeated, servers interleaved.
     */
    record Settings(Duration duration, Duration warmup, Duration roundWarmup, int runs, int rounds)
    {
        /** One round. */
        Settings(final Duration duration, final Duration warmup, final Duration roundWarmup, final int runs)
        {
            this(duration, warmup, roundWarmup, runs, 1);
        }

        Duration runDuration()
        {
            return duration.dividedBy(runs);
        }
    }

    /** The runs of one throughput test, summarised by their median and spread. */
    record Series(List<ThroughputResult> runs)
    {
        double medianMessagesPerSecond()
        {
            return median(runs.stream().mapToDouble(ThroughputResult::messagesPerSecond).sorted().toArray());
        }

        double medianMegabytesPerSecond()
        {
            return median(runs.stream().mapToDouble(ThroughputResult::megabytesPerSecond).sorted().toArray());
        }

        /** (max - min) / median of messages per second, in percent. */
        double spreadPercent()
        {
            final double[] sorted = runs.stream().mapToDouble(ThroughputResult::messagesPerSecond).sorted().toArray();
            final double median = median(sorted);
            return median == 0 ? 0 : 100 * (sorted[sorted.length - 1] - sorted[0]) / median;
        }

        /**
         * Interquartile range / median of messages per second, in percent: the spread of the middle
         * half of the runs, which one disturbed run cannot inflate (quartiles by nearest rank).
         */
        double iqrPercent()
        {
            final double[] sorted = runs.stream().mapToDouble(ThroughputResult::messagesPerSecond).sorted().toArray();
            final double median = median(sorted);
            final int last = sorted.length - 1;
            final double q1 = sorted[(int)Math.round(0.25 * last)];
            final double q3 = sorted[(int)Math.round(0.75 * last)];
            return median == 0 ? 0 : 100 * (q3 - q1) / median;
        }

        private static double median(final double[] sorted)
        {
            final int middle = sorted.length / 2;
            return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        }
    }

    /**
     * One server's results, or why it has none.
     *
     * @param security "tcp", or the TLS protocol and cipher suite the load client negotiated.
     */
    record Row(String server, String security, Series pipelined, LatencyResult latency, Series bulk, String error)
    {
        boolean ok()
        {
            return error == null;
        }

        /**
         * One row from the rounds of one server: all their throughput runs pooled, each latency
         * percentile the median of the rounds'. The first failed round, if any, stands for all.
         */
        static Row combine(final List<Row> rounds)
        {
            for (final Row row : rounds)
            {
                if (!row.ok())
                {
                    return row;
                }
            }
            if (rounds.size() == 1)
            {
                return rounds.get(0);
            }
            final List<ThroughputResult> pipelined = new ArrayList<>();
            final List<ThroughputResult> bulk = new ArrayList<>();
            final List<LatencyResult> latencies = new ArrayList<>();
            for (final Row row : rounds)
            {
                pipelined.addAll(row.pipelined().runs());
                bulk.addAll(row.bulk().runs());
                latencies.add(row.latency());
            }
            final Row first = rounds.get(0);
            return new Row(first.server(), first.security(), new Series(pipelined), LatencyResult.medianOf(latencies),
                new Series(bulk), null);
        }
    }

    /** Warm-up round: half of {@code load} pipelined small messages, half bulk; failures are reported by {@link #measure}. */
    static void warmUp(final String name, final Supplier<EchoServer> supplier, final Duration load)
    {
        System.err.println("== warm-up " + name);
        final EchoServer server = supplier.get();
        try
        {
            final LoadClient client = LoadClient.forServer(server);
            final InetSocketAddress address = server.start();
            client.pipelined(address, LoadClient.SMALL_BODY_SIZE, load.dividedBy(2), LoadClient.SMALL_WINDOW);
            client.bulk(address, load.dividedBy(2));
        }
        catch (final Exception ex)
        {
            System.err.println("   warm-up failed: " + ex);
        }
        finally
        {
            server.close();
        }
    }

    /** Measure one server with a load client that speaks what the server expects (TCP or TLS, stream or WebSocket). */
    static Row measure(final String name, final Supplier<EchoServer> supplier, final Settings settings)
    {
        System.err.println("== " + name);
        final EchoServer server = supplier.get();
        try
        {
            final LoadClient client = LoadClient.forServer(server);
            final InetSocketAddress address = server.start();
            final String security = client.security(address);
            System.err.println("   " + security);
            final Series pipelined = throughput(
                client, address, LoadClient.SMALL_BODY_SIZE, LoadClient.SMALL_WINDOW, settings);
            System.err.printf(Locale.ROOT, "   pipelined 64 B: %,.0f msg/s (spread %.0f%%)%n",
                pipelined.medianMessagesPerSecond(), pipelined.spreadPercent());

            final LatencyResult latency = client.latency(
                address, LoadClient.SMALL_BODY_SIZE, LATENCY_WARMUP, LATENCY_MAX_COUNT, settings.duration());
            System.err.printf(Locale.ROOT, "   latency 64 B: p50 %.1f us, p99 %.1f us (%d samples)%n",
                latency.p50Us(), latency.p99Us(), latency.samples());

            final Series bulk = throughput(
                client, address, LoadClient.BULK_BODY_SIZE, LoadClient.BULK_WINDOW, settings);
            System.err.printf(Locale.ROOT, "   bulk 64 KiB: %,.0f MB/s (spread %.0f%%)%n",
                bulk.medianMegabytesPerSecond(), bulk.spreadPercent());
            return new Row(name, security, pipelined, latency, bulk, null);
        }
        catch (final Exception ex)
        {
            System.err.println("   failed: " + ex);
            return new Row(name, null, null, null, null, ex.toString());
        }
        finally
        {
            server.close();
        }
    }

    private static Series throughput(
        final LoadClient client,
        final InetSocketAddress address,
        final int bodySize,
        final int window,
        final Settings settings)
        throws Exception
    {
        if (!settings.warmup().isZero())
        {
            client.pipelined(address, bodySize, settings.warmup(), window);
        }
        final List<ThroughputResult> runs = new ArrayList<>(settings.runs());
        for (int i = 0; i < settings.runs(); i++)
        {
            runs.add(client.pipelined(address, bodySize, settings.runDuration(), window));
        }
        return new Series(runs);
    }

    /** The report with one ratio table, against the first server that has results. */
    static void printReport(final PrintStream out, final List<Row> rows, final Settings settings)
    {
        final List<String> baselines = new ArrayList<>();
        for (final Row row : rows)
        {
            if (row.ok())
            {
                baselines.add(row.server());
                break;
            }
        }
        printReport(out, rows, settings, baselines);
    }

    /** The absolute table, then one ratio table per server named in {@code baselines}. */
    static void printReport(final PrintStream out, final List<Row> rows, final Settings settings, final List<String> baselines)
    {
        out.println("## Ringbus end-to-end harness");
        out.println();
        out.println("- date: " + ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        out.println("- command: `" + commandLine() + "`");
        out.println("- machine: " + Runtime.getRuntime().availableProcessors() + " cores, Java " +
            System.getProperty("java.runtime.version") + ", " + System.getProperty("os.name") + " " +
            System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        out.println("- client: LoadClient, blocking java.net.Socket with TCP_NODELAY over 127.0.0.1 (an SSLSocket over it," +
            " TLS 1.3, JDK provider, for TLS servers; for ws/wss servers an RFC 6455 upgrade on it, then one" +
            " masked binary message per frame, fresh mask per message; for quic servers a Netty QUIC client (quiche," +
            " BoringSSL, one NIO event-loop thread) on one bidirectional stream, same framing code as over TCP)," +
            " one connection at a time; pipelined window " +
            LoadClient.SMALL_WINDOW + ", bulk window " + LoadClient.BULK_WINDOW);
        for (final Row row : rows)
        {
            if (row.ok() && !"tcp".equals(row.security()))
            {
                out.println("- " + row.server() + " negotiated " + row.security());
            }
        }
        out.println("- warm-up round first: " + settings.roundWarmup().toMillis() + " ms of load per server;" +
            " then each test " + settings.duration().toMillis() + " ms; a throughput test is " + settings.runs() +
            " runs of " + settings.runDuration().toMillis() + " ms after " + settings.warmup().toMillis() +
            " ms of warm-up, reported as the median run, spread = (max - min) / median, IQR = interquartile range / median;" +
            " the latency test records after " + LATENCY_WARMUP + " unrecorded round trips");
        if (settings.rounds() > 1)
        {
            out.println("- " + settings.rounds() + " rounds, servers interleaved: throughput medians, spreads and IQRs" +
                " are over all " + settings.rounds() * settings.runs() + " runs of a server; each latency percentile is" +
                " the median of the rounds' (samples: the rounds' total)");
        }
        out.println("- MB/s counts echoed body bytes (10^6 B/s, one direction); latency is the round trip, in µs");
        out.println();
        out.println("| server | pipelined 64 B msg/s | MB/s | spread | IQR | p50 µs | p90 µs | p99 µs | p99.9 µs |" +
            " max µs | samples | bulk 64 KiB msg/s | MB/s | spread | IQR |");
        out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (final Row row : rows)
        {
            if (!row.ok())
            {
                out.println("| " + row.server() + " | failed: " + row.error().replace('|', '/') +
                    " | | | | | | | | | | | | | |");
                continue;
            }
            final LatencyResult latency = row.latency();
            out.println("| " + row.server() +
                " | " + count(row.pipelined().medianMessagesPerSecond()) +
                " | " + decimal(row.pipelined().medianMegabytesPerSecond()) +
                " | " + percent(row.pipelined().spreadPercent()) +
                " | " + percent(row.pipelined().iqrPercent()) +
                " | " + decimal(latency.p50Us()) +
                " | " + decimal(latency.p90Us()) +
                " | " + decimal(latency.p99Us()) +
                " | " + decimal(latency.p999Us()) +
                " | " + decimal(latency.maxUs()) +
                " | " + latency.samples() +
                " | " + count(row.bulk().medianMessagesPerSecond()) +
                " | " + decimal(row.bulk().medianMegabytesPerSecond()) +
                " | " + percent(row.bulk().spreadPercent()) +
                " | " + percent(row.bulk().iqrPercent()) + " |");
        }
        for (final String name : baselines)
        {
            Row baseline = null;
            for (final Row row : rows)
            {
                if (row.ok() && row.server().equals(name))
                {
                    baseline = row;
                }
            }
            if (baseline == null)
            {
                out.println();
                out.println("No ratios against " + name + ": it has no results.");
                continue;
            }
            printRatios(out, rows, baseline);
        }
        out.println();
        out.println("Loopback on a small shared machine is noisy: compare ratios only where the spreads are small.");
    }

    private static void printRatios(final PrintStream out, final List<Row> rows, final Row baseline)
    {
        out.println();
        out.println("Ratios against " + baseline.server() + " (throughput: higher is better; latency: lower is better)");
        out.println();
        out.println("| server | pipelined 64 B | p50 | p90 | p99 | p99.9 | max | bulk 64 KiB |");
        out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
        for (final Row row : rows)
        {
            if (!row.ok())
            {
                continue;
            }
            final LatencyResult latency = row.latency();
            final LatencyResult base = baseline.latency();
            out.println("| " + row.server() +
                " | " + ratio(row.pipelined().medianMessagesPerSecond(), baseline.pipelined().medianMessagesPerSecond()) +
                " | " + ratio(latency.p50Us(), base.p50Us()) +
                " | " + ratio(latency.p90Us(), base.p90Us()) +
                " | " + ratio(latency.p99Us(), base.p99Us()) +
                " | " + ratio(latency.p999Us(), base.p999Us()) +
                " | " + ratio(latency.maxUs(), base.maxUs()) +
                " | " + ratio(row.bulk().medianMessagesPerSecond(), baseline.bulk().medianMessagesPerSecond()) + " |");
        }
    }

    /**
     * Agrona needs {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED} on Java 17, which
     * the shaded jar's manifest grants only under {@code java -jar} (JMH's entry point). Under
     * {@code java -cp} run this class again in a child JVM with the flag, same class path, JVM
     * options and arguments, and return its exit status. Nothing here touches Agrona.
     */
    private static int relaunchWithExports(final String[] args) throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("--add-exports");
        command.add(AGRONA_EXPORTS);
        command.add("-D" + COMMAND_LINE_PROPERTY + "=" + commandLine());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Harness.class.getName());
        command.addAll(List.of(args));
        final Process child = new ProcessBuilder(command).inheritIO().start();
        // The child ends by itself like every harness run; it also ends with this JVM.
        Runtime.getRuntime().addShutdownHook(new Thread(child::destroy, "harness-child-reaper"));
        return child.waitFor();
    }

    private static String commandLine()
    {
        final String relaunched = System.getProperty(COMMAND_LINE_PROPERTY);
        if (relaunched != null)
        {
            return relaunched;
        }
        return ProcessHandle.current().info().commandLine()
            .orElse("java -cp bench/target/benchmarks.jar " + Harness.class.getName() + " (arguments unknown)");
    }

    private static String count(final double value)
    {
        return String.format(Locale.ROOT, "%,.0f", value);
    }

    private static String decimal(final double value)
    {
        return String.format(Locale.ROOT, "%,.1f", value);
    }

    private static String percent(final double value)
    {
        return String.format(Locale.ROOT, "%.0f%%", value);
    }

    private static String ratio(final double value, final double baseline)
    {
        return baseline == 0 ? "-" : String.format(Locale.ROOT, "%.2fx", value / baseline);
    }

    private static long parsePositive(final String option, final String value)
    {
        final long parsed = parseNonNegative(option, value);
        if (parsed == 0)
        {
            throw new IllegalArgumentException(option + " must be positive");
        }
        return parsed;
    }

    private static long parseNonNegative(final String option, final String value)
    {
        final long parsed;
        try
        {
            parsed = Long.parseLong(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(option + " " + value + ": not a number", ex);
        }
        if (parsed < 0)
        {
            throw new IllegalArgumentException(option + " " + value + ": negative");
        }
        return parsed;
    }

    private static void usageError(final String message)
    {
        System.err.println(message);
        System.err.printf(USAGE, String.join(",", SERVERS.keySet()));
        System.exit(2);
    }
}
