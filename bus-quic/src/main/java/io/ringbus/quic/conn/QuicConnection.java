package io.ringbus.quic.conn;

import io.ringbus.quic.frame.PacketKind;
import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.packet.LongHeader;
import io.ringbus.quic.packet.PacketProtection;
import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.packet.RetryPacket;
import io.ringbus.quic.packet.StatelessReset;
import io.ringbus.quic.tls.EncryptionLevel;
import io.ringbus.quic.tls.HandshakeListener;
import io.ringbus.quic.tls.TlsEngine;
import io.ringbus.quic.tls.TransportParameters;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * One QUIC v1 connection, client or server (RFC 9000, RFC 9001, a subset of RFC 9002), carrying
 * exactly one bidirectional stream (id 0, opened by the client) that the application treats as the
 * connection. It owns no socket and no clock: the owner hands it datagrams
 * ({@link #onDatagram}), calls {@link #onTimeout} when {@link #nextTimeoutNs()} is due, and calls
 * {@link #flush} afterwards (and after {@link #write}, {@link #shutdownOutput} or {@link #close}) to
 * send what is due through the {@link DatagramSink}. Errors of the peer or of the TLS engine close
 * the connection with CONNECTION_CLOSE; no exception escapes those calls.
 *
 * <p>This class is the connection's state machine ({@link ConnectionState}: HANDSHAKING,
 * ESTABLISHED, CLOSING, DRAINING, CLOSED), the TLS glue and the timers; the work is done by its
 * parts: {@link PacketOpener} (packets in), {@link FrameDispatcher} (their frames),
 * {@link StreamFlow} (the stream and flow control), {@link PeerConnectionIds},
 * {@link PacketAssembler} (packets out), {@link KeyPhases}, {@link IdleTimer},
 * {@link AmplificationLimit}, and {@link LossDetector} with its {@link CongestionController}.
 *
 * <p>Transitions, each made here only: HANDSHAKING to ESTABLISHED when the handshake is confirmed
 * ({@link #confirmHandshake}); HANDSHAKING or ESTABLISHED to CLOSING when we close
 * ({@link #startClosing}: {@link #close}, an error, a peer's RESET_STREAM or STOP_SENDING), to
 * DRAINING on the peer's CONNECTION_CLOSE ({@link #enterDraining}), to CLOSED on the idle timeout;
 * CLOSING or DRAINING to CLOSED after three PTOs ({@link #onTimeout}) or on an internal failure.
 *
 * <p>Single-threaded: every method must be called on the owner's thread (shard 0 in Ringbus). The
 * receive, send and reassembly buffers are allocated once, the stream's on first use.
 */
public final class QuicConnection implements HandshakeListener
{
    /**
     * What the application hears of its connection, on the connection's thread, from inside
     * {@link #onDatagram}, {@link #onTimeout}, {@link #flush} or {@link #close}.
     */
    public interface Listener
    {
        /** The handshake is confirmed (state ESTABLISHED). */
        void onEstablished();

        /** In-order bytes of the stream, from position to limit, valid only during the call. */
        void onStreamData(ByteBuffer data);

        /**
         * True if this listener pulls the stream's bytes with {@link #read(ByteBuffer)} when told
         * {@link #onStreamReadable()} instead of being handed them: then flow-control credit goes
         * back only as it reads, so a slow reader holds the peer to one window.
         */
        default boolean pullsStreamData()
        {
            return false;
        }

        /** Pull mode: bytes (or the end of the stream) can be {@link #read(ByteBuffer) read}. */
        default void onStreamReadable()
        {
        }

        /** The peer finished its side of the stream: every byte was delivered. */
        void onStreamFin();

        /** {@link #write} refused bytes earlier and now has room again. */
        void onWritable();

        /**
         * The connection carries no more data: closed by us ({@code byPeer} false: {@link #close},
         * an error, the idle timeout) or by the peer's CONNECTION_CLOSE. Called once.
         */
        void onClosed(long errorCode, String reason, boolean byPeer);
    }

    private static final System.Logger LOG = System.getLogger(QuicConnection.class.getName());

    private static final int INITIAL = LossDetector.INITIAL;
    private static final int HANDSHAKE = LossDetector.HANDSHAKE;
    private static final int APPLICATION = LossDetector.APPLICATION;
    private static final int MAX_DATAGRAMS_PER_FLUSH = 1024;
    private static final int MAX_REASON_BYTES = 256;
    private static final long NANOS_PER_MS = 1_000_000L;
    private static final byte[] NO_REASON = new byte[0];

    private final boolean client;
    private final byte[] localCid;
    /** The Destination Connection ID of the client's first Initial: Initial keys and original_destination_connection_id. */
    private final byte[] originalDcid;
    private final TransportParameters localParams;
    private final TlsEngine tls;
    private final Listener listener;
    private final CongestionController congestion;
    private final LossDetector recovery;
    private final PacketSpace[] spaces = new PacketSpace[3];
    private final QuicConnectionStats stats = new QuicConnectionStats();
    private final KeyPhases keyPhases;
    private final IdleTimer idle;
    private final AmplificationLimit amplification;
    private final PathMtu pathMtu;
    private final PeerConnectionIds peerCids;
    private final StreamFlow stream;
    private final PacketAssembler assembler;
    private final FrameDispatcher dispatcher;
    private final PacketOpener opener;
    private TransportParameters peerParams;
    /** Client: the Source Connection ID of the one Retry we followed (RFC 9000 17.2.5.2), else null. */
    private byte[] retryScid;
    private long peerMaxAckDelayNs = 25 * NANOS_PER_MS;

    private ConnectionState state = ConnectionState.HANDSHAKING;
    private boolean started;
    private boolean handshakeComplete;
    private boolean handshakeCompletePending;
    private boolean handshakeConfirmed;
    private long lastNowNs;

    private long closeDeadlineNs = Long.MAX_VALUE;
    private long closeErrorCode;
    private byte[] closeReason = NO_REASON;
    private boolean closeApplication;
    private boolean closeSendPending;
    private long closeTriggers;
    private long nextCloseTrigger = 1;
    private boolean closedNotified;

    private QuicConnection(final boolean client, final QuicConnectionConfig config, final byte[] localCid,
        final byte[] originalDcid, final byte[] remoteCid, final TransportParameters localParams,
        final Function<HandshakeListener, TlsEngine> tlsFactory, final DatagramSink sink, final Listener listener)
    {
        if (localCid.length == 0 || localCid.length > LongHeader.MAX_CID_LENGTH)
        {
            throw new IllegalArgumentException("local connection id of " + localCid.length + " bytes: must be 1..20");
        }
        if (originalDcid.length < 8 || originalDcid.length > LongHeader.MAX_CID_LENGTH)
        {
            // RFC 9000 7.2: the client's first Destination Connection ID is at least 8 bytes
            throw new IllegalArgumentException("initial destination connection id of " + originalDcid.length +
                " bytes: must be 8..20");
        }
        this.client = client;
        this.localCid = localCid.clone();
        this.originalDcid = originalDcid.clone();
        this.localParams = localParams;
        this.listener = listener;
        this.congestion = config.newCongestionController();
        this.recovery = new DefaultLossDetector(congestion, new Recovery());
        this.spaces[INITIAL] = new PacketSpace(INITIAL, PacketKind.INITIAL);
        this.spaces[HANDSHAKE] = new PacketSpace(HANDSHAKE, PacketKind.HANDSHAKE);
        this.spaces[APPLICATION] = new PacketSpace(APPLICATION, PacketKind.ONE_RTT);
        this.spaces[INITIAL].read = PacketProtection.initial(originalDcid, !client);
        this.spaces[INITIAL].write = PacketProtection.initial(originalDcid, client);
        this.keyPhases = new KeyPhases(spaces[APPLICATION], stats, recovery, config);
        this.idle = new IdleTimer(recovery);
        this.amplification = new AmplificationLimit(!client);
        this.pathMtu = new PathMtu(config.pathMtuDiscovery(), config.maxUdpPayloadBytes());
        this.peerCids = new PeerConnectionIds(client, remoteCid, localParams.activeConnectionIdLimit);
        this.stream = new StreamFlow(this, config, stats, listener);
        this.assembler = new PacketAssembler(this, this.localCid, localParams, spaces, stats, recovery, congestion,
            sink, keyPhases, peerCids, stream, amplification, idle, pathMtu, config.maxUdpPayloadBytes());
        this.dispatcher = new FrameDispatcher(this, config, spaces, recovery, stream, peerCids, assembler);
        this.opener = new PacketOpener(this, this.localCid, this.originalDcid, localParams, spaces, stats, recovery,
            keyPhases, peerCids, amplification, idle, dispatcher);
        fillLocalParameters(config);
        this.tls = tlsFactory.apply(this);
    }

    /**
     * A client connection. {@code localParams} is completed here (see {@link #localTransportParameters()})
     * before {@code tlsFactory} is called with this connection as the engine's listener.
     *
     * @param localConnectionId our Source Connection ID; 1-RTT packets to us carry it (its length is fixed).
     * @param initialDestinationConnectionId the random Destination Connection ID of our first Initial, 8..20 bytes.
     */
    public static QuicConnection client(final QuicConnectionConfig config, final byte[] localConnectionId,
        final byte[] initialDestinationConnectionId, final TransportParameters localParams,
        final Function<HandshakeListener, TlsEngine> tlsFactory, final DatagramSink sink, final Listener listener)
    {
        return new QuicConnection(true, config, localConnectionId, initialDestinationConnectionId,
            initialDestinationConnectionId, localParams, tlsFactory, sink, listener);
    }

    /**
     * A server connection for a client whose first Initial carried {@code clientDestinationConnectionId}
     * and {@code clientSourceConnectionId}; hand that datagram to {@link #onDatagram} next.
     * {@code localParams} is completed here before {@code tlsFactory} is called.
     *
     * @param localConnectionId our Source Connection ID (the server's), the key of the owner's demux.
     */
    public static QuicConnection server(final QuicConnectionConfig config, final byte[] localConnectionId,
        final byte[] clientDestinationConnectionId, final byte[] clientSourceConnectionId,
        final TransportParameters localParams, final Function<HandshakeListener, TlsEngine> tlsFactory,
        final DatagramSink sink, final Listener listener)
    {
        return new QuicConnection(false, config, localConnectionId, clientDestinationConnectionId,
            clientSourceConnectionId, localParams, tlsFactory, sink, listener);
    }

    /**
     * RFC 9000 7.3 and our one-stream model: the connection IDs, the flow-control windows of the
     * config, one bidirectional stream for a server's peer and none for a client's, no
     * unidirectional streams.
     */
    private void fillLocalParameters(final QuicConnectionConfig config)
    {
        localParams.initialSourceConnectionId = localCid.clone();
        if (!client)
        {
            localParams.originalDestinationConnectionId = originalDcid.clone();
        }
        else
        {
            localParams.originalDestinationConnectionId = null;
            localParams.statelessResetToken = null;
            localParams.retrySourceConnectionId = null;
        }
        localParams.initialMaxData = config.connectionWindowBytes();
        localParams.initialMaxStreamDataBidiLocal = config.streamWindowBytes();
        localParams.initialMaxStreamDataBidiRemote = config.streamWindowBytes();
        localParams.initialMaxStreamDataUni = 0;
        localParams.initialMaxStreamsBidi = client ? 0 : 1;
        localParams.initialMaxStreamsUni = 0;
    }

    // ---------------------------------------------------------------------------------------------
    // Accessors

    /** The connection's state. */
    public ConnectionState state()
    {
        return state;
    }

    /** True once the handshake is confirmed and until the connection closes. */
    public boolean isEstablished()
    {
        return state == ConnectionState.ESTABLISHED;
    }

    /** True for a client connection. */
    public boolean isClient()
    {
        return client;
    }

    /** Our connection ID (a copy). */
    public byte[] localConnectionId()
    {
        return localCid.clone();
    }

    /** Our transport parameters as the connection completed them (the object given at construction). */
    public TransportParameters localTransportParameters()
    {
        return localParams;
    }

    /** The peer's transport parameters once the handshake is complete and they were validated, else null. */
    public TransportParameters peerTransportParameters()
    {
        return peerParams;
    }

    /** The connection's counters. */
    public QuicConnectionStats stats()
    {
        return stats;
    }

    /** The TLS engine. */
    public TlsEngine tls()
    {
        return tls;
    }

    /** True once the TLS handshake is complete (data may flow). */
    public boolean isHandshakeComplete()
    {
        return handshakeComplete;
    }

    /** True in HANDSHAKING and ESTABLISHED: the connection may carry data. */
    boolean isOpen()
    {
        return state == ConnectionState.HANDSHAKING || state == ConnectionState.ESTABLISHED;
    }

    /** The smoothed RTT estimate. */
    public long smoothedRttNs()
    {
        return recovery.smoothedRttNs();
    }

    /** The key phase of the 1-RTT packets we receive (RFC 9001 6), for tests. */
    int readKeyPhase()
    {
        return keyPhases.readPhase();
    }

    /** The key phase of the 1-RTT packets we send, for tests. */
    int writeKeyPhase()
    {
        return keyPhases.writePhase();
    }

    /** True once the next read keys are derived (RFC 9001 6.3), for tests. */
    boolean hasNextReadKeys()
    {
        return keyPhases.hasNextReadKeys();
    }

    /** When the previous read keys go (RFC 9001 6.5), Long.MAX_VALUE if there are none; for tests. */
    long previousReadKeysDeadlineNs()
    {
        return keyPhases.previousReadDeadlineNs();
    }

    /** The probe timeout now, for tests. */
    long ptoNs()
    {
        return recovery.ptoNs();
    }

    /** The datagram size packets are built to now (path MTU discovery raises it from 1200). */
    public int datagramSizeBytes()
    {
        return pathMtu.currentBytes();
    }

    /** Path MTU discovery's state, for tests. */
    PathMtu pathMtu()
    {
        return pathMtu;
    }

    /** True once the handshake is confirmed (RFC 9001 4.1.2). */
    boolean isHandshakeConfirmed()
    {
        return handshakeConfirmed;
    }

    /** The congestion controller, for tests. */
    CongestionController congestion()
    {
        return congestion;
    }

    // ---------------------------------------------------------------------------------------------
    // Stream API

    /**
     * Copy stream bytes from {@code srcs[0..count)} (advancing their positions) as far as the send
     * buffer and the peer's stream and connection limits allow. When not everything was taken,
     * {@link Listener#onWritable()} follows once there is room.
     *
     * @return the number of bytes taken; 0 when full, before the handshake completes, or once closing.
     * @throws IllegalStateException after {@link #shutdownOutput()}.
     */
    public int write(final ByteBuffer[] srcs, final int count)
    {
        if (stream.isOutputShutdown())
        {
            throw new IllegalStateException("stream output is shut down");
        }
        if (!isOpen())
        {
            return 0;
        }
        return stream.write(srcs, count);
    }

    /** Send the FIN after the bytes written so far; further writes are refused. */
    public void shutdownOutput()
    {
        stream.shutdownOutput();
    }

    /**
     * Pull mode: copy in-order stream bytes into {@code dst} (up to its room).
     *
     * @return bytes copied, 0 if none is there yet, -1 once every byte up to the peer's FIN was read.
     */
    public int read(final ByteBuffer dst)
    {
        return stream.read(dst);
    }

    /** Pull mode: in-order bytes readable now. */
    public int readableBytes()
    {
        return stream.readableBytes();
    }

    // ---------------------------------------------------------------------------------------------
    // Close

    /**
     * Close the connection: send CONNECTION_CLOSE (with the next {@link #flush}), report
     * {@link Listener#onClosed} and enter CLOSING, then CLOSED after three PTOs. {@code application}
     * picks the application frame type 0x1d; before the handshake is confirmed it is sent as a
     * transport APPLICATION_ERROR at the Initial and Handshake levels (RFC 9000 10.2.3).
     */
    public void close(final long errorCode, final String reason, final boolean application)
    {
        if (!isOpen())
        {
            return;
        }
        startClosing(errorCode, reason, application);
    }

    /** True once the connection is CLOSED: its closing or draining period is over (or it never opened). */
    public boolean isClosed()
    {
        return state == ConnectionState.CLOSED;
    }

    /** The peer's verified leaf certificate once the handshake is complete (mutual TLS on a server), else null. */
    public X509Certificate peerCertificate()
    {
        return tls.peerCertificate();
    }

    /** Details for ClientConnMeta: the TLS engine's, and the QUIC version. */
    public void describe(final BiConsumer<String, String> details)
    {
        details.accept("quic.version", "1");
        tls.describe(details);
    }

    /** HANDSHAKING or ESTABLISHED to CLOSING (RFC 9000 10.2.1): we close, with CONNECTION_CLOSE. */
    void startClosing(final long errorCode, final String reason, final boolean application)
    {
        final byte[] reasonBytes = reason == null ? NO_REASON : reason.getBytes(StandardCharsets.UTF_8);
        closeReason = reasonBytes.length > MAX_REASON_BYTES ? Arrays.copyOf(reasonBytes, MAX_REASON_BYTES) : reasonBytes;
        closeErrorCode = errorCode;
        closeApplication = application;
        state = ConnectionState.CLOSING;
        closeDeadlineNs = lastNowNs + 3 * recovery.ptoNs();
        closeSendPending = true;
        notifyClosed(errorCode, reason == null ? "" : reason, false);
    }

    private void closeOnError(final long errorCode, final String reason)
    {
        if (isOpen())
        {
            startClosing(errorCode, reason, false);
        }
    }

    /** HANDSHAKING or ESTABLISHED to DRAINING (RFC 9000 10.2.2): the peer closed. */
    void enterDraining(final long errorCode, final String reason)
    {
        state = ConnectionState.DRAINING;
        closeDeadlineNs = lastNowNs + 3 * recovery.ptoNs();
        closeSendPending = false;
        notifyClosed(errorCode, reason, true);
    }

    private void notifyClosed(final long errorCode, final String reason, final boolean byPeer)
    {
        if (!closedNotified)
        {
            closedNotified = true;
            listener.onClosed(errorCode, reason, byPeer);
        }
    }

    private void handleFailure(final RuntimeException ex)
    {
        LOG.log(Level.WARNING, "QUIC connection " + HexFormat.of().formatHex(localCid) + ": internal error", ex);
        if (isOpen())
        {
            startClosing(QuicException.INTERNAL_ERROR, "internal error: " + ex, false);
        }
        else if (state != ConnectionState.CLOSED)
        {
            state = ConnectionState.CLOSED;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Timers

    /** When {@link #onTimeout} is next due (then call {@link #flush}), Long.MAX_VALUE if never. */
    public long nextTimeoutNs()
    {
        switch (state)
        {
            case CLOSED:
                return Long.MAX_VALUE;
            case CLOSING:
            case DRAINING:
                return closeDeadlineNs;
            default:
                long next = Math.min(idle.deadlineNs(), recovery.timerNs());
                next = Math.min(next, spaces[APPLICATION].ackDueNs());
                return Math.min(next, keyPhases.previousReadDeadlineNs());
        }
    }

    /** Run what is due at {@code nowNs}: the closing period, the idle timeout, loss detection and probes. */
    public void onTimeout(final long nowNs)
    {
        lastNowNs = nowNs;
        try
        {
            switch (state)
            {
                case CLOSED:
                    return;
                case CLOSING:
                case DRAINING:
                    if (nowNs >= closeDeadlineNs)
                    {
                        state = ConnectionState.CLOSED;
                    }
                    return;
                default:
                    break;
            }
            ensureStarted(nowNs);
            if (nowNs >= idle.deadlineNs())
            {
                // RFC 9000 10.1: the connection is silently closed
                state = ConnectionState.CLOSED;
                notifyClosed(QuicException.NO_ERROR, "idle timeout (" + idle.timeoutNs() / NANOS_PER_MS + " ms)", false);
                return;
            }
            keyPhases.expire(nowNs);
            if (nowNs >= recovery.timerNs())
            {
                recovery.onTimeout(nowNs);
            }
            stream.notifyWritable();
        }
        catch (final QuicException ex)
        {
            closeOnError(ex.errorCode(), ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            handleFailure(ex);
        }
    }

    private void ensureStarted(final long nowNs) throws QuicException
    {
        if (started)
        {
            return;
        }
        started = true;
        negotiateIdleTimeout();
        idle.restart(nowNs);
        if (client)
        {
            tls.start();
            checkHandshakeComplete();
        }
    }

    /** RFC 9000 10.1: the smaller of both sides' max_idle_timeout, 0 meaning none. */
    private void negotiateIdleTimeout()
    {
        idle.negotiate(localParams.maxIdleTimeoutMs, peerParams == null ? 0 : peerParams.maxIdleTimeoutMs);
    }

    // ---------------------------------------------------------------------------------------------
    // Receive

    /**
     * A UDP datagram from the peer (position to limit; read during the call only): its coalesced
     * packets are unprotected and their frames processed. Undecryptable packets are dropped.
     */
    public void onDatagram(final ByteBuffer datagram, final long nowNs)
    {
        lastNowNs = nowNs;
        try
        {
            ensureStarted(nowNs);
            if (state == ConnectionState.CLOSED || state == ConnectionState.DRAINING)
            {
                return;
            }
            final int length = datagram.remaining();
            stats.datagramsReceived++;
            stats.bytesReceived += length;
            if (length > opener.capacity())
            {
                stats.packetsDropped++;
                return;
            }
            if (state == ConnectionState.CLOSING)
            {
                // RFC 9000 10.2.1: answer with CONNECTION_CLOSE, ever less often
                if (++closeTriggers >= nextCloseTrigger)
                {
                    nextCloseTrigger *= 2;
                    closeSendPending = true;
                }
                amplification.onReceived(length);
                return;
            }
            if (client && RetryPacket.isRetry(datagram))
            {
                onRetry(datagram, nowNs);
                return;
            }
            final long packetsBefore = stats.packetsReceived;
            opener.onDatagram(datagram, nowNs);
            if (client && stats.packetsReceived == packetsBefore && peerParams != null &&
                StatelessReset.matches(datagram, peerParams.statelessResetToken))
            {
                // RFC 9000 10.3.1: a datagram that did not open and ends with the server's token: the
                // server lost our connection. Drain, sending nothing more.
                final String reason = "stateless reset from the server (RFC 9000 10.3): it no longer knows this connection";
                LOG.log(Level.INFO, "QUIC connection " + HexFormat.of().formatHex(localCid) + ": " + reason);
                enterDraining(QuicException.NO_ERROR, reason);
                return;
            }
            stream.notifyWritable();
        }
        catch (final QuicException ex)
        {
            closeOnError(ex.errorCode(), ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            handleFailure(ex);
        }
    }

    /**
     * Client: a Retry (RFC 9000 17.2.5.2, 8.1.2). Followed once, before any server Initial, if its
     * integrity tag checks (RFC 9001 5.8) under our original Destination Connection ID, it is for
     * our connection id, it carries a token and a new connection id: then our Initials go to that
     * id, carry the token and use the Initial keys of that id (RFC 9001 5.2), and the ClientHello
     * is sent again in full (the CRYPTO stream continues; packet numbers continue, 17.2.5.3). The
     * server's transport parameters must then name both ids (7.3). Otherwise dropped.
     */
    private void onRetry(final ByteBuffer datagram, final long nowNs)
    {
        if (retryScid != null || peerCids.handshakeCid() != null || state != ConnectionState.HANDSHAKING)
        {
            stats.packetsDropped++; // one Retry only, and none after a server Initial (17.2.5.2)
            return;
        }
        final byte[] packet = new byte[datagram.remaining()];
        datagram.get(datagram.position(), packet);
        final RetryPacket.Retry retry = RetryPacket.read(packet, 0, packet.length, originalDcid);
        if (retry == null || !Arrays.equals(retry.destinationConnectionId(), localCid) ||
            Arrays.equals(retry.sourceConnectionId(), originalDcid) || retry.token().length == 0)
        {
            stats.packetsDropped++;
            return;
        }
        final byte[] newDcid = retry.sourceConnectionId();
        retryScid = newDcid.clone();
        spaces[INITIAL].read = PacketProtection.initial(newDcid, false);
        spaces[INITIAL].write = PacketProtection.initial(newDcid, true);
        peerCids.onRetry(newDcid);
        assembler.setInitialToken(retry.token());
        // RFC 9002 6.3: the Initials sent were not processed; their ClientHello goes again, now.
        recovery.discardSpace(INITIAL, nowNs);
        final SendBuffer crypto = spaces[INITIAL].cryptoTx;
        if (crypto != null)
        {
            crypto.requeueUnacked();
        }
    }

    /**
     * Client: give up the connection attempt without sending anything (RFC 9000 6.2: a Version
     * Negotiation that does not list our version). CLOSED at once; the listener hears {@code reason}.
     */
    public void abandon(final String reason)
    {
        if (state == ConnectionState.CLOSED)
        {
            return;
        }
        state = ConnectionState.CLOSED;
        notifyClosed(QuicException.NO_ERROR, reason, true);
    }

    /** True until the client processed a packet of the server (then a Version Negotiation is ignored, RFC 9000 6.2). */
    public boolean hasReceivedNothing()
    {
        return stats.packetsReceived == 0 && retryScid == null;
    }

    /**
     * Initiate a key update now (RFC 9001 6.1), for tests; the connection itself initiates one
     * before the confidentiality limit of its keys (see {@link QuicConnectionConfig#confidentialityLimitPackets()}).
     */
    void initiateKeyUpdate()
    {
        if (!handshakeConfirmed || !keyPhases.isSettled())
        {
            throw new IllegalStateException("a key update needs a confirmed handshake and no update in progress");
        }
        keyPhases.initiateUpdate();
    }

    // ---------------------------------------------------------------------------------------------
    // TLS glue (HandshakeListener)

    @Override
    public void onHandshakeBytes(final EncryptionLevel level, final byte[] bytes)
    {
        final PacketSpace space = spaces[level.ordinal()];
        if (space.discarded)
        {
            return;
        }
        if (space.cryptoTx == null)
        {
            space.cryptoTx = new SendBuffer(Math.max(4096, Integer.highestOneBit(bytes.length) << 1), true);
        }
        space.cryptoTx.append(bytes);
    }

    @Override
    public void onKeys(final EncryptionLevel level, final CipherSuite suite, final byte[] readSecret,
        final byte[] writeSecret)
    {
        if (level == EncryptionLevel.INITIAL)
        {
            return; // Initial keys come from the client's first Destination Connection ID
        }
        final PacketSpace space = spaces[level.ordinal()];
        if (space.discarded)
        {
            return;
        }
        space.read = new PacketProtection(suite, readSecret);
        space.write = new PacketProtection(suite, writeSecret);
        if (level == EncryptionLevel.APPLICATION)
        {
            keyPhases.onSecrets(readSecret, writeSecret);
        }
    }

    @Override
    public void onHandshakeComplete()
    {
        handshakeCompletePending = true;
    }

    /** After the TLS engine ran: once it reported completion, validate the peer's parameters and apply them. */
    void checkHandshakeComplete() throws QuicException
    {
        if (!handshakeCompletePending)
        {
            return;
        }
        handshakeCompletePending = false;
        handshakeComplete = true;
        final TransportParameters peer = tls.peerTransportParameters();
        if (peer == null)
        {
            throw new QuicException(QuicException.TRANSPORT_PARAMETER_ERROR, "the peer sent no transport parameters");
        }
        if (client)
        {
            expectCid("original_destination_connection_id", peer.originalDestinationConnectionId, originalDcid);
            expectCid("initial_source_connection_id", peer.initialSourceConnectionId, peerCids.handshakeCid());
            if (retryScid != null)
            {
                expectCid("retry_source_connection_id", peer.retrySourceConnectionId, retryScid);
            }
            else if (peer.retrySourceConnectionId != null)
            {
                throw new QuicException(QuicException.TRANSPORT_PARAMETER_ERROR,
                    "retry_source_connection_id sent without a Retry (RFC 9000 7.3)");
            }
        }
        else
        {
            expectCid("initial_source_connection_id", peer.initialSourceConnectionId, peerCids.handshakeCid());
        }
        peerParams = peer;
        stream.onPeerParameters(peer);
        dispatcher.onPeerParameters(peer);
        peerMaxAckDelayNs = peer.maxAckDelayMs * NANOS_PER_MS;
        negotiateIdleTimeout();
        idle.restart(lastNowNs);
        if (!client)
        {
            // RFC 9001 4.1.2: the server's handshake is confirmed when it completes
            assembler.queueHandshakeDone();
            confirmHandshake();
        }
    }

    private static void expectCid(final String name, final byte[] got, final byte[] expected) throws QuicException
    {
        if (got == null || !Arrays.equals(got, expected))
        {
            throw new QuicException(QuicException.TRANSPORT_PARAMETER_ERROR, name + " = " +
                (got == null ? "absent" : HexFormat.of().formatHex(got)) + ", expected " +
                HexFormat.of().formatHex(expected) + " (RFC 9000 7.3)");
        }
    }

    /** HANDSHAKING to ESTABLISHED (RFC 9001 4.1.2): the handshake keys go. */
    void confirmHandshake()
    {
        if (handshakeConfirmed)
        {
            return;
        }
        handshakeConfirmed = true;
        discardSpace(INITIAL, lastNowNs);
        discardSpace(HANDSHAKE, lastNowNs); // RFC 9001 4.9.2
        // RFC 9000 14.3: larger datagrams only once the peer's limit is known and its address validated
        pathMtu.start(peerParams == null ? PathMtu.BASE_BYTES : peerParams.maxUdpPayloadSize);
        state = ConnectionState.ESTABLISHED;
        listener.onEstablished();
    }

    /** Drop the keys and state of a packet number space (RFC 9001 4.9). */
    void discardSpace(final int index, final long nowNs)
    {
        final PacketSpace space = spaces[index];
        if (space.discarded)
        {
            return;
        }
        space.discard();
        recovery.discardSpace(index, nowNs);
    }

    // ---------------------------------------------------------------------------------------------
    // Send

    /**
     * Send what is due at {@code nowNs}: ACKs, CRYPTO data, control frames, stream data as the
     * congestion window allows, probes, or the CONNECTION_CLOSE of a closing connection. Each
     * datagram is handed to the sink.
     */
    public void flush(final long nowNs)
    {
        lastNowNs = nowNs;
        try
        {
            ensureStarted(nowNs);
            if (state == ConnectionState.CLOSED || state == ConnectionState.DRAINING)
            {
                return;
            }
            if (state == ConnectionState.CLOSING)
            {
                if (closeSendPending && !keyPhases.writeKeysExhausted())
                {
                    // RFC 9001 6.6: keys used up to their confidentiality limit protect nothing more
                    closeSendPending = false;
                    final int length = assembler.buildDatagram(nowNs, true, closeErrorCode, closeReason,
                        closeApplication);
                    if (length > 0)
                    {
                        assembler.send(length);
                    }
                }
                return;
            }
            for (int i = 0; i < MAX_DATAGRAMS_PER_FLUSH && isOpen(); i++)
            {
                if (keyPhases.beforeSend(handshakeConfirmed) && LOG.isLoggable(Level.DEBUG))
                {
                    // RFC 9001 6.6: the keys are updated before their confidentiality limit
                    LOG.log(Level.DEBUG, "QUIC connection " + HexFormat.of().formatHex(localCid) +
                        ": key update initiated, to phase " + keyPhases.writePhase());
                }
                final int length = assembler.buildDatagram(nowNs, false, 0, NO_REASON, false);
                if (length == 0)
                {
                    break;
                }
                assembler.send(length);
            }
        }
        catch (final QuicException ex)
        {
            closeOnError(ex.errorCode(), ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            handleFailure(ex);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Recovery glue

    /** What loss detection reports and asks. */
    private final class Recovery implements LossDetector.Sink
    {
        @Override
        public void onPacketAcked(final SentPacket packet)
        {
            if (packet.mtuProbe)
            {
                pathMtu.onProbeAcked(packet.size, lastNowNs);
                congestion.onDatagramSizeChanged(pathMtu.currentBytes());
                return;
            }
            pathMtu.onPacketAcked(packet.size);
            assembler.onPacketAcked(packet);
        }

        @Override
        public void onPacketLost(final SentPacket packet)
        {
            if (packet.mtuProbe)
            {
                // RFC 9000 14.4: a lost probe says the path may not carry its size, not that it is congested
                pathMtu.onProbeLost(packet.size, lastNowNs);
                return;
            }
            stats.packetsLost++;
            if (pathMtu.onPacketLost(packet.size, lastNowNs))
            {
                congestion.onDatagramSizeChanged(PathMtu.BASE_BYTES);
                LOG.log(Level.DEBUG, () -> "QUIC connection " + HexFormat.of().formatHex(localCid) +
                    ": datagrams above " + PathMtu.BASE_BYTES + " bytes are lost, back to that size (RFC 8899 4.3)");
            }
            assembler.requeue(packet);
        }

        @Override
        public void onProbeRequeue(final SentPacket packet)
        {
            assembler.requeue(packet);
        }

        @Override
        public void onProbe(final int space)
        {
            stats.probesSent++;
            if (space == APPLICATION && pathMtu.onProbeTimeout(recovery.ptoCount() + 1, lastNowNs))
            {
                congestion.onDatagramSizeChanged(PathMtu.BASE_BYTES);
                LOG.log(Level.DEBUG, () -> "QUIC connection " + HexFormat.of().formatHex(localCid) +
                    ": repeated probe timeouts, datagrams back to " + PathMtu.BASE_BYTES + " bytes (RFC 8899 4.3)");
            }
            if (!spaces[space].discarded)
            {
                spaces[space].probes = 1;
            }
        }

        @Override
        public boolean isHandshakeConfirmed()
        {
            return handshakeConfirmed;
        }

        @Override
        public boolean peerCompletedAddressValidation()
        {
            return !client || handshakeConfirmed || dispatcher.handshakeAckReceived();
        }

        @Override
        public boolean isAmplificationBlocked()
        {
            return amplification.isBlocked(PacketAssembler.MIN_PACKET_ROOM);
        }

        @Override
        public boolean hasHandshakeKeys()
        {
            return spaces[HANDSHAKE].write != null;
        }

        @Override
        public long peerMaxAckDelayNs()
        {
            return peerMaxAckDelayNs;
        }
    }

    @Override
    public String toString()
    {
        return "QuicConnection{" + (client ? "client" : "server") + ", cid=" + HexFormat.of().formatHex(localCid) +
            ", state=" + state + '}';
    }
}
