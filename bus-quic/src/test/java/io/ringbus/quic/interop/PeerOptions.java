package io.ringbus.quic.interop;

import io.ringbus.core.config.BusConfig;
import io.ringbus.quic.packet.CipherSuite;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Settings shared by the interop peers ({@link NettyQuicPeer}, {@link KwikPeer}). Immutable: every
 * {@code withX} returns a copy, so one instance may be shared by any threads.
 *
 * <p>The defaults are what WIRE.md's {@code quic} transport expects of a peer: ALPN
 * {@code ringbus}, cluster 0, a 30 s idle timeout, windows large enough for a 10 MiB transfer
 * without stalling (16 MiB connection, 8 MiB per stream), no Retry, the library's own cipher
 * suites and key-exchange groups, and no logging.
 */
public final class PeerOptions
{
    /** The ALPN protocol of WIRE.md's {@code quic} transport. */
    public static final String ALPN = "ringbus";
    /** Default connection-level flow-control window (initial_max_data), bytes. */
    public static final long DEFAULT_CONNECTION_WINDOW = 16L * 1024 * 1024;
    /** Default per-stream flow-control window (initial_max_stream_data_*), bytes. */
    public static final long DEFAULT_STREAM_WINDOW = 8L * 1024 * 1024;

    private static final PeerOptions DEFAULTS = new PeerOptions(ALPN, 0, 0, BusConfig.DEFAULT_MAX_MESSAGE_SIZE,
        Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), DEFAULT_CONNECTION_WINDOW,
        DEFAULT_STREAM_WINDOW, false, List.of(), List.of(), false);

    private final String alpn;
    private final long clusterHi;
    private final long clusterLo;
    private final int maxMessageSize;
    private final Duration connectTimeout;
    private final Duration sendTimeout;
    private final Duration idleTimeout;
    private final long connectionWindow;
    private final long streamWindow;
    private final boolean retry;
    private final List<CipherSuite> cipherSuites;
    private final List<String> groups;
    private final boolean verbose;

    private PeerOptions(
        final String alpn,
        final long clusterHi,
        final long clusterLo,
        final int maxMessageSize,
        final Duration connectTimeout,
        final Duration sendTimeout,
        final Duration idleTimeout,
        final long connectionWindow,
        final long streamWindow,
        final boolean retry,
        final List<CipherSuite> cipherSuites,
        final List<String> groups,
        final boolean verbose)
    {
        this.alpn = Objects.requireNonNull(alpn, "alpn");
        this.clusterHi = clusterHi;
        this.clusterLo = clusterLo;
        this.maxMessageSize = maxMessageSize;
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        this.sendTimeout = Objects.requireNonNull(sendTimeout, "sendTimeout");
        this.idleTimeout = Objects.requireNonNull(idleTimeout, "idleTimeout");
        this.connectionWindow = connectionWindow;
        this.streamWindow = streamWindow;
        this.retry = retry;
        this.cipherSuites = List.copyOf(cipherSuites);
        this.groups = List.copyOf(groups);
        this.verbose = verbose;
    }

    /** The defaults described on the class. */
    public static PeerOptions defaults()
    {
        return DEFAULTS;
    }

    /** ALPN protocol offered (client) or accepted (server). */
    public String alpn()
    {
        return alpn;
    }

    /** High 64 bits of the cluster id frames must carry. */
    public long clusterHi()
    {
        return clusterHi;
    }

    /** Low 64 bits of the cluster id frames must carry. */
    public long clusterLo()
    {
        return clusterLo;
    }

    /** Largest frame accepted, header included. */
    public int maxMessageSize()
    {
        return maxMessageSize;
    }

    /** Bound on the client handshake (and the stream opening that follows it). */
    public Duration connectTimeout()
    {
        return connectTimeout;
    }

    /** Bound on one blocking {@code send} of a client peer (flow control may hold it). */
    public Duration sendTimeout()
    {
        return sendTimeout;
    }

    /** max_idle_timeout transport parameter. */
    public Duration idleTimeout()
    {
        return idleTimeout;
    }

    /** Connection flow-control window advertised (initial_max_data), bytes. */
    public long connectionWindow()
    {
        return connectionWindow;
    }

    /** Stream flow-control window advertised (initial_max_stream_data_bidi_*), bytes. */
    public long streamWindow()
    {
        return streamWindow;
    }

    /** Server only: answer every first Initial with a Retry (address validation, RFC 9000 8.1.2). */
    public boolean retry()
    {
        return retry;
    }

    /**
     * TLS 1.3 cipher suites to offer, in order; empty for the library's default. Only the Kwik client
     * honours it (see {@link KwikPeer}); BoringSSL under Netty has no TLS 1.3 suite setting.
     */
    public List<CipherSuite> cipherSuites()
    {
        return cipherSuites;
    }

    /**
     * Key-exchange groups in BoringSSL spelling ({@code X25519}, {@code P-256}, ...); empty for the
     * default. Only the Netty peers honour it.
     */
    public List<String> groups()
    {
        return groups;
    }

    /** Whether the peer logs (Kwik: warnings and info to stdout). Netty logs through its own logger. */
    public boolean verbose()
    {
        return verbose;
    }

    /** A copy with another ALPN protocol: a server rejects clients that offer something else. */
    public PeerOptions withAlpn(final String alpn)
    {
        return new PeerOptions(alpn, clusterHi, clusterLo, maxMessageSize, connectTimeout, sendTimeout,
            idleTimeout, connectionWindow, streamWindow, retry, cipherSuites, groups, verbose);
    }

    /** A copy expecting another cluster id. */
    public PeerOptions withCluster(final long hi, final long lo)
    {
        return new PeerOptions(alpn, hi, lo, maxMessageSize, connectTimeout, sendTimeout,
            idleTimeout, connectionWindow, streamWindow, retry, cipherSuites, groups, verbose);
    }

    /** A copy with another largest frame. */
    public PeerOptions withMaxMessageSize(final int bytes)
    {
        return new PeerOptions(alpn, clusterHi, clusterLo, bytes, connectTimeout, sendTimeout,
            idleTimeout, connectionWindow, streamWindow, retry, cipherSuites, groups, verbose);
    }

    /** A copy with other handshake and send bounds. */
    public PeerOptions withTimeouts(final Duration connect, final Duration send)
    {
        return new PeerOptions(alpn, clusterHi, clusterLo, maxMessageSize, connect, send,
            idleTimeout, connectionWindow, streamWindow, retry, cipherSuites, groups, verbose);
    }

    /** A copy with another max_idle_timeout. */
    public PeerOptions withIdleTimeout(final Duration idle)
    {
        return new PeerOptions(alpn, clusterHi, clusterLo, maxMessageSize, connectTimeout, sendTimeout,
            idle, connectionWindow, streamWindow, retry, cipherSuites, groups, verbose);
    }

    /** A copy with other flow-control windows (connection, then per stream), bytes. */
    public PeerOptions withWindows(final long connection, final long stream)
    {
        return new PeerOptions(alpn, clusterHi, clusterLo, maxMessageSize, connectTimeout, sendTimeout,
            idleTimeout, connection, stream, retry, cipherSuites, groups, verbose);
    }

    /** A copy whose server sends a Retry before accepting a connection. */
    public PeerOptions withRetry(final boolean retry)
    {
        return new PeerOptions(alpn, clusterHi, clusterLo, maxMessageSize, connectTimeout, sendTimeout,
            idleTimeout, connectionWindow, streamWindow, retry, cipherSuites, groups, verbose);
    }

    /** A copy that offers only these cipher suites (Kwik client). */
    public PeerOptions withCipherSuites(final CipherSuite... suites)
    {
        return new PeerOptions(alpn, clusterHi, clusterLo, maxMessageSize, connectTimeout, sendTimeout,
            idleTimeout, connectionWindow, streamWindow, retry, List.of(suites), groups, verbose);
    }

    /** A copy that offers only these key-exchange groups (Netty peers). */
    public PeerOptions withGroups(final String... groups)
    {
        return new PeerOptions(alpn, clusterHi, clusterLo, maxMessageSize, connectTimeout, sendTimeout,
            idleTimeout, connectionWindow, streamWindow, retry, cipherSuites, List.of(groups), verbose);
    }

    /** A copy that logs (or not). */
    public PeerOptions withVerbose(final boolean verbose)
    {
        return new PeerOptions(alpn, clusterHi, clusterLo, maxMessageSize, connectTimeout, sendTimeout,
            idleTimeout, connectionWindow, streamWindow, retry, cipherSuites, groups, verbose);
    }
}
