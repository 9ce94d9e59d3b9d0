package io.ringbus.sim;

/**
 * What a {@link SimNetwork} may do to the traffic it carries. Immutable; build with
 * {@link #builder()}. The defaults (in brackets below) are a healthy LAN: latency only, no fault.
 * Any thread.
 */
public final class NetworkConfig
{
    private final long latencyMinNs;
    private final long latencyMaxNs;
    private final double datagramReorderProbability;
    private final double datagramLossProbability;
    private final double datagramDuplicateProbability;
    private final double datagramTruncateProbability;
    private final double datagramCorruptProbability;
    private final double streamResetProbability;
    private final double streamFinProbability;
    private final long connectTimeoutNs;
    private final long userTimeoutNs;
    private final int sendBufferBytes;
    private final int receiveBufferBytes;
    private final int maxChunkBytes;
    private final int datagramBufferBytes;

    private NetworkConfig(final Builder b)
    {
        if (b.latencyMinNs < 0 || b.latencyMaxNs < b.latencyMinNs)
        {
            throw new IllegalArgumentException("latency must satisfy 0 <= min <= max: " + b.latencyMinNs + ".." +
                b.latencyMaxNs);
        }
        if (b.sendBufferBytes < 1 || b.receiveBufferBytes < 1 || b.maxChunkBytes < 1 || b.datagramBufferBytes < 1)
        {
            throw new IllegalArgumentException("buffer sizes and the chunk size must be positive");
        }
        if (b.connectTimeoutNs < 1 || b.userTimeoutNs < 1)
        {
            throw new IllegalArgumentException("timeouts must be positive");
        }
        latencyMinNs = b.latencyMinNs;
        latencyMaxNs = b.latencyMaxNs;
        datagramReorderProbability = probability(b.datagramReorderProbability, "datagramReorderProbability");
        datagramLossProbability = probability(b.datagramLossProbability, "datagramLossProbability");
        datagramDuplicateProbability = probability(b.datagramDuplicateProbability, "datagramDuplicateProbability");
        datagramTruncateProbability = probability(b.datagramTruncateProbability, "datagramTruncateProbability");
        datagramCorruptProbability = probability(b.datagramCorruptProbability, "datagramCorruptProbability");
        streamResetProbability = probability(b.streamResetProbability, "streamResetProbability");
        streamFinProbability = probability(b.streamFinProbability, "streamFinProbability");
        connectTimeoutNs = b.connectTimeoutNs;
        userTimeoutNs = b.userTimeoutNs;
        sendBufferBytes = b.sendBufferBytes;
        receiveBufferBytes = b.receiveBufferBytes;
        maxChunkBytes = b.maxChunkBytes;
        datagramBufferBytes = b.datagramBufferBytes;
    }

    private static double probability(final double p, final String name)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new IllegalArgumentException(name + " must be in [0, 1]: " + p);
        }
        return p;
    }

    /** The defaults. */
    public static NetworkConfig defaults()
    {
        return builder().build();
    }

    public static Builder builder()
    {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder()
    {
        return new Builder()
            .latencyNs(latencyMinNs, latencyMaxNs)
            .datagramReorderProbability(datagramReorderProbability)
            .datagramLossProbability(datagramLossProbability)
            .datagramDuplicateProbability(datagramDuplicateProbability)
            .datagramTruncateProbability(datagramTruncateProbability)
            .datagramCorruptProbability(datagramCorruptProbability)
            .streamResetProbability(streamResetProbability)
            .streamFinProbability(streamFinProbability)
            .connectTimeoutNs(connectTimeoutNs)
            .userTimeoutNs(userTimeoutNs)
            .sendBufferBytes(sendBufferBytes)
            .receiveBufferBytes(receiveBufferBytes)
            .maxChunkBytes(maxChunkBytes)
            .datagramBufferBytes(datagramBufferBytes);
    }

    /** Least one-way delay of a segment, datagram, SYN or RST [50 µs]. */
    public long latencyMinNs()
    {
        return latencyMinNs;
    }

    /** Most one-way delay, uniform between min and max [2 ms]; a stream direction stays in order. */
    public long latencyMaxNs()
    {
        return latencyMaxNs;
    }

    /**
     * Probability that a datagram takes its own delay instead of queueing in order behind the
     * sender's previous ones, so that it may overtake them or fall behind later ones [0].
     */
    public double datagramReorderProbability()
    {
        return datagramReorderProbability;
    }

    /** Probability that a datagram is lost [0]. */
    public double datagramLossProbability()
    {
        return datagramLossProbability;
    }

    /** Probability that a datagram arrives twice [0]. */
    public double datagramDuplicateProbability()
    {
        return datagramDuplicateProbability;
    }

    /** Probability that a datagram arrives cut to a random shorter length (0 included) [0]. */
    public double datagramTruncateProbability()
    {
        return datagramTruncateProbability;
    }

    /** Probability that a datagram arrives with one random byte changed [0]. */
    public double datagramCorruptProbability()
    {
        return datagramCorruptProbability;
    }

    /** Probability, per stream segment, that its receiver gets an RST in its place [0]. */
    public double streamResetProbability()
    {
        return streamResetProbability;
    }

    /**
     * Probability, per stream segment, that the sender's side is half-closed right after it: the
     * receiver reads EOF there, the sender's later data is lost and its next write fails [0].
     */
    public double streamFinProbability()
    {
        return streamFinProbability;
    }

    /** How long a SYN (or its SYN-ACK) may go unanswered before the connect fails [3 s]. */
    public long connectTimeoutNs()
    {
        return connectTimeoutNs;
    }

    /**
     * TCP_USER_TIMEOUT: data held back by a partition longer than this resets the sender's
     * connection [30 s].
     */
    public long userTimeoutNs()
    {
        return userTimeoutNs;
    }

    /** Bytes a socket holds written but not yet delivered to its peer's receive buffer [64 KiB]. */
    public int sendBufferBytes()
    {
        return sendBufferBytes;
    }

    /** Bytes a socket holds delivered but not yet read [64 KiB]. */
    public int receiveBufferBytes()
    {
        return receiveBufferBytes;
    }

    /** Most bytes one read or write completion moves; each takes a random size from 1 up to it [64 KiB]. */
    public int maxChunkBytes()
    {
        return maxChunkBytes;
    }

    /** Bytes of datagrams a UDP socket holds unreceived before it drops arrivals [4 MiB, as NioBackend asks]. */
    public int datagramBufferBytes()
    {
        return datagramBufferBytes;
    }

    @Override
    public String toString()
    {
        return "NetworkConfig[latency " + latencyMinNs + ".." + latencyMaxNs + " ns, datagram reorder " +
            datagramReorderProbability + " loss " + datagramLossProbability + " dup " + datagramDuplicateProbability +
            " truncate " + datagramTruncateProbability + " corrupt " + datagramCorruptProbability + ", stream rst " +
            streamResetProbability + " fin " + streamFinProbability + ", connect timeout " + connectTimeoutNs +
            " ns, user timeout " + userTimeoutNs + " ns, buffers " + sendBufferBytes + "/" + receiveBufferBytes +
            " B, chunk " + maxChunkBytes + " B, datagram buffer " + datagramBufferBytes + " B]";
    }

    /** Builds a {@link NetworkConfig}; starts at the defaults. Not thread-safe. */
    public static final class Builder
    {
        private long latencyMinNs = 50_000;
        private long latencyMaxNs = 2_000_000;
        private double datagramReorderProbability;
        private double datagramLossProbability;
        private double datagramDuplicateProbability;
        private double datagramTruncateProbability;
        private double datagramCorruptProbability;
        private double streamResetProbability;
        private double streamFinProbability;
        private long connectTimeoutNs = 3_000_000_000L;
        private long userTimeoutNs = 30_000_000_000L;
        private int sendBufferBytes = 64 * 1024;
        private int receiveBufferBytes = 64 * 1024;
        private int maxChunkBytes = 64 * 1024;
        private int datagramBufferBytes = 4 << 20;

        private Builder()
        {
        }

        public Builder latencyNs(final long minNs, final long maxNs)
        {
            latencyMinNs = minNs;
            latencyMaxNs = maxNs;
            return this;
        }

        public Builder datagramReorderProbability(final double p)
        {
            datagramReorderProbability = p;
            return this;
        }

        public Builder datagramLossProbability(final double p)
        {
            datagramLossProbability = p;
            return this;
        }

        public Builder datagramDuplicateProbability(final double p)
        {
            datagramDuplicateProbability = p;
            return this;
        }

        public Builder datagramTruncateProbability(final double p)
        {
            datagramTruncateProbability = p;
            return this;
        }

        public Builder datagramCorruptProbability(final double p)
        {
            datagramCorruptProbability = p;
            return this;
        }

        public Builder streamResetProbability(final double p)
        {
            streamResetProbability = p;
            return this;
        }

        public Builder streamFinProbability(final double p)
        {
            streamFinProbability = p;
            return this;
        }

        public Builder connectTimeoutNs(final long timeoutNs)
        {
            connectTimeoutNs = timeoutNs;
            return this;
        }

        public Builder userTimeoutNs(final long timeoutNs)
        {
            userTimeoutNs = timeoutNs;
            return this;
        }

        public Builder sendBufferBytes(final int bytes)
        {
            sendBufferBytes = bytes;
            return this;
        }

        public Builder receiveBufferBytes(final int bytes)
        {
            receiveBufferBytes = bytes;
            return this;
        }

        public Builder maxChunkBytes(final int bytes)
        {
            maxChunkBytes = bytes;
            return this;
        }

        public Builder datagramBufferBytes(final int bytes)
        {
            datagramBufferBytes = bytes;
            return this;
        }

        public NetworkConfig build()
        {
            return new NetworkConfig(this);
        }
    }
}
