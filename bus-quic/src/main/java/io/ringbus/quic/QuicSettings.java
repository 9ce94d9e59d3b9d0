package io.ringbus.quic;

import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.tls.TlsSettings;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Settings of a quic listener or client: the TLS side ({@link TlsSettings}: the certificate chain
 * and key a server presents, the certificates a client trusts, hostname checking) and the QUIC
 * side (cipher suites in order of preference, idle timeout, flow-control windows, a listener's
 * Retry policy and stateless reset key). Registered with
 * {@code BusConfig.Builder.transportSettings("quic", s)} or
 * {@code ClientOptions.withTransportSettings("quic", s)}; plain {@link TlsSettings} registered there
 * are taken with the QUIC defaults. Immutable; any thread.
 */
public final class QuicSettings
{
    /** Default idle timeout (transport parameter max_idle_timeout). */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
    /** Default receive window of the stream (initial_max_stream_data_*). */
    public static final int DEFAULT_STREAM_WINDOW = 1 << 20;
    /** Default receive window of the connection (initial_max_data). */
    public static final int DEFAULT_CONNECTION_WINDOW = 4 << 20;
    /** Handshakes in progress a listener holds at most (a further Initial is dropped). */
    public static final int MAX_HANDSHAKES = 1024;
    /** Default {@link RetryMode#AUTO} threshold: half the handshake slots. */
    public static final int DEFAULT_AUTO_RETRY_THRESHOLD = MAX_HANDSHAKES / 2;

    private final TlsSettings tls;
    private final List<CipherSuite> cipherSuites;
    private final Duration idleTimeout;
    private final int streamWindow;
    private final int connectionWindow;
    private final RetryMode retryMode;
    private final int autoRetryThreshold;
    private final byte[] statelessResetKey;

    private QuicSettings(final Builder builder)
    {
        this.tls = builder.tls;
        this.cipherSuites = List.copyOf(builder.cipherSuites);
        this.idleTimeout = builder.idleTimeout;
        this.streamWindow = builder.streamWindow;
        this.connectionWindow = builder.connectionWindow;
        this.retryMode = builder.retryMode;
        this.autoRetryThreshold = builder.autoRetryThreshold;
        this.statelessResetKey = builder.statelessResetKey;
    }

    /** A builder: default TLS settings (the JDK's trust store), both suites, AES-128-GCM first. */
    public static Builder builder()
    {
        return new Builder();
    }

    /** {@code settings} as registered under "quic": QuicSettings as they are, TlsSettings with the QUIC defaults, null for the defaults. */
    public static QuicSettings of(final Object settings, final String where)
    {
        if (settings == null)
        {
            return builder().build();
        }
        if (settings instanceof QuicSettings)
        {
            return (QuicSettings)settings;
        }
        if (settings instanceof TlsSettings)
        {
            return builder().tls((TlsSettings)settings).build();
        }
        throw new IllegalArgumentException(where + ": the settings under \"quic\" must be QuicSettings or TlsSettings, not " +
            settings.getClass().getName());
    }

    /** The TLS side. */
    public TlsSettings tls()
    {
        return tls;
    }

    /** The cipher suites, most preferred first. */
    public List<CipherSuite> cipherSuites()
    {
        return cipherSuites;
    }

    /** The idle timeout we advertise. */
    public Duration idleTimeout()
    {
        return idleTimeout;
    }

    /** The stream's receive window in bytes. */
    public int streamWindow()
    {
        return streamWindow;
    }

    /** The connection's receive window in bytes. */
    public int connectionWindow()
    {
        return connectionWindow;
    }

    /** When a listener sends a Retry (RFC 9000 8.1.2); {@link RetryMode#AUTO} by default. */
    public RetryMode retryMode()
    {
        return retryMode;
    }

    /** {@link RetryMode#AUTO}: the handshakes in progress from which new clients get a Retry. */
    public int autoRetryThreshold()
    {
        return autoRetryThreshold;
    }

    /** The listener's stateless reset key (RFC 9000 10.3.2; a copy), or null: a random one per listener. */
    public byte[] statelessResetKey()
    {
        return statelessResetKey == null ? null : statelessResetKey.clone();
    }

    /** Builds {@link QuicSettings}; each setter checks its value and names it when wrong. */
    public static final class Builder
    {
        private TlsSettings tls = TlsSettings.defaults();
        private List<CipherSuite> cipherSuites = List.of(CipherSuite.AES_128_GCM_SHA256, CipherSuite.CHACHA20_POLY1305_SHA256);
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private int streamWindow = DEFAULT_STREAM_WINDOW;
        private int connectionWindow = DEFAULT_CONNECTION_WINDOW;
        private RetryMode retryMode = RetryMode.AUTO;
        private int autoRetryThreshold = DEFAULT_AUTO_RETRY_THRESHOLD;
        private byte[] statelessResetKey;

        private Builder()
        {
        }

        /** The TLS side: key material (server), trust and hostname checking (client). */
        public Builder tls(final TlsSettings tls)
        {
            this.tls = Objects.requireNonNull(tls, "tls");
            return this;
        }

        /** The cipher suites to offer (client) or accept (server), most preferred first. */
        public Builder cipherSuites(final CipherSuite... suites)
        {
            if (suites.length == 0)
            {
                throw new IllegalArgumentException("cipherSuites: at least one suite is needed");
            }
            if (Arrays.stream(suites).distinct().count() != suites.length)
            {
                throw new IllegalArgumentException("cipherSuites = " + Arrays.toString(suites) + ": a suite is repeated");
            }
            this.cipherSuites = List.of(suites);
            return this;
        }

        /** The idle timeout to advertise: 1 ms to 10 minutes. */
        public Builder idleTimeout(final Duration idleTimeout)
        {
            if (idleTimeout.toMillis() < 1 || idleTimeout.compareTo(Duration.ofMinutes(10)) > 0)
            {
                throw new IllegalArgumentException("idleTimeout = " + idleTimeout + ": must be between 1 ms and 10 minutes");
            }
            this.idleTimeout = idleTimeout;
            return this;
        }

        /** The stream's receive window: 16 KiB to 64 MiB. */
        public Builder streamWindow(final int bytes)
        {
            if (bytes < 16 << 10 || bytes > 64 << 20)
            {
                throw new IllegalArgumentException("streamWindow = " + bytes + ": must be between 16 KiB and 64 MiB");
            }
            this.streamWindow = bytes;
            return this;
        }

        /** The connection's receive window: at least the stream window, at most 256 MiB. */
        public Builder connectionWindow(final int bytes)
        {
            if (bytes < 16 << 10 || bytes > 256 << 20)
            {
                throw new IllegalArgumentException("connectionWindow = " + bytes + ": must be between 16 KiB and 256 MiB");
            }
            this.connectionWindow = bytes;
            return this;
        }

        /** A listener's Retry policy (RFC 9000 8.1.2). */
        public Builder retryMode(final RetryMode mode)
        {
            this.retryMode = Objects.requireNonNull(mode, "retryMode");
            return this;
        }

        /** {@link RetryMode#AUTO}: send Retry once this many handshakes are in progress, 1 to 1024. */
        public Builder autoRetryThreshold(final int handshakes)
        {
            if (handshakes < 1 || handshakes > MAX_HANDSHAKES)
            {
                throw new IllegalArgumentException("autoRetryThreshold = " + handshakes + ": must be between 1 and " +
                    MAX_HANDSHAKES);
            }
            this.autoRetryThreshold = handshakes;
            return this;
        }

        /**
         * The key a listener derives its stateless reset tokens from (RFC 9000 10.3.2), at least 32
         * bytes: listeners sharing it (one restarted on the same port) can reset each other's
         * clients. Without it each listener draws a random one.
         */
        public Builder statelessResetKey(final byte[] key)
        {
            if (key.length < 32)
            {
                throw new IllegalArgumentException("statelessResetKey of " + key.length + " bytes: at least 32 are needed");
            }
            this.statelessResetKey = key.clone();
            return this;
        }

        /** The settings. */
        public QuicSettings build()
        {
            if (connectionWindow < streamWindow)
            {
                throw new IllegalArgumentException("connectionWindow = " + connectionWindow + ": must be at least streamWindow = " +
                    streamWindow);
            }
            return new QuicSettings(this);
        }
    }
}
