package io.ringbus.core.client;

import io.ringbus.core.config.BusConfig;

import java.time.Duration;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Settings of a {@link BusClient}. Immutable; any thread. Start from {@link #defaults()} and change
 * a setting with its {@code with...} method, which returns a new instance.
 */
public final class ClientOptions
{
    private int maxMessageSize = BusConfig.DEFAULT_MAX_MESSAGE_SIZE;
    private int receiveBufferSize = BusConfig.DEFAULT_RECEIVE_BUFFER_SIZE;
    private int queueCapacity = 4096;
    private int maxBatch = BusConfig.DEFAULT_MAX_BATCH;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration closeGrace = BusConfig.DEFAULT_CLOSE_GRACE;
    private Duration handshakeGrace = BusConfig.DEFAULT_HANDSHAKE_GRACE;
    private long clusterHi;
    private long clusterLo;
    private boolean clientIdSet;
    private long clientHi;
    private long clientLo;
    private Map<String, Object> transportSettings = Collections.emptyMap();
    private Duration keepAlive = DEFAULT_KEEP_ALIVE;

    /**
     * Default {@link #keepAlive()}: well inside the idle timeout a server may set (ringbus serve
     * closes client connections silent for 60 s), so an idle client keeps its connection.
     */
    public static final Duration DEFAULT_KEEP_ALIVE = Duration.ofSeconds(15);

    private ClientOptions()
    {
    }

    private ClientOptions copy()
    {
        final ClientOptions copy = new ClientOptions();
        copy.maxMessageSize = maxMessageSize;
        copy.receiveBufferSize = receiveBufferSize;
        copy.queueCapacity = queueCapacity;
        copy.maxBatch = maxBatch;
        copy.connectTimeout = connectTimeout;
        copy.closeGrace = closeGrace;
        copy.handshakeGrace = handshakeGrace;
        copy.clusterHi = clusterHi;
        copy.clusterLo = clusterLo;
        copy.clientIdSet = clientIdSet;
        copy.clientHi = clientHi;
        copy.clientLo = clientLo;
        copy.transportSettings = transportSettings;
        copy.keepAlive = keepAlive;
        return copy;
    }

    /** The defaults: the bus's limits, a queue of 4096 requests, a 10 s connect timeout, cluster 0, a random id. */
    public static ClientOptions defaults()
    {
        return new ClientOptions();
    }

    public int maxMessageSize()
    {
        return maxMessageSize;
    }

    public int receiveBufferSize()
    {
        return receiveBufferSize;
    }

    public int queueCapacity()
    {
        return queueCapacity;
    }

    public int maxBatch()
    {
        return maxBatch;
    }

    public Duration connectTimeout()
    {
        return connectTimeout;
    }

    public Duration closeGrace()
    {
        return closeGrace;
    }

    public Duration handshakeGrace()
    {
        return handshakeGrace;
    }

    public long clusterHi()
    {
        return clusterHi;
    }

    public long clusterLo()
    {
        return clusterLo;
    }

    public boolean clientIdSet()
    {
        return clientIdSet;
    }

    public long clientHi()
    {
        return clientHi;
    }

    public long clientLo()
    {
        return clientLo;
    }

    /** Settings a transport module registered for {@code scheme} (e.g. TLS trust for "tls"), or null. */
    public Object transportSettings(final String scheme)
    {
        return transportSettings.get(scheme);
    }

    /** Largest frame sent or accepted, header included. */
    public ClientOptions withMaxMessageSize(final int bytes)
    {
        if (bytes < BusConfig.MIN_MESSAGE_SIZE || bytes > BusConfig.MAX_MESSAGE_SIZE_LIMIT)
        {
            throw new IllegalArgumentException("max_message_size = " + bytes + ": must be within " +
                BusConfig.MIN_MESSAGE_SIZE + ".." + BusConfig.MAX_MESSAGE_SIZE_LIMIT);
        }
        final ClientOptions copy = copy();
        copy.maxMessageSize = bytes;
        return copy;
    }

    /** Requests that may wait to be written before a send answers back-pressure. */
    public ClientOptions withQueueCapacity(final int frames)
    {
        if (frames < 1)
        {
            throw new IllegalArgumentException("queue_capacity = " + frames + ": must be >= 1");
        }
        final ClientOptions copy = copy();
        copy.queueCapacity = frames;
        return copy;
    }

    /** The cluster the client belongs to (u128). */
    public ClientOptions withCluster(final long hi, final long lo)
    {
        final ClientOptions copy = copy();
        copy.clusterHi = hi;
        copy.clusterLo = lo;
        return copy;
    }

    /** A fixed session id (u128) instead of a random one. */
    public ClientOptions withClientId(final long hi, final long lo)
    {
        final ClientOptions copy = copy();
        copy.clientIdSet = true;
        copy.clientHi = hi;
        copy.clientLo = lo;
        return copy;
    }

    /** Bound on the close sequence. */
    public ClientOptions withCloseGrace(final Duration grace)
    {
        final ClientOptions copy = copy();
        copy.closeGrace = requirePositive(grace, "close_grace");
        return copy;
    }

    /** Bound on a carrier's handshake (TLS, WebSocket upgrade). */
    public ClientOptions withHandshakeGrace(final Duration grace)
    {
        final ClientOptions copy = copy();
        copy.handshakeGrace = requirePositive(grace, "handshake_grace");
        return copy;
    }

    /** Bound on connecting, handshake included. */
    public ClientOptions withConnectTimeout(final Duration timeout)
    {
        final ClientOptions copy = copy();
        copy.connectTimeout = requirePositive(timeout, "connect_timeout");
        return copy;
    }

    /**
     * How long the connection may go without a request before the client sends a ping_client (whose
     * pong_client the bus answers), so that a server with an idle timeout keeps an idle client's
     * connection, and a server whose idle timeout closes dead connections can tell the two apart.
     * Zero: never.
     */
    public ClientOptions withKeepAlive(final Duration interval)
    {
        Objects.requireNonNull(interval, "keep_alive");
        if (interval.isNegative())
        {
            throw new IllegalArgumentException("keep_alive = " + interval + ": must be >= 0 (0: off)");
        }
        final ClientOptions copy = copy();
        copy.keepAlive = interval;
        return copy;
    }

    /** The keep-alive interval ({@link #withKeepAlive}); zero if off. */
    public Duration keepAlive()
    {
        return keepAlive;
    }

    /** Settings of a transport module for {@code scheme} (e.g. bus-tls's TlsSettings for "tls"). */
    public ClientOptions withTransportSettings(final String scheme, final Object settings)
    {
        final ClientOptions copy = copy();
        final Map<String, Object> map = new TreeMap<>(transportSettings);
        map.put(Objects.requireNonNull(scheme, "scheme").toLowerCase(Locale.ROOT), Objects.requireNonNull(settings, "settings"));
        copy.transportSettings = Collections.unmodifiableMap(map);
        return copy;
    }

    private static Duration requirePositive(final Duration duration, final String field)
    {
        Objects.requireNonNull(duration, field);
        if (duration.isNegative() || duration.isZero())
        {
            throw new IllegalArgumentException(field + " = " + duration + ": must be positive");
        }
        return duration;
    }
}
