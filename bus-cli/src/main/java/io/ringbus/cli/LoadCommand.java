package io.ringbus.cli;

import io.ringbus.tls.TlsSettings;
import org.HdrHistogram.HistogramLogWriter;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code ringbus load URI... [--connections N] [--window N] [--size BYTES] [--duration-ms N] [--cluster ID]
 * [--trust FILE | --insecure] [--cert FILE --key FILE] [--rate N] [--spin] [--bus-client] [--byte-echo] [--json]
 * [--hlog FILE]}: drives a {@link LoadGenerator} at
 * the given nodes and prints throughput and latency percentiles, with a progress line per second on long runs
 * ({@link LoadReport}); {@code --json} prints JSON lines instead, {@code --hlog} writes the latency of each second
 * as an HdrHistogram log. Runs on the calling thread and stops by itself.
 */
public final class LoadCommand
{
    /** The usage text of {@code ringbus load}. */
    public static final String USAGE = String.join("\n",
        "usage: ringbus load URI... [--connections N] [--window N] [--size BYTES] [--duration-ms N]",
        "                           [--cluster ID] [--trust FILE | --insecure] [--cert FILE --key FILE]",
        "  URI is scheme://host:port (tcp, tls, ws, wss or quic in this build; ws and wss URIs may add",
        "  a path for the upgrade request). Opens N connections (default 4) spread over the URIs,",
        "  keeps --window requests (default 32, at most " + LoadCommand.MAX_WINDOW + ") in flight on each, with --size",
        "  body bytes (default 128), for --duration-ms (default 10000; the first fifth, at most 1 s,",
        "  is warm-up). Prints messages/s, MB/s (request frames, header included) and latency",
        "  percentiles in microseconds. --cluster is the nodes' cluster id (default 0).",
        "  tls://, wss:// and quic:// URIs check the server's certificate and name: against the PEM",
        "  certificates of --trust (e.g. the cert.pem 'ringbus serve' wrote), else the JDK's trust",
        "  store. --insecure checks nothing: for tests only. --cert/--key (PEM chain and key) is the",
        "  client certificate presented to a server that asks for one ('ringbus serve --client-ca').",
        "  A run of 2 s or more prints a progress line on stderr per second after the warm-up (that",
        "  second's messages/s and its p50 and p99 latency).",
        "  --json prints on stdout JSON objects only, one per line: {\"type\":\"progress\",...} per second",
        "  and one {\"type\":\"result\",...} with transport, targets, connections, inflight, size,",
        "  duration_ms, warmup_ms, measured_s, messages, messages_per_s, mb_per_s, p50_us, p90_us,",
        "  p99_us, p999_us, max_us, errors, unanswered, first_error.",
        "  --hlog FILE writes the latency of every second after the warm-up (in nanoseconds) as an",
        "  HdrHistogram interval log (HistogramLogReader, HistogramLogProcessor read it).",
        "  Engines: when every URI is tcp://, the fast engine runs: one thread of its own drives every",
        "  connection without blocking, writes the requests the window allows in one call and checks",
        "  each reply in place (it is built not to be what a run measures). Other schemes, or",
        "  --bus-client, run the client SDK (BusClient) on each connection instead.",
        "  --spin makes the fast engine busy-poll its sockets instead of blocking in a selector when",
        "  idle (lower latency, a core of its own). --rate N (fast engine) runs an open loop: N",
        "  requests a second in all, on a fixed schedule spread over the connections, whatever the",
        "  replies do (at most --window in flight each); latency is counted from each request's",
        "  intended send time (no coordinated omission), and the result says the rate achieved and",
        "  whether the run could keep up (JSON: target_per_s, sent_per_s, due, sent, kept_up,",
        "  max_send_lag_us). --byte-echo (fast engine) is for measuring the client itself against a",
        "  server that sends every frame back unchanged: the echoed request counts as its reply.",
        CliLogging.USAGE);

    /**
     * Largest --window: an echo node remembers {@link ServeOptions#ECHO_DEDUP_CAPACITY_PER_CLIENT}
     * requests per client, so more in flight would be dropped by it.
     */
    public static final int MAX_WINDOW = ServeOptions.ECHO_DEDUP_CAPACITY_PER_CLIENT;

    /** Highest --rate, requests a second. */
    public static final long MAX_RATE = 1_000_000_000L;

    private static final Set<String> FLAGS = Set.of("connections", "window", "size", "duration-ms", "cluster",
        "trust", "insecure", "cert", "key", "json", "hlog", "rate", "spin", "bus-client", "byte-echo");
    private static final Set<String> SWITCHES = Set.of("insecure", "json", "spin", "bus-client", "byte-echo");

    private LoadCommand()
    {
    }

    /** Parse the arguments after {@code load} into generator settings. */
    public static LoadGenerator.Settings parse(final List<String> args) throws UsageException
    {
        return settings(flags(args));
    }

    private static Flags flags(final List<String> args) throws UsageException
    {
        return Flags.parse("load", args, FLAGS, SWITCHES, Set.of(), true);
    }

    private static LoadGenerator.Settings settings(final Flags flags) throws UsageException
    {
        if (flags.positional().isEmpty())
        {
            throw flags.error("give at least one URI to load, e.g. tcp://127.0.0.1:7001");
        }
        final List<URI> targets = new ArrayList<>();
        for (final String text : flags.positional())
        {
            targets.add(target(flags, text));
        }
        final int connections = flags.intValue("connections", 4, 1, 1024);
        final int window = flags.intValue("window", 32, 1, MAX_WINDOW);
        final int size = flags.intValue("size", 128, 0, 64 * 1024 * 1024);
        final long durationMs = flags.longValue("duration-ms", 10_000, 1, 24L * 3600 * 1000);
        final long[] cluster = flags.u128Value("cluster");
        final Duration duration = Duration.ofMillis(durationMs);
        final long rate = flags.longValue("rate", 0, 1, MAX_RATE);
        final LoadGenerator.Engine engine = flags.has("bus-client") ? LoadGenerator.Engine.BUS_CLIENT :
            LoadGenerator.Engine.AUTO;
        final LoadGenerator.Settings settings = new LoadGenerator.Settings(targets, connections, window, size,
            duration, warmupOf(duration), cluster[0], cluster[1], transportSettings(flags, targets), engine,
            flags.has("spin") ? LoadDriver.Idle.SPIN : LoadDriver.Idle.BLOCK, rate, flags.has("byte-echo"));
        if (!settings.fast())
        {
            for (final String name : List.of("rate", "spin", "byte-echo"))
            {
                if (flags.has(name))
                {
                    throw flags.error("--" + name + " runs on the fast engine, which needs every URI to be tcp:// " +
                        (flags.has("bus-client") ? "and no --bus-client" : "(" + LoadReport.transportOf(targets) +
                        " given)"));
                }
            }
        }
        return settings;
    }

    /** How the header line names the engine: "fast tcp engine, blocking", ", spinning", "BusClient". */
    static String engineOf(final LoadGenerator.Settings settings)
    {
        if (!settings.fast())
        {
            return "BusClient";
        }
        return "fast tcp engine, " + (settings.idle() == LoadDriver.Idle.SPIN ? "spinning" : "blocking") +
            (settings.ratePerSecond() > 0 ? ", open loop at " + settings.ratePerSecond() + " msg/s" : "");
    }

    /**
     * The clients' TLS settings from --trust or --insecure, and --cert/--key (the certificate a
     * client presents when a server asks, mutual TLS), under each TLS scheme the targets use (tls,
     * wss, quic); none for the JDK's trust store and no client certificate.
     */
    private static Map<String, Object> transportSettings(final Flags flags, final List<URI> targets)
        throws UsageException
    {
        final boolean insecure = flags.has("insecure");
        final boolean trust = flags.has("trust");
        final boolean presents = flags.has("cert") || flags.has("key");
        if (flags.has("cert") != flags.has("key"))
        {
            throw flags.error("--cert and --key go together");
        }
        if (!insecure && !trust && !presents)
        {
            return Map.of();
        }
        if (insecure && trust)
        {
            throw flags.error("--trust and --insecure exclude each other");
        }
        final Set<String> schemes = new TreeSet<>();
        for (final URI uri : targets)
        {
            if (ServeOptions.TLS_TRANSPORTS.contains(uri.getScheme()))
            {
                schemes.add(uri.getScheme());
            }
        }
        if (schemes.isEmpty())
        {
            throw flags.error("--" + (trust ? "trust" : insecure ? "insecure" : "cert") +
                " is for tls://, wss:// and quic:// URIs; none was given");
        }
        final TlsSettings.Builder builder = TlsSettings.builder();
        if (insecure)
        {
            builder.insecureForTestsOnly();
        }
        else if (trust)
        {
            final Path file = readable(flags, "trust");
            try
            {
                builder.trustPem(file);
            }
            catch (final IOException | RuntimeException ex)
            {
                throw flags.error("--trust = " + file + ": cannot load PEM certificates: " + ex.getMessage());
            }
        }
        if (presents)
        {
            final Path cert = readable(flags, "cert");
            final Path key = readable(flags, "key");
            try
            {
                builder.pem(cert, key);
            }
            catch (final IOException | RuntimeException ex)
            {
                throw flags.error("--cert = " + cert + ", --key = " + key + ": cannot load the client certificate: " +
                    ex.getMessage());
            }
        }
        try
        {
            return underEach(schemes, builder.build());
        }
        catch (final RuntimeException ex)
        {
            // e.g. a --key that does not belong to --cert, named in the message
            throw flags.error(ex.getMessage());
        }
    }

    /** {@code --name} as a regular, readable file. */
    private static Path readable(final Flags flags, final String name) throws UsageException
    {
        final Path file = Path.of(flags.value(name));
        if (!Files.isRegularFile(file) || !Files.isReadable(file))
        {
            throw flags.error("--" + name + " = " + file + ": " + (Files.exists(file) ? "not a readable file" : "no such file"));
        }
        return file;
    }

    private static Map<String, Object> underEach(final Set<String> schemes, final TlsSettings settings)
    {
        final Map<String, Object> bySchemes = new LinkedHashMap<>();
        for (final String scheme : schemes)
        {
            bySchemes.put(scheme, settings);
        }
        return Collections.unmodifiableMap(bySchemes);
    }

    /** The warm-up of a run of {@code duration}: a fifth of it, at most one second. */
    public static Duration warmupOf(final Duration duration)
    {
        final Duration fifth = duration.dividedBy(5);
        return fifth.compareTo(Duration.ofSeconds(1)) > 0 ? Duration.ofSeconds(1) : fifth;
    }

    private static URI target(final Flags flags, final String text) throws UsageException
    {
        final URI uri;
        try
        {
            uri = new URI(text);
        }
        catch (final URISyntaxException ex)
        {
            throw flags.error("URI " + text + ": " + ex.getMessage());
        }
        if (uri.getScheme() == null || !ServeOptions.TRANSPORTS.contains(uri.getScheme()))
        {
            throw flags.error("URI " + text + ": scheme must be one of " + String.join(", ", ServeOptions.TRANSPORTS));
        }
        if (uri.getHost() == null || uri.getPort() <= 0)
        {
            throw flags.error("URI " + text + ": must be scheme://host:port");
        }
        if (new InetSocketAddress(uri.getHost(), uri.getPort()).isUnresolved())
        {
            throw flags.error("URI " + text + ": cannot resolve host " + uri.getHost());
        }
        return uri;
    }

    /** Run {@code ringbus load}; returns the exit code. */
    public static int run(final List<String> args, final PrintStream out, final PrintStream err) throws UsageException
    {
        final Flags flags = flags(args);
        final LoadGenerator.Settings settings = settings(flags);
        final boolean json = flags.has("json");
        for (final URI target : settings.targets())
        {
            if (!Transports.isAvailable(target.getScheme()))
            {
                throw new UsageException("ringbus load: " + target + ": transport " + target.getScheme() +
                    " is not available in this build");
            }
        }
        if (settings.transportSettings().values().stream()
            .anyMatch(value -> value instanceof TlsSettings && ((TlsSettings)value).isInsecure()))
        {
            err.println("ringbus load: WARNING: --insecure: the servers' certificates and names are NOT checked; " +
                "for tests only");
        }
        final String transport = LoadReport.transportOf(settings.targets());
        final HistogramLog hlog = flags.has("hlog") ? HistogramLog.open(flags, settings) : null;
        final LoadResult result;
        try
        {
            // With --json stdout carries JSON only: the human line goes to stderr.
            (json ? err : out).println("ringbus load: " + settings.connections() + " connection(s) to " +
                settings.targets() + ", window " + settings.window() + ", " + settings.size() + "-byte bodies, " +
                settings.duration().toMillis() + " ms (" + settings.warmup().toMillis() + " ms warm-up), " +
                engineOf(settings));
            (json ? err : out).flush();
            final LoadGenerator.IntervalListener progress =
                LoadReport.progress(settings.duration(), json, "ringbus load: ", transport, out, err);
            result = LoadGenerator.run(settings, hlog == null ? progress : interval ->
            {
                hlog.write(interval);
                progress.onInterval(interval);
            });
        }
        catch (final TransportUnavailableException ex)
        {
            throw new UsageException("ringbus load: " + ex.getMessage(), ex);
        }
        catch (final IOException ex)
        {
            err.println("ringbus load: " + ex.getMessage());
            return Main.EXIT_FAILURE;
        }
        finally
        {
            if (hlog != null)
            {
                hlog.close();
            }
        }
        if (json)
        {
            out.println(LoadReport.result(new JsonLine().put("type", "result").put("transport", transport),
                settings, result));
        }
        else
        {
            out.println(String.format(Locale.ROOT, "messages/s %.0f  MB/s %.2f  errors %d  unanswered %d",
                result.messagesPerSecond(), result.megabytesPerSecond(), result.errors(), result.unanswered()) +
                (result.firstError() != null ? "  (first error: " + result.firstError() + ")" : ""));
            out.println(String.format(Locale.ROOT, "latency µs  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f",
                result.percentileMicros(50), result.percentileMicros(90), result.percentileMicros(99),
                result.percentileMicros(99.9), result.maxMicros()));
            if (result.openLoop() != null)
            {
                out.println(LoadReport.openLoopText(result.openLoop()));
            }
        }
        out.flush();
        if (hlog != null && hlog.failure() != null)
        {
            err.println("ringbus load: --hlog = " + hlog.file() + ": write failed: " + hlog.failure());
            return Main.EXIT_FAILURE;
        }
        if (result.messages() > 0)
        {
            return Main.EXIT_OK;
        }
        // Not one reply: say why in words, target by target, rather than leave a table of zeros.
        for (final URI target : new LinkedHashSet<>(settings.targets()))
        {
            err.println("tcp".equals(target.getScheme()) ? WireProbe.diagnose(target) :
                "ringbus load: " + target + ": no reply to any request" +
                (result.firstError() != null ? " (first error: " + result.firstError() + ")" : ""));
        }
        return Main.EXIT_FAILURE;
    }

    /**
     * The {@code --hlog} file: an HdrHistogram interval log (format of {@link HistogramLogWriter}),
     * one interval histogram per second after the warm-up plus the shorter rest, latency in
     * nanoseconds, times relative to the start of the command. Written and closed on the thread
     * that runs the load; each interval is flushed, so the file can be followed during the run.
     */
    private static final class HistogramLog
    {
        private final Path file;
        private final PrintStream stream;
        private final HistogramLogWriter writer;

        private HistogramLog(final Path file, final PrintStream stream)
        {
            this.file = file;
            this.stream = stream;
            this.writer = new HistogramLogWriter(stream);
        }

        /** Create (or truncate) the file and write the log's header; a usage error if it cannot be written. */
        static HistogramLog open(final Flags flags, final LoadGenerator.Settings settings) throws UsageException
        {
            final Path file = Path.of(flags.value("hlog"));
            final PrintStream stream;
            try
            {
                stream = new PrintStream(new FileOutputStream(file.toFile()), false, StandardCharsets.UTF_8);
            }
            catch (final IOException ex)
            {
                throw flags.error("--hlog = " + file + ": cannot write: " + ex.getMessage());
            }
            final HistogramLog log = new HistogramLog(file, stream);
            final long startMs = System.currentTimeMillis();
            log.writer.outputComment("ringbus load " + settings.targets() + " connections " +
                settings.connections() + " window " + settings.window() + " size " + settings.size() +
                ": request-to-reply latency in ns, one interval per second after the warm-up");
            log.writer.outputLogFormatVersion();
            log.writer.setBaseTime(startMs);
            log.writer.outputStartTime(startMs);
            log.writer.outputBaseTime(startMs);
            log.writer.outputLegend();
            stream.flush();
            return log;
        }

        void write(final LoadGenerator.Interval interval)
        {
            writer.outputIntervalHistogram(interval.latencyNs());
            stream.flush();
        }

        Path file()
        {
            return file;
        }

        /** Why writing failed (PrintStream keeps no exception, only the fact), or null. */
        String failure()
        {
            return stream.checkError() ? "I/O error" : null;
        }

        void close()
        {
            writer.close();
        }
    }
}
