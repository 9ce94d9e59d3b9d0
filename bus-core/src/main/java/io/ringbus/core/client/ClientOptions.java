package io.ringbus.core.client;

import io.ringbus.core.config.BusConfig;

import java.time.Duration;

/** Settings of a {@link BusClient}. Immutable; any thread. Change one with the {@code with...} methods. */
public record ClientOptions(
    int maxMessageSize,
    int receiveBufferSize,
    int queueCapacity,
    int maxBatch,
    Duration connectTimeout,
    Duration closeGrace,
    long clusterHi,
    long clusterLo,
    boolean clientIdSet,
    long clientHi,
    long clientLo)
{
    /** The defaults: the bus's limits, a queue of 4096 requests, a 10 s connect timeout, cluster 0. */
    public static ClientOptions defaults()
    {
        return new ClientOptions(BusConfig.DEFAULT_MAX_MESSAGE_SIZE, BusConfig.DEFAULT_RECEIVE_BUFFER_SIZE, 4096,
            BusConfig.DEFAULT_MAX_BATCH, Duration.ofSeconds(10), BusConfig.DEFAULT_CLOSE_GRACE, 0, 0, false, 0, 0);
    }

    public ClientOptions withMaxMessageSize(final int bytes)
    {
        return new ClientOptions(bytes, receiveBufferSize, queueCapacity, maxBatch, connectTimeout, closeGrace,
            clusterHi, clusterLo, clientIdSet, clientHi, clientLo);
    }

    public ClientOptions withQueueCapacity(final int frames)
    {
        return new ClientOptions(maxMessageSize, receiveBufferSize, frames, maxBatch, connectTimeout, closeGrace,
            clusterHi, clusterLo, clientIdSet, clientHi, clientLo);
    }

    public ClientOptions withCluster(final long hi, final long lo)
    {
        return new ClientOptions(maxMessageSize, receiveBufferSize, queueCapacity, maxBatch, connectTimeout, closeGrace,
            hi, lo, clientIdSet, clientHi, clientLo);
    }

    public ClientOptions withClientId(final long hi, final long lo)
    {
        return new ClientOptions(maxMessageSize, receiveBufferSize, queueCapacity, maxBatch, connectTimeout, closeGrace,
            clusterHi, clusterLo, true, hi, lo);
    }

    public ClientOptions withCloseGrace(final Duration grace)
    {
        return new ClientOptions(maxMessageSize, receiveBufferSize, queueCapacity, maxBatch, connectTimeout, grace,
            clusterHi, clusterLo, clientIdSet, clientHi, clientLo);
    }
}
