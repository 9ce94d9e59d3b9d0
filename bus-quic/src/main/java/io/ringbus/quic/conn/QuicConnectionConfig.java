package io.ringbus.quic.conn;

import java.util.function.Supplier;

/**
 * Sizes and policies of a {@link QuicConnection}: flow-control windows (advertised in the transport
 * parameters), the send buffer, the CRYPTO reassembly limit, the congestion controller and path MTU
 * discovery. Immutable;
 * build with {@link #builder()}. Any thread.
 */
public final class QuicConnectionConfig
{
    /**
     * The UDP payload size every datagram is built to until path MTU discovery raised it (RFC 9000
     * 14: the 1200-byte minimum every path carries).
     */
    public static final int MAX_DATAGRAM_SIZE = 1200;
    /**
     * The default upper bound of path MTU discovery: the UDP payload of a 1500-byte Ethernet frame
     * over IPv6 (1500 - 40 - 8), which IPv4 paths of that MTU carry too.
     */
    public static final int DEFAULT_MAX_UDP_PAYLOAD_BYTES = 1452;
    /** The largest UDP payload (RFC 9000 18.2: max_udp_payload_size is at most 65527). */
    public static final int MAX_UDP_PAYLOAD_LIMIT = 65527;
    /** Defaults: 1 MiB stream window and send buffer, 4 MiB connection window, 64 KiB of CRYPTO reassembly. */
    public static final QuicConnectionConfig DEFAULT = builder().build();

    private final int streamWindowBytes;
    private final int connectionWindowBytes;
    private final int sendBufferBytes;
    private final int cryptoBufferBytes;
    private final int streamReceiveRanges;
    private final int cryptoReceiveRanges;
    private final long confidentialityLimitPackets;
    private final long integrityLimitPackets;
    private final Supplier<CongestionController> congestionControllers;
    private final int maxUdpPayloadBytes;
    private final boolean pathMtuDiscovery;

    private QuicConnectionConfig(final Builder builder)
    {
        this.streamWindowBytes = builder.streamWindowBytes;
        this.connectionWindowBytes = builder.connectionWindowBytes;
        this.sendBufferBytes = builder.sendBufferBytes;
        this.cryptoBufferBytes = builder.cryptoBufferBytes;
        this.streamReceiveRanges = builder.streamReceiveRanges;
        this.cryptoReceiveRanges = builder.cryptoReceiveRanges;
        this.confidentialityLimitPackets = builder.confidentialityLimitPackets;
        this.integrityLimitPackets = builder.integrityLimitPackets;
        this.congestionControllers = builder.congestionControllers;
        this.maxUdpPayloadBytes = builder.maxUdpPayloadBytes;
        this.pathMtuDiscovery = builder.pathMtuDiscovery;
    }

    /** A builder with the defaults. */
    public static Builder builder()
    {
        return new Builder();
    }

    /** Receive window of the stream: initial_max_stream_data_bidi_* and the reassembly buffer size. */
    public int streamWindowBytes()
    {
        return streamWindowBytes;
    }

    /** Receive window of the connection: initial_max_data. */
    public int connectionWindowBytes()
    {
        return connectionWindowBytes;
    }

    /** Bytes of stream data buffered until acknowledged. */
    public int sendBufferBytes()
    {
        return sendBufferBytes;
    }

    /** Bytes of CRYPTO data accepted ahead of the in-order point, per encryption level. */
    public int cryptoBufferBytes()
    {
        return cryptoBufferBytes;
    }

    /**
     * Disjoint ranges of out-of-order stream data the reassembly buffer holds; one more closes the
     * connection with PROTOCOL_VIOLATION (RFC 9000 21.7, 21.9). Each range beyond the first is a
     * gap: a lost or reordered packet not yet retransmitted. A burst of losses is one gap, so 256
     * is a quarter of the packets of a full 1 MiB window lost one by one, while the cost of an
     * insert (moving up to 256 ranges, 4 KiB) stays bounded.
     */
    public int streamReceiveRanges()
    {
        return streamReceiveRanges;
    }

    /**
     * Disjoint ranges of out-of-order CRYPTO data held per encryption level; one more closes the
     * connection with CRYPTO_BUFFER_EXCEEDED (RFC 9000 7.5). A TLS flight is a few packets, so 32
     * gaps leave ample room; before the handshake anyone can send CRYPTO frames (the Initial keys
     * are public), so this bound is kept small.
     */
    public int cryptoReceiveRanges()
    {
        return cryptoReceiveRanges;
    }

    /**
     * Packets we protect with one set of 1-RTT keys at most (RFC 9001 6.6); a key update is
     * initiated at three quarters of it. 0, the default, is the AEAD's limit: 2^23 for AES-128-GCM,
     * none for ChaCha20-Poly1305 (its limit exceeds 2^62 packets). Smaller values are for tests
     * (system property {@code ringbus.quic.confidentialityLimitPackets} sets the default).
     */
    public long confidentialityLimitPackets()
    {
        return confidentialityLimitPackets;
    }

    /**
     * Received packets that fail authentication, across all keys, at which the connection closes
     * with AEAD_LIMIT_REACHED (RFC 9001 6.6). 0, the default, is the AEAD's limit: 2^52 for
     * AES-128-GCM, 2^36 for ChaCha20-Poly1305. Smaller values are for tests.
     */
    public long integrityLimitPackets()
    {
        return integrityLimitPackets;
    }

    /** A new congestion controller for one connection. */
    public CongestionController newCongestionController()
    {
        return congestionControllers.get();
    }

    /**
     * The largest datagram path MTU discovery may settle on (RFC 8899 MAX_PLPMTU; the peer's
     * max_udp_payload_size bounds it too), 1200 to 65527.
     */
    public int maxUdpPayloadBytes()
    {
        return maxUdpPayloadBytes;
    }

    /**
     * True if datagrams grow above 1200 bytes once probes of larger sizes are acknowledged (RFC 9000
     * 14.3, RFC 8899); false keeps every datagram at 1200 bytes.
     */
    public boolean pathMtuDiscovery()
    {
        return pathMtuDiscovery;
    }

    /** Builds a {@link QuicConnectionConfig}; checks each field in {@link #build()}. */
    public static final class Builder
    {
        private int streamWindowBytes = 1 << 20;
        private int connectionWindowBytes = 4 << 20;
        private int sendBufferBytes = 1 << 20;
        private int cryptoBufferBytes = 64 << 10;
        private int streamReceiveRanges = 256;
        private int cryptoReceiveRanges = 32;
        private long confidentialityLimitPackets = Long.getLong("ringbus.quic.confidentialityLimitPackets", 0);
        private long integrityLimitPackets;
        private Supplier<CongestionController> congestionControllers =
            () -> new NewRenoCongestionController(MAX_DATAGRAM_SIZE);
        private int maxUdpPayloadBytes = DEFAULT_MAX_UDP_PAYLOAD_BYTES;
        private boolean pathMtuDiscovery = true;

        private Builder()
        {
        }

        public Builder streamWindowBytes(final int bytes)
        {
            this.streamWindowBytes = bytes;
            return this;
        }

        public Builder connectionWindowBytes(final int bytes)
        {
            this.connectionWindowBytes = bytes;
            return this;
        }

        public Builder sendBufferBytes(final int bytes)
        {
            this.sendBufferBytes = bytes;
            return this;
        }

        public Builder cryptoBufferBytes(final int bytes)
        {
            this.cryptoBufferBytes = bytes;
            return this;
        }

        public Builder streamReceiveRanges(final int ranges)
        {
            this.streamReceiveRanges = ranges;
            return this;
        }

        public Builder cryptoReceiveRanges(final int ranges)
        {
            this.cryptoReceiveRanges = ranges;
            return this;
        }

        public Builder confidentialityLimitPackets(final long packets)
        {
            this.confidentialityLimitPackets = packets;
            return this;
        }

        public Builder integrityLimitPackets(final long packets)
        {
            this.integrityLimitPackets = packets;
            return this;
        }

        public Builder congestionControllers(final Supplier<CongestionController> factory)
        {
            this.congestionControllers = factory;
            return this;
        }

        public Builder maxUdpPayloadBytes(final int bytes)
        {
            this.maxUdpPayloadBytes = bytes;
            return this;
        }

        public Builder pathMtuDiscovery(final boolean enabled)
        {
            this.pathMtuDiscovery = enabled;
            return this;
        }

        /** @throws IllegalArgumentException naming the first invalid field. */
        public QuicConnectionConfig build()
        {
            if (streamWindowBytes < 1024)
            {
                throw new IllegalArgumentException("streamWindowBytes = " + streamWindowBytes + ": at least 1024");
            }
            if (connectionWindowBytes < streamWindowBytes)
            {
                throw new IllegalArgumentException("connectionWindowBytes = " + connectionWindowBytes +
                    ": at least streamWindowBytes (" + streamWindowBytes + ")");
            }
            if (sendBufferBytes < 1024)
            {
                throw new IllegalArgumentException("sendBufferBytes = " + sendBufferBytes + ": at least 1024");
            }
            if (cryptoBufferBytes < 4096)
            {
                // RFC 9000 7.5: at least 4096 bytes of out-of-order CRYPTO data must be buffered
                throw new IllegalArgumentException("cryptoBufferBytes = " + cryptoBufferBytes + ": at least 4096");
            }
            if (streamReceiveRanges < 16)
            {
                throw new IllegalArgumentException("streamReceiveRanges = " + streamReceiveRanges + ": at least 16");
            }
            if (cryptoReceiveRanges < 8)
            {
                throw new IllegalArgumentException("cryptoReceiveRanges = " + cryptoReceiveRanges + ": at least 8");
            }
            if (confidentialityLimitPackets != 0 && confidentialityLimitPackets < 16)
            {
                throw new IllegalArgumentException("confidentialityLimitPackets = " + confidentialityLimitPackets +
                    ": 0 (the AEAD's) or at least 16");
            }
            if (integrityLimitPackets < 0)
            {
                throw new IllegalArgumentException("integrityLimitPackets = " + integrityLimitPackets +
                    ": 0 (the AEAD's) or more");
            }
            if (maxUdpPayloadBytes < MAX_DATAGRAM_SIZE || maxUdpPayloadBytes > MAX_UDP_PAYLOAD_LIMIT)
            {
                throw new IllegalArgumentException("maxUdpPayloadBytes = " + maxUdpPayloadBytes + ": must be between " +
                    MAX_DATAGRAM_SIZE + " and " + MAX_UDP_PAYLOAD_LIMIT);
            }
            if (congestionControllers == null)
            {
                throw new IllegalArgumentException("congestionControllers: null");
            }
            return new QuicConnectionConfig(this);
        }
    }
}
