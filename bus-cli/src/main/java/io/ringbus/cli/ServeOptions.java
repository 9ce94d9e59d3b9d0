package io.ringbus.cli;

import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.config.InvalidConfigException;
import io.ringbus.quic.QuicSettings;
import io.ringbus.quic.RetryMode;
import io.ringbus.tls.TlsSettings;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;

/**
 * The flags of {@code ringbus serve} (DESIGN.md, "The ringbus CLI"), parsed and checked.
 * Immutable; any thread.
 *
 * @param listeners      client listeners in command-line order, {@code scheme://host:port}
 * @param cert           {@code --cert} (a readable file), or null: a TLS listener then presents a
 *                       self-signed certificate written to {@code dataDir}
 * @param key            {@code --key} (a readable file), or null
 * @param clientCa       {@code --client-ca} (a readable PEM bundle), or null: the TLS listeners then
 *                       require a client certificate chained to it (mutual TLS)
 * @param dataDir        {@code --data-dir}, default {@link #DEFAULT_DATA_DIR}
 * @param maxMessageSize {@code --max-message-size}
 * @param closeGrace     {@code --close-grace}
 * @param shards         {@code --shards}
 * @param backend        {@code --backend}
 * @param clusterHi      high half of {@code --cluster}
 * @param clusterLo      low half of {@code --cluster}
 * @param replicaId      {@code --replica-id}, or {@link BusConfig#NO_REPLICA}
 * @param replicas       {@code --replicas}, empty when not a replica
 * @param limits         {@code --peer-queue-max-bytes}, {@code --direct-memory-budget},
 *                       {@code --partial-frame-timeout}, {@code --idle-timeout}, {@code --max-connections},
 *                       {@code --max-connections-per-address}
 * @param clusterKey     the key read from {@code --cluster-key FILE} ({@link KeygenCommand#read}), or null
 * @param quicRetry      {@code --quic-retry}: when the quic listeners send a Retry (default auto)
 */
public record ServeOptions(
    List<URI> listeners,
    Path cert,
    Path key,
    Path clientCa,
    Path dataDir,
    int maxMessageSize,
    Duration closeGrace,
    int shards,
    Backend backend,
    long clusterHi,
    long clusterLo,
    int replicaId,
    SortedMap<Integer, InetSocketAddress> replicas,
    Limits limits,
    byte[] clusterKey,
    RetryMode quicRetry)
{
    /**
     * The memory and stall bounds of a node (issue 11) and its connection limits (issue 13), as
     * BusConfig takes them.
     *
     * @param peerQueueMaxBytes   {@code --peer-queue-max-bytes}: pooled bytes one connection's outbound frames may hold
     * @param directMemoryBudget  {@code --direct-memory-budget}: bytes the frame pool may hold; 0 = half the JVM's limit
     * @param partialFrameTimeout {@code --partial-frame-timeout}: a started frame or record must complete within it; 0 = off
     * @param idleTimeout         {@code --idle-timeout}: a client connection silent this long closes; 0 = off
     * @param maxConnections      {@code --max-connections}: client connections open at once, over every listener
     * @param maxConnectionsPerAddress {@code --max-connections-per-address}: of them from one source address; 0 = no limit
     */
    public record Limits(long peerQueueMaxBytes, long directMemoryBudget, Duration partialFrameTimeout,
        Duration idleTimeout, int maxConnections, int maxConnectionsPerAddress)
    {
        /** BusConfig's defaults. */
        public static final Limits DEFAULTS = new Limits(BusConfig.DEFAULT_PEER_QUEUE_MAX_BYTES,
            BusConfig.AUTO_DIRECT_MEMORY_BUDGET, BusConfig.DEFAULT_PARTIAL_FRAME_TIMEOUT, BusConfig.DEFAULT_IDLE_TIMEOUT,
            BusConfig.DEFAULT_MAX_CONNECTIONS, BusConfig.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS);
    }

    /** The client transports, each a {@code --SCHEME HOST:PORT} flag. */
    public static final List<String> TRANSPORTS = List.of("tcp", "tls", "ws", "wss", "quic");

    /** The transports that run over TLS and so need a certificate. */
    public static final Set<String> TLS_TRANSPORTS = Set.of("tls", "wss", "quic");

    /** The data directory when {@code --data-dir} is not given, relative to the working directory. */
    public static final Path DEFAULT_DATA_DIR = Path.of("ringbus-data");

    /**
     * {@code --idle-timeout} of a node: a client connection silent this long closes. Not off, as the
     * library's default is: a client whose connection died without a FIN or reset reaching the node
     * (a crash, a partition) would otherwise keep its session bound to the dead connection for ever,
     * and its retries on a new connection be refused (found by {@code ringbus sim}, issue 14).
     */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);

    /** peer_queue_capacity of echo nodes: deeper than the default, since every request fans out. */
    public static final int ECHO_PEER_QUEUE_CAPACITY = 4096;

    /**
     * dedup_capacity_per_client of echo nodes: replies remembered per client session, and so the
     * most requests one client may have in flight (a request beyond it is dropped, not answered).
     */
    public static final int ECHO_DEDUP_CAPACITY_PER_CLIENT = 256;

    /** The usage text of {@code ringbus serve}. */
    public static final String USAGE = String.join("\n",
        "usage: ringbus serve [--tcp|--tls|--ws|--wss|--quic HOST:PORT]... [--cert FILE --key FILE]",
        "                     [--client-ca FILE]",
        "                     [--data-dir DIR] [--max-message-size BYTES] [--close-grace MS] [--shards N]",
        "                     [--backend auto|nio|io_uring] [--cluster ID]",
        "                     [--replica-id I --replicas 0=HOST:PORT,1=HOST:PORT,...]",
        "                     [--peer-queue-max-bytes BYTES] [--direct-memory-budget BYTES]",
        "                     [--partial-frame-timeout MS] [--idle-timeout MS]",
        "                     [--max-connections N] [--max-connections-per-address N]",
        "                     [--cluster-key FILE] [--quic-retry always|auto|never] [--config FILE]",
        "  Runs one node of a replicated echo: a request is answered with its own body once a",
        "  majority of the replicas has it. Prints 'backend <nio|io_uring>', then",
        "  'listening <scheme> <host:port>' per listener, then 'ready'. SIGINT/SIGTERM stop it",
        "  gracefully within close_grace.",
        "  --tls, --wss and --quic present the PEM chain --cert with its PEM key --key or, without them, a",
        "  new self-signed certificate for localhost written as cert.pem and key.pem into --data-dir",
        "  (default ./" + DEFAULT_DATA_DIR + "; give each node its own). Either way it prints",
        "  'tls certificate <path> sha256 <fingerprint>'; clients trust it with",
        "  'ringbus load tls://HOST:PORT --trust <path>' (or wss:// or quic://HOST:PORT). The self-signed",
        "  certificate is kept and reused on the next start (a new one only when it is missing, unreadable",
        "  or expired), so a client's --trust file survives restarts.",
        "  --client-ca FILE (a PEM bundle of CA certificates) makes the tls, wss and quic listeners require a",
        "  client certificate chained to it (mutual TLS; 'ringbus load --cert FILE --key FILE' presents one).",
        "  SIGHUP reloads --cert/--key (or the data dir's cert.pem/key.pem) and --client-ca from their files",
        "  without a restart: new handshakes use them, open connections continue; a bad file is refused with",
        "  a message and the current certificate stays.",
        "  --backend auto (default) takes io_uring where the kernel allows it, else nio; io_uring",
        "  where it is unavailable fails at start.",
        "  A client that does not read its replies is held by its own queue: at --peer-queue-max-bytes",
        "  (default 16 MiB) of replies its connection stops reading. The frame pool holds at most",
        "  --direct-memory-budget bytes (default 0: half the JVM's direct memory limit); a connection",
        "  needing a buffer beyond it closes (memory_budget). A frame or TLS/WebSocket record must",
        "  complete, and a write make progress, within --partial-frame-timeout ms (default 30000; 0",
        "  off); a client connection that sends and receives nothing for --idle-timeout ms closes",
        "  (default 60000; 0 off): a client whose connection died unseen (no FIN or reset reached the",
        "  node) gets its session back once its old connection is closed. The SDK client pings every",
        "  15 s when idle, so live idle clients stay.",
        "  At most --max-connections client connections are open at once over every listener (default",
        "  " + BusConfig.DEFAULT_MAX_CONNECTIONS + "), and at most --max-connections-per-address from one source IP address",
        "  (default 0: no limit). A connection beyond either is closed as soon as it is accepted, before",
        "  any TLS, WebSocket or QUIC handshake, counted, and logged at most once a second per limit.",
        "  --cluster-key FILE (from 'ringbus keygen FILE', mode 0600, the same on every replica) makes",
        "  replicas prove to each other that they hold the key before any replica frame is accepted;",
        "  without it the replica plane is unauthenticated (a warning says so).",
        "  --quic-retry: when a quic listener checks a new client's address with a Retry before any",
        "  handshake work (RFC 9000 8.1): always, never, or auto (default) once half its 1024",
        "  handshake slots are in use.",
        "  --config FILE reads the same settings from a properties file, one 'key = value' a line, the",
        "  key a flag's name without its dashes (tcp = 127.0.0.1:7000, idle-timeout = 60000; a list for",
        "  tcp, tls, ws, wss and quic is comma-separated); RINGBUS_<NAME> environment variables",
        "  (RINGBUS_IDLE_TIMEOUT, RINGBUS_CONFIG for the file) override the file, and flags override both.",
        "  An unknown key or variable is refused.");

    private static final Set<String> FLAGS = Set.of("tcp", "tls", "ws", "wss", "quic", "cert", "key", "client-ca",
        "data-dir",
        "max-message-size", "close-grace", "shards", "backend", "cluster", "replica-id", "replicas",
        "peer-queue-max-bytes", "direct-memory-budget", "partial-frame-timeout", "idle-timeout",
        "max-connections", "max-connections-per-address", "cluster-key", "quic-retry", ConfigSources.CONFIG);
    private static final Set<String> REPEATABLE = Set.of("tcp", "tls", "ws", "wss", "quic");

    /** Parse the arguments after {@code serve}, with the process's environment ({@link ConfigSources}). */
    public static ServeOptions parse(final List<String> args) throws UsageException
    {
        return parse(args, System.getenv());
    }

    /**
     * Parse the arguments after {@code serve} merged with the file of {@code --config} and the
     * {@code RINGBUS_*} variables of {@code env} ({@link ConfigSources}: flags over variables over
     * the file); every value is checked as its flag is, and an error names its source.
     */
    public static ServeOptions parse(final List<String> args, final Map<String, String> env) throws UsageException
    {
        final Flags flags = ConfigSources.merge(Flags.parse("serve", args, FLAGS, REPEATABLE, false), env, FLAGS,
            REPEATABLE);
        final List<URI> listeners = new ArrayList<>();
        for (final Flags.Entry entry : flags.entries())
        {
            if (TRANSPORTS.contains(entry.name()))
            {
                final String what = flags.label(entry.name());
                final InetSocketAddress address = flags.hostPort(what, entry.value());
                flags.resolve(what, entry.value(), address);
                try
                {
                    listeners.add(new URI(entry.name() + "://" + Flags.format(address)));
                }
                catch (final URISyntaxException ex)
                {
                    throw flags.error(what + " = " + entry.value() + ": " + ex.getMessage());
                }
            }
        }
        if (flags.has("cert") != flags.has("key"))
        {
            throw flags.error("--cert and --key go together");
        }
        final Path cert = flags.has("cert") ? readableFile(flags, "cert") : null;
        final Path key = flags.has("key") ? readableFile(flags, "key") : null;
        if (cert != null && listeners.stream().noneMatch(uri -> TLS_TRANSPORTS.contains(uri.getScheme())))
        {
            throw flags.error("--cert and --key are for a TLS listener (--tls, --wss or --quic HOST:PORT); none was given");
        }
        final Path clientCa = flags.has("client-ca") ? readableFile(flags, "client-ca") : null;
        if (clientCa != null && listeners.stream().noneMatch(uri -> TLS_TRANSPORTS.contains(uri.getScheme())))
        {
            throw flags.error("--client-ca is for a TLS listener (--tls, --wss or --quic HOST:PORT); none was given");
        }
        if (flags.has("quic-retry") && listeners.stream().noneMatch(uri -> "quic".equals(uri.getScheme())))
        {
            throw flags.error("--quic-retry is for a quic listener (--quic HOST:PORT); none was given");
        }
        final Path dataDir = flags.has("data-dir") ? Path.of(flags.value("data-dir")) : DEFAULT_DATA_DIR;
        if (Files.exists(dataDir) && !Files.isDirectory(dataDir))
        {
            throw flags.error(flags.label("data-dir") + " = " + dataDir + ": not a directory");
        }
        final int maxMessageSize = flags.intValue("max-message-size", BusConfig.DEFAULT_MAX_MESSAGE_SIZE,
            BusConfig.MIN_MESSAGE_SIZE, BusConfig.MAX_MESSAGE_SIZE_LIMIT);
        final long closeGraceMs = flags.longValue("close-grace", BusConfig.DEFAULT_CLOSE_GRACE.toMillis(), 1,
            Long.MAX_VALUE / 1_000_000L);
        final int shards = flags.intValue("shards", Runtime.getRuntime().availableProcessors(), 1, 1024);
        final Backend backend = backend(flags);
        final long[] cluster = flags.u128Value("cluster");
        final SortedMap<Integer, InetSocketAddress> replicas = flags.replicaMap("replicas");
        final int replicaId = flags.intValue("replica-id", BusConfig.NO_REPLICA, 0, BusConfig.MAX_REPLICA_ID);
        if (flags.has("replica-id") != flags.has("replicas"))
        {
            throw flags.error("--replica-id and --replicas go together");
        }
        if (!replicas.isEmpty() && !replicas.containsKey(replicaId))
        {
            throw flags.error(flags.label("replica-id") + " = " + replicaId + ": not one of the --replicas ids 0.." +
                (replicas.size() - 1));
        }
        if (listeners.isEmpty() && replicas.isEmpty())
        {
            throw flags.error("nothing to serve: give a client listener (--tcp HOST:PORT) and/or " +
                "--replica-id with --replicas");
        }
        final Limits limits = new Limits(
            flags.longValue("peer-queue-max-bytes", BusConfig.DEFAULT_PEER_QUEUE_MAX_BYTES,
                BusConfig.MIN_PEER_QUEUE_MAX_BYTES, Long.MAX_VALUE),
            flags.longValue("direct-memory-budget", BusConfig.AUTO_DIRECT_MEMORY_BUDGET, 0, Long.MAX_VALUE),
            Duration.ofMillis(flags.longValue("partial-frame-timeout",
                BusConfig.DEFAULT_PARTIAL_FRAME_TIMEOUT.toMillis(), 0, Long.MAX_VALUE / 1_000_000L)),
            Duration.ofMillis(flags.longValue("idle-timeout", DEFAULT_IDLE_TIMEOUT.toMillis(), 0,
                Long.MAX_VALUE / 1_000_000L)),
            flags.intValue("max-connections", BusConfig.DEFAULT_MAX_CONNECTIONS, 1, Integer.MAX_VALUE),
            flags.intValue("max-connections-per-address", BusConfig.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, 0,
                Integer.MAX_VALUE));
        final byte[] clusterKey = flags.has("cluster-key") ?
            KeygenCommand.read(flags.label("cluster-key"), Path.of(flags.value("cluster-key"))) : null;
        final ServeOptions options = new ServeOptions(Collections.unmodifiableList(listeners), cert, key, clientCa,
            dataDir,
            maxMessageSize, Duration.ofMillis(closeGraceMs), shards, backend, cluster[0], cluster[1], replicaId,
            Collections.unmodifiableSortedMap(replicas), limits, clusterKey, quicRetry(flags));
        options.config(); // every combination BusConfig rejects is a usage error too
        return options;
    }

    /** A replica of a test or demo cluster: no listeners of its own, no certificate. */
    public static ServeOptions replica(final int replicaId, final SortedMap<Integer, InetSocketAddress> replicas,
        final int shards, final Duration closeGrace, final Backend backend)
    {
        return new ServeOptions(List.of(), null, null, null, DEFAULT_DATA_DIR, BusConfig.DEFAULT_MAX_MESSAGE_SIZE,
            closeGrace, shards, backend, 0, 0, replicaId, replicas, Limits.DEFAULTS, null,
            RetryMode.AUTO);
    }

    /** True if a client listener runs over TLS, so the node needs a certificate. */
    public boolean needsCertificate()
    {
        for (final URI uri : listeners)
        {
            if (TLS_TRANSPORTS.contains(uri.getScheme()))
            {
                return true;
            }
        }
        return false;
    }

    /** {@code --name} as a path to a regular, readable file. */
    private static Path readableFile(final Flags flags, final String name) throws UsageException
    {
        final Path path = Path.of(flags.value(name));
        if (!Files.exists(path))
        {
            throw flags.error(flags.label(name) + " = " + path + ": no such file");
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path))
        {
            throw flags.error(flags.label(name) + " = " + path + ": not a readable file");
        }
        return path;
    }

    /** The settings of the quic listeners: the certificate's {@code tls}, and {@link #quicRetry()}. */
    public QuicSettings quicSettings(final TlsSettings tls)
    {
        return QuicSettings.builder().tls(tls).retryMode(quicRetry).build();
    }

    private static RetryMode quicRetry(final Flags flags) throws UsageException
    {
        final String text = flags.value("quic-retry");
        if (text == null)
        {
            return RetryMode.AUTO;
        }
        try
        {
            return RetryMode.parse(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw flags.error(flags.label("quic-retry") + " = " + text + ": must be always, auto or never");
        }
    }

    private static Backend backend(final Flags flags) throws UsageException
    {
        final String text = flags.value("backend");
        if (text == null)
        {
            return Backend.AUTO;
        }
        switch (text.toLowerCase(Locale.ROOT))
        {
            case "auto":
                return Backend.AUTO;
            case "nio":
                return Backend.NIO;
            case "io_uring":
                return Backend.IO_URING;
            default:
                throw flags.error(flags.label("backend") + " = " + text + ": must be auto, nio or io_uring");
        }
    }

    /**
     * The bus configuration, without client listeners (the command binds them one by one to print
     * each bound address) and without transport settings.
     *
     * @throws UsageException naming the field BusConfig rejects
     */
    public BusConfig config() throws UsageException
    {
        return config(Map.of());
    }

    /**
     * As {@link #config()}, with transport modules' settings by scheme (the TLS certificate under
     * "tls").
     *
     * @throws UsageException naming the field BusConfig rejects
     */
    public BusConfig config(final Map<String, Object> transportSettings) throws UsageException
    {
        try
        {
            final BusConfig.Builder builder = BusConfig.builder();
            for (final Map.Entry<String, Object> entry : transportSettings.entrySet())
            {
                builder.transportSettings(entry.getKey(), entry.getValue());
            }
            return builder
                .shards(shards)
                .maxMessageSize(maxMessageSize)
                .closeGrace(closeGrace)
                .backend(backend)
                .cluster(clusterHi, clusterLo)
                .replicaId(replicaId)
                .replicas(replicas)
                // Each request fans out as one prepare per peer: room for bursts of pipelined clients.
                .peerQueueCapacity(ECHO_PEER_QUEUE_CAPACITY)
                // A pipelining client keeps up to its window IN_FLIGHT; the table must hold them all.
                .dedupCapacityPerClient(ECHO_DEDUP_CAPACITY_PER_CLIENT)
                .peerQueueMaxBytes(limits.peerQueueMaxBytes())
                .directMemoryBudget(limits.directMemoryBudget())
                .partialFrameTimeout(limits.partialFrameTimeout())
                .idleTimeout(limits.idleTimeout())
                .clusterKey(clusterKey)
                .maxConnections(limits.maxConnections())
                .maxConnectionsPerAddress(limits.maxConnectionsPerAddress())
                .build();
        }
        catch (final InvalidConfigException ex)
        {
            throw new UsageException("ringbus serve: " + ex.getMessage(), ex);
        }
    }
}
