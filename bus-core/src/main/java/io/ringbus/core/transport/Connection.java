package io.ringbus.core.transport;

import io.ringbus.core.SendResult;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.IoChannelHandler;
import io.ringbus.core.backend.IoResult;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameDecodeException;
import io.ringbus.core.frame.FrameDecoder;
import io.ringbus.core.frame.FrameError;
import io.ringbus.core.frame.FrameHandler;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.frame.PoolExhaustedException;
import io.ringbus.core.jfr.JfrEvents;
import io.ringbus.core.log.LogLimiter;
import io.ringbus.core.shard.Shard;
import io.ringbus.core.stat.ConnectionCounters;
import io.ringbus.core.stat.ProtocolErrorKind;
import org.agrona.DirectBuffer;
import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.MpscArrayQueue;
import org.jctools.queues.MpscChunkedArrayQueue;

import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * The per-connection pump, on its owning shard: inbound bytes go through the {@link FrameDecoder}
 * to the plane's {@link ConnectionHandler}; outbound frames wait in a bounded queue and leave in
 * gathering writes of up to max_batch frames; one close path, bounded by close_grace.
 *
 * <p>States: {@code CONNECTING -> OPEN -> CLOSING -> CLOSED}. In CLOSING no frame is delivered or
 * accepted; queued frames are flushed, then FIN is sent, then the connection waits for the peer's
 * FIN (reading and discarding, so the kernel does not answer unread bytes with a reset), all
 * within close_grace, after which the socket is closed regardless.
 *
 * <p>Bounds (issue 11): the outbound frames hold at most peer_queue_capacity frames and
 * peer_queue_max_bytes pooled bytes (queued or being written); a send beyond either answers
 * BACKPRESSURE. A connection set to {@link #limits pause reading} stops reading while its outbound
 * frames are at either bound and resumes once they drained to half, so a peer that sends without
 * reading is held back by TCP flow control. While OPEN, one watchdog timer closes the connection
 * when a frame (or a carrier's record) stays incomplete for partial_frame_timeout, when a write
 * makes no progress for as long, or when nothing moves for idle_timeout. A pool over its budget
 * closes the connection that needed the buffer with {@link CloseReason#MEMORY_BUDGET}.
 *
 * <p>{@link #send} may be called from any thread; everything else from the owning shard only.
 */
public final class Connection implements IoChannelHandler, FrameHandler, Shard.Flushable
{
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());
    private static final VarHandle FLUSH_REQUESTED;
    private static final VarHandle QUEUED_BYTES;
    private static final int INITIAL_QUEUE_CAPACITY = 16;
    /** For connections outside a bus's table (the SDK client's): one limiter for the process. */
    private static final LogLimiter DEFAULT_LOG_LIMITER = new LogLimiter();
    /** The log limiter's reasons for a protocol error, one per {@link FrameError} (a fixed set of keys). */
    private static final String[] FRAME_ERROR_LOG_KEYS = frameErrorLogKeys();

    static
    {
        try
        {
            FLUSH_REQUESTED = MethodHandles.lookup().findVarHandle(Connection.class, "flushRequested", int.class);
            QUEUED_BYTES = MethodHandles.lookup().findVarHandle(Connection.class, "queuedBytes", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** Life cycle of a connection. */
    public enum State
    {
        /** An outbound connect is under way. */
        CONNECTING,
        /** Connected; the carrier's handshake (TLS, WebSocket upgrade) is under way. */
        HANDSHAKE,
        /** Frames flow both ways. */
        OPEN,
        /** The close sequence runs: flush, carrier close, FIN, wait for the peer's FIN. */
        CLOSING,
        /**
         * Done; the socket is closed, and every buffer released once the channel is quiescent (at
         * once on NIO; on io_uring when the last completion of the socket came back).
         */
        CLOSED
    }

    private final long id;
    private final Shard shard;
    private final ConnectionHandler handler;
    private final FramePool pool;
    private final FrameDecoder decoder;
    private final MessagePassingQueue<FrameBuffer> outbound;
    private final FrameBuffer[] batch;
    private final ByteBuffer[] iov;
    private final long closeGraceNs;
    private final ByteBuffer discard;
    private final Runnable watchdogTask = this::onWatchdog;

    private final CarrierSink carrierSink = new CarrierSink();
    private final HandshakeGrace handshakeGrace;
    private Carrier carrier;
    private long carrierHandshakeGraceNs;
    private long planeHandshakeGraceNs;
    private String planeHandshakeMissing;
    private boolean planeHandshakePending;
    private boolean carrierClosing;
    private FrameError closeFrameError;
    /** Where this connection counts its frames (the bus's counters of its scheme or replica on its shard), or null. */
    private ConnectionCounters counters;
    /** Frames sent before {@link #counters} was given whose writes are still to finish: they are not counted. */
    private int uncountedOut;
    private ProtocolErrorKind protocolErrorKind;
    private boolean opened;
    private IoChannel channel;
    private volatile State state = State.CONNECTING;
    @SuppressWarnings("unused") // accessed through FLUSH_REQUESTED
    private volatile int flushRequested;
    /** Pooled bytes (capacities) of the frames send() took and no write has finished yet. */
    @SuppressWarnings("unused") // accessed through QUEUED_BYTES
    private volatile long queuedBytes;
    private long maxQueuedBytes = Long.MAX_VALUE;
    private boolean pauseReadingWhenFull;
    private boolean readPaused;
    private long partialFrameTimeoutNs;
    private long idleTimeoutNs;
    private long watchdogTimer = -1;
    private long framesReceived;
    // Per-connection totals (issue 15, point 5): plain fields, written and read on the owning shard only.
    private long bytesReceived;
    private long framesSent;
    private long bytesSent;
    private String role = "";
    private String scheme = "";
    private boolean carrierFailed;
    private boolean partialPending;
    private long partialSinceNs;
    private long framesAtPartialStart;
    private long writeSubmittedNs;
    private long lastActivityNs;
    private int batchCount;
    private FrameBuffer held;
    private int headWritten;
    private boolean writing;
    private boolean reading;
    private boolean readStalled;
    private boolean outputShut;
    private boolean peerFinished;
    private boolean buffersReleased;
    private long closeTimer = -1;
    private CloseReason closeReason;
    private String closeDetail;
    private Object attachment;
    private InetSocketAddress remoteAddress;
    private InetAddress limitedAddress;
    private LogLimiter logLimiter = DEFAULT_LOG_LIMITER;

    /**
     * @param id                 bus-wide id (client ids carry the shard in their top bits).
     * @param shard              the owning shard.
     * @param handler            the plane's handler.
     * @param pool               pool of receive buffers, carrier buffers and frames larger than a receive buffer.
     * @param receiveBufferSize  largest per-connection receive buffer.
     * @param maxMessageSize     largest frame accepted.
     * @param clusterHi          cluster id, high bits.
     * @param clusterLo          cluster id, low bits.
     * @param queueCapacity      peer_queue_capacity.
     * @param maxBatch           frames per gathering write.
     * @param closeGraceNs       bound on the whole close sequence.
     * @param discard            the shard's scratch buffer for bytes read while closing.
     */
    public Connection(
        final long id,
        final Shard shard,
        final ConnectionHandler handler,
        final FramePool pool,
        final int receiveBufferSize,
        final int maxMessageSize,
        final long clusterHi,
        final long clusterLo,
        final int queueCapacity,
        final int maxBatch,
        final long closeGraceNs,
        final ByteBuffer discard)
    {
        this.id = id;
        this.shard = shard;
        this.handler = handler;
        this.pool = pool;
        this.decoder = new FrameDecoder(receiveBufferSize, maxMessageSize, clusterHi, clusterLo, pool, this);
        this.outbound = outboundQueue(queueCapacity);
        this.batch = new FrameBuffer[maxBatch];
        this.iov = new ByteBuffer[maxBatch];
        this.closeGraceNs = closeGraceNs;
        this.discard = discard;
        this.handshakeGrace = new HandshakeGrace(shard, this::onHandshakeGraceExpired);
    }

    /**
     * A bounded queue of {@code capacity} frames that takes memory as it fills: an idle connection
     * holds a small array, not one sized for peer_queue_capacity (4096 slots on an echo node: 16 KiB
     * per connection). It grows in chunks up to the bound and keeps what it grew to.
     */
    private static MessagePassingQueue<FrameBuffer> outboundQueue(final int capacity)
    {
        return capacity <= INITIAL_QUEUE_CAPACITY ? new MpscArrayQueue<>(Math.max(2, capacity)) :
            new MpscChunkedArrayQueue<>(INITIAL_QUEUE_CAPACITY, capacity);
    }

    private static String[] frameErrorLogKeys()
    {
        final FrameError[] errors = FrameError.values();
        final String[] keys = new String[errors.length];
        for (int i = 0; i < errors.length; i++)
        {
            keys[i] = CloseReason.PROTOCOL_ERROR.name() + " " + errors[i].name();
        }
        return keys;
    }

    /** Bus-wide id. Any thread. */
    public long id()
    {
        return id;
    }

    /** The owning shard. Any thread. */
    public Shard shard()
    {
        return shard;
    }

    /** Current state. Any thread (a snapshot). */
    public State state()
    {
        return state;
    }

    /** Why the connection closed or is closing; null while open. */
    public CloseReason closeReason()
    {
        return closeReason;
    }

    /** The detail logged with the close reason; null while open. */
    public String closeDetail()
    {
        return closeDetail;
    }

    /** The plane's per-connection object (client meta, replica id). */
    public Object attachment()
    {
        return attachment;
    }

    /** Set the plane's per-connection object. Shard thread. */
    public Connection attachment(final Object attachment)
    {
        this.attachment = attachment;
        return this;
    }

    /**
     * Count this connection's frames and bytes each way (and refused sends) in {@code counters},
     * which belong to the owning shard; null counts nothing. Frames already sent and not yet written
     * (a replica's last handshake frame) stay uncounted. Shard thread.
     */
    public Connection counters(final ConnectionCounters counters)
    {
        this.counters = counters;
        this.uncountedOut = outbound.size() + batchCount + (held != null ? 1 : 0);
        return this;
    }

    /**
     * The kind of the protocol error that closed (or is closing) this connection, or null if none
     * or unknown. Shard thread.
     */
    public ProtocolErrorKind protocolErrorKind()
    {
        return protocolErrorKind;
    }

    /**
     * Name the kind of the protocol error the plane is about to close this connection for (the
     * first one named stays). Shard thread.
     */
    public Connection protocolErrorKind(final ProtocolErrorKind kind)
    {
        if (protocolErrorKind == null)
        {
            protocolErrorKind = kind;
        }
        return this;
    }

    /** True once the connection became OPEN (its carrier's handshake, if any, completed). Shard thread. */
    public boolean hasOpened()
    {
        return opened;
    }

    /** The peer's address, or null if unknown. */
    public InetSocketAddress remoteAddress()
    {
        return remoteAddress;
    }

    /**
     * Name what this connection is, for its JFR events: {@code role} client, replica or sdk, and
     * the {@code scheme} it runs on (tcp, tls, ws, wss, quic). Before {@link #open}; shard thread.
     */
    public Connection label(final String role, final String scheme)
    {
        this.role = role;
        this.scheme = scheme;
        return this;
    }

    /** client, replica or sdk ({@link #label}); empty if never named. */
    public String role()
    {
        return role;
    }

    /** tcp, tls, ws, wss or quic ({@link #label}); empty if never named. */
    public String scheme()
    {
        return scheme;
    }

    /** Frames received whole (verified by the decoder) since the connection began. Owning shard. */
    public long framesReceived()
    {
        return framesReceived;
    }

    /** Bytes of the frames received whole (headers and bodies, no carrier overhead). Owning shard. */
    public long bytesReceived()
    {
        return bytesReceived;
    }

    /** Frames written whole (for a carrier: taken whole into its records). Owning shard. */
    public long framesSent()
    {
        return framesSent;
    }

    /** Bytes of the frames written whole (headers and bodies, no carrier overhead). Owning shard. */
    public long bytesSent()
    {
        return bytesSent;
    }

    /**
     * Put a carrier layer (TLS, WebSocket) between the socket and the frames; before
     * {@link #open} or {@link #connecting}. Its handshake must finish within {@code handshakeGraceNs}.
     */
    public Connection carrier(final Carrier carrier, final long handshakeGraceNs)
    {
        this.carrier = carrier;
        this.carrierHandshakeGraceNs = handshakeGraceNs;
        return this;
    }

    /**
     * The plane expects a handshake in the first frames (the replica ping); before {@link #open}.
     * The connection opens as usual, but unless the plane calls {@link #planeHandshakeDone()} within
     * {@code handshakeGraceNs} of the open it is aborted with {@link CloseReason#HANDSHAKE_TIMEOUT}.
     * Shard thread.
     *
     * @param missing what the peer failed to do if the grace runs out ("no valid ping"), for the detail.
     */
    public Connection awaitPlaneHandshake(final long handshakeGraceNs, final String missing)
    {
        this.planeHandshakeGraceNs = handshakeGraceNs;
        this.planeHandshakeMissing = missing;
        this.planeHandshakePending = true;
        return this;
    }

    /** The plane's handshake (see {@link #awaitPlaneHandshake}) is done: the grace no longer applies. Shard thread. */
    public void planeHandshakeDone()
    {
        planeHandshakePending = false;
        if (state != State.HANDSHAKE)
        {
            handshakeGrace.disarm();
        }
    }

    /**
     * Set the bounds of issue 11; before {@link #open} or {@link #connecting}. Shard thread.
     *
     * @param maxQueuedBytes        peer_queue_max_bytes: pooled bytes the outbound frames may hold
     *                              (one frame is taken whatever its size when none is held).
     * @param pauseReadingWhenFull  stop reading while the outbound frames are at a bound (client
     *                              connections: their own requests fill it); off for replica links,
     *                              where two full queues pausing each other would deadlock.
     * @param partialFrameTimeoutNs a started frame or record must complete, and a pending write make
     *                              progress, within this; 0 is off.
     * @param idleTimeoutNs         an open connection that reads and writes nothing for this closes; 0 is off.
     */
    public Connection limits(final long maxQueuedBytes, final boolean pauseReadingWhenFull,
        final long partialFrameTimeoutNs, final long idleTimeoutNs)
    {
        this.maxQueuedBytes = maxQueuedBytes;
        this.pauseReadingWhenFull = pauseReadingWhenFull;
        this.partialFrameTimeoutNs = partialFrameTimeoutNs;
        this.idleTimeoutNs = idleTimeoutNs;
        return this;
    }

    /**
     * The limiter of this connection's close line (a peer can open and break connections at will):
     * the bus's one limiter, so a thousand connections closed for one reason log one line per
     * interval. Before {@link #open}; shard thread.
     */
    public Connection logLimiter(final LogLimiter limiter)
    {
        this.logLimiter = limiter;
        return this;
    }

    /** The source address whose place in the bus's {@link ConnectionLimits} this connection holds, or null. */
    InetAddress limitedAddress()
    {
        return limitedAddress;
    }

    /** Record the place this connection holds ({@link ConnectionTable} gives it back with the slot). */
    void limitedAddress(final InetAddress address)
    {
        this.limitedAddress = address;
    }

    /** The carrier layer, or null for plain tcp. */
    public Carrier carrier()
    {
        return carrier;
    }

    /** Accepted socket, registered on the owning shard: start the carrier's handshake or open. Shard thread. */
    public void open(final IoChannel channel)
    {
        this.channel = channel;
        this.remoteAddress = channel.remoteAddress();
        if (carrier == null)
        {
            if (planeHandshakePending)
            {
                handshakeGrace.arm(planeHandshakeGraceNs, planeHandshakeMissing);
            }
            becomeOpen();
            return;
        }
        state = State.HANDSHAKE;
        // One grace covers every handshake of the connection: the carrier's and then the plane's.
        handshakeGrace.arm(carrierHandshakeGraceNs, "handshake not complete");
        carrier.start(carrierSink);
        readMore();
        if (!openIfCarrierReady() && !writing)
        {
            writeMore();
        }
    }

    private void becomeOpen()
    {
        if (!planeHandshakePending)
        {
            handshakeGrace.disarm();
        }
        state = State.OPEN;
        opened = true;
        lastActivityNs = shard.nowNs();
        armWatchdog();
        JfrEvents.connectionOpened(this);
        try
        {
            handler.onOpen(this);
        }
        catch (final RuntimeException ex)
        {
            final long held = logLimiter.admit("open_handler_failed", shard.nowNs());
            if (held >= 0)
            {
                LOG.log(Level.ERROR, "connection " + Long.toHexString(id) + ": open handler failed" +
                    LogLimiter.suffix(held), ex);
            }
            shard.recordError(ex);
            abort(CloseReason.IO_ERROR, "open handler failed: " + ex);
            return;
        }
        if (state == State.OPEN)
        {
            readMore();
            if (!writing)
            {
                writeMore();
            }
        }
    }

    private void onHandshakeGraceExpired(final String detail)
    {
        if (state == State.HANDSHAKE || (planeHandshakePending && state != State.CLOSED))
        {
            abort(CloseReason.HANDSHAKE_TIMEOUT, detail);
        }
    }

    /** Outbound connection being established; {@link #onConnect} follows. Shard thread. */
    public void connecting(final IoChannel channel, final InetSocketAddress remote)
    {
        this.channel = channel;
        this.remoteAddress = remote;
    }

    /**
     * Queue a sealed frame (in {@code frame.buffer()} from 0 to {@code frame.frameLength()}).
     * Takes over the caller's reference whatever the result. Any thread; never blocks.
     */
    public SendResult send(final FrameBuffer frame)
    {
        final State current = state;
        if (current == State.CLOSING || current == State.CLOSED)
        {
            frame.release();
            return SendResult.CLOSED;
        }
        // Counted by capacity, the memory the frame holds. A frame above the bound still goes when
        // nothing is held, or a frame larger than peer_queue_max_bytes could never be sent.
        final long bytes = frame.capacity();
        final long before = (long)QUEUED_BYTES.getAndAdd(this, bytes);
        if ((before > 0 && before + bytes > maxQueuedBytes) || !outbound.offer(frame))
        {
            return refuse(frame, bytes);
        }
        if ((int)FLUSH_REQUESTED.compareAndExchange(this, 0, 1) == 0)
        {
            shard.requestFlush(this);
        }
        return SendResult.OK;
    }

    /** A send refused: the frame's bytes leave the queue's count, the frame goes back, and the refusal is counted. */
    private SendResult refuse(final FrameBuffer frame, final long bytes)
    {
        QUEUED_BYTES.getAndAdd(this, -bytes);
        frame.release();
        JfrEvents.backpressure(this, bytes);
        final ConnectionCounters counters = this.counters;
        if (counters != null)
        {
            counters.onBackpressure();
        }
        return SendResult.BACKPRESSURE;
    }

    /** Frames queued and not yet handed to a write. Any thread (a snapshot). */
    public int queuedFrames()
    {
        return outbound.size();
    }

    /** Pooled bytes of the frames taken by {@link #send} whose write has not finished. Any thread (a snapshot). */
    public long queuedBytes()
    {
        return (long)QUEUED_BYTES.getVolatile(this);
    }

    /** True while reading is paused because the outbound frames are at a bound. Shard thread. */
    public boolean isReadPaused()
    {
        return readPaused;
    }

    /** peer_queue_max_bytes of this connection ({@link #limits}). Any thread. */
    public long maxQueuedBytes()
    {
        return maxQueuedBytes;
    }

    /** A frame taken by send() has been written (or dropped at close): it no longer counts. */
    private void releaseSent(final FrameBuffer frame)
    {
        framesSent++;
        bytesSent += frame.frameLength();
        if (uncountedOut > 0)
        {
            uncountedOut--; // written in the order sent: the frames sent before counting began go first
        }
        else if (counters != null)
        {
            counters.onFrameOut(frame.frameLength());
        }
        QUEUED_BYTES.getAndAdd(this, -(long)frame.capacity());
        frame.release();
    }

    private boolean outboundFull()
    {
        return (long)QUEUED_BYTES.getVolatile(this) >= maxQueuedBytes || outbound.size() >= outbound.capacity();
    }

    /** Reading paused on a full queue resumes once the queue drained to half of both bounds. */
    private void resumeReadingIfDrained()
    {
        if (readPaused && state == State.OPEN && (long)QUEUED_BYTES.getVolatile(this) <= maxQueuedBytes / 2 &&
            outbound.size() <= outbound.capacity() / 2)
        {
            readPaused = false;
            readMore();
        }
    }

    @Override
    public void flush()
    {
        FLUSH_REQUESTED.setVolatile(this, 0);
        if (state == State.CLOSED)
        {
            releaseQueued();
        }
        else if (!writing && state != State.CONNECTING && state != State.HANDSHAKE)
        {
            writeMore();
        }
    }

    /** End of a dispatch that held the flush flag: flush now if still open, else as any send would. */
    private void flushAfterDispatch()
    {
        if (state == State.OPEN)
        {
            flush();
            return;
        }
        FLUSH_REQUESTED.setVolatile(this, 0);
        if (!outbound.isEmpty())
        {
            shard.requestFlush(this);
        }
    }

    /**
     * Close gracefully: flush what is queued, FIN, wait for the peer's FIN, all within close_grace.
     * Logs the reason once. Shard thread; harmless if already closing.
     */
    public void close(final CloseReason reason, final String detail)
    {
        if (state == State.CLOSING || state == State.CLOSED)
        {
            return;
        }
        if (state == State.CONNECTING)
        {
            setReason(reason, detail);
            finish();
            return;
        }
        setReason(reason, detail);
        state = State.CLOSING;
        closeTimer = shard.schedule(shard.nowNs() + closeGraceNs, this::onCloseGraceExpired);
        if (!writing)
        {
            writeMore();
        }
        if (readPaused && state == State.CLOSING)
        {
            readPaused = false;
            readMore(); // the close waits for the peer's FIN (or close_notify): read again
        }
    }

    /** Close at once, dropping queued frames (the peer is gone or hostile). Shard thread. */
    public void abort(final CloseReason reason, final String detail)
    {
        if (state == State.CLOSED)
        {
            return;
        }
        setReason(reason, detail);
        finish();
    }

    private void setReason(final CloseReason reason, final String detail)
    {
        if (closeReason == null)
        {
            closeReason = reason;
            closeDetail = detail;
        }
    }

    /** Before the channel's shutdownOutput or close: a transport with close codes reports a protocol error. */
    private void sayWhyToChannel()
    {
        if (closeReason == CloseReason.PROTOCOL_ERROR)
        {
            channel.peerProtocolError(closeDetail);
        }
        else if (closeReason == CloseReason.PEER_VANISHED_MID_FRAME)
        {
            // A stream that ends inside a frame broke the protocol as much (QUIC: 0x1 with this reason,
            // in the words of the close's log line, rather than NO_ERROR).
            channel.peerProtocolError(closeReason + ": " + closeDetail);
        }
    }

    private void onCloseGraceExpired()
    {
        closeTimer = -1;
        if (state != State.CLOSED)
        {
            LOG.log(Level.DEBUG, () -> "connection " + Long.toHexString(id) + ": close_grace expired, closing now");
            finish();
        }
    }

    private void finish()
    {
        state = State.CLOSED;
        if (closeTimer != -1)
        {
            shard.cancel(closeTimer);
            closeTimer = -1;
        }
        handshakeGrace.disarm();
        if (watchdogTimer != -1)
        {
            shard.cancel(watchdogTimer);
            watchdogTimer = -1;
        }
        if (channel != null)
        {
            sayWhyToChannel();
            channel.close();
        }
        if (channel == null || channel.isQuiescent())
        {
            releaseChannelBuffers();
        }
        // else a RECV or WRITEV the close could not stop may still use them: onQuiescent releases them
        logClose();
        if (closeReason == CloseReason.PROTOCOL_ERROR)
        {
            JfrEvents.protocolError(this, closeFrameError != null ? closeFrameError.name() :
                carrierFailed ? "CARRIER" : "PLANE");
        }
        JfrEvents.connectionClosed(this);
        handler.onClosed(this);
    }

    /**
     * The close line, at most one per reason (a protocol error: per kind of frame error) per interval
     * with the count of those held back, as a peer can make connections close at will (one garbage
     * run logged 24,090 lines). The held-back lines go to DEBUG, for whoever follows one connection.
     */
    private void logClose()
    {
        final String key = closeFrameError != null && closeReason == CloseReason.PROTOCOL_ERROR ?
            FRAME_ERROR_LOG_KEYS[closeFrameError.ordinal()] : closeReason.name();
        final long held = logLimiter.admit(key, shard.nowNs());
        final Level level = held >= 0 ? (closeReason.isAbnormal() ? Level.WARNING : Level.INFO) : Level.DEBUG;
        if (LOG.isLoggable(level))
        {
            LOG.log(level, "connection " + Long.toHexString(id) + " " + remoteAddress + " closed: " + closeReason +
                (closeDetail != null ? ": " + closeDetail : "") + (held > 0 ? LogLimiter.suffix(held) : ""));
        }
    }

    /**
     * The channel is closed and nothing is in flight on it any more. Normally after {@link #finish};
     * before it only if the backend closed the channel on its own (its teardown), which closes the
     * connection now.
     */
    @Override
    public void onQuiescent()
    {
        if (state != State.CLOSED)
        {
            abort(CloseReason.IO_ERROR, "the channel was closed by its backend");
            return; // finish() found the channel quiescent and released everything
        }
        releaseChannelBuffers();
    }

    /**
     * Release every buffer the channel may have been given: the carrier's (read into, written
     * from), the decoder's (a pooled large frame read into), the frames of the last gathering
     * write and anything still queued. Once, when the channel is quiescent.
     */
    private void releaseChannelBuffers()
    {
        if (buffersReleased)
        {
            return;
        }
        buffersReleased = true;
        if (carrier != null)
        {
            carrier.release();
        }
        decoder.close();
        for (int i = 0; i < batchCount; i++)
        {
            batch[i].release();
            batch[i] = null;
        }
        batchCount = 0;
        releaseQueued();
    }

    private void releaseQueued()
    {
        if (held != null)
        {
            held.release();
            held = null;
        }
        FrameBuffer frame;
        while ((frame = outbound.relaxedPoll()) != null)
        {
            frame.release();
        }
    }

    private void readMore()
    {
        if (reading || peerFinished || state == State.CLOSED)
        {
            return;
        }
        if (pauseReadingWhenFull && state == State.OPEN && outboundFull())
        {
            readPaused = true; // TCP flow control now holds the peer back; writes resume reading
            return;
        }
        final ByteBuffer space;
        try
        {
            if (carrier != null)
            {
                // Even while closing: the carrier must see the peer's close (close_notify, close frame).
                space = carrier.inboundSpace();
            }
            else if (state == State.CLOSING)
            {
                discard.clear();
                space = discard;
            }
            else
            {
                space = decoder.receiveSpace();
            }
        }
        catch (final PoolExhaustedException ex)
        {
            // Receive buffers come from the pool when a read is armed: with none left this
            // connection cannot read on, so it pays, not the shard (the exception must not escape).
            abort(CloseReason.MEMORY_BUDGET, "no buffer to read into: " + ex.getMessage());
            return;
        }
        if (!space.hasRemaining())
        {
            readStalled = true; // the carrier is full (a delegated task runs): resume when it drains
            return;
        }
        reading = true;
        channel.read(space);
    }

    @Override
    public void onConnect(final int result)
    {
        if (state != State.CONNECTING)
        {
            return;
        }
        if (result < 0)
        {
            final String failure = channel != null ? channel.failure() : null;
            setReason(CloseReason.CONNECT_FAILED, failure != null ? failure : IoResult.describe(result));
            finish();
            return;
        }
        open(channel);
    }

    @Override
    public void onRead(final int result)
    {
        reading = false;
        if (state == State.CLOSED)
        {
            return;
        }
        if (result > 0)
        {
            // Replies sent while these frames are dispatched ride on one flush right after them,
            // inside this completion, instead of each asking the shard for a flush of its own (a
            // flush that would cost the shard another poll before it may block again).
            final boolean flushAfter = state == State.OPEN;
            if (flushAfter)
            {
                FLUSH_REQUESTED.setVolatile(this, 1);
            }
            if (carrier != null)
            {
                onCarrierInbound(result);
            }
            else if (state == State.OPEN)
            {
                try
                {
                    decoder.onReceived(result);
                }
                catch (final FrameDecodeException ex)
                {
                    closeForBadFrame(ex);
                }
                catch (final PoolExhaustedException ex)
                {
                    close(CloseReason.MEMORY_BUDGET, "no buffer for a received frame: " + ex.getMessage());
                }
            }
            if (state == State.OPEN)
            {
                afterInbound();
            }
            readMore();
            if (flushAfter)
            {
                flushAfterDispatch();
            }
        }
        else if (result == IoResult.EOF)
        {
            peerFinished = true;
            final boolean orderly = carrier == null || carrier.onEof();
            if (state == State.CLOSING)
            {
                if (outputShut)
                {
                    finish();
                }
                else if (!writing)
                {
                    // A carrier waiting for the peer's close (a WebSocket close frame) waits no more.
                    writeMore();
                }
                // else: still flushing; writeMore() finishes once our FIN is out.
            }
            else if (decoder.isMidFrame())
            {
                abort(CloseReason.PEER_VANISHED_MID_FRAME,
                    decoder.bufferedBytes() + " bytes of an incomplete frame buffered" +
                    (orderly ? "" : ", and no orderly close from the carrier (truncation)"));
            }
            else if (state == State.HANDSHAKE)
            {
                abort(CloseReason.PEER_CLOSED, "during the handshake");
            }
            else
            {
                close(CloseReason.PEER_CLOSED, orderly ? null : "end of stream without the carrier's close (truncation)");
            }
        }
        else
        {
            abort(result == IoResult.RESET ? CloseReason.PEER_RESET : CloseReason.IO_ERROR,
                "read: " + IoResult.describe(result));
        }
    }

    private void onCarrierInbound(final int bytes)
    {
        try
        {
            carrier.onInbound(bytes);
        }
        catch (final CarrierException ex)
        {
            carrierFailed = true;
            protocolErrorKind(ex.kind());
            close(ex.reason(), ex.getMessage());
        }
        catch (final FrameDecodeException ex)
        {
            closeForBadFrame(ex);
        }
        catch (final PoolExhaustedException ex)
        {
            close(CloseReason.MEMORY_BUDGET, "no buffer for a received frame: " + ex.getMessage());
        }
        if (!openIfCarrierReady() && !writing && state != State.CLOSED)
        {
            writeMore(); // handshake answers, pongs, the carrier's close, or a FIN now due
        }
        if (readStalled && state != State.CLOSED)
        {
            readStalled = false;
            readMore();
        }
    }

    /**
     * After bytes arrived on an open connection: note the activity and whether a frame (or a
     * carrier's record) is left incomplete, and since when: the first byte of the incomplete unit
     * arrived in this read if a frame completed in it or none was incomplete before.
     */
    private void afterInbound()
    {
        final long nowNs = shard.nowNs();
        lastActivityNs = nowNs;
        final boolean partial = decoder.isMidFrame() || (carrier != null && carrier.isMidRecord());
        if (partial && (!partialPending || framesReceived != framesAtPartialStart))
        {
            partialSinceNs = nowNs;
            framesAtPartialStart = framesReceived;
        }
        partialPending = partial;
        armWatchdog();
    }

    /** Schedule the watchdog at the earliest deadline now pending, unless it is scheduled already. */
    private void armWatchdog()
    {
        if (watchdogTimer == -1 && state == State.OPEN)
        {
            final long deadlineNs = watchdogDeadlineNs();
            if (deadlineNs != Long.MAX_VALUE)
            {
                watchdogTimer = shard.schedule(deadlineNs, watchdogTask);
            }
        }
    }

    private long watchdogDeadlineNs()
    {
        long deadlineNs = Long.MAX_VALUE;
        if (partialFrameTimeoutNs > 0)
        {
            if (partialPending)
            {
                deadlineNs = partialSinceNs + partialFrameTimeoutNs;
            }
            if (writing)
            {
                deadlineNs = Math.min(deadlineNs, writeSubmittedNs + partialFrameTimeoutNs);
            }
        }
        if (idleTimeoutNs > 0)
        {
            deadlineNs = Math.min(deadlineNs, lastActivityNs + idleTimeoutNs);
        }
        return deadlineNs;
    }

    /**
     * The watchdog's deadline came: close for whichever bound expired, else (the unit completed, a
     * write progressed, a byte moved since it was set) schedule it for the deadline now pending.
     * One timer per connection, moved only when it fires, so reads and writes never touch the wheel.
     */
    private void onWatchdog()
    {
        watchdogTimer = -1;
        if (state != State.OPEN)
        {
            return;
        }
        final long nowNs = shard.nowNs();
        if (partialFrameTimeoutNs > 0 && partialPending && nowNs - partialSinceNs >= partialFrameTimeoutNs)
        {
            abort(CloseReason.PARTIAL_FRAME_TIMEOUT, (decoder.isMidFrame() ? decoder.bufferedBytes() +
                " bytes of an incomplete frame" : "an incomplete carrier record") +
                " not completed within partial_frame_timeout " + partialFrameTimeoutNs / 1_000_000 + " ms");
        }
        else if (partialFrameTimeoutNs > 0 && writing && nowNs - writeSubmittedNs >= partialFrameTimeoutNs)
        {
            abort(CloseReason.WRITE_STALLED, "the peer read nothing within partial_frame_timeout " +
                partialFrameTimeoutNs / 1_000_000 + " ms; " + queuedBytes() + " bytes of frames held" +
                (readPaused ? ", reading paused" : ""));
        }
        else if (idleTimeoutNs > 0 && nowNs - lastActivityNs >= idleTimeoutNs)
        {
            close(CloseReason.IDLE_TIMEOUT, "nothing read or written within idle_timeout " +
                idleTimeoutNs / 1_000_000 + " ms");
        }
        else
        {
            armWatchdog();
        }
    }

    /** Open once the carrier's handshake is done; true if that happened now (and writing resumed). */
    private boolean openIfCarrierReady()
    {
        if (state == State.HANDSHAKE && carrier.isOpen())
        {
            becomeOpen();
            return true;
        }
        return false;
    }

    private void closeForBadFrame(final FrameDecodeException ex)
    {
        closeFrameError = ex.error();
        protocolErrorKind(ProtocolErrorKind.of(ex.error()));
        close(CloseReason.PROTOCOL_ERROR, ex.error() + ": " + ex.getMessage());
    }

    /** Bytes the carrier decoded go to the frame decoder while the connection is open. */
    private final class CarrierSink implements Carrier.Sink
    {
        @Override
        public void onApplicationBytes(final DirectBuffer buffer, final int offset, final int length)
            throws FrameDecodeException
        {
            // The first application bytes can arrive in the same read as the handshake's last message.
            openIfCarrierReady();
            if (state == State.OPEN)
            {
                decoder.feed(buffer, offset, length);
            }
        }

        @Override
        public void onPeerClosing(final String detail)
        {
            if (decoder.isMidFrame())
            {
                abort(CloseReason.PEER_VANISHED_MID_FRAME, detail + " with " + decoder.bufferedBytes() +
                    " bytes of an incomplete frame buffered");
            }
            else
            {
                close(CloseReason.PEER_CLOSED, detail);
            }
        }

        @Override
        public void offload(final Runnable task)
        {
            Offload.EXECUTOR.execute(() ->
            {
                try
                {
                    task.run();
                }
                catch (final Throwable ex)
                {
                    // Not left to the pool thread's default handler, which would print it to System.err.
                    // The carrier sees the failure as it resumes (or handshake_grace ends the connection).
                    final long held = logLimiter.admit("offloaded_task_failed", System.nanoTime());
                    if (held >= 0)
                    {
                        LOG.log(Level.ERROR, "connection " + Long.toHexString(id) + ": an offloaded carrier task failed" +
                            LogLimiter.suffix(held), ex);
                    }
                }
                finally
                {
                    shard.execute(this::resume);
                }
            });
        }

        @Override
        public FramePool pool()
        {
            return pool;
        }

        private void resume()
        {
            if (state != State.CLOSED)
            {
                onCarrierInbound(0);
            }
        }
    }

    /** The shared pool for carrier tasks too slow for a shard thread. */
    private static final class Offload
    {
        static final java.util.concurrent.ExecutorService EXECUTOR = java.util.concurrent.Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()), runnable ->
            {
                final Thread thread = new Thread(runnable, "ringbus-offload");
                thread.setDaemon(true);
                thread.setUncaughtExceptionHandler(Offload::uncaught);
                return thread;
            });

        /** What escapes a task anyway goes to the log, not to System.err (where the JDK's handler prints it). */
        private static void uncaught(final Thread thread, final Throwable ex)
        {
            LOG.log(Level.ERROR, thread.getName() + ": uncaught", ex);
        }
    }

    @Override
    public void onFrame(final DirectBuffer buffer, final int offset, final int length)
    {
        framesReceived++;
        bytesReceived += length;
        if (state == State.OPEN)
        {
            if (counters != null)
            {
                counters.onFrameIn(length);
            }
            try
            {
                handler.onFrame(this, buffer, offset, length);
            }
            catch (final PoolExhaustedException ex)
            {
                // The answer to this frame found no buffer: refuse this peer's work, not the process's.
                close(CloseReason.MEMORY_BUDGET, "no buffer to answer a frame: " + ex.getMessage());
            }
            catch (final RuntimeException ex)
            {
                // An application bug must not take the shard down: this connection pays for it.
                // Rate-limited: a peer may keep sending whatever the bug trips on.
                final long held = logLimiter.admit("frame_handler_failed", shard.nowNs());
                if (held >= 0)
                {
                    LOG.log(Level.ERROR, "connection " + Long.toHexString(id) + ": frame handler failed" +
                        LogLimiter.suffix(held), ex);
                }
                shard.recordError(ex);
                close(CloseReason.IO_ERROR, "frame handler failed: " + ex);
            }
        }
    }

    private void writeMore()
    {
        if (state == State.CLOSED)
        {
            return; // closed from a path that wanted to write on (a read that could get no buffer)
        }
        if (carrier != null)
        {
            writeMoreThroughCarrier();
            return;
        }
        fillBatch();
        if (batchCount == 0)
        {
            if (state == State.CLOSING && !outputShut)
            {
                shutOutput();
            }
            return;
        }
        prepareViews();
        submit(iov, batchCount);
    }

    private void writeMoreThroughCarrier()
    {
        if (!carrier.hasOutbound() && carrier.isOpen() && (state == State.OPEN || state == State.CLOSING))
        {
            fillBatch();
            if (batchCount > 0)
            {
                prepareViews();
                try
                {
                    carrier.wrap(iov, batchCount);
                }
                catch (final CarrierException ex)
                {
                    carrierFailed = true;
                    protocolErrorKind(ex.kind());
                    abort(ex.reason(), ex.getMessage());
                    return;
                }
                releaseConsumed();
            }
        }
        if (!carrier.hasOutbound() && batchCount == 0 && held == null && state == State.CLOSING)
        {
            if (!carrierClosing)
            {
                carrierClosing = true;
                carrier.closeOutbound(closeReason, closeFrameError);
            }
            else if (carrier.isOutboundDone() && !outputShut)
            {
                shutOutput();
                return;
            }
        }
        if (carrier.hasOutbound())
        {
            final int count = carrier.outbound(iov);
            submit(iov, count);
        }
        else if (state == State.CLOSING && carrierClosing && carrier.isOutboundDone() && !outputShut)
        {
            shutOutput();
        }
    }

    private void fillBatch()
    {
        final int slot = shard.index();
        final long stamp = shard.nextBatchStamp();
        for (int i = 0; i < batchCount; i++)
        {
            batch[i].stampBatch(slot, stamp);
        }
        while (batchCount < batch.length)
        {
            final FrameBuffer frame = held != null ? held : outbound.relaxedPoll();
            if (frame == null)
            {
                break;
            }
            if (!frame.stampBatch(slot, stamp))
            {
                held = frame; // the same buffer twice: it goes first into the next write
                break;
            }
            held = null;
            batch[batchCount++] = frame;
        }
    }

    private void prepareViews()
    {
        final int slot = shard.index();
        for (int i = 0; i < batchCount; i++)
        {
            final FrameBuffer frame = batch[i];
            final ByteBuffer view = frame.view(slot);
            view.limit(frame.frameLength()).position(i == 0 ? headWritten : 0);
            iov[i] = view;
        }
    }

    /** After a carrier consumed frame bytes: release whole frames, remember where the head stopped. */
    private void releaseConsumed()
    {
        int done = 0;
        while (done < batchCount && !iov[done].hasRemaining())
        {
            releaseSent(batch[done]);
            iov[done] = null;
            done++;
        }
        if (done > shard.maxFramesPerWrite.get())
        {
            shard.maxFramesPerWrite.lazySet(done); // frames that went into the records of one write
        }
        headWritten = done < batchCount ? iov[done].position() : 0;
        compactBatch(done);
    }

    private void compactBatch(final int done)
    {
        if (done > 0)
        {
            System.arraycopy(batch, done, batch, 0, batchCount - done);
            for (int i = batchCount - done; i < batchCount; i++)
            {
                batch[i] = null;
            }
            batchCount -= done;
            shard.framesWritten.lazySet(shard.framesWritten.get() + done);
        }
    }

    private void submit(final ByteBuffer[] buffers, final int count)
    {
        writing = true;
        writeSubmittedNs = shard.nowNs(); // each submit follows a completion: the last progress
        armWatchdog();
        shard.writeCalls.lazySet(shard.writeCalls.get() + 1);
        if (carrier == null && count > shard.maxFramesPerWrite.get())
        {
            shard.maxFramesPerWrite.lazySet(count);
        }
        channel.writev(buffers, count);
    }

    private void shutOutput()
    {
        outputShut = true;
        sayWhyToChannel();
        channel.shutdownOutput();
        if (peerFinished)
        {
            finish();
            return;
        }
        readMore();
    }

    @Override
    public void onWrite(final long result)
    {
        writing = false;
        if (state == State.CLOSED)
        {
            return;
        }
        if (result < 0)
        {
            abort(result == IoResult.RESET || result == IoResult.BROKEN_PIPE ? CloseReason.PEER_RESET :
                CloseReason.IO_ERROR, "write: " + IoResult.describe(result));
            return;
        }
        if (result > 0)
        {
            lastActivityNs = shard.nowNs();
        }
        if (carrier != null)
        {
            carrier.onWritten(result); // may finish a handshake whose last bytes waited for room
            if (carrier.hasFailed() && (state == State.HANDSHAKE || state == State.OPEN))
            {
                // The carrier failed while advancing after the write (a certificate the client
                // refused, surfaced by the wrap its delegated task left due): close with that
                // reason now; no inbound byte may ever come to carry it (the peer awaits ours).
                onCarrierInbound(0);
                return;
            }
            if (!openIfCarrierReady())
            {
                writeMore();
            }
            resumeReadingIfDrained();
            return;
        }
        long remaining = result;
        int done = 0;
        int offsetInHead = headWritten;
        while (done < batchCount)
        {
            final FrameBuffer frame = batch[done];
            final int left = frame.frameLength() - offsetInHead;
            if (remaining < left)
            {
                offsetInHead += (int)remaining;
                break;
            }
            remaining -= left;
            releaseSent(frame);
            iov[done] = null;
            done++;
            offsetInHead = 0;
        }
        headWritten = offsetInHead;
        compactBatch(done);
        writeMore();
        resumeReadingIfDrained();
    }
}
