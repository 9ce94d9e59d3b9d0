package io.ringbus.bench.harness;

import io.ringbus.core.config.Backend;
import io.ringbus.core.config.IdleMode;

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
 *     [--group plain|plain-spin|uring|uring-spin|floor|bulk|ceiling|tls|ws|wss|quic|serve]
 *     [--servers a,b,c] [--baseline a,b] [--floor | --no-floor]
 * </pre>
 *
 * <p>{@code --group} picks a preset comparison ({@link #GROUPS}): its servers and its baselines,
 * each overridden by an explicit {@code --servers} or {@code --baseline}.
 *
 * <p>The floor (issue 16): {@code c-floor} and {@code c-floor-poll} are a C epoll server doing a
 * ringbus server's per-frame work ({@link NativeFloorServer}), blocking and polling when idle;
 * every group measures the one of its servers' idle mode, and a table gives each server's
 * throughput as "x of floor" beside its CPU time per request ({@link ServerCpu}).
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

    /** The C floor, blocking when idle: the reference of "x of floor" for every blocking server. */
    public static final String FLOOR = "c-floor";
    /** The C floor, polling when idle: the reference of "x of floor" for every spinning server. */
    public static final String FLOOR_POLL = "c-floor-poll";
    /** The C byte echo: the load client's ceiling. */
    public static final String BYTE_ECHO = "byte-echo";

    static
    {
        SERVERS.put("netty-epoll", () -> new NettyEchoServer(NettyEchoServer.Transport.EPOLL));
        SERVERS.put("netty-nio", () -> new NettyEchoServer(NettyEchoServer.Transport.NIO));
        SERVERS.put("netty-uring", () -> new NettyEchoServer(NettyEchoServer.Transport.IO_URING));
        SERVERS.put("blocking", BlockingEchoServer::new);
        // The floor (issue 16): the C epoll server doing a ringbus server's per-frame work, blocking
        // and polling when idle; and its byte echo, the load client's ceiling.
        SERVERS.put(FLOOR, () -> new NativeFloorServer(NativeFloorServer.Mode.BLOCKING));
        SERVERS.put(FLOOR_POLL, () -> new NativeFloorServer(NativeFloorServer.Mode.POLLING));
        SERVERS.put(BYTE_ECHO, () -> new NativeFloorServer(NativeFloorServer.Mode.BYTE_ECHO));
        // ringbus server registered here: one shard, as each Netty peer has one event loop thread.
        SERVERS.put("ringbus-nio", () -> new RingbusEchoServer(Backend.NIO, 1));
        SERVERS.put("ringbus-uring", () -> new RingbusEchoServer(Backend.IO_URING, 1));
        // Spinning when idle (issue 16): the shard or event loop busy-polls, a core at 100%; compared
        // with c-floor-poll. One server runs at a time, so the spinning server and the load client
        // each have one of two cores.
        SERVERS.put("ringbus-nio-spin", () -> new RingbusEchoServer(
            Backend.NIO, 1, RingbusEchoServer.Scheme.TCP, IdleMode.SPINNING));
        SERVERS.put("ringbus-uring-spin", () -> new RingbusEchoServer(
            Backend.IO_URING, 1, RingbusEchoServer.Scheme.TCP, IdleMode.SPINNING));
        SERVERS.put("netty-epoll-spin", () -> new NettyEchoServer(NettyEchoServer.Transport.EPOLL, 1, false, true));
        SERVERS.put("netty-nio-spin", () -> new NettyEchoServer(NettyEchoServer.Transport.NIO, 1, false, true));
        SERVERS.put("netty-uring-spin", () -> new NettyEchoServer(NettyEchoServer.Transport.IO_URING, 1, false, true));
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

    /** Every group measures the floor of its servers' idle mode too, last, for "x of floor". */
    private static Group withFloor(final List<String> servers, final List<String> baselines)
    {
        return new Group(Options.addFloors(servers), baselines);
    }

    /**
     * The comparisons RESULTS.md reports: plain Ringbus against the conventional peers (issue 3),
     * io_uring against NIO and Netty's own io_uring channels (issue 5), TLS against Netty's
     * SslHandler on the same provider and against plain tcp (issue 4), ws and wss against Netty's
     * WebSocket codec and Java-WebSocket (issue 7), quic against Netty's QUIC codec (quiche) and
     * Kwik (issue 6), ringbus serve with one node against the bare bus with an echo handler (issue 11).
     * Issue 16: each group measures the C floor of its idle mode too (the table "x of floor");
     * {@code plain-spin} and {@code uring-spin} are plain and uring with every server spinning when
     * idle; {@code floor} is issue 16's side-by-side table (both idle modes, against the floors);
     * {@code bulk} is the 64 KiB line-up against the floor; {@code ceiling} is the load client
     * against the C byte echo (what the client itself can do) and the floors.
     */
    public static final Map<String, Group> GROUPS = new LinkedHashMap<>();

    static
    {
        GROUPS.put("plain", withFloor(
            List.of("ringbus-nio", "netty-nio", "netty-epoll", "blocking"),
            List.of("netty-nio", "netty-epoll", "blocking")));
        GROUPS.put("plain-spin", withFloor(
            List.of("ringbus-nio-spin", "netty-nio-spin", "netty-epoll-spin"),
            List.of("netty-nio-spin", "netty-epoll-spin")));
        GROUPS.put("uring", withFloor(
            List.of("ringbus-uring", "ringbus-nio", "netty-uring", "netty-epoll"),
            List.of("ringbus-nio", "netty-uring")));
        GROUPS.put("uring-spin", withFloor(
            List.of("ringbus-uring-spin", "ringbus-nio-spin", "netty-uring-spin", "netty-epoll-spin"),
            List.of("ringbus-nio-spin", "netty-uring-spin")));
        GROUPS.put("floor", withFloor(
            List.of("ringbus-nio", "ringbus-uring", "netty-epoll", "netty-nio",
                "ringbus-nio-spin", "ringbus-uring-spin", "netty-epoll-spin", "netty-nio-spin"),
            List.of(FLOOR, FLOOR_POLL)));
        GROUPS.put("bulk", withFloor(
            List.of("ringbus-nio", "ringbus-uring", "netty-epoll", "ringbus-tls", "netty-tls"),
            List.of(FLOOR)));
        GROUPS.put("ceiling", new Group(
            List.of(BYTE_ECHO, FLOOR, FLOOR_POLL),
            List.of(BYTE_ECHO)));
        GROUPS.put("tls", withFloor(
            List.of("ringbus-tls", "netty-tls", "ringbus-nio", "ringbus-tls-uring"),
            List.of("netty-tls", "ringbus-nio")));
        GROUPS.put("ws", withFloor(
            List.of("ringbus-ws", "netty-ws", "java-websocket"),
            List.of("netty-ws", "java-websocket")));
        GROUPS.put("wss", withFloor(
            List.of("ringbus-wss", "netty-wss", "java-websocket-wss"),
            List.of("netty-wss", "java-websocket-wss")));
        GROUPS.put("quic", withFloor(
            List.of("ringbus-quic", "netty-quic", "kwik-quic"),
            List.of("netty-quic", "kwik-quic")));
        GROUPS.put("serve", withFloor(
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
        " [--group G] [--servers a,b,c] [--baseline a,b] [--floor | --no-floor]%n" +
        "  groups: %s%n" +
        "  servers: %s%n" +
        "%n" +
        "  --floor      also measure the C floor of each idle mode measured (c-floor for servers that block when%n" +
        "               idle, c-floor-poll for -spin servers); every group does, --no-floor leaves it out.%n" +
        "               The floor is bench/native/floor.c, built with gcc into bench/target/native/ when missing%n" +
        "               (bench/native/build.sh); byte-echo (group ceiling) is its byte echo, the load client's ceiling.%n" +
        "  Servers run one at a time, each stopped before the next starts: a -spin server (and c-floor-poll)%n" +
        "  takes one core at 100%% and the load client the other, so on 2 cores measure nothing else meanwhile.%n" +
        "%n" +
        "  The floor table gives \"x of floor\" (throughput over the floor's of the same idle mode, same run) and%n" +
        "  the server's CPU per request over the throughput runs, from /proc/PID/task/TID/schedstat (ns on CPU)%n" +
        "  read before and after each run, divided by the replies: \"(I/O)\" its I/O threads (ringbus-shard-N,%n" +
        "  the Netty event loop, the C server's one thread), \"(process)\" its process (for a server in the%n" +
        "  harness's JVM, every JVM thread but the load client's: GC and JIT count).%n" +
        "%n" +
        "  Instructions per request, for one server alone (pid and tid from the log line or /proc/PID/task):%n" +
        "    java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp bench/target/benchmarks.jar \\%n" +
        "        io.ringbus.bench.harness.EchoServerMain ringbus-nio /tmp/port &   (or bench/target/native/ringbus-floor)%n" +
        "    perf stat -e instructions:u,instructions:k,task-clock -t TID -- java --add-exports \\%n" +
        "        java.base/jdk.internal.misc=ALL-UNNAMED -cp bench/target/benchmarks.jar \\%n" +
        "        io.ringbus.bench.harness.FixedLoad --port $(cat /tmp/port) --mode pipelined --count 1000000 --body 64%n" +
        "    then divide the counts by 1000000 (bench/floor.sh does this for the C floor and any server).%n";

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
        final Options options;
        try
        {
            options = Options.parse(args);
        }
        catch (final IllegalArgumentException ex)
        {
            usageError(ex.getMessage());
            return;
        }
        if (options == null)
        {
            printUsage(System.out);
            return;
        }
        final List<String> names = options.servers();
        final Settings settings = options.settings();
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
        printReport(System.out, rows, settings, options.baselines());
    }

    /**
     * The command line, checked: what to measure, against which baselines, for how long.
     *
     * @param settings  how long each test runs.
     * @param servers   the servers measured, in order (all registered).
     * @param baselines a ratio table against each (all among {@code servers}).
     */
    record Options(Settings settings, List<String> servers, List<String> baselines)
    {
        /**
         * Parse the harness's arguments: null for {@code --help}; an IllegalArgumentException, whose
         * message says what is wrong, for a bad command line.
         */
        static Options parse(final String... args)
        {
            long durationMs = DEFAULT_DURATION_MS;
            long warmupMs = DEFAULT_WARMUP_MS;
            long roundWarmupMs = DEFAULT_ROUND_WARMUP_MS;
            int runs = DEFAULT_RUNS;
            int rounds = 1;
            List<String> names = null;
            List<String> baselines = null;
            Group group = null;
            Boolean floor = null;
            for (int i = 0; i < args.length; i++)
            {
                final String arg = args[i];
                if ("--help".equals(arg) || "-h".equals(arg))
                {
                    return null;
                }
                if ("--floor".equals(arg) || "--no-floor".equals(arg))
                {
                    floor = "--floor".equals(arg);
                    continue;
                }
                if (i + 1 >= args.length)
                {
                    throw new IllegalArgumentException("missing value after " + arg);
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
                            throw new IllegalArgumentException(
                                "unknown group " + value + " (" + String.join(", ", GROUPS.keySet()) + ")");
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown option " + arg);
                }
            }
            if (names == null)
            {
                names = group != null ? group.servers() : new ArrayList<>(SERVERS.keySet());
            }
            for (final String name : names)
            {
                if (!SERVERS.containsKey(name))
                {
                    throw new IllegalArgumentException("unknown server " + name);
                }
            }
            if (Boolean.TRUE.equals(floor))
            {
                names = addFloors(names);
            }
            else if (Boolean.FALSE.equals(floor))
            {
                names = names.stream().filter(name -> !isFloor(name)).toList();
                if (names.isEmpty())
                {
                    throw new IllegalArgumentException("--no-floor leaves no server to measure");
                }
            }
            if (baselines == null)
            {
                baselines = group != null ? group.baselines() : List.of(names.get(0));
                if (Boolean.FALSE.equals(floor))
                {
                    baselines = baselines.stream().filter(name -> !isFloor(name)).toList();
                    if (baselines.isEmpty())
                    {
                        baselines = List.of(names.get(0));
                    }
                }
            }
            for (final String baseline : baselines)
            {
                if (!names.contains(baseline))
                {
                    throw new IllegalArgumentException("baseline " + baseline + " is not among the servers measured");
                }
            }
            final Settings settings = new Settings(Duration.ofMillis(durationMs), Duration.ofMillis(warmupMs),
                Duration.ofMillis(roundWarmupMs), runs, rounds);
            return new Options(settings, List.copyOf(names), List.copyOf(baselines));
        }

        /**
         * {@code servers} and, after them, the floors they are compared with that are missing:
         * c-floor if one of them blocks when idle, c-floor-poll if one spins (byte-echo needs none).
         */
        static List<String> addFloors(final List<String> servers)
        {
            boolean blocks = false;
            boolean spins = false;
            for (final String name : servers)
            {
                if (isFloor(name) || BYTE_ECHO.equals(name))
                {
                    continue;
                }
                if (SERVERS.get(name).get().spinsWhenIdle())
                {
                    spins = true;
                }
                else
                {
                    blocks = true;
                }
            }
            final List<String> withFloors = new ArrayList<>(servers);
            if (blocks && !withFloors.contains(FLOOR))
            {
                withFloors.add(FLOOR);
            }
            if (spins && !withFloors.contains(FLOOR_POLL))
            {
                withFloors.add(FLOOR_POLL);
            }
            return List.copyOf(withFloors);
        }

        private static boolean isFloor(final String name)
        {
            return FLOOR.equals(name) || FLOOR_POLL.equals(name);
        }
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

    /**
     * The runs of one throughput test, summarised by their median and spread, with the server's CPU
     * per request in each run ({@link ServerCpu}; empty when not measured).
     */
    record Series(List<ThroughputResult> runs, List<ServerCpu.CpuPerRequest> cpu)
    {
        /** Runs without CPU figures. */
        Series(final List<ThroughputResult> runs)
        {
            this(runs, List.of());
        }

        /** Median over the runs of the I/O threads' CPU ns per request; NaN if unknown. */
        double medianIoNsPerRequest()
        {
            return medianKnown(cpu.stream().mapToDouble(ServerCpu.CpuPerRequest::ioNs));
        }

        /** Median over the runs of the server process's CPU ns per request; NaN if unknown. */
        double medianProcessNsPerRequest()
        {
            return medianKnown(cpu.stream().mapToDouble(ServerCpu.CpuPerRequest::processNs));
        }

        private static double medianKnown(final java.util.stream.DoubleStream values)
        {
            final double[] sorted = values.filter(value -> !Double.isNaN(value)).sorted().toArray();
            return sorted.length == 0 ? Double.NaN : median(sorted);
        }

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
     * @param spins    the server spins when idle ({@link EchoServer#spinsWhenIdle()}): its floor is c-floor-poll.
     */
    record Row(String server, String security, Series pipelined, LatencyResult latency, Series bulk, String error,
        boolean spins)
    {
        /** A row of a server that blocks when idle. */
        Row(final String server, final String security, final Series pipelined, final LatencyResult latency,
            final Series bulk, final String error)
        {
            this(server, security, pipelined, latency, bulk, error, false);
        }

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
            final List<ServerCpu.CpuPerRequest> pipelinedCpu = new ArrayList<>();
            final List<ServerCpu.CpuPerRequest> bulkCpu = new ArrayList<>();
            final List<LatencyResult> latencies = new ArrayList<>();
            for (final Row row : rounds)
            {
                pipelined.addAll(row.pipelined().runs());
                pipelinedCpu.addAll(row.pipelined().cpu());
                bulk.addAll(row.bulk().runs());
                bulkCpu.addAll(row.bulk().cpu());
                latencies.add(row.latency());
            }
            final Row first = rounds.get(0);
            return new Row(first.server(), first.security(), new Series(pipelined, pipelinedCpu),
                LatencyResult.medianOf(latencies), new Series(bulk, bulkCpu), null, first.spins());
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
            final InetSocketAddress address = server.start();
            // Before the load client exists: in this JVM, the threads present now are the server's
            // and the JVM's own, not the client's (ServerCpu).
            final ServerCpu cpu = ServerCpu.of(server);
            System.err.println("   pid " + server.processId() + (server.spinsWhenIdle() ? ", spins when idle" : ""));
            final LoadClient client = LoadClient.forServer(server);
            final String security = client.security(address);
            System.err.println("   " + security);
            final Series pipelined = throughput(
                client, address, LoadClient.SMALL_BODY_SIZE, LoadClient.SMALL_WINDOW, settings, cpu);
            System.err.printf(Locale.ROOT, "   pipelined 64 B: %,.0f msg/s (spread %.0f%%), CPU %s ns/req I/O, %s process%n",
                pipelined.medianMessagesPerSecond(), pipelined.spreadPercent(),
                count(pipelined.medianIoNsPerRequest()), count(pipelined.medianProcessNsPerRequest()));

            final LatencyResult latency = client.latency(
                address, LoadClient.SMALL_BODY_SIZE, LATENCY_WARMUP, LATENCY_MAX_COUNT, settings.duration());
            System.err.printf(Locale.ROOT, "   latency 64 B: p50 %.1f us, p99 %.1f us (%d samples)%n",
                latency.p50Us(), latency.p99Us(), latency.samples());

            final Series bulk = throughput(
                client, address, LoadClient.BULK_BODY_SIZE, LoadClient.BULK_WINDOW, settings, cpu);
            System.err.printf(Locale.ROOT, "   bulk 64 KiB: %,.0f MB/s (spread %.0f%%), CPU %s ns/req I/O, %s process%n",
                bulk.medianMegabytesPerSecond(), bulk.spreadPercent(),
                count(bulk.medianIoNsPerRequest()), count(bulk.medianProcessNsPerRequest()));
            return new Row(name, security, pipelined, latency, bulk, null, server.spinsWhenIdle());
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
        final Settings settings,
        final ServerCpu cpu)
        throws Exception
    {
        if (!settings.warmup().isZero())
        {
            client.pipelined(address, bodySize, settings.warmup(), window);
        }
        final List<ThroughputResult> runs = new ArrayList<>(settings.runs());
        final List<ServerCpu.CpuPerRequest> cpuPerRequest = new ArrayList<>(settings.runs());
        for (int i = 0; i < settings.runs(); i++)
        {
            final ServerCpu.Snapshot before = cpu.snapshot();
            final ThroughputResult run = client.pipelined(address, bodySize, settings.runDuration(), window);
            runs.add(run);
            cpuPerRequest.add(ServerCpu.perRequest(before, cpu.snapshot(), run.messages()));
        }
        return new Series(runs, cpuPerRequest);
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
        printFloorTable(out, rows);
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

    /**
     * Each server against the C floor of its idle mode measured in the same run (c-floor for a
     * server that blocks when idle, c-floor-poll for one that spins), with the server's CPU per
     * request; printed when the run has a floor or a CPU figure.
     */
    static void printFloorTable(final PrintStream out, final List<Row> rows)
    {
        final Row floor = find(rows, FLOOR);
        final Row floorPoll = find(rows, FLOOR_POLL);
        boolean anyCpu = false;
        for (final Row row : rows)
        {
            anyCpu |= row.ok() && !Double.isNaN(row.pipelined().medianProcessNsPerRequest());
        }
        if (floor == null && floorPoll == null && !anyCpu)
        {
            return;
        }
        out.println();
        out.println("Against the floor (the C epoll server of the same idle mode, this run: " + FLOOR + " for servers that" +
            " block when idle, " + FLOOR_POLL + " for those that spin) and the server's CPU per request" +
            " (schedstat; I/O threads, and its process)");
        out.println();
        out.println("| server | idle | pipelined 64 B msg/s | x of floor | CPU ns/req (I/O) | CPU ns/req (process) |" +
            " bulk 64 KiB MB/s | x of floor | CPU ns/req (I/O) | CPU ns/req (process) |");
        out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (final Row row : rows)
        {
            if (!row.ok())
            {
                continue;
            }
            final Row reference = row.spins() ? floorPoll : floor;
            out.println("| " + row.server() +
                " | " + (row.spins() ? "spins" : "blocks") +
                " | " + count(row.pipelined().medianMessagesPerSecond()) +
                " | " + (reference == null ? "-" :
                    ratio(row.pipelined().medianMessagesPerSecond(), reference.pipelined().medianMessagesPerSecond())) +
                " | " + count(row.pipelined().medianIoNsPerRequest()) +
                " | " + count(row.pipelined().medianProcessNsPerRequest()) +
                " | " + decimal(row.bulk().medianMegabytesPerSecond()) +
                " | " + (reference == null ? "-" :
                    ratio(row.bulk().medianMessagesPerSecond(), reference.bulk().medianMessagesPerSecond())) +
                " | " + count(row.bulk().medianIoNsPerRequest()) +
                " | " + count(row.bulk().medianProcessNsPerRequest()) + " |");
        }
    }

    private static Row find(final List<Row> rows, final String name)
    {
        for (final Row row : rows)
        {
            if (row.ok() && row.server().equals(name))
            {
                return row;
            }
        }
        return null;
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
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%,.0f", value);
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
        printUsage(System.err);
        System.exit(2);
    }

    /** The usage text with the groups' and servers' names. */
    static void printUsage(final PrintStream out)
    {
        out.printf(USAGE, String.join("|", GROUPS.keySet()), String.join(",", SERVERS.keySet()));
    }
}
