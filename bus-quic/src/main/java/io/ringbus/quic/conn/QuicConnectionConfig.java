package io.ringbus.quic.conn;

import java.util.function.Supplier;

/**
 * Sizes and policies of a {@link QuicConnection}: flow-control windows (advertised in the transport
 * parameters), the send buffer, the CRYPTO reassembly limit and the congestion controller. Immutable;
 * build with {@link #builder()}. Any thread.
 */
public final class QuicConnectionConfig
{
    /** The UDP payload size every datagram is built to (RFC 9000 14: the 1200-byte minimum). */
    public static final int MAX_DATAGRAM_SIZE = 1200;
    /** Defaults: 1 MiB stream window and send buffer, 4 MiB connection window, 64 KiB of CRYPTO reassembly. */
    public static final QuicConnectionConfig DEFAULT = builder().build();

    private final int streamWindowBytes;
    private final int connectionWindowBytes;
    private final int sendBufferBytes;
    private final int cryptoBufferBytes;
    private final Supplier<CongestionController> congestionControllers;

    private QuicConnectionConfig(final Builder builder)
    {
        this.streamWindowBytes = builder.streamWindowBytes;
        this.connectionWindowBytes = builder.connectionWindowBytes;
        this.sendBufferBytes = builder.sendBufferBytes;
        this.cryptoBufferBytes = builder.cryptoBufferBytes;
        this.congestionControllers = builder.congestionControllers;
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

    /** A new congestion controller for one connection. */
    public CongestionController newCongestionController()
    {
        return congestionControllers.get();
    }

    /** Builds a {@link QuicConnectionConfig}; checks each field in {@link #build()}. */
    public static final class Builder
    {
        private int streamWindowBytes = 1 << 20;
        private int connectionWindowBytes = 4 << 20;
        private int sendBufferBytes = 1 << 20;
        private int cryptoBufferBytes = 64 << 10;
        private Supplier<CongestionController> congestionControllers =
            () -> new NewRenoCongestionController(MAX_DATAGRAM_SIZE);

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

        public Builder congestionControllers(final Supplier<CongestionController> factory)
        {
            this.congestionControllers = factory;
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
            if (congestionControllers == null)
            {
                throw new IllegalArgumentException("congestionControllers: null");
            }
            return new QuicConnectionConfig(this);
        }
    }
}
