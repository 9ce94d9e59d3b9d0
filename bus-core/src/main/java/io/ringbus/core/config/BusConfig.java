package io.ringbus.core.config;

import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.shard.ShardRuntime;
import io.ringbus.core.transport.TransportProvider;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ThreadFactory;

/**
 * Everything a bus needs to know before it starts: shards, limits, timeouts, the replica set,
 * listeners and transport settings. Defaults and field names follow DESIGN.md, "Configuration".
 *
 * <p>Built with {@code BusConfig.builder()...build()}; {@link Builder#build()} validates every
 * field and every combination and throws {@link InvalidConfigException} naming the first field
 * that is wrong. Immutable, so any thread may read it.
 */
public final class BusConfig
{
    /**
     * Smallest valid frame, in bytes: the fixed frame header of WIRE.md, "Frame" (256 bytes).
     * A frame of this size is header-only, so no message limit may be smaller.
     */
    public static final int MIN_MESSAGE_SIZE = FrameHeader.HEADER_SIZE;
    /** Largest {@code max_message_size}: 1 GiB, the largest pooled frame buffer. */
    public static final int MAX_MESSAGE_SIZE_LIMIT = FramePool.MAX_BUFFER_SIZE;

    /** Default {@code max_message_size}: 64 MiB. */
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;
    /** Default {@code max_batch}: frames per gathering write. */
    public static final int DEFAULT_MAX_BATCH = 256;
    /** Largest valid {@code max_batch}. */
    public static final int MAX_BATCH_LIMIT = 512;
    /** Default {@code peer_queue_capacity}: queued outbound frames per replica connection. */
    public static final int DEFAULT_PEER_QUEUE_CAPACITY = 256;
    /** Default {@code close_grace}: budget for the whole close sequence of one connection. */
    public static final Duration DEFAULT_CLOSE_GRACE = Duration.ofSeconds(2);
    /** Default {@code handshake_grace}: time a new connection has to complete its handshake. */
    public static final Duration DEFAULT_HANDSHAKE_GRACE = Duration.ofSeconds(10);
    /** Default {@code reconnect_backoff_min}: first delay before redialling a replica. */
    public static final Duration DEFAULT_RECONNECT_BACKOFF_MIN = Duration.ofMillis(100);
    /** Default {@code reconnect_backoff_max}: longest delay before redialling a replica. */
    public static final Duration DEFAULT_RECONNECT_BACKOFF_MAX = Duration.ofSeconds(5);
    /** Default {@code replica_heartbeat}: how often each side of a replica link sends a heartbeat. */
    public static final Duration DEFAULT_REPLICA_HEARTBEAT = Duration.ofSeconds(1);
    /** {@code replica_id} of a node that is not a replica (a client-only bus). */
    public static final int NO_REPLICA = -1;
    /** Largest valid {@code replica_id}; 255 is "not a replica" on the wire (WIRE.md, "Frame"). */
    public static final int MAX_REPLICA_ID = 254;
    /** Largest replica count: ids 0..{@link #MAX_REPLICA_ID}. */
    public static final int MAX_REPLICAS = MAX_REPLICA_ID + 1;
    /** Default {@code mailbox_capacity}: slots in each shard's MPSC mailbox. */
    public static final int DEFAULT_MAILBOX_CAPACITY = 4096;
    /** Default {@code mailbox_drain_limit}: mailbox commands a shard runs per duty cycle. */
    public static final int DEFAULT_MAILBOX_DRAIN_LIMIT = 256;
    /** Default {@code receive_buffer_size}: the largest per-connection receive buffer, 64 KiB. */
    public static final int DEFAULT_RECEIVE_BUFFER_SIZE = 64 * 1024;
    /** Default {@code dedup_capacity_per_client}: remembered replies per client. */
    public static final int DEFAULT_DEDUP_CAPACITY_PER_CLIENT = 64;
    /** Default {@code dedup_ttl}: how long a client's remembered replies are kept. */
    public static final Duration DEFAULT_DEDUP_TTL = Duration.ofSeconds(30);
    /** Default {@code dedup_max_clients}: clients whose replies are remembered. */
    public static final int DEFAULT_DEDUP_MAX_CLIENTS = 65_536;
    /**
     * Default {@code peer_queue_max_bytes}: pooled bytes one connection's outbound queue may hold,
     * 16 MiB (4096 header-only frames in their 4 KiB buffers, or 128 frames of 128 KiB).
     */
    public static final long DEFAULT_PEER_QUEUE_MAX_BYTES = 16L * 1024 * 1024;
    /** Smallest {@code peer_queue_max_bytes}: one buffer of the smallest pool class. */
    public static final long MIN_PEER_QUEUE_MAX_BYTES = FramePool.MIN_CLASS_SIZE;
    /**
     * {@code direct_memory_budget} meaning "derive it from the JVM": half of its direct memory limit
     * ({@code -XX:MaxDirectMemorySize}, else the maximum heap, as the JDK does), leaving the other
     * half for receive buffers, carriers and the JDK's own; at least one buffer of max_message_size.
     */
    public static final long AUTO_DIRECT_MEMORY_BUDGET = 0;
    /** Default {@code partial_frame_timeout}: how long a started frame or record may stay incomplete. */
    public static final Duration DEFAULT_PARTIAL_FRAME_TIMEOUT = Duration.ofSeconds(30);
    /** Default {@code idle_timeout}: zero, off. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ZERO;
    /** Smallest cluster key, in bytes: 256 bits, the output size of HMAC-SHA256. */
    public static final int MIN_CLUSTER_KEY_LENGTH = 32;
    /** Default {@code max_connections}: client connections open at once on all listeners. */
    public static final int DEFAULT_MAX_CONNECTIONS = 65_536;
    /** Default {@code max_connections_per_address}: zero, no per-address limit. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 0;

    // A duration is used as nanoseconds on the shards; Duration.toNanos() overflows above this.
    private static final Duration MAX_DURATION = Duration.ofNanos(Long.MAX_VALUE);

    private final int shards;
    private final int maxMessageSize;
    private final int maxBatch;
    private final int peerQueueCapacity;
    private final Duration closeGrace;
    private final Duration handshakeGrace;
    private final Duration reconnectBackoffMin;
    private final Duration reconnectBackoffMax;
    private final Duration replicaHeartbeat;
    private final long clusterHi;
    private final long clusterLo;
    private final int replicaId;
    private final SortedMap<Integer, InetSocketAddress> replicas;
    private final List<URI> listen;
    private final Backend backend;
    private final IdleMode idleMode;
    private final int mailboxCapacity;
    private final int mailboxDrainLimit;
    private final int receiveBufferSize;
    private final int dedupCapacityPerClient;
    private final Duration dedupTtl;
    private final int dedupMaxClients;
    private final long peerQueueMaxBytes;
    private final long directMemoryBudget;
    private final Duration partialFrameTimeout;
    private final Duration idleTimeout;
    private final byte[] clusterKey;
    private final int maxConnections;
    private final int maxConnectionsPerAddress;
    private final WebSocketConfig webSocket;
    private final Map<String, Object> transportSettings;
    private final ShardRuntime runtime;
    private final ThreadFactory shardThreadFactory;
    private final Path dataDirectory;

    private BusConfig(Builder builder, WebSocketConfig webSocket, long directMemoryBudget)
    {
        this.peerQueueMaxBytes = builder.peerQueueMaxBytes;
        this.directMemoryBudget = directMemoryBudget;
        this.partialFrameTimeout = builder.partialFrameTimeout;
        this.idleTimeout = builder.idleTimeout;
        this.shards = builder.shards;
        this.maxMessageSize = builder.maxMessageSize;
        this.maxBatch = builder.maxBatch;
        this.peerQueueCapacity = builder.peerQueueCapacity;
        this.closeGrace = builder.closeGrace;
        this.handshakeGrace = builder.handshakeGrace;
        this.reconnectBackoffMin = builder.reconnectBackoffMin;
        this.reconnectBackoffMax = builder.reconnectBackoffMax;
        this.replicaHeartbeat = builder.replicaHeartbeat;
        this.clusterHi = builder.clusterHi;
        this.clusterLo = builder.clusterLo;
        this.replicaId = builder.replicaId;
        this.replicas = builder.replicas;
        this.listen = builder.listen;
        this.backend = builder.backend;
        this.idleMode = builder.idleMode;
        this.mailboxCapacity = builder.mailboxCapacity;
        this.mailboxDrainLimit = builder.mailboxDrainLimit;
        this.receiveBufferSize = builder.receiveBufferSize;
        this.dedupCapacityPerClient = builder.dedupCapacityPerClient;
        this.dedupTtl = builder.dedupTtl;
        this.dedupMaxClients = builder.dedupMaxClients;
        this.clusterKey = builder.clusterKey != null ? builder.clusterKey.clone() : null;
        this.maxConnections = builder.maxConnections;
        this.maxConnectionsPerAddress = builder.maxConnectionsPerAddress;
        this.webSocket = webSocket;
        this.transportSettings = Collections.unmodifiableMap(new TreeMap<>(builder.transportSettings));
        this.runtime = builder.runtime;
        this.shardThreadFactory = builder.shardThreadFactory;
        this.dataDirectory = builder.dataDirectory;
    }

    /**
     * Returns a new builder holding the defaults of DESIGN.md. The builder is not thread-safe.
     *
     * @return a new builder
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * Returns a new builder holding this configuration's values, to derive a changed copy.
     *
     * @return a new builder
     */
    public Builder toBuilder()
    {
        Builder builder = new Builder();
        builder.shards = shards;
        builder.maxMessageSize = maxMessageSize;
        builder.maxBatch = maxBatch;
        builder.peerQueueCapacity = peerQueueCapacity;
        builder.closeGrace = closeGrace;
        builder.handshakeGrace = handshakeGrace;
        builder.reconnectBackoffMin = reconnectBackoffMin;
        builder.reconnectBackoffMax = reconnectBackoffMax;
        builder.replicaHeartbeat = replicaHeartbeat;
        builder.clusterHi = clusterHi;
        builder.clusterLo = clusterLo;
        builder.replicaId = replicaId;
        builder.replicas = replicas;
        builder.listen = listen;
        builder.backend = backend;
        builder.idleMode = idleMode;
        builder.mailboxCapacity = mailboxCapacity;
        builder.mailboxDrainLimit = mailboxDrainLimit;
        builder.receiveBufferSize = receiveBufferSize;
        builder.dedupCapacityPerClient = dedupCapacityPerClient;
        builder.dedupTtl = dedupTtl;
        builder.dedupMaxClients = dedupMaxClients;
        builder.peerQueueMaxBytes = peerQueueMaxBytes;
        builder.directMemoryBudget = directMemoryBudget;
        builder.partialFrameTimeout = partialFrameTimeout;
        builder.idleTimeout = idleTimeout;
        builder.clusterKey = clusterKey;
        builder.maxConnections = maxConnections;
        builder.maxConnectionsPerAddress = maxConnectionsPerAddress;
        builder.webSocket = webSocket;
        builder.transportSettings.putAll(transportSettings);
        builder.runtime = runtime;
        builder.shardThreadFactory = shardThreadFactory;
        builder.dataDirectory = dataDirectory;
        return builder;
    }

    /**
     * Returns {@code shards}: how many shard threads the bus runs.
     *
     * @return at least 1
     */
    public int shards()
    {
        return shards;
    }

    /**
     * Returns {@code max_message_size}: the largest frame accepted or sent, header included.
     *
     * @return bytes, at least {@link #MIN_MESSAGE_SIZE}
     */
    public int maxMessageSize()
    {
        return maxMessageSize;
    }

    /**
     * Returns {@code max_batch}: the most frames written by one gathering write.
     *
     * @return 1..{@link #MAX_BATCH_LIMIT}
     */
    public int maxBatch()
    {
        return maxBatch;
    }

    /**
     * Returns {@code peer_queue_capacity}: outbound frames queued per connection before a send is
     * refused with back-pressure.
     *
     * @return at least 1
     */
    public int peerQueueCapacity()
    {
        return peerQueueCapacity;
    }

    /**
     * Returns {@code close_grace}: the budget for a connection's whole close sequence.
     *
     * @return a positive duration
     */
    public Duration closeGrace()
    {
        return closeGrace;
    }

    /**
     * Returns {@code handshake_grace}: how long a new connection has to finish its handshake
     * (TLS, WebSocket upgrade, replica ping).
     *
     * @return a positive duration
     */
    public Duration handshakeGrace()
    {
        return handshakeGrace;
    }

    /**
     * Returns {@code reconnect_backoff_min}: the first delay before redialling a replica.
     *
     * @return a positive duration, at most {@link #reconnectBackoffMax()}
     */
    public Duration reconnectBackoffMin()
    {
        return reconnectBackoffMin;
    }

    /**
     * Returns {@code reconnect_backoff_max}: the cap on the delay before redialling a replica.
     *
     * @return a positive duration, at least {@link #reconnectBackoffMin()}
     */
    public Duration reconnectBackoffMax()
    {
        return reconnectBackoffMax;
    }

    /**
     * Returns {@code replica_heartbeat}: how often each side of an established replica link sends a
     * header-only heartbeat ({@code pong}, docs/wire.md), so that a link whose peer crashed and came
     * back (the old connection is gone on its side, and it waits for us to dial) breaks on our next
     * heartbeat and is dialled again, even when the application has nothing to send. Zero: off.
     *
     * @return a non-negative duration
     */
    public Duration replicaHeartbeat()
    {
        return replicaHeartbeat;
    }

    /**
     * Returns the high 64 bits of {@code cluster}, the u128 cluster id carried in every frame.
     *
     * @return the high half of the cluster id
     */
    public long clusterHi()
    {
        return clusterHi;
    }

    /**
     * Returns the low 64 bits of {@code cluster}, the u128 cluster id carried in every frame.
     *
     * @return the low half of the cluster id
     */
    public long clusterLo()
    {
        return clusterLo;
    }

    /**
     * Returns {@code replica_id}: this node's id in {@link #replicas()}.
     *
     * @return 0..{@link #MAX_REPLICA_ID}, or {@link #NO_REPLICA}
     */
    public int replicaId()
    {
        return replicaId;
    }

    /**
     * Returns {@code replicas}: every replica's address by id, this node's own entry included.
     *
     * @return an unmodifiable map with keys exactly 0..n-1 in ascending order; empty when the
     *         node is not a replica
     */
    public SortedMap<Integer, InetSocketAddress> replicas()
    {
        return replicas;
    }

    /**
     * Returns {@code listen}: the client-plane listeners, as {@code scheme://host:port}.
     *
     * @return an unmodifiable list, in the order given to the builder
     */
    public List<URI> listen()
    {
        return listen;
    }

    /**
     * Returns {@code backend}: the I/O backend the shards run on.
     *
     * @return the backend
     */
    public Backend backend()
    {
        return backend;
    }

    /**
     * Returns {@code idle_mode}: what a shard does in a cycle that found no work.
     *
     * @return the idle mode
     */
    public IdleMode idleMode()
    {
        return idleMode;
    }

    /**
     * Returns {@code mailbox_capacity}: slots in each shard's MPSC mailbox.
     *
     * @return a power of two, at least 2
     */
    public int mailboxCapacity()
    {
        return mailboxCapacity;
    }

    /**
     * Returns {@code mailbox_drain_limit}: mailbox commands a shard runs per duty cycle.
     *
     * @return at least 1
     */
    public int mailboxDrainLimit()
    {
        return mailboxDrainLimit;
    }

    /**
     * Returns {@code receive_buffer_size}: the largest per-connection receive buffer. Receive
     * buffers come from the pool, from 4 KiB up to this size as reads fill them, and go back once
     * drained; a larger frame takes a pooled buffer of its own size.
     *
     * @return bytes, at least {@link #MIN_MESSAGE_SIZE}
     */
    public int receiveBufferSize()
    {
        return receiveBufferSize;
    }

    /**
     * Returns {@code dedup_capacity_per_client}: replies remembered per client for retries.
     *
     * @return at least 1
     */
    public int dedupCapacityPerClient()
    {
        return dedupCapacityPerClient;
    }

    /**
     * Returns {@code dedup_ttl}: how long a client's remembered replies are kept.
     *
     * @return a positive duration
     */
    public Duration dedupTtl()
    {
        return dedupTtl;
    }

    /**
     * Returns {@code dedup_max_clients}: clients whose replies are remembered at once.
     *
     * @return at least 1
     */
    public int dedupMaxClients()
    {
        return dedupMaxClients;
    }

    /**
     * Returns {@code peer_queue_max_bytes}: the pooled bytes (buffer capacities) one connection's
     * outbound frames may hold, queued or being written, before a send is refused with
     * back-pressure. A frame larger than the bound is still taken when nothing else is queued.
     * A client connection whose queue is full (in frames or bytes) also stops reading until it
     * has drained to half, so TCP flow control pushes back on a client that does not read.
     *
     * @return bytes, at least {@link #MIN_PEER_QUEUE_MAX_BYTES}
     */
    public long peerQueueMaxBytes()
    {
        return peerQueueMaxBytes;
    }

    /**
     * Returns {@code direct_memory_budget}: the direct memory the bus's frame pool may hold
     * (outstanding and idle buffers). A buffer beyond it is refused: a connection that needs one for
     * a frame it receives closes with {@code MEMORY_BUDGET}, and {@code MessageBus.allocate} throws
     * {@code PoolExhaustedException}. Resolved at build time when left at
     * {@link #AUTO_DIRECT_MEMORY_BUDGET}.
     *
     * @return bytes, at least the pooled buffer of one {@code max_message_size} frame
     */
    public long directMemoryBudget()
    {
        return directMemoryBudget;
    }

    /**
     * Returns {@code partial_frame_timeout}: how long a frame (or a carrier's TLS record or
     * WebSocket frame) may stay incomplete once its first byte arrived, and how long a write may
     * make no progress (the peer reads nothing), before the connection is closed with
     * {@code PARTIAL_FRAME_TIMEOUT} or {@code WRITE_STALLED}. Zero turns both off.
     *
     * @return a duration, zero (off) or positive
     */
    public Duration partialFrameTimeout()
    {
        return partialFrameTimeout;
    }

    /**
     * Returns {@code idle_timeout}: how long an open connection may pass without reading or
     * writing a byte before it is closed with {@code IDLE_TIMEOUT}. Zero (the default) is off.
     *
     * @return a duration, zero (off) or positive
     */
    public Duration idleTimeout()
    {
        return idleTimeout;
    }

    /**
     * Returns a copy of {@code cluster_key}: the secret every replica of the cluster shares, with
     * which the replica handshake authenticates both sides (HMAC-SHA256), or null when the replica
     * plane is unauthenticated (any peer that can reach the replica port may claim a replica id).
     *
     * @return a copy of the key (at least {@link #MIN_CLUSTER_KEY_LENGTH} bytes), or null
     */
    public byte[] clusterKey()
    {
        return clusterKey != null ? clusterKey.clone() : null;
    }

    /**
     * Returns whether a {@link #clusterKey()} is set.
     *
     * @return true if the replica handshake is authenticated
     */
    public boolean hasClusterKey()
    {
        return clusterKey != null;
    }

    /**
     * Returns {@code max_connections}: how many client connections (all listeners, all schemes,
     * handshakes in progress included) may be open at once; one more is closed as soon as it is
     * accepted, before any handshake work.
     *
     * @return at least 1
     */
    public int maxConnections()
    {
        return maxConnections;
    }

    /**
     * Returns {@code max_connections_per_address}: how many client connections one source IP
     * address may hold open at once; zero (the default) is no per-address limit.
     *
     * @return zero (off) or positive
     */
    public int maxConnectionsPerAddress()
    {
        return maxConnectionsPerAddress;
    }

    /**
     * Returns the ws and wss settings, with unset sizes filled in from {@link #maxMessageSize()}.
     *
     * @return the WebSocket configuration
     */
    public WebSocketConfig webSocket()
    {
        return webSocket;
    }

    /**
     * Returns the settings a transport module registered for {@code scheme} (e.g. bus-tls's
     * {@code TlsSettings} for "tls"), or null. bus-core treats them as opaque.
     *
     * @param scheme the transport scheme, lower case
     * @return the settings object, or null
     */
    public Object transportSettings(String scheme)
    {
        return transportSettings.get(scheme);
    }

    /**
     * Returns the runtime the shards run on: {@link ShardRuntime#THREADS} (one thread per shard,
     * the system clock) unless a simulator gave its own.
     *
     * @return the shard runtime
     */
    public ShardRuntime runtime()
    {
        return runtime;
    }

    /**
     * Returns the factory that makes the shard threads (threaded runtime only), or null for the
     * default: a plain {@code new Thread} per shard named {@code ringbus-shard-N}, as Agrona's
     * {@code AgentRunner.startOnThread} makes it.
     *
     * @return the user's thread factory, or null
     */
    public ThreadFactory shardThreadFactory()
    {
        return shardThreadFactory;
    }

    /**
     * Returns {@code data_directory}: where the bus keeps its counters ({@code ringbus.stat}) and
     * error log ({@code ringbus.errors}) for {@code ringbus stat}; null (the default) keeps them in
     * memory only.
     *
     * @return the directory, or null
     */
    public Path dataDirectory()
    {
        return dataDirectory;
    }

    /**
     * Compares every field.
     *
     * @param other the object to compare with
     * @return whether {@code other} is an equal configuration
     */
    @Override
    public boolean equals(Object other)
    {
        if (this == other)
        {
            return true;
        }
        if (!(other instanceof BusConfig))
        {
            return false;
        }
        BusConfig that = (BusConfig) other;
        return shards == that.shards
                && maxMessageSize == that.maxMessageSize
                && maxBatch == that.maxBatch
                && peerQueueCapacity == that.peerQueueCapacity
                && closeGrace.equals(that.closeGrace)
                && handshakeGrace.equals(that.handshakeGrace)
                && reconnectBackoffMin.equals(that.reconnectBackoffMin)
                && reconnectBackoffMax.equals(that.reconnectBackoffMax)
                && replicaHeartbeat.equals(that.replicaHeartbeat)
                && clusterHi == that.clusterHi
                && clusterLo == that.clusterLo
                && replicaId == that.replicaId
                && replicas.equals(that.replicas)
                && listen.equals(that.listen)
                && backend == that.backend
                && idleMode == that.idleMode
                && mailboxCapacity == that.mailboxCapacity
                && mailboxDrainLimit == that.mailboxDrainLimit
                && receiveBufferSize == that.receiveBufferSize
                && dedupCapacityPerClient == that.dedupCapacityPerClient
                && dedupTtl.equals(that.dedupTtl)
                && dedupMaxClients == that.dedupMaxClients
                && peerQueueMaxBytes == that.peerQueueMaxBytes
                && directMemoryBudget == that.directMemoryBudget
                && partialFrameTimeout.equals(that.partialFrameTimeout)
                && idleTimeout.equals(that.idleTimeout)
                && java.util.Arrays.equals(clusterKey, that.clusterKey)
                && maxConnections == that.maxConnections
                && maxConnectionsPerAddress == that.maxConnectionsPerAddress
                && webSocket.equals(that.webSocket)
                && transportSettings.equals(that.transportSettings)
                && runtime == that.runtime
                && shardThreadFactory == that.shardThreadFactory
                && Objects.equals(dataDirectory, that.dataDirectory);
    }

    /**
     * Returns a hash consistent with {@link #equals(Object)}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode()
    {
        return Objects.hash(
                shards, maxMessageSize, maxBatch, peerQueueCapacity, closeGrace, handshakeGrace,
                reconnectBackoffMin, reconnectBackoffMax, replicaHeartbeat, clusterHi, clusterLo, replicaId, replicas, listen,
                backend, idleMode, mailboxCapacity, mailboxDrainLimit, receiveBufferSize,
                dedupCapacityPerClient, dedupTtl, dedupMaxClients, peerQueueMaxBytes, directMemoryBudget,
                partialFrameTimeout, idleTimeout, java.util.Arrays.hashCode(clusterKey), maxConnections,
                maxConnectionsPerAddress, webSocket, transportSettings, dataDirectory);
    }

    /**
     * Returns the configuration as {@code BusConfig{shards=8, max_message_size=67108864, ...}},
     * using the DESIGN.md field names; the cluster id is printed as 32 hex digits.
     *
     * @return a readable rendering for logs
     */
    @Override
    public String toString()
    {
        return "BusConfig{shards=" + shards
                + ", max_message_size=" + maxMessageSize
                + ", max_batch=" + maxBatch
                + ", peer_queue_capacity=" + peerQueueCapacity
                + ", close_grace=" + closeGrace
                + ", handshake_grace=" + handshakeGrace
                + ", reconnect_backoff=" + reconnectBackoffMin + ".." + reconnectBackoffMax
                + ", replica_heartbeat=" + replicaHeartbeat
                + ", cluster=" + hex16(clusterHi) + hex16(clusterLo)
                + ", replica_id=" + replicaId
                + ", replicas=" + replicas
                + ", listen=" + listen
                + ", backend=" + backend
                + ", idle_mode=" + idleMode
                + ", mailbox_capacity=" + mailboxCapacity
                + ", mailbox_drain_limit=" + mailboxDrainLimit
                + ", receive_buffer_size=" + receiveBufferSize
                + ", dedup_capacity_per_client=" + dedupCapacityPerClient
                + ", dedup_ttl=" + dedupTtl
                + ", dedup_max_clients=" + dedupMaxClients
                + ", peer_queue_max_bytes=" + peerQueueMaxBytes
                + ", direct_memory_budget=" + directMemoryBudget
                + ", partial_frame_timeout=" + partialFrameTimeout
                + ", idle_timeout=" + idleTimeout
                + ", cluster_key=" + (clusterKey != null ? "(" + clusterKey.length + " bytes)" : "none")
                + ", max_connections=" + maxConnections
                + ", max_connections_per_address=" + maxConnectionsPerAddress
                + ", web_socket=" + webSocket
                + ", transport_settings=" + transportSettings.keySet()
                + ", data_directory=" + dataDirectory
                + '}';
    }

    private static String hex16(long value)
    {
        String hex = Long.toHexString(value);
        return "0".repeat(16 - hex.length()) + hex;
    }

    /**
     * Collects settings, starting from the defaults; {@link #build()} validates them. Setters only
     * reject null; every other check happens in {@link #build()}. Not thread-safe: use a builder
     * from one thread, then share the built {@link BusConfig}.
     */
    public static final class Builder
    {
        private int shards = Runtime.getRuntime().availableProcessors();
        private int maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
        private int maxBatch = DEFAULT_MAX_BATCH;
        private int peerQueueCapacity = DEFAULT_PEER_QUEUE_CAPACITY;
        private Duration closeGrace = DEFAULT_CLOSE_GRACE;
        private Duration handshakeGrace = DEFAULT_HANDSHAKE_GRACE;
        private Duration reconnectBackoffMin = DEFAULT_RECONNECT_BACKOFF_MIN;
        private Duration reconnectBackoffMax = DEFAULT_RECONNECT_BACKOFF_MAX;
        private Duration replicaHeartbeat = DEFAULT_REPLICA_HEARTBEAT;
        private long clusterHi;
        private long clusterLo;
        private int replicaId = NO_REPLICA;
        private SortedMap<Integer, InetSocketAddress> replicas = Collections.emptySortedMap();
        private List<URI> listen = List.of();
        private Backend backend = Backend.AUTO;
        private IdleMode idleMode = IdleMode.BLOCKING;
        private int mailboxCapacity = DEFAULT_MAILBOX_CAPACITY;
        private int mailboxDrainLimit = DEFAULT_MAILBOX_DRAIN_LIMIT;
        private int receiveBufferSize = DEFAULT_RECEIVE_BUFFER_SIZE;
        private int dedupCapacityPerClient = DEFAULT_DEDUP_CAPACITY_PER_CLIENT;
        private Duration dedupTtl = DEFAULT_DEDUP_TTL;
        private int dedupMaxClients = DEFAULT_DEDUP_MAX_CLIENTS;
        private long peerQueueMaxBytes = DEFAULT_PEER_QUEUE_MAX_BYTES;
        private long directMemoryBudget = AUTO_DIRECT_MEMORY_BUDGET;
        private byte[] clusterKey;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int maxConnectionsPerAddress = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
        private Duration partialFrameTimeout = DEFAULT_PARTIAL_FRAME_TIMEOUT;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private WebSocketConfig webSocket = WebSocketConfig.defaults();
        private final Map<String, Object> transportSettings = new TreeMap<>();
        private ShardRuntime runtime = ShardRuntime.THREADS;
        private ThreadFactory shardThreadFactory;
        private Path dataDirectory;

        private Builder()
        {
        }

        /**
         * Sets {@code shards}, the number of shard threads. Default: available processors.
         *
         * @param shards at least 1
         * @return this builder
         */
        public Builder shards(int shards)
        {
            this.shards = shards;
            return this;
        }

        /**
         * Sets {@code max_message_size}, the largest frame, header included. Default: 64 MiB.
         *
         * @param maxMessageSize bytes, at least {@link #MIN_MESSAGE_SIZE}
         * @return this builder
         */
        public Builder maxMessageSize(int maxMessageSize)
        {
            this.maxMessageSize = maxMessageSize;
            return this;
        }

        /**
         * Sets {@code max_batch}, the most frames per gathering write. Default: 256.
         *
         * @param maxBatch 1..{@link #MAX_BATCH_LIMIT}
         * @return this builder
         */
        public Builder maxBatch(int maxBatch)
        {
            this.maxBatch = maxBatch;
            return this;
        }

        /**
         * Sets {@code peer_queue_capacity}, outbound frames queued per connection. Default: 256.
         *
         * @param peerQueueCapacity at least 1
         * @return this builder
         */
        public Builder peerQueueCapacity(int peerQueueCapacity)
        {
            this.peerQueueCapacity = peerQueueCapacity;
            return this;
        }

        /**
         * Sets {@code close_grace}, the budget for a connection's close sequence. Default: 2 s.
         *
         * @param closeGrace positive
         * @return this builder
         * @throws NullPointerException if {@code closeGrace} is null
         */
        public Builder closeGrace(Duration closeGrace)
        {
            this.closeGrace = Objects.requireNonNull(closeGrace, "closeGrace");
            return this;
        }

        /**
         * Sets {@code handshake_grace}, the time a new connection has to finish its handshake.
         * Default: 10 s.
         *
         * @param handshakeGrace positive
         * @return this builder
         * @throws NullPointerException if {@code handshakeGrace} is null
         */
        public Builder handshakeGrace(Duration handshakeGrace)
        {
            this.handshakeGrace = Objects.requireNonNull(handshakeGrace, "handshakeGrace");
            return this;
        }

        /**
         * Sets {@code reconnect_backoff_min}, the first redial delay. Default: 100 ms.
         *
         * @param reconnectBackoffMin positive, at most {@code reconnect_backoff_max}
         * @return this builder
         * @throws NullPointerException if {@code reconnectBackoffMin} is null
         */
        public Builder reconnectBackoffMin(Duration reconnectBackoffMin)
        {
            this.reconnectBackoffMin = Objects.requireNonNull(reconnectBackoffMin, "reconnectBackoffMin");
            return this;
        }

        /**
         * Sets {@code reconnect_backoff_max}, the cap on the redial delay. Default: 5 s.
         *
         * @param reconnectBackoffMax positive, at least {@code reconnect_backoff_min}
         * @return this builder
         * @throws NullPointerException if {@code reconnectBackoffMax} is null
         */
        public Builder reconnectBackoffMax(Duration reconnectBackoffMax)
        {
            this.reconnectBackoffMax = Objects.requireNonNull(reconnectBackoffMax, "reconnectBackoffMax");
            return this;
        }

        /**
         * Sets {@code replica_heartbeat}, how often each side of a replica link sends a heartbeat
         * (see {@link BusConfig#replicaHeartbeat()}). Default: 1 s; zero turns heartbeats off.
         *
         * @param replicaHeartbeat zero or positive
         * @return this builder
         * @throws NullPointerException if {@code replicaHeartbeat} is null
         */
        public Builder replicaHeartbeat(Duration replicaHeartbeat)
        {
            this.replicaHeartbeat = Objects.requireNonNull(replicaHeartbeat, "replicaHeartbeat");
            return this;
        }

        /**
         * Sets {@code cluster}, the u128 cluster id, as two halves. Default: 0.
         *
         * @param clusterHi the high 64 bits
         * @param clusterLo the low 64 bits
         * @return this builder
         */
        public Builder cluster(long clusterHi, long clusterLo)
        {
            this.clusterHi = clusterHi;
            this.clusterLo = clusterLo;
            return this;
        }

        /**
         * Sets {@code replica_id}, this node's id in {@code replicas}. Default: {@link #NO_REPLICA}.
         *
         * @param replicaId 0..{@link #MAX_REPLICA_ID} and a key of {@code replicas}, or
         *                  {@link #NO_REPLICA} when {@code replicas} is empty
         * @return this builder
         */
        public Builder replicaId(int replicaId)
        {
            this.replicaId = replicaId;
            return this;
        }

        /**
         * Sets {@code replicas}, every replica's address by id. Default: empty (not a replica).
         *
         * @param replicas ids exactly 0..n-1, n at most {@link #MAX_REPLICAS}; copied
         * @return this builder
         * @throws NullPointerException if the map, a key or a value is null
         */
        public Builder replicas(Map<Integer, InetSocketAddress> replicas)
        {
            Objects.requireNonNull(replicas, "replicas");
            TreeMap<Integer, InetSocketAddress> copy = new TreeMap<>();
            for (Map.Entry<Integer, InetSocketAddress> entry : replicas.entrySet())
            {
                copy.put(
                        Objects.requireNonNull(entry.getKey(), "replicas key"),
                        Objects.requireNonNull(entry.getValue(), "replicas value"));
            }
            this.replicas = Collections.unmodifiableSortedMap(copy);
            return this;
        }

        /**
         * Sets {@code listen}, the client-plane listeners. Default: none.
         *
         * <p>Two listeners on the same host and port are an error when both are TCP-based (tcp, tls,
         * ws, wss) or both are quic; a TCP-based listener and a quic one may share a port because
         * quic is UDP. Hosts are compared by name, without DNS, so {@code 0.0.0.0:9000} and
         * {@code 127.0.0.1:9000} pass here and collide at bind time. Port 0 never collides.
         *
         * @param listen URIs {@code scheme://host:port} with scheme tcp, tls, ws, wss or quic and
         *               port 0..65535 (0: any free port); copied
         * @return this builder
         * @throws NullPointerException if the list or an element is null
         */
        public Builder listen(List<URI> listen)
        {
            Objects.requireNonNull(listen, "listen");
            List<URI> copy = new ArrayList<>(listen.size());
            for (URI uri : listen)
            {
                copy.add(Objects.requireNonNull(uri, "listen element"));
            }
            this.listen = Collections.unmodifiableList(copy);
            return this;
        }

        /**
         * Sets {@code backend}, the I/O backend. Default: {@link Backend#AUTO}.
         *
         * @param backend the backend
         * @return this builder
         * @throws NullPointerException if {@code backend} is null
         */
        public Builder backend(Backend backend)
        {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /**
         * Sets {@code idle_mode}, what an idle shard does. Default: {@link IdleMode#BLOCKING}.
         *
         * @param idleMode the idle mode
         * @return this builder
         * @throws NullPointerException if {@code idleMode} is null
         */
        public Builder idleMode(IdleMode idleMode)
        {
            this.idleMode = Objects.requireNonNull(idleMode, "idleMode");
            return this;
        }

        /**
         * Sets {@code mailbox_capacity}, slots per shard mailbox. Default: 4096.
         *
         * @param mailboxCapacity a power of two, at least 2
         * @return this builder
         */
        public Builder mailboxCapacity(int mailboxCapacity)
        {
            this.mailboxCapacity = mailboxCapacity;
            return this;
        }

        /**
         * Sets {@code mailbox_drain_limit}, mailbox commands per duty cycle. Default: 256.
         *
         * @param mailboxDrainLimit at least 1
         * @return this builder
         */
        public Builder mailboxDrainLimit(int mailboxDrainLimit)
        {
            this.mailboxDrainLimit = mailboxDrainLimit;
            return this;
        }

        /**
         * Sets {@code receive_buffer_size}, the largest per-connection receive buffer (pooled, from
         * 4 KiB up to this size as reads fill it). Default: 64 KiB.
         *
         * @param receiveBufferSize bytes, at least {@link #MIN_MESSAGE_SIZE}; may exceed
         *                          {@code max_message_size}
         * @return this builder
         */
        public Builder receiveBufferSize(int receiveBufferSize)
        {
            this.receiveBufferSize = receiveBufferSize;
            return this;
        }

        /**
         * Sets {@code dedup_capacity_per_client}, replies remembered per client. Default: 64.
         *
         * @param dedupCapacityPerClient at least 1
         * @return this builder
         */
        public Builder dedupCapacityPerClient(int dedupCapacityPerClient)
        {
            this.dedupCapacityPerClient = dedupCapacityPerClient;
            return this;
        }

        /**
         * Sets {@code dedup_ttl}, how long remembered replies are kept. Default: 30 s.
         *
         * @param dedupTtl positive
         * @return this builder
         * @throws NullPointerException if {@code dedupTtl} is null
         */
        public Builder dedupTtl(Duration dedupTtl)
        {
            this.dedupTtl = Objects.requireNonNull(dedupTtl, "dedupTtl");
            return this;
        }

        /**
         * Sets {@code dedup_max_clients}, clients remembered at once. Default: 65536.
         *
         * @param dedupMaxClients at least 1
         * @return this builder
         */
        public Builder dedupMaxClients(int dedupMaxClients)
        {
            this.dedupMaxClients = dedupMaxClients;
            return this;
        }

        /**
         * Sets {@code peer_queue_max_bytes}, the pooled bytes one connection's outbound frames may
         * hold. Default: 16 MiB.
         *
         * @param peerQueueMaxBytes at least {@link #MIN_PEER_QUEUE_MAX_BYTES}
         * @return this builder
         */
        public Builder peerQueueMaxBytes(long peerQueueMaxBytes)
        {
            this.peerQueueMaxBytes = peerQueueMaxBytes;
            return this;
        }

        /**
         * Sets {@code direct_memory_budget}, the direct memory the frame pool may hold. Default:
         * {@link #AUTO_DIRECT_MEMORY_BUDGET}, half of the JVM's direct memory limit.
         *
         * @param directMemoryBudget bytes, at least the pooled buffer of one {@code max_message_size}
         *                           frame (the next power of two), or {@link #AUTO_DIRECT_MEMORY_BUDGET}
         * @return this builder
         */
        public Builder directMemoryBudget(long directMemoryBudget)
        {
            this.directMemoryBudget = directMemoryBudget;
            return this;
        }

        /**
         * Sets {@code partial_frame_timeout}, how long a started frame or record may stay incomplete
         * and a write may make no progress. Default: 30 s.
         *
         * @param partialFrameTimeout zero (off) or positive
         * @return this builder
         * @throws NullPointerException if {@code partialFrameTimeout} is null
         */
        public Builder partialFrameTimeout(Duration partialFrameTimeout)
        {
            this.partialFrameTimeout = Objects.requireNonNull(partialFrameTimeout, "partialFrameTimeout");
            return this;
        }

        /**
         * Sets {@code idle_timeout}, how long an open connection may pass without a byte read or
         * written. Default: zero, off.
         *
         * @param idleTimeout zero (off) or positive
         * @return this builder
         * @throws NullPointerException if {@code idleTimeout} is null
         */
        public Builder idleTimeout(Duration idleTimeout)
        {
            this.idleTimeout = Objects.requireNonNull(idleTimeout, "idleTimeout");
            return this;
        }

        /**
         * Sets {@code cluster_key}, the secret shared by every replica of the cluster that
         * authenticates the replica handshake. Default: none (unauthenticated, with a warning at
         * start when replicas are configured). The array is copied.
         *
         * @param clusterKey at least {@link #MIN_CLUSTER_KEY_LENGTH} random bytes, or null for none
         * @return this builder
         */
        public Builder clusterKey(byte[] clusterKey)
        {
            this.clusterKey = clusterKey != null ? clusterKey.clone() : null;
            return this;
        }

        /**
         * Sets {@code max_connections}, the client connections open at once on all listeners.
         * Default: {@link #DEFAULT_MAX_CONNECTIONS}.
         *
         * @param maxConnections at least 1
         * @return this builder
         */
        public Builder maxConnections(int maxConnections)
        {
            this.maxConnections = maxConnections;
            return this;
        }

        /**
         * Sets {@code max_connections_per_address}, the client connections one source IP address
         * may hold open at once. Default: zero, no limit.
         *
         * @param maxConnectionsPerAddress zero (off) or positive
         * @return this builder
         */
        public Builder maxConnectionsPerAddress(int maxConnectionsPerAddress)
        {
            this.maxConnectionsPerAddress = maxConnectionsPerAddress;
            return this;
        }

        /**
         * Sets the ws and wss settings. Default: {@link WebSocketConfig#defaults()}.
         *
         * @param webSocket the WebSocket configuration
         * @return this builder
         * @throws NullPointerException if {@code webSocket} is null
         */
        public Builder webSocket(WebSocketConfig webSocket)
        {
            this.webSocket = Objects.requireNonNull(webSocket, "webSocket");
            return this;
        }

        /**
         * Registers a transport module's settings for {@code scheme} (TLS certificates for "tls",
         * ...). Opaque to bus-core; the transport provider of that scheme reads them.
         *
         * @param scheme   the transport scheme, lower case
         * @param settings the module's settings object
         * @return this builder
         * @throws NullPointerException if either argument is null
         */
        public Builder transportSettings(String scheme, Object settings)
        {
            transportSettings.put(
                    Objects.requireNonNull(scheme, "scheme").toLowerCase(Locale.ROOT),
                    Objects.requireNonNull(settings, "settings"));
            return this;
        }

        /**
         * Sets the runtime the shards run on. Default: {@link ShardRuntime#THREADS}, one thread per
         * shard on the system clock, which is what servers want; a simulator passes its own (a
         * virtual clock, a seeded random source, a simulated backend, shards stepped on one thread).
         *
         * @param runtime the shard runtime
         * @return this builder
         * @throws NullPointerException if {@code runtime} is null
         */
        public Builder runtime(ShardRuntime runtime)
        {
            this.runtime = Objects.requireNonNull(runtime, "runtime");
            return this;
        }

        /**
         * Sets the factory that makes the shard threads, for names, priorities, daemon status or CPU
         * pinning with a library of the user's choice. It is called once per shard, in shard order
         * (0 to N-1), on the thread that starts the bus, with the shard's runnable; the thread it
         * returns must not be started yet and must run that runnable (it may wrap it, e.g. to pin
         * the thread before the shard's loop begins). The bus starts the thread and keeps the name
         * the factory gave it. Used only by the threaded runtime ({@link ShardRuntime#THREADS}).
         *
         * <p>Default (null): a plain {@code new Thread} per shard, named {@code ringbus-shard-N}
         * where N is the shard index, as Agrona's {@code AgentRunner.startOnThread} makes it.
         *
         * @param shardThreadFactory the factory, or null for the default
         * @return this builder
         */
        public Builder shardThreadFactory(ThreadFactory shardThreadFactory)
        {
            this.shardThreadFactory = shardThreadFactory;
            return this;
        }

        /**
         * Sets {@code data_directory}: the bus keeps its counters ({@code ringbus.stat}) and error
         * log ({@code ringbus.errors}) there, for {@code ringbus stat}. Null (the default) keeps
         * them in memory only. Checked by {@link #build()}: a writable directory, or one that can be
         * created.
         *
         * @param dataDirectory the directory, or null for none
         * @return this builder
         */
        public Builder dataDirectory(Path dataDirectory)
        {
            this.dataDirectory = dataDirectory;
            return this;
        }

        /**
         * Validates every field and combination and returns the configuration.
         *
         * @return the built configuration
         * @throws InvalidConfigException naming the first invalid field and its value
         */
        public BusConfig build()
        {
            requireAtLeast("shards", shards, 1);
            if (maxMessageSize < MIN_MESSAGE_SIZE)
            {
                throw new InvalidConfigException(
                        "max_message_size",
                        maxMessageSize,
                        "must be >= " + MIN_MESSAGE_SIZE + " (the frame header size)");
            }
            if (maxMessageSize > MAX_MESSAGE_SIZE_LIMIT)
            {
                throw new InvalidConfigException(
                        "max_message_size", maxMessageSize, "must be <= " + MAX_MESSAGE_SIZE_LIMIT + " (1 GiB)");
            }
            if (maxBatch < 1 || maxBatch > MAX_BATCH_LIMIT)
            {
                throw new InvalidConfigException("max_batch", maxBatch, "must be within 1.." + MAX_BATCH_LIMIT);
            }
            requireAtLeast("peer_queue_capacity", peerQueueCapacity, 1);
            requirePositive("close_grace", closeGrace);
            requirePositive("handshake_grace", handshakeGrace);
            requirePositive("reconnect_backoff_min", reconnectBackoffMin);
            requirePositive("reconnect_backoff_max", reconnectBackoffMax);
            if (replicaHeartbeat.isNegative())
            {
                throw new InvalidConfigException("replica_heartbeat", replicaHeartbeat, "must be >= 0 (0: off)");
            }
            if (reconnectBackoffMin.compareTo(reconnectBackoffMax) > 0)
            {
                throw new InvalidConfigException(
                        "reconnect_backoff_min",
                        reconnectBackoffMin,
                        "must be <= reconnect_backoff_max (" + reconnectBackoffMax + ")");
            }
            validateReplicas();
            validateListen();
            if (mailboxCapacity < 2 || Integer.bitCount(mailboxCapacity) != 1)
            {
                throw new InvalidConfigException(
                        "mailbox_capacity", mailboxCapacity, "must be a power of two >= 2");
            }
            requireAtLeast("mailbox_drain_limit", mailboxDrainLimit, 1);
            requireAtLeast("receive_buffer_size", receiveBufferSize, MIN_MESSAGE_SIZE);
            requireAtLeast("dedup_capacity_per_client", dedupCapacityPerClient, 1);
            requirePositive("dedup_ttl", dedupTtl);
            requireAtLeast("dedup_max_clients", dedupMaxClients, 1);
            if (peerQueueMaxBytes < MIN_PEER_QUEUE_MAX_BYTES)
            {
                throw new InvalidConfigException(
                        "peer_queue_max_bytes", peerQueueMaxBytes, "must be >= " + MIN_PEER_QUEUE_MAX_BYTES);
            }
            // One frame of max_message_size must fit: a budget below it could never serve that frame.
            long largestBuffer = FramePool.classCapacity(maxMessageSize);
            long budget = directMemoryBudget;
            if (budget == AUTO_DIRECT_MEMORY_BUDGET)
            {
                budget = Math.max(largestBuffer, jvmDirectMemoryLimit() / 2);
            }
            else if (budget < largestBuffer)
            {
                throw new InvalidConfigException("direct_memory_budget", budget, "must be >= " + largestBuffer +
                        " (the pooled buffer of one max_message_size frame), or " + AUTO_DIRECT_MEMORY_BUDGET +
                        " for half the JVM's direct memory limit");
            }
            requireZeroOrPositive("partial_frame_timeout", partialFrameTimeout);
            requireZeroOrPositive("idle_timeout", idleTimeout);
            if (clusterKey != null && clusterKey.length < MIN_CLUSTER_KEY_LENGTH)
            {
                throw new InvalidConfigException("cluster_key", "(" + clusterKey.length + " bytes)",
                        "must be at least " + MIN_CLUSTER_KEY_LENGTH + " random bytes");
            }
            requireAtLeast("max_connections", maxConnections, 1);
            requireAtLeast("max_connections_per_address", maxConnectionsPerAddress, 0);
            WebSocketConfig resolvedWebSocket = webSocket.resolve(maxMessageSize);
            validateWebSocket(resolvedWebSocket);
            validateDataDirectory();
            return new BusConfig(this, resolvedWebSocket, budget);
        }

        /** A directory that exists and is writable, or whose nearest existing ancestor is a writable directory. */
        private void validateDataDirectory()
        {
            if (dataDirectory == null)
            {
                return;
            }
            Path existing = dataDirectory.toAbsolutePath();
            while (existing != null && !Files.exists(existing))
            {
                existing = existing.getParent();
            }
            if (existing == null)
            {
                throw new InvalidConfigException("data_directory", dataDirectory,
                        "cannot be created (no existing parent)");
            }
            if (!Files.isDirectory(existing))
            {
                throw new InvalidConfigException("data_directory", dataDirectory, existing.equals(
                        dataDirectory.toAbsolutePath()) ? "is not a directory" : "cannot be created: " + existing +
                        " is not a directory");
            }
            if (!Files.isWritable(existing))
            {
                throw new InvalidConfigException("data_directory", dataDirectory, existing.equals(
                        dataDirectory.toAbsolutePath()) ? "is not writable" : "cannot be created: " + existing +
                        " is not writable");
            }
        }

        /**
         * The JVM's direct memory limit as {@code java.nio.Bits} enforces it: -XX:MaxDirectMemorySize
         * if given, else the maximum heap.
         */
        private static long jvmDirectMemoryLimit()
        {
            try
            {
                com.sun.management.HotSpotDiagnosticMXBean hotSpot = java.lang.management.ManagementFactory
                        .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
                long limit = Long.parseLong(hotSpot.getVMOption("MaxDirectMemorySize").getValue());
                if (limit > 0)
                {
                    return limit;
                }
            }
            catch (RuntimeException | LinkageError ex)
            {
                // not HotSpot, or no jdk.management: the JDK's default rule below
            }
            return Runtime.getRuntime().maxMemory();
        }

        private void validateReplicas()
        {
            if (replicaId != NO_REPLICA && (replicaId < 0 || replicaId > MAX_REPLICA_ID))
            {
                throw new InvalidConfigException(
                        "replica_id", replicaId, "must be within 0.." + MAX_REPLICA_ID + " or " + NO_REPLICA);
            }
            int count = replicas.size();
            if (count > MAX_REPLICAS)
            {
                throw new InvalidConfigException(
                        "replicas", replicas, "must hold at most " + MAX_REPLICAS + " replicas");
            }
            // Keys are distinct and sorted, so they are exactly 0..n-1 iff the first is 0 and the last n-1.
            if (count > 0 && (replicas.firstKey() != 0 || replicas.lastKey() != count - 1))
            {
                throw new InvalidConfigException("replicas", replicas, "ids must be exactly 0.." + (count - 1));
            }
            if (count > 0 && !replicas.containsKey(replicaId))
            {
                throw new InvalidConfigException(
                        "replica_id", replicaId, "must be one of the replicas ids 0.." + (count - 1));
            }
            if (count == 0 && replicaId != NO_REPLICA)
            {
                throw new InvalidConfigException("replica_id", replicaId, "requires a non-empty replicas map");
            }
        }

        /**
         * Each listen URI names a scheme some {@link TransportProvider} on the class path serves, and
         * is {@code scheme://host:port}; no two bind the same host:port in the same port space (the
         * provider's {@link TransportProvider#bindProtocol()}: tcp, tls, ws and wss share TCP's, quic
         * is UDP). BusConfig knows no scheme by name: a transport module on the class path adds its own.
         */
        private void validateListen()
        {
            if (listen.isEmpty())
            {
                return;
            }
            List<TransportProvider> providers = TransportProvider.available();
            Map<String, URI> bound = new HashMap<>();
            for (URI uri : listen)
            {
                TransportProvider provider = TransportProvider.find(providers, uri.getScheme());
                if (provider == null)
                {
                    throw new InvalidConfigException(
                            "listen", uri, "scheme must be one of " + TransportProvider.schemes(providers));
                }
                String protocol = provider.bindProtocol();
                if (uri.getHost() == null || uri.getPort() < 0)
                {
                    throw new InvalidConfigException("listen", uri, "must be scheme://host:port");
                }
                if (uri.getPort() > 65_535)
                {
                    throw new InvalidConfigException("listen", uri, "port must be within 0..65535");
                }
                String path = uri.getRawPath();
                if (uri.getRawUserInfo() != null
                        || (path != null && !path.isEmpty() && !"/".equals(path))
                        || uri.getRawQuery() != null
                        || uri.getRawFragment() != null)
                {
                    throw new InvalidConfigException(
                            "listen", uri, "must be scheme://host:port, without user info, path, query or fragment");
                }
                // Port 0 binds a fresh ephemeral port each time, so it never collides.
                if (uri.getPort() == 0)
                {
                    continue;
                }
                String key = protocol + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ':' + uri.getPort();
                URI previous = bound.putIfAbsent(key, uri);
                if (previous != null)
                {
                    throw new InvalidConfigException(
                            "listen", uri, "binds the same " + protocol + " host:port as " + previous);
                }
            }
        }

        private void validateWebSocket(WebSocketConfig ws)
        {
            requireAtLeast("ws_max_frame_size", ws.maxFrameSize(), MIN_MESSAGE_SIZE);
            requireAtLeast("ws_max_message_size", ws.maxMessageSize(), MIN_MESSAGE_SIZE);
            if (ws.maxFrameSize() > ws.maxMessageSize())
            {
                throw new InvalidConfigException(
                        "ws_max_frame_size",
                        ws.maxFrameSize(),
                        "must be <= ws_max_message_size (" + ws.maxMessageSize() + ")");
            }
            if (ws.maxMessageSize() > maxMessageSize)
            {
                throw new InvalidConfigException(
                        "ws_max_message_size",
                        ws.maxMessageSize(),
                        "must be <= max_message_size (" + maxMessageSize + ")");
            }
        }

        private static void requireAtLeast(String field, int value, int min)
        {
            if (value < min)
            {
                throw new InvalidConfigException(field, value, "must be >= " + min);
            }
        }

        private static void requireZeroOrPositive(String field, Duration value)
        {
            if (value.isNegative())
            {
                throw new InvalidConfigException(field, value, "must be zero (off) or positive");
            }
            if (value.compareTo(MAX_DURATION) > 0)
            {
                throw new InvalidConfigException(field, value, "must be at most " + MAX_DURATION + " (2^63-1 ns)");
            }
        }

        private static void requirePositive(String field, Duration value)
        {
            if (value.isZero() || value.isNegative())
            {
                throw new InvalidConfigException(field, value, "must be positive");
            }
            if (value.compareTo(MAX_DURATION) > 0)
            {
                throw new InvalidConfigException(field, value, "must be at most " + MAX_DURATION + " (2^63-1 ns)");
            }
        }
    }
}
