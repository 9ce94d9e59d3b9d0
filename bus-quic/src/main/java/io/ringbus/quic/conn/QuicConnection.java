package io.ringbus.quic.conn;

import io.ringbus.quic.frame.FrameReader;
import io.ringbus.quic.frame.FrameType;
import io.ringbus.quic.frame.FrameVisitor;
import io.ringbus.quic.frame.FrameWriter;
import io.ringbus.quic.frame.PacketKind;
import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.packet.Hkdf;
import io.ringbus.quic.packet.LongHeader;
import io.ringbus.quic.packet.PacketNumber;
import io.ringbus.quic.packet.PacketProtection;
import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.packet.VarInt;
import io.ringbus.quic.tls.EncryptionLevel;
import io.ringbus.quic.tls.HandshakeListener;
import io.ringbus.quic.tls.TlsEngine;
import io.ringbus.quic.tls.TransportParameters;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
    private static final int MAX_DATAGRAM = QuicConnectionConfig.MAX_DATAGRAM_SIZE;
    /** RFC 9000 8.1: at most three times the bytes received before the client's address is validated. */
    private static final int AMPLIFICATION_FACTOR = 3;
    private static final int TAG = CipherSuite.TAG_LENGTH;
    /** A datagram is not started with less room than this. */
    private static final int MIN_PACKET_ROOM = 64;
    private static final int MAX_ACK_RANGES_SENT = 16;
    private static final int MAX_DATAGRAMS_PER_FLUSH = 1024;
    private static final int MAX_REASON_BYTES = 256;
    private static final int MAX_PENDING_RETIREMENTS = 64;
    private static final long STREAM_ID = 0;
    /** RFC 9002 6.2.3: early retransmissions of handshake data per connection. */
    private static final int MAX_SPEED_UPS = 8;
    private static final long NANOS_PER_MS = 1_000_000L;

    private final boolean client;
    private final QuicConnectionConfig config;
    private final byte[] localCid;
    /** The Destination Connection ID of the client's first Initial: Initial keys and original_destination_connection_id. */
    private final byte[] originalDcid;
    /** The peer's Source Connection ID of the handshake (client: learned from the first server Initial). */
    private byte[] peerInitialScid;
    /** The Destination Connection ID we send with. */
    private byte[] remoteCid;
    private final TransportParameters localParams;
    private TransportParameters peerParams;
    private final TlsEngine tls;
    private final DatagramSink sink;
    private final Listener listener;
    private final CongestionController congestion;
    private final LossDetector recovery;
    private final PacketSpace[] spaces = new PacketSpace[3];
    private final FrameReader reader = new FrameReader();
    private final Frames frames = new Frames();
    private final QuicConnectionStats stats = new QuicConnectionStats();
    private final LongHeader longHeader = new LongHeader();

    private ConnectionState state = ConnectionState.HANDSHAKING;
    private boolean started;
    private boolean handshakeComplete;
    private boolean handshakeCompletePending;
    private boolean handshakeConfirmed;
    private boolean handshakeAckReceived;
    private boolean addressValidated;
    private int speedUps;
    private long amplificationReceived;
    private long amplificationSent;
    private long lastNowNs;

    private final byte[] rx;
    private final ByteBuffer rxBuffer;
    private int rxSpace;
    private long rxNowNs;
    private boolean rxProcessed;
    private int rxDatagramLength;

    private final byte[] tx = new byte[MAX_DATAGRAM];
    private final ByteBuffer txBuffer = ByteBuffer.wrap(tx);
    private final long[] ackRanges = new long[2 * MAX_ACK_RANGES_SENT];
    private final OpenPacket[] openPackets = {new OpenPacket(), new OpenPacket(), new OpenPacket()};
    private int openCount;

    private byte[] appReadSecret;
    private byte[] appWriteSecret;
    private byte[] appReadNextSecret;
    private PacketProtection appReadNext;
    private PacketProtection appReadPrevious;
    private int readKeyPhase;
    private int writeKeyPhase;
    private long keyPhaseStartPacketNumber;

    private final SendBuffer streamTx;
    private final ReceiveBuffer streamRx;
    private boolean streamOpened;
    private boolean outputShutdown;
    private boolean wantWritable;
    private long finalSize = -1;
    private boolean finDelivered;
    private long peerMaxData;
    private long peerMaxStreamData;
    private long peerMaxStreamsBidi;
    private long peerAckDelayExponent = 3;
    private long peerMaxAckDelayNs = 25 * NANOS_PER_MS;
    private long localMaxData;
    private long localMaxStreamData;

    private boolean handshakeDonePending;
    private boolean maxDataPending;
    private boolean maxStreamDataPending;
    private boolean dataBlockedPending;
    private long dataBlockedLimit = -1;
    private boolean streamDataBlockedPending;
    private long streamDataBlockedLimit = -1;
    private boolean pathResponsePending;
    private long pathResponseData;

    private final long[] peerCidSequences;
    private final byte[][] peerCids;
    private int peerCidCount;
    private long currentPeerCidSequence;
    private long peerRetirePriorTo;
    private final RangeSet retirePending = new RangeSet(4);

    private long idleTimeoutNs = Long.MAX_VALUE;
    private long idleDeadlineNs = Long.MAX_VALUE;
    private boolean ackElicitingSentSinceReceive;

    private long closeDeadlineNs = Long.MAX_VALUE;
    private long closeErrorCode;
    private byte[] closeReason = new byte[0];
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
        this.config = config;
        this.localCid = localCid.clone();
        this.originalDcid = originalDcid.clone();
        this.remoteCid = remoteCid.clone();
        this.peerInitialScid = client ? null : remoteCid.clone();
        this.localParams = localParams;
        this.sink = sink;
        this.listener = listener;
        this.congestion = config.newCongestionController();
        this.recovery = new DefaultLossDetector(congestion, new Recovery());
        this.spaces[INITIAL] = new PacketSpace(INITIAL, PacketKind.INITIAL);
        this.spaces[HANDSHAKE] = new PacketSpace(HANDSHAKE, PacketKind.HANDSHAKE);
        this.spaces[APPLICATION] = new PacketSpace(APPLICATION, PacketKind.ONE_RTT);
        this.spaces[INITIAL].read = PacketProtection.initial(originalDcid, !client);
        this.spaces[INITIAL].write = PacketProtection.initial(originalDcid, client);
        this.streamTx = new SendBuffer(config.sendBufferBytes(), false);
        this.streamRx = new ReceiveBuffer(config.streamWindowBytes());
        this.localMaxData = config.connectionWindowBytes();
        this.localMaxStreamData = config.streamWindowBytes();
        final int cidSlots = (int)Math.min(Math.max(localParams.activeConnectionIdLimit, 2), 16) + 1;
        this.peerCidSequences = new long[cidSlots];
        this.peerCids = new byte[cidSlots][];
        if (!client)
        {
            addPeerCid(0, remoteCid);
        }
        final int rxSize = (int)Math.max(MAX_DATAGRAM, Math.min(localParams.maxUdpPayloadSize, 65527));
        this.rx = new byte[rxSize];
        this.rxBuffer = ByteBuffer.wrap(rx);
        fillLocalParameters();
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
    private void fillLocalParameters()
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

    /** The smoothed RTT estimate. */
    public long smoothedRttNs()
    {
        return recovery.smoothedRttNs();
    }

    /** The key phase of the 1-RTT packets we receive (RFC 9001 6), for tests. */
    int readKeyPhase()
    {
        return readKeyPhase;
    }

    /** The key phase of the 1-RTT packets we send, for tests. */
    int writeKeyPhase()
    {
        return writeKeyPhase;
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
        if (outputShutdown)
        {
            throw new IllegalStateException("stream output is shut down");
        }
        if (!isOpen())
        {
            return 0;
        }
        long wanted = 0;
        for (int i = 0; i < count; i++)
        {
            wanted += srcs[i].remaining();
        }
        if (wanted == 0)
        {
            return 0;
        }
        final long room = writeRoom();
        int taken = 0;
        for (int i = 0; i < count && taken < room; i++)
        {
            taken += streamTx.append(srcs[i], (int)(room - taken));
        }
        if (taken > 0 && client)
        {
            streamOpened = true;
        }
        if (taken < wanted)
        {
            wantWritable = true;
            noteBlocked();
        }
        return taken;
    }

    /** Send the FIN after the bytes written so far; further writes are refused. */
    public void shutdownOutput()
    {
        if (outputShutdown)
        {
            return;
        }
        outputShutdown = true;
        streamTx.shutdown();
        if (client)
        {
            streamOpened = true;
        }
    }

    private long writeRoom()
    {
        if (!handshakeComplete || (client && peerMaxStreamsBidi < 1))
        {
            return 0;
        }
        final long written = streamTx.writeOffset();
        final long flow = Math.min(peerMaxStreamData, peerMaxData) - written;
        return Math.max(0, Math.min(streamTx.free(), flow));
    }

    private void noteBlocked()
    {
        if (!handshakeComplete)
        {
            return;
        }
        final long written = streamTx.writeOffset();
        if (written >= peerMaxStreamData && streamDataBlockedLimit != peerMaxStreamData)
        {
            streamDataBlockedLimit = peerMaxStreamData;
            streamDataBlockedPending = true;
        }
        if (written >= peerMaxData && dataBlockedLimit != peerMaxData)
        {
            dataBlockedLimit = peerMaxData;
            dataBlockedPending = true;
        }
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

    /** Details for ClientConnMeta: the TLS engine's, and the QUIC version. */
    public void describe(final BiConsumer<String, String> details)
    {
        details.accept("quic.version", "1");
        tls.describe(details);
    }

    private boolean isOpen()
    {
        return state == ConnectionState.HANDSHAKING || state == ConnectionState.ESTABLISHED;
    }

    private void startClosing(final long errorCode, final String reason, final boolean application)
    {
        final byte[] reasonBytes = reason == null ? new byte[0] : reason.getBytes(StandardCharsets.UTF_8);
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

    private void enterDraining(final long errorCode, final String reason)
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
                long next = Math.min(idleDeadlineNs, recovery.timerNs());
                next = Math.min(next, spaces[APPLICATION].ackDueNs());
                return next;
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
            if (nowNs >= idleDeadlineNs)
            {
                // RFC 9000 10.1: the connection is silently closed
                state = ConnectionState.CLOSED;
                notifyClosed(QuicException.NO_ERROR, "idle timeout (" + idleTimeoutNs / NANOS_PER_MS + " ms)", false);
                return;
            }
            if (nowNs >= recovery.timerNs())
            {
                recovery.onTimeout(nowNs);
            }
            afterEvents();
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
        updateIdleTimeout();
        restartIdleTimer(nowNs);
        if (client)
        {
            tls.start();
            checkHandshakeComplete();
        }
    }

    /** RFC 9000 10.1: the smaller of both sides' max_idle_timeout, 0 meaning none. */
    private void updateIdleTimeout()
    {
        final long local = localParams.maxIdleTimeoutMs;
        final long peer = peerParams == null ? 0 : peerParams.maxIdleTimeoutMs;
        final long ms = local == 0 ? peer : (peer == 0 ? local : Math.min(local, peer));
        idleTimeoutNs = ms == 0 ? Long.MAX_VALUE : ms * NANOS_PER_MS;
    }

    private void restartIdleTimer(final long nowNs)
    {
        idleDeadlineNs = idleTimeoutNs == Long.MAX_VALUE ? Long.MAX_VALUE :
            nowNs + Math.max(idleTimeoutNs, 3 * recovery.ptoNs());
    }

    private void afterEvents()
    {
        if (wantWritable && isOpen() && writeRoom() > 0)
        {
            wantWritable = false;
            listener.onWritable();
        }
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
            if (length > rx.length)
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
                amplificationReceived += length;
                return;
            }
            datagram.get(datagram.position(), rx, 0, length);
            rxNowNs = nowNs;
            rxProcessed = false;
            rxDatagramLength = length;
            int offset = 0;
            while (offset < length && isOpen())
            {
                final int next = processPacket(offset, length, nowNs);
                if (next < 0)
                {
                    break;
                }
                offset = next;
            }
            if (rxProcessed)
            {
                recovery.updateTimer(nowNs);
            }
            afterEvents();
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

    /** @return the offset after the packet, or -1 to drop the rest of the datagram. */
    private int processPacket(final int start, final int datagramLength, final long nowNs) throws QuicException
    {
        if ((rx[start] & 0x80) != 0)
        {
            return processLongPacket(start, datagramLength, nowNs);
        }
        processShortPacket(start, datagramLength, nowNs);
        return -1;
    }

    private int processLongPacket(final int start, final int datagramLength, final long nowNs) throws QuicException
    {
        if (datagramLength - start < 7)
        {
            return drop(-1);
        }
        final int version = (rx[start + 1] & 0xFF) << 24 | (rx[start + 2] & 0xFF) << 16 | (rx[start + 3] & 0xFF) << 8 |
            (rx[start + 4] & 0xFF);
        final int typeBits = (rx[start] & 0x30) >>> 4;
        if (version != LongHeader.VERSION_1 || typeBits == 3)
        {
            return drop(-1); // no version negotiation; a client ignores Retry
        }
        rxBuffer.limit(datagramLength).position(start);
        try
        {
            longHeader.parse(rxBuffer);
        }
        catch (final QuicException ex)
        {
            return drop(-1);
        }
        final int end = longHeader.packetEnd();
        if (longHeader.type() == LongHeader.Type.ZERO_RTT)
        {
            return drop(end);
        }
        final int spaceIndex = longHeader.type() == LongHeader.Type.INITIAL ? INITIAL : HANDSHAKE;
        if (!client && spaceIndex == INITIAL && datagramLength < MAX_DATAGRAM)
        {
            return drop(end); // RFC 9000 14.1
        }
        if (!destinationMatches(start + 6, longHeader.destinationConnectionIdLength(), spaceIndex))
        {
            return drop(end);
        }
        final int scidOffset = start + 7 + longHeader.destinationConnectionIdLength();
        final int scidLength = rx[scidOffset - 1] & 0xFF;
        if (peerInitialScid != null && !Arrays.equals(rx, scidOffset, scidOffset + scidLength, peerInitialScid, 0,
            peerInitialScid.length))
        {
            return drop(end);
        }
        final PacketSpace space = spaces[spaceIndex];
        if (space.read == null || (peerInitialScid == null && spaceIndex != INITIAL))
        {
            if (client && spaceIndex == HANDSHAKE && !space.discarded && speedUps < MAX_SPEED_UPS)
            {
                // RFC 9002 6.2.3: Handshake before the keys: the server's Initial was lost; probe at once
                speedUps++;
                spaces[INITIAL].probes = 1;
            }
            return drop(end);
        }
        final PacketProtection keys = space.read;
        try
        {
            if (!keys.unprotect(rx, start, longHeader.packetNumberOffset(), end, space.largestReceived))
            {
                return drop(end);
            }
        }
        catch (final QuicException ex)
        {
            return drop(end);
        }
        final long packetNumber = keys.packetNumber();
        if ((rx[start] & 0x0C) != 0)
        {
            throw new QuicException(QuicException.PROTOCOL_VIOLATION, "long header reserved bits are not 0 (17.2)");
        }
        if (space.isDuplicate(packetNumber))
        {
            return drop(end);
        }
        if (peerInitialScid == null)
        {
            // RFC 9000 7.2: the client switches to the server's connection ID
            peerInitialScid = Arrays.copyOfRange(rx, scidOffset, scidOffset + scidLength);
            remoteCid = peerInitialScid.clone();
            addPeerCid(0, remoteCid);
        }
        final boolean ackEliciting = processFrames(space, keys.payloadOffset(), keys.payloadLength(), packetNumber, nowNs);
        if (!client && spaceIndex == INITIAL && ackEliciting && isOpen())
        {
            resendHandshakeData();
        }
        if (!client && spaceIndex == HANDSHAKE && isOpen())
        {
            // RFC 9000 8.1: a Handshake packet validates the client's address; RFC 9001 4.9.1
            addressValidated = true;
            discardSpace(INITIAL, nowNs);
        }
        return end;
    }

    private boolean destinationMatches(final int offset, final int length, final int spaceIndex)
    {
        if (Arrays.equals(rx, offset, offset + length, localCid, 0, localCid.length))
        {
            return true;
        }
        // a server accepts the client's chosen DCID until the client switches (RFC 9000 7.2)
        return !client && spaceIndex == INITIAL && Arrays.equals(rx, offset, offset + length, originalDcid, 0,
            originalDcid.length);
    }

    private void processShortPacket(final int start, final int end, final long nowNs) throws QuicException
    {
        final PacketSpace space = spaces[APPLICATION];
        final int pnOffset = start + 1 + localCid.length;
        if ((rx[start] & 0x40) == 0 || end - pnOffset < 20 ||
            !Arrays.equals(rx, start + 1, pnOffset, localCid, 0, localCid.length))
        {
            drop(-1);
            return;
        }
        if (space.read == null || !handshakeComplete)
        {
            drop(-1); // RFC 9001 5.7: a server processes no 1-RTT packet before the handshake completes
            return;
        }
        final long packetNumber;
        try
        {
            packetNumber = space.read.removeHeaderProtection(rx, start, pnOffset, end, space.largestReceived);
        }
        catch (final QuicException ex)
        {
            drop(-1);
            return;
        }
        final int payloadOffset = pnOffset + space.read.packetNumberLength();
        final int phase = (rx[start] & 0x04) >>> 2;
        final PacketProtection keys;
        boolean update = false;
        if (phase == readKeyPhase)
        {
            keys = space.read;
        }
        else if (appReadPrevious != null && packetNumber < keyPhaseStartPacketNumber)
        {
            keys = appReadPrevious;
        }
        else
        {
            keys = nextReadKeys();
            update = true;
        }
        final int payloadLength = keys.openPayload(rx, start, payloadOffset, end, packetNumber);
        if (payloadLength < 0)
        {
            drop(-1);
            return;
        }
        if ((rx[start] & 0x18) != 0)
        {
            throw new QuicException(QuicException.PROTOCOL_VIOLATION, "short header reserved bits are not 0 (17.3.1)");
        }
        if (space.isDuplicate(packetNumber))
        {
            drop(-1);
            return;
        }
        if (update)
        {
            applyKeyUpdate(packetNumber);
        }
        processFrames(space, payloadOffset, payloadLength, packetNumber, nowNs);
    }

    /**
     * RFC 9002 6.2.3: an ack-eliciting client Initial while our handshake data is unacknowledged
     * means the client is still waiting for it: send it again now rather than at the PTO, a few
     * times per connection (the amplification limit still applies).
     */
    private void resendHandshakeData()
    {
        if (speedUps >= MAX_SPEED_UPS)
        {
            return;
        }
        boolean resent = false;
        for (int index = INITIAL; index <= HANDSHAKE; index++)
        {
            final SendBuffer crypto = spaces[index].cryptoTx;
            if (crypto != null && crypto.hasUnacked())
            {
                crypto.requeueUnacked();
                resent = true;
            }
        }
        if (resent)
        {
            speedUps++;
        }
    }

    private int drop(final int result)
    {
        stats.packetsDropped++;
        return result;
    }

    private boolean processFrames(final PacketSpace space, final int payloadOffset, final int payloadLength,
        final long packetNumber, final long nowNs) throws QuicException
    {
        rxBuffer.limit(payloadOffset + payloadLength).position(payloadOffset);
        rxSpace = space.index;
        if (!rxProcessed)
        {
            // RFC 9000 8.1: a datagram counts for the amplification limit once a packet in it opened
            rxProcessed = true;
            amplificationReceived += rxDatagramLength;
        }
        stats.packetsReceived++;
        final boolean ackEliciting;
        try
        {
            ackEliciting = reader.read(rxBuffer, space.kind, !client, frames);
        }
        catch (final AckOfUnsentPacket ex)
        {
            throw new QuicException(QuicException.PROTOCOL_VIOLATION, ex.getMessage());
        }
        if (!space.discarded)
        {
            space.onReceived(packetNumber, ackEliciting, nowNs,
                space.index == APPLICATION ? localParams.maxAckDelayMs * NANOS_PER_MS : 0);
        }
        restartIdleTimer(nowNs);
        ackElicitingSentSinceReceive = false;
        return ackEliciting;
    }

    // ---------------------------------------------------------------------------------------------
    // Key update (RFC 9001 6)

    private PacketProtection nextReadKeys()
    {
        if (appReadNext == null)
        {
            appReadNextSecret = Hkdf.expandLabel(appReadSecret, "quic ku", new byte[0], Hkdf.HASH_LENGTH);
            appReadNext = spaces[APPLICATION].read.withPacketKeys(appReadNextSecret);
        }
        return appReadNext;
    }

    private void applyKeyUpdate(final long packetNumber)
    {
        final PacketSpace space = spaces[APPLICATION];
        appReadPrevious = space.read;
        space.read = appReadNext;
        appReadSecret = appReadNextSecret;
        appReadNext = null;
        appReadNextSecret = null;
        readKeyPhase ^= 1;
        keyPhaseStartPacketNumber = packetNumber;
        stats.keyUpdates++;
        if (writeKeyPhase != readKeyPhase)
        {
            // RFC 9001 6.2: the peer initiated: update our write keys before acknowledging
            updateWriteKeys();
        }
    }

    private void updateWriteKeys()
    {
        final PacketSpace space = spaces[APPLICATION];
        appWriteSecret = Hkdf.expandLabel(appWriteSecret, "quic ku", new byte[0], Hkdf.HASH_LENGTH);
        space.write = space.write.withPacketKeys(appWriteSecret);
        writeKeyPhase ^= 1;
    }

    /** Initiate a key update (RFC 9001 6.1); tests only: the transport itself never initiates one. */
    void initiateKeyUpdate()
    {
        if (!handshakeConfirmed || writeKeyPhase != readKeyPhase)
        {
            throw new IllegalStateException("a key update needs a confirmed handshake and no update in progress");
        }
        updateWriteKeys();
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
            appReadSecret = readSecret.clone();
            appWriteSecret = writeSecret.clone();
        }
    }

    @Override
    public void onHandshakeComplete()
    {
        handshakeCompletePending = true;
    }

    private void checkHandshakeComplete() throws QuicException
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
            expectCid("initial_source_connection_id", peer.initialSourceConnectionId, peerInitialScid);
            if (peer.retrySourceConnectionId != null)
            {
                throw new QuicException(QuicException.TRANSPORT_PARAMETER_ERROR,
                    "retry_source_connection_id sent without a Retry (RFC 9000 7.3)");
            }
        }
        else
        {
            expectCid("initial_source_connection_id", peer.initialSourceConnectionId, peerInitialScid);
        }
        peerParams = peer;
        peerMaxData = Math.max(peerMaxData, peer.initialMaxData);
        peerMaxStreamData = Math.max(peerMaxStreamData,
            client ? peer.initialMaxStreamDataBidiRemote : peer.initialMaxStreamDataBidiLocal);
        peerMaxStreamsBidi = Math.max(peerMaxStreamsBidi, peer.initialMaxStreamsBidi);
        peerAckDelayExponent = peer.ackDelayExponent;
        peerMaxAckDelayNs = peer.maxAckDelayMs * NANOS_PER_MS;
        updateIdleTimeout();
        restartIdleTimer(lastNowNs);
        if (!client)
        {
            // RFC 9001 4.1.2: the server's handshake is confirmed when it completes
            handshakeDonePending = true;
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

    private void confirmHandshake()
    {
        if (handshakeConfirmed)
        {
            return;
        }
        handshakeConfirmed = true;
        discardSpace(INITIAL, lastNowNs);
        discardSpace(HANDSHAKE, lastNowNs); // RFC 9001 4.9.2
        state = ConnectionState.ESTABLISHED;
        listener.onEstablished();
    }

    private void discardSpace(final int index, final long nowNs)
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
    // Streams and connection IDs (receive side)

    /** RFC 9000 19.8, 4.6: one bidirectional stream, id 0, opened by the client. */
    private void checkStream(final long streamId, final String frame) throws QuicException
    {
        if (streamId == STREAM_ID)
        {
            if (client && !streamOpened)
            {
                throw new QuicException(QuicException.STREAM_STATE_ERROR,
                    frame + " for stream 0, which this client has not opened (RFC 9000 19.8)");
            }
            streamOpened = true;
            return;
        }
        final boolean clientInitiated = (streamId & 1) == 0;
        final boolean unidirectional = (streamId & 2) != 0;
        if (clientInitiated == client)
        {
            throw new QuicException(QuicException.STREAM_STATE_ERROR,
                frame + " for stream " + streamId + ", which we never opened (RFC 9000 19.8)");
        }
        throw new QuicException(QuicException.STREAM_LIMIT_ERROR, frame + " for stream " + streamId + ": " +
            (unidirectional ? "no unidirectional streams are allowed" : "only one bidirectional stream is allowed") +
            " (RFC 9000 4.6)");
    }

    private void onStreamFrame(final long offset, final boolean fin, final ByteBuffer data) throws QuicException
    {
        final long end = offset + data.remaining();
        if (finalSize >= 0 && (end > finalSize || (fin && end != finalSize)))
        {
            throw new QuicException(QuicException.FINAL_SIZE_ERROR,
                "STREAM frame ending at " + end + (fin ? " with FIN" : "") + ": the final size is " + finalSize +
                    " (RFC 9000 4.5)");
        }
        if (fin && end < streamRx.highestOffset())
        {
            throw new QuicException(QuicException.FINAL_SIZE_ERROR,
                "FIN at " + end + " below data received up to " + streamRx.highestOffset() + " (RFC 9000 4.5)");
        }
        if (end > localMaxStreamData)
        {
            throw new QuicException(QuicException.FLOW_CONTROL_ERROR,
                "stream data up to " + end + " beyond the stream limit " + localMaxStreamData + " (RFC 9000 4.1)");
        }
        if (end > localMaxData)
        {
            throw new QuicException(QuicException.FLOW_CONTROL_ERROR,
                "stream data up to " + end + " beyond the connection limit " + localMaxData + " (RFC 9000 4.1)");
        }
        if (fin)
        {
            finalSize = end;
        }
        streamRx.insert(offset, data);
        deliverStream();
    }

    /**
     * Pull mode: copy in-order stream bytes into {@code dst} (up to its room).
     *
     * @return bytes copied, 0 if none is there yet, -1 once every byte up to the peer's FIN was read.
     */
    public int read(final ByteBuffer dst)
    {
        final int read = streamRx.read(dst);
        if (read == 0)
        {
            return finalSize >= 0 && streamRx.readOffset() == finalSize ? -1 : 0;
        }
        stats.streamBytesReceived += read;
        creditConsumed();
        return read;
    }

    /** Pull mode: in-order bytes readable now. */
    public int readableBytes()
    {
        return streamRx.available();
    }

    private void deliverStream()
    {
        if (listener.pullsStreamData())
        {
            if (isOpen() && (streamRx.available() > 0 || finalSize >= 0 && streamRx.readOffset() == finalSize))
            {
                listener.onStreamReadable();
            }
            return;
        }
        ByteBuffer chunk;
        while (isOpen() && (chunk = streamRx.poll()) != null)
        {
            stats.streamBytesReceived += chunk.remaining();
            listener.onStreamData(chunk);
        }
        if (!isOpen())
        {
            return;
        }
        creditConsumed();
    }

    /** After bytes were consumed: the FIN once every byte is, and new flow-control limits. */
    private void creditConsumed()
    {
        final long consumed = streamRx.readOffset();
        if (finalSize >= 0 && consumed == finalSize && !finDelivered)
        {
            finDelivered = true;
            listener.onStreamFin();
        }
        // RFC 9000 4.2: raise the limits once half a window is consumed
        if (finalSize < 0 && localMaxStreamData - consumed < config.streamWindowBytes() / 2)
        {
            localMaxStreamData = consumed + config.streamWindowBytes();
            maxStreamDataPending = true;
        }
        if (localMaxData - consumed < config.connectionWindowBytes() / 2)
        {
            localMaxData = consumed + config.connectionWindowBytes();
            maxDataPending = true;
        }
    }

    private void addPeerCid(final long sequence, final byte[] cid)
    {
        peerCidSequences[peerCidCount] = sequence;
        peerCids[peerCidCount] = cid;
        peerCidCount++;
    }

    private void onNewConnectionId(final long sequence, final long retirePriorTo, final ByteBuffer id)
        throws QuicException
    {
        if (remoteCid.length == 0)
        {
            throw new QuicException(QuicException.PROTOCOL_VIOLATION,
                "NEW_CONNECTION_ID from a peer using zero-length connection IDs (RFC 9000 19.15)");
        }
        for (int i = 0; i < peerCidCount; i++)
        {
            if (peerCidSequences[i] == sequence)
            {
                if (!id.equals(ByteBuffer.wrap(peerCids[i])))
                {
                    throw new QuicException(QuicException.PROTOCOL_VIOLATION,
                        "NEW_CONNECTION_ID sequence " + sequence + " reused for another connection id (19.15)");
                }
                return;
            }
        }
        if (sequence < peerRetirePriorTo)
        {
            queueRetirement(sequence); // RFC 9000 19.15: retire at once
            return;
        }
        if (retirePriorTo > peerRetirePriorTo)
        {
            peerRetirePriorTo = retirePriorTo;
            int kept = 0;
            for (int i = 0; i < peerCidCount; i++)
            {
                if (peerCidSequences[i] < retirePriorTo)
                {
                    queueRetirement(peerCidSequences[i]);
                }
                else
                {
                    peerCidSequences[kept] = peerCidSequences[i];
                    peerCids[kept] = peerCids[i];
                    kept++;
                }
            }
            for (int i = kept; i < peerCidCount; i++)
            {
                peerCids[i] = null;
            }
            peerCidCount = kept;
        }
        if (peerCidCount >= Math.min(localParams.activeConnectionIdLimit, peerCids.length - 1))
        {
            throw new QuicException(QuicException.CONNECTION_ID_LIMIT_ERROR,
                "NEW_CONNECTION_ID " + sequence + ": more than active_connection_id_limit = " +
                    localParams.activeConnectionIdLimit + " active connection ids (RFC 9000 5.1.1)");
        }
        final byte[] cid = new byte[id.remaining()];
        id.get(cid);
        addPeerCid(sequence, cid);
        if (currentPeerCidSequence < peerRetirePriorTo)
        {
            int best = 0;
            for (int i = 1; i < peerCidCount; i++)
            {
                if (peerCidSequences[i] < peerCidSequences[best])
                {
                    best = i;
                }
            }
            currentPeerCidSequence = peerCidSequences[best];
            remoteCid = peerCids[best];
        }
    }

    private void queueRetirement(final long sequence) throws QuicException
    {
        retirePending.add(sequence, sequence + 1);
        if (retirePending.size() > MAX_PENDING_RETIREMENTS)
        {
            throw new QuicException(QuicException.CONNECTION_ID_LIMIT_ERROR,
                "more than " + MAX_PENDING_RETIREMENTS + " connection ids waiting to be retired");
        }
    }

    /** The frames of one packet, dispatched by the {@link FrameReader}. */
    private final class Frames implements FrameVisitor
    {
        @Override
        public void onAck(final long ackDelay, final long[] ranges, final int rangeCount, final boolean ecn,
            final long ect0, final long ect1, final long ce)
        {
            final PacketSpace space = spaces[rxSpace];
            if (space.discarded)
            {
                return;
            }
            if (ranges[1] >= space.nextPacketNumber)
            {
                throw new AckOfUnsentPacket(ranges[1], space.nextPacketNumber);
            }
            if (rxSpace == HANDSHAKE)
            {
                handshakeAckReceived = true;
            }
            // RFC 9000 19.3: microseconds scaled by the peer's ack_delay_exponent; ignored at Initial/Handshake
            final long ackDelayNs = rxSpace == APPLICATION ?
                (Math.min(ackDelay, 1L << 30) << Math.min(peerAckDelayExponent, 20)) * 1000 : 0;
            recovery.onAckReceived(rxSpace, ranges, rangeCount, ackDelayNs, rxNowNs);
        }

        @Override
        public void onCrypto(final long offset, final ByteBuffer data) throws QuicException
        {
            final PacketSpace space = spaces[rxSpace];
            if (space.discarded)
            {
                return;
            }
            if (space.cryptoRx == null)
            {
                space.cryptoRx = new ReceiveBuffer(config.cryptoBufferBytes());
            }
            final ReceiveBuffer buffer = space.cryptoRx;
            final long end = offset + data.remaining();
            if (end > buffer.readOffset() + buffer.capacity())
            {
                throw new QuicException(QuicException.CRYPTO_BUFFER_EXCEEDED, "CRYPTO data up to " + end +
                    " at " + EncryptionLevel.values()[rxSpace] + ": more than " + buffer.capacity() +
                    " bytes ahead of " + buffer.readOffset() + " (RFC 9000 7.5)");
            }
            buffer.insert(offset, data);
            final EncryptionLevel level = EncryptionLevel.values()[rxSpace];
            ByteBuffer chunk;
            while (!space.discarded && (chunk = buffer.poll()) != null)
            {
                tls.onHandshakeBytes(level, chunk);
            }
            checkHandshakeComplete();
        }

        @Override
        public void onStream(final long streamId, final long offset, final boolean fin, final ByteBuffer data)
            throws QuicException
        {
            checkStream(streamId, "STREAM");
            onStreamFrame(offset, fin, data);
        }

        @Override
        public void onResetStream(final long streamId, final long errorCode, final long size) throws QuicException
        {
            checkStream(streamId, "RESET_STREAM");
            if ((finalSize >= 0 && size != finalSize) || size < streamRx.highestOffset())
            {
                throw new QuicException(QuicException.FINAL_SIZE_ERROR, "RESET_STREAM final size " + size +
                    " contradicts " + (finalSize >= 0 ? "final size " + finalSize : "data received up to " +
                    streamRx.highestOffset()) + " (RFC 9000 4.5)");
            }
            // the stream is the connection: its reset ends the connection
            startClosing(errorCode, "the peer reset the stream (RESET_STREAM error " + errorCode + ")", true);
        }

        @Override
        public void onStopSending(final long streamId, final long errorCode) throws QuicException
        {
            checkStream(streamId, "STOP_SENDING");
            startClosing(errorCode, "the peer stopped reading the stream (STOP_SENDING error " + errorCode + ")", true);
        }

        @Override
        public void onNewToken(final ByteBuffer token)
        {
            // a client may keep it for a later connection; we do not
        }

        @Override
        public void onMaxData(final long maximum)
        {
            peerMaxData = Math.max(peerMaxData, maximum);
        }

        @Override
        public void onMaxStreamData(final long streamId, final long maximum) throws QuicException
        {
            checkStream(streamId, "MAX_STREAM_DATA");
            peerMaxStreamData = Math.max(peerMaxStreamData, maximum);
        }

        @Override
        public void onMaxStreams(final boolean bidirectional, final long maximum)
        {
            if (bidirectional)
            {
                peerMaxStreamsBidi = Math.max(peerMaxStreamsBidi, maximum);
            }
        }

        @Override
        public void onStreamDataBlocked(final long streamId, final long limit) throws QuicException
        {
            checkStream(streamId, "STREAM_DATA_BLOCKED");
        }

        @Override
        public void onNewConnectionId(final long sequence, final long retirePriorTo, final ByteBuffer connectionId,
            final ByteBuffer resetToken) throws QuicException
        {
            QuicConnection.this.onNewConnectionId(sequence, retirePriorTo, connectionId);
        }

        @Override
        public void onRetireConnectionId(final long sequence) throws QuicException
        {
            // we issue no connection id beyond the handshake one (sequence 0), which carries this packet
            throw new QuicException(QuicException.PROTOCOL_VIOLATION, "RETIRE_CONNECTION_ID " + sequence + ": " +
                (sequence == 0 ? "retires the connection id of the packet carrying it" :
                "no connection id with that sequence number was issued") + " (RFC 9000 19.16)");
        }

        @Override
        public void onPathChallenge(final long data)
        {
            pathResponsePending = true;
            pathResponseData = data;
        }

        @Override
        public void onConnectionClose(final boolean application, final long errorCode, final long frameType,
            final ByteBuffer reason)
        {
            if (!isOpen())
            {
                return;
            }
            final byte[] bytes = new byte[reason.remaining()];
            reason.get(bytes);
            enterDraining(errorCode, new String(bytes, StandardCharsets.UTF_8));
        }

        @Override
        public void onHandshakeDone()
        {
            confirmHandshake(); // the reader refuses it at a server
        }
    }

    /** An ACK of a packet never sent, raised from {@link Frames#onAck} (which cannot throw a QuicException). */
    private static final class AckOfUnsentPacket extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        AckOfUnsentPacket(final long largest, final long next)
        {
            super("ACK of packet " + largest + ", never sent (next is " + next + ") (RFC 9000 13.1)", null, false, false);
        }
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
                if (closeSendPending)
                {
                    closeSendPending = false;
                    final int length = buildDatagram(nowNs, true);
                    if (length > 0)
                    {
                        send(length);
                    }
                }
                return;
            }
            for (int i = 0; i < MAX_DATAGRAMS_PER_FLUSH && isOpen(); i++)
            {
                final int length = buildDatagram(nowNs, false);
                if (length == 0)
                {
                    break;
                }
                send(length);
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

    private void send(final int length)
    {
        stats.datagramsSent++;
        stats.bytesSent += length;
        amplificationSent += length;
        txBuffer.limit(length).position(0);
        sink.send(txBuffer);
    }

    private boolean canWrite(final int index)
    {
        final PacketSpace space = spaces[index];
        return space.write != null && (index != APPLICATION || handshakeComplete);
    }

    private boolean wantsToSend(final int index, final long nowNs)
    {
        final PacketSpace space = spaces[index];
        if (space.ackNeeded(nowNs))
        {
            return true;
        }
        final boolean content = space.probes > 0 || (space.cryptoTx != null && space.cryptoTx.hasPending()) ||
            (index == APPLICATION && (controlPending() || streamPending()));
        return content && (space.probes > 0 || congestion.canSend());
    }

    private boolean controlPending()
    {
        return handshakeDonePending || maxDataPending || maxStreamDataPending || dataBlockedPending ||
            streamDataBlockedPending || pathResponsePending || !retirePending.isEmpty();
    }

    private boolean streamPending()
    {
        return streamOpened && streamTx.hasPending();
    }

    /** @return the datagram's length, 0 if there is nothing to send. */
    private int buildDatagram(final long nowNs, final boolean closing) throws QuicException
    {
        int limit = MAX_DATAGRAM;
        if (!client && !addressValidated)
        {
            final long budget = AMPLIFICATION_FACTOR * amplificationReceived - amplificationSent;
            if (budget < MIN_PACKET_ROOM)
            {
                return 0;
            }
            limit = (int)Math.min(limit, budget);
        }
        openCount = 0;
        int end = 0;
        boolean hasInitial = false;
        boolean initialAckEliciting = false;
        for (int index = INITIAL; index <= APPLICATION; index++)
        {
            if (!canWrite(index) || (!closing && !wantsToSend(index, nowNs)))
            {
                continue;
            }
            if (limit - end < MIN_PACKET_ROOM)
            {
                break;
            }
            final int next = closing ? writeClosePacket(index, end, limit - end) : writePacket(index, end, limit - end, nowNs);
            if (next > end)
            {
                end = next;
                if (index == INITIAL)
                {
                    hasInitial = true;
                    initialAckEliciting |= openPackets[openCount - 1].record.ackEliciting;
                }
            }
        }
        if (openCount == 0)
        {
            return 0;
        }
        // RFC 9000 14.1: a client pads every datagram with an Initial; a server those with ack-eliciting ones
        if (client ? hasInitial : initialAckEliciting)
        {
            final int target = Math.min(MAX_DATAGRAM, limit);
            if (end < target)
            {
                final OpenPacket last = openPackets[openCount - 1];
                Arrays.fill(tx, last.payloadEnd, last.payloadEnd + target - end, (byte)0);
                last.payloadEnd += target - end;
                end = target;
            }
        }
        boolean sentHandshake = false;
        for (int i = 0; i < openCount; i++)
        {
            sealPacket(openPackets[i], nowNs);
            sentHandshake |= openPackets[i].space == HANDSHAKE;
        }
        if (client && sentHandshake)
        {
            discardSpace(INITIAL, nowNs); // RFC 9001 4.9.1
        }
        return end;
    }

    private int headerLength(final int index)
    {
        if (index == APPLICATION)
        {
            return 1 + remoteCid.length;
        }
        return 1 + 4 + 1 + remoteCid.length + 1 + localCid.length + (index == INITIAL ? 1 : 0) + 2;
    }

    /** Write the header of a packet in {@code index} at {@code offset}; leaves txBuffer at the payload. */
    private OpenPacket openPacket(final int index, final int offset, final int room)
    {
        final PacketSpace space = spaces[index];
        final long packetNumber = space.nextPacketNumber;
        final int pnLength = PacketNumber.encodedLength(packetNumber, recovery.largestAcked(index));
        if (room < headerLength(index) + pnLength + TAG + 8)
        {
            return null;
        }
        final OpenPacket packet = openPackets[openCount];
        packet.space = index;
        packet.start = offset;
        packet.keys = space.write;
        packet.packetNumber = packetNumber;
        packet.pnLength = pnLength;
        txBuffer.limit(offset + room - TAG).position(offset);
        if (index == APPLICATION)
        {
            packet.lengthOffset = -1;
            txBuffer.put((byte)(0x40 | (writeKeyPhase << 2) | (pnLength - 1)));
            txBuffer.put(remoteCid);
        }
        else
        {
            txBuffer.put((byte)(0xC0 | (index == INITIAL ? 0x00 : 0x20) | (pnLength - 1)));
            txBuffer.putInt(LongHeader.VERSION_1);
            txBuffer.put((byte)remoteCid.length).put(remoteCid);
            txBuffer.put((byte)localCid.length).put(localCid);
            if (index == INITIAL)
            {
                txBuffer.put((byte)0); // no token
            }
            packet.lengthOffset = txBuffer.position();
            txBuffer.putShort((short)0x4000);
        }
        packet.pnOffset = txBuffer.position();
        final long truncated = PacketNumber.truncate(packetNumber, pnLength);
        for (int i = pnLength - 1; i >= 0; i--)
        {
            txBuffer.put((byte)(truncated >>> (8 * i)));
        }
        packet.payloadStart = txBuffer.position();
        return packet;
    }

    /** Finish the payload of the packet just opened; @return the offset after its (future) tag. */
    private int closePacket(final OpenPacket packet)
    {
        // RFC 9001 5.4.2: at least 4 bytes of packet number and payload for the header protection sample
        while (txBuffer.position() - packet.pnOffset < 4)
        {
            txBuffer.put((byte)FrameType.PADDING);
        }
        packet.payloadEnd = txBuffer.position();
        spaces[packet.space].nextPacketNumber++;
        openCount++;
        return packet.payloadEnd + TAG;
    }

    private int writePacket(final int index, final int offset, final int room, final long nowNs)
    {
        final OpenPacket packet = openPacket(index, offset, room);
        if (packet == null)
        {
            return offset;
        }
        final PacketSpace space = spaces[index];
        final SentPacket record = recovery.acquire();
        record.space = index;
        record.packetNumber = packet.packetNumber;
        packet.record = record;
        boolean ackEliciting = false;
        if (space.ackDirty && txBuffer.remaining() >= 24)
        {
            writeAck(space, nowNs);
        }
        if (space.probes > 0 || congestion.canSend())
        {
            if (index == APPLICATION)
            {
                ackEliciting |= writeControlFrames(record);
            }
            if (space.cryptoTx != null && space.cryptoTx.hasPending())
            {
                ackEliciting |= writeCrypto(space.cryptoTx, record);
            }
            if (index == APPLICATION && streamPending())
            {
                ackEliciting |= writeStream(record);
            }
            if (!ackEliciting && space.probes > 0 && txBuffer.hasRemaining())
            {
                FrameWriter.ping(txBuffer);
                record.controlFlags |= SentPacket.PING;
                ackEliciting = true;
            }
        }
        if (txBuffer.position() == packet.payloadStart)
        {
            recovery.onPacketSent(record, nowNs); // not ack-eliciting: just recycled
            return offset;
        }
        if (ackEliciting && space.probes > 0)
        {
            space.probes--;
        }
        record.ackEliciting = ackEliciting;
        return closePacket(packet);
    }

    private void writeAck(final PacketSpace space, final long nowNs)
    {
        final RangeSet received = space.received;
        if (received.isEmpty())
        {
            return;
        }
        final long delayUs = Math.max(0, nowNs - space.largestReceivedTimeNs) / 1000;
        final long delay = space.index == APPLICATION ? delayUs >> localParams.ackDelayExponent : 0;
        final int last = received.size() - 1;
        final long largest = received.high(last) - 1;
        int size = 1 + VarInt.length(largest) + VarInt.length(delay) + 1 + VarInt.length(largest - received.low(last));
        if (size > txBuffer.remaining())
        {
            return;
        }
        ackRanges[0] = received.low(last);
        ackRanges[1] = largest;
        int count = 1;
        while (count < MAX_ACK_RANGES_SENT && count <= last)
        {
            final int i = last - count;
            final long gap = ackRanges[2 * count - 2] - received.high(i) - 1;
            final long length = received.high(i) - 1 - received.low(i);
            final int more = VarInt.length(gap) + VarInt.length(length);
            if (size + more + (count >= 63 ? 1 : 0) > txBuffer.remaining())
            {
                break;
            }
            size += more;
            ackRanges[2 * count] = received.low(i);
            ackRanges[2 * count + 1] = received.high(i) - 1;
            count++;
        }
        FrameWriter.ack(txBuffer, delay, ackRanges, count);
        space.onAckSent();
    }

    private boolean writeControlFrames(final SentPacket record)
    {
        boolean wrote = false;
        if (handshakeDonePending && txBuffer.remaining() >= 1)
        {
            FrameWriter.handshakeDone(txBuffer);
            handshakeDonePending = false;
            record.controlFlags |= SentPacket.HANDSHAKE_DONE;
            wrote = true;
        }
        if (maxDataPending && txBuffer.remaining() >= 9)
        {
            FrameWriter.maxData(txBuffer, localMaxData);
            maxDataPending = false;
            record.controlFlags |= SentPacket.MAX_DATA;
            wrote = true;
        }
        if (maxStreamDataPending && txBuffer.remaining() >= 10)
        {
            FrameWriter.maxStreamData(txBuffer, STREAM_ID, localMaxStreamData);
            maxStreamDataPending = false;
            record.controlFlags |= SentPacket.MAX_STREAM_DATA;
            wrote = true;
        }
        if (dataBlockedPending && txBuffer.remaining() >= 9)
        {
            dataBlockedPending = false;
            if (dataBlockedLimit == peerMaxData)
            {
                FrameWriter.dataBlocked(txBuffer, dataBlockedLimit);
                record.controlFlags |= SentPacket.DATA_BLOCKED;
                wrote = true;
            }
        }
        if (streamDataBlockedPending && txBuffer.remaining() >= 10)
        {
            streamDataBlockedPending = false;
            if (streamDataBlockedLimit == peerMaxStreamData)
            {
                FrameWriter.streamDataBlocked(txBuffer, STREAM_ID, streamDataBlockedLimit);
                record.controlFlags |= SentPacket.STREAM_DATA_BLOCKED;
                wrote = true;
            }
        }
        if (!retirePending.isEmpty() && txBuffer.remaining() >= 9)
        {
            final long sequence = retirePending.low(0);
            retirePending.remove(sequence, sequence + 1);
            FrameWriter.retireConnectionId(txBuffer, sequence);
            record.controlFlags |= SentPacket.RETIRE_CONNECTION_ID;
            record.retireSequence = sequence;
            wrote = true;
        }
        if (pathResponsePending && txBuffer.remaining() >= 9)
        {
            // not retransmitted (RFC 9000 13.3): a lost response is answered by the next challenge
            txBuffer.put((byte)FrameType.PATH_RESPONSE).putLong(pathResponseData);
            pathResponsePending = false;
            wrote = true;
        }
        return wrote;
    }

    private boolean writeCrypto(final SendBuffer buffer, final SentPacket record)
    {
        final int overhead = 1 + VarInt.length(buffer.writeOffset()) + 2;
        final int maxLength = Math.min(txBuffer.remaining() - overhead, 16383);
        if (maxLength <= 0 || !buffer.nextChunk(maxLength))
        {
            return false;
        }
        VarInt.write(txBuffer, FrameType.CRYPTO);
        VarInt.write(txBuffer, buffer.chunkOffset());
        VarInt.write(txBuffer, buffer.chunkLength());
        buffer.copy(buffer.chunkOffset(), buffer.chunkLength(), txBuffer);
        record.cryptoOffset = buffer.chunkOffset();
        record.cryptoLength = buffer.chunkLength();
        return true;
    }

    private boolean writeStream(final SentPacket record)
    {
        final int overhead = 1 + 1 + VarInt.length(streamTx.writeOffset()) + 2;
        final int maxLength = Math.min(txBuffer.remaining() - overhead, 16383);
        if (maxLength < 0 || !streamTx.nextChunk(maxLength))
        {
            return false;
        }
        final long offset = streamTx.chunkOffset();
        final int length = streamTx.chunkLength();
        final boolean fin = streamTx.chunkFin();
        VarInt.write(txBuffer, FrameType.STREAM | FrameType.STREAM_OFF | FrameType.STREAM_LEN |
            (fin ? FrameType.STREAM_FIN : 0));
        VarInt.write(txBuffer, STREAM_ID);
        VarInt.write(txBuffer, offset);
        VarInt.write(txBuffer, length);
        streamTx.copy(offset, length, txBuffer);
        record.streamOffset = offset;
        record.streamLength = length;
        record.streamFin = fin;
        return true;
    }

    private int writeClosePacket(final int index, final int offset, final int room)
    {
        final OpenPacket packet = openPacket(index, offset, room);
        if (packet == null)
        {
            return offset;
        }
        final SentPacket record = recovery.acquire();
        record.space = index;
        record.packetNumber = packet.packetNumber;
        packet.record = record;
        final int reasonRoom = Math.max(0, txBuffer.remaining() - 1 - 8 - 8 - 2);
        if (closeApplication && index != APPLICATION)
        {
            // RFC 9000 10.2.3: no application close before the handshake is confirmed
            FrameWriter.connectionClose(txBuffer, QuicException.APPLICATION_ERROR, 0, new byte[0]);
        }
        else
        {
            final byte[] reason = closeReason.length <= reasonRoom ? closeReason : Arrays.copyOf(closeReason, reasonRoom);
            if (closeApplication)
            {
                FrameWriter.applicationClose(txBuffer, closeErrorCode, reason);
            }
            else
            {
                FrameWriter.connectionClose(txBuffer, closeErrorCode, 0, reason);
            }
        }
        return closePacket(packet);
    }

    private void sealPacket(final OpenPacket packet, final long nowNs) throws QuicException
    {
        final int payloadLength = packet.payloadEnd - packet.payloadStart;
        if (packet.lengthOffset >= 0)
        {
            final int length = packet.pnLength + payloadLength + TAG;
            tx[packet.lengthOffset] = (byte)(0x40 | (length >>> 8));
            tx[packet.lengthOffset + 1] = (byte)length;
        }
        final int size = packet.keys.protect(tx, packet.start, packet.pnOffset, packet.pnLength, packet.packetNumber,
            payloadLength);
        stats.packetsSent++;
        final SentPacket record = packet.record;
        record.size = size;
        if (record.streamLength > 0 && record.streamOffset + record.streamLength > stats.streamBytesSent)
        {
            stats.streamBytesSent = record.streamOffset + record.streamLength;
        }
        if (record.ackEliciting && !ackElicitingSentSinceReceive)
        {
            // RFC 9000 10.1: sending the first ack-eliciting packet since receiving restarts the idle timer
            ackElicitingSentSinceReceive = true;
            restartIdleTimer(nowNs);
        }
        packet.record = null;
        packet.keys = null;
        recovery.onPacketSent(record, nowNs);
    }

    /** A packet being built in the current datagram, sealed when the datagram is complete. */
    private static final class OpenPacket
    {
        int space;
        int start;
        int lengthOffset;
        int pnOffset;
        int pnLength;
        int payloadStart;
        int payloadEnd;
        long packetNumber;
        PacketProtection keys;
        SentPacket record;
    }

    // ---------------------------------------------------------------------------------------------
    // Recovery glue

    private void requeue(final SentPacket packet)
    {
        final PacketSpace space = spaces[packet.space];
        if (packet.cryptoLength > 0 && space.cryptoTx != null)
        {
            space.cryptoTx.onLost(packet.cryptoOffset, packet.cryptoLength, false);
        }
        if (packet.streamLength >= 0)
        {
            streamTx.onLost(packet.streamOffset, packet.streamLength, packet.streamFin);
        }
        final int flags = packet.controlFlags;
        if ((flags & SentPacket.HANDSHAKE_DONE) != 0)
        {
            handshakeDonePending = true;
        }
        if ((flags & SentPacket.MAX_DATA) != 0)
        {
            maxDataPending = true;
        }
        if ((flags & SentPacket.MAX_STREAM_DATA) != 0 && finalSize < 0)
        {
            maxStreamDataPending = true;
        }
        if ((flags & SentPacket.DATA_BLOCKED) != 0 && dataBlockedLimit == peerMaxData)
        {
            dataBlockedPending = true;
        }
        if ((flags & SentPacket.STREAM_DATA_BLOCKED) != 0 && streamDataBlockedLimit == peerMaxStreamData)
        {
            streamDataBlockedPending = true;
        }
        if ((flags & SentPacket.RETIRE_CONNECTION_ID) != 0)
        {
            retirePending.add(packet.retireSequence, packet.retireSequence + 1);
        }
    }

    /** What loss detection reports and asks. */
    private final class Recovery implements LossDetector.Sink
    {
        @Override
        public void onPacketAcked(final SentPacket packet)
        {
            final PacketSpace space = spaces[packet.space];
            if (packet.cryptoLength > 0 && space.cryptoTx != null)
            {
                space.cryptoTx.onAcked(packet.cryptoOffset, packet.cryptoLength, false);
            }
            if (packet.streamLength >= 0)
            {
                streamTx.onAcked(packet.streamOffset, packet.streamLength, packet.streamFin);
            }
        }

        @Override
        public void onPacketLost(final SentPacket packet)
        {
            stats.packetsLost++;
            requeue(packet);
        }

        @Override
        public void onProbeRequeue(final SentPacket packet)
        {
            requeue(packet);
        }

        @Override
        public void onProbe(final int space)
        {
            stats.probesSent++;
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
            return !client || handshakeConfirmed || handshakeAckReceived;
        }

        @Override
        public boolean isAmplificationBlocked()
        {
            return !client && !addressValidated &&
                AMPLIFICATION_FACTOR * amplificationReceived - amplificationSent < MIN_PACKET_ROOM;
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
