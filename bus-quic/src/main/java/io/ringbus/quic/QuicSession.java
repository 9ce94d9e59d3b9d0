package io.ringbus.quic;

import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.log.LogLimiter;
import io.ringbus.core.backend.IoChannelHandler;
import io.ringbus.core.backend.IoResult;
import io.ringbus.core.shard.Shard;
import io.ringbus.core.transport.AcceptedStream;
import io.ringbus.quic.conn.DatagramSink;
import io.ringbus.quic.conn.QuicConnection;
import io.ringbus.quic.packet.QuicException;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.cert.X509Certificate;
import java.util.function.BiConsumer;

/**
 * One QUIC connection on its endpoint's shard, and its one bidirectional stream seen by the bus
 * as an {@link IoChannel}: a read takes in-order stream bytes, a gathering write queues stream
 * bytes, FIN is the stream's FIN and close sends CONNECTION_CLOSE. When the bus closes its
 * connection for a protocol error (including a peer's stream that ended inside a frame, the bus's
 * PEER_VANISHED_MID_FRAME), the FIN is replaced by an application CONNECTION_CLOSE with error 0x1
 * and the bus's reason (WIRE.md, QUIC specifics).
 *
 * <p>Completions never run inside the QUIC connection's own calls: the connection's callbacks only
 * note what changed and mark the session dirty, and the endpoint's service pass
 * ({@link #service(long)}) delivers reads, writes and the connect result, then flushes the
 * connection's packets and re-arms its timer. Shard thread only.
 */
final class QuicSession implements IoChannel, AcceptedStream, QuicConnection.Listener, DatagramSink
{
    /** What a session needs from its endpoint (server or client). */
    interface Owner
    {
        /** Ask for a service pass of {@code session} soon (on the shard, after the current call). */
        void markDirty(QuicSession session);

        /** The handshake is done: hand the stream to the bus (server) or complete the connect (client). */
        void onEstablished(QuicSession session);

        /** The connection reached CLOSED (after its closing or draining period): forget it. */
        void onClosed(QuicSession session);

        /**
         * The bus closed its side of the session (its connection is gone from the bus); the QUIC
         * connection may still linger in its closing period.
         */
        default void onChannelClosed(final QuicSession session)
        {
        }

        /** The limiter for log lines a peer can cause at will (one per reason per interval). */
        LogLimiter logLimiter();

        /** The shard the session lives on (its timers run there). */
        Shard shard();

        /** Now on the endpoint's clock (the shard's: a simulator's is virtual). */
        long nowNs();

        /** The session's timer fired. */
        void onTimer(QuicSession session);

        /** Send one datagram of {@code session} (valid during the call) to its peer. */
        void send(QuicSession session, ByteBuffer datagram);
    }

    private static final System.Logger LOG = System.getLogger(QuicSession.class.getName());
    private static final int MAX_READS_PER_PASS = 16;

    private final Owner owner;
    private final InetSocketAddress remote;
    final long localCid;
    /** The server endpoint's connection-limits place is still held for this session. Shard 0's. */
    boolean holdsPlace;
    /** handshake_grace ran out and closed this session (the endpoint sets it before the close). */
    boolean graceExpired;
    /** A QUIC-level error of the peer closed it (not a close by the bus, the peer's, or a clean one). */
    boolean peerBrokeQuic;
    // What QuicCounters#publish has added to the endpoint's counters so far: it adds the difference.
    long publishedPacketsSent;
    long publishedPacketsLost;
    long publishedPacketsRetransmitted;
    QuicConnection connection;
    boolean queued;
    private long timerId = -1;
    private long timerDeadlineNs = Long.MAX_VALUE;

    private IoChannelHandler handler;
    private boolean announced;
    private boolean closedNoted;
    private boolean channelClosed;
    private ByteBuffer readDst;
    private boolean writePending;
    private long writeTaken;
    private boolean writeWaitsForRoom;
    private ByteBuffer[] writeSrcs;
    private int writeCount;
    private long closeCode;
    private String closeReason;
    /** The bus's detail once it ends this session for the peer's protocol error (see peerProtocolError), else null. */
    private String protocolError;
    private boolean closedByPeer;
    private boolean peerFin;
    /** The close was asked for through this channel (the bus), which logs its own reason. */
    private boolean closedByBus;

    /** Runs {@link Owner#onTimer} for this session: one instance, no allocation per timer. */
    private final Runnable timerTask;

    QuicSession(final Owner owner, final InetSocketAddress remote, final long localCid)
    {
        this.owner = owner;
        this.remote = remote;
        this.localCid = localCid;
        this.timerTask = () -> owner.onTimer(this);
    }

    @Override
    public void send(final ByteBuffer datagram)
    {
        owner.send(this, datagram);
    }

    // ---------------------------------------------------------------------------------------------
    // QuicConnection.Listener: note and mark dirty, nothing more

    @Override
    public void onEstablished()
    {
        owner.markDirty(this);
    }

    @Override
    public boolean pullsStreamData()
    {
        return true; // the bus reads when it has room: flow-control credit follows its reads
    }

    @Override
    public void onStreamReadable()
    {
        owner.markDirty(this);
    }

    @Override
    public void onStreamData(final ByteBuffer data)
    {
        throw new IllegalStateException("a pulling listener is never handed stream data");
    }

    @Override
    public void onStreamFin()
    {
        owner.markDirty(this); // read() reports the end of the stream
    }

    @Override
    public void onWritable()
    {
        if (writeWaitsForRoom)
        {
            owner.markDirty(this);
        }
    }

    @Override
    public void onClosed(final long errorCode, final String reason, final boolean byPeer)
    {
        if (closeReason == null)
        {
            closeCode = errorCode;
            closeReason = reason;
            closedByPeer = byPeer;
            if (errorCode != 0 && !byPeer && !closedByBus)
            {
                peerBrokeQuic = true;
                // A QUIC-level error of the peer (a stream it may not open, a flow-control or TLS
                // violation): the bus only sees the stream reset, so the reason is logged here.
                // The peer chooses when to cause one: rate-limited per endpoint, by error code.
                final long held = owner.logLimiter().admit("quic error 0x" + Long.toHexString(errorCode), owner.nowNs());
                if (held >= 0)
                {
                    LOG.log(announced ? System.Logger.Level.WARNING : System.Logger.Level.INFO, "quic " + remote +
                        ": closing the connection with error 0x" + Long.toHexString(errorCode) +
                        (reason.isEmpty() ? "" : ": " + reason) + LogLimiter.suffix(held));
                }
            }
            else if (errorCode != 0 || !byPeer)
            {
                LOG.log(System.Logger.Level.DEBUG, () -> "quic " + remote + " closed" + (byPeer ? " by the peer" : "") +
                    ": code 0x" + Long.toHexString(errorCode) + (reason.isEmpty() ? "" : " (" + reason + ")"));
            }
        }
        owner.markDirty(this);
    }

    // ---------------------------------------------------------------------------------------------
    // The service pass

    /** Deliver what is due, flush the connection's packets, re-arm its timer. */
    void service(final long nowNs)
    {
        final QuicConnection conn = connection;
        if (!announced && conn.isEstablished())
        {
            announced = true;
            owner.onEstablished(this);
        }
        deliverReads();
        deliverWrite();
        conn.flush(nowNs);
        if (conn.isClosed())
        {
            failPending();
            if (!closedNoted)
            {
                closedNoted = true;
                owner.onClosed(this);
            }
            return;
        }
        arm(conn.nextTimeoutNs());
    }

    /** Re-arm the connection's timer for {@code deadlineNs} (Long.MAX_VALUE: none) on the owner's shard. */
    private void arm(final long deadlineNs)
    {
        if (deadlineNs == timerDeadlineNs)
        {
            return;
        }
        cancelTimer();
        timerDeadlineNs = deadlineNs;
        if (deadlineNs != Long.MAX_VALUE)
        {
            timerId = owner.shard().schedule(deadlineNs, timerTask);
        }
    }

    /** Cancel the connection's timer, if any. */
    void cancelTimer()
    {
        if (timerId != -1)
        {
            owner.shard().cancel(timerId);
            timerId = -1;
        }
        timerDeadlineNs = Long.MAX_VALUE;
    }

    /** The timer ran: nothing is scheduled now. */
    void onTimerFired()
    {
        timerId = -1;
        timerDeadlineNs = Long.MAX_VALUE;
    }

    private void deliverReads()
    {
        for (int i = 0; i < MAX_READS_PER_PASS && readDst != null && handler != null; i++)
        {
            final ByteBuffer dst = readDst;
            final int read = connection.read(dst);
            if (read == 0)
            {
                if (connection.isClosed() || closeReason != null)
                {
                    readDst = null;
                    handler.onRead(closeReason != null && closeCode == 0 ? IoResult.EOF : IoResult.RESET);
                }
                return;
            }
            readDst = null;
            if (read < 0)
            {
                peerFin = true;
            }
            handler.onRead(read < 0 ? IoResult.EOF : read);
        }
        if (readDst != null && connection.readableBytes() > 0)
        {
            owner.markDirty(this); // more to deliver: next pass, so other sessions get their turn
        }
    }

    private void deliverWrite()
    {
        if (!writePending || handler == null)
        {
            return;
        }
        if (writeWaitsForRoom)
        {
            if (connection.isClosed() || closeReason != null)
            {
                writeWaitsForRoom = false;
                writeTaken = IoResult.BROKEN_PIPE;
            }
            else
            {
                final long taken = connection.write(writeSrcs, writeCount);
                if (taken == 0)
                {
                    return; // still no room: onWritable marks us dirty again
                }
                writeWaitsForRoom = false;
                writeTaken = taken;
            }
        }
        writePending = false;
        writeSrcs = null;
        handler.onWrite(writeTaken);
    }

    private void failPending()
    {
        if (handler == null)
        {
            return;
        }
        if (readDst != null)
        {
            readDst = null;
            handler.onRead(peerFin || closeCode == 0 && closedByPeer ? IoResult.EOF : IoResult.RESET);
        }
        if (writePending)
        {
            writePending = false;
            writeWaitsForRoom = false;
            writeSrcs = null;
            handler.onWrite(IoResult.BROKEN_PIPE);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // AcceptedStream

    @Override
    public InetSocketAddress remoteAddress()
    {
        return remote;
    }

    @Override
    public IoChannel bind(final IoChannelHandler handler)
    {
        this.handler = handler;
        return this;
    }

    /** Bind before the handshake (client side): the connect result arrives at the handler. */
    void bindEarly(final IoChannelHandler handler)
    {
        this.handler = handler;
    }

    IoChannelHandler handler()
    {
        return handler;
    }

    @Override
    public void refuse(final String reason)
    {
        closedByBus = true;
        connection.close(QuicException.CONNECTION_REFUSED, reason, false);
        owner.markDirty(this);
    }

    @Override
    public void describe(final BiConsumer<String, String> details)
    {
        connection.describe(details);
    }

    @Override
    public X509Certificate peerCertificate()
    {
        return connection.peerCertificate();
    }

    // ---------------------------------------------------------------------------------------------
    // IoChannel

    @Override
    public void read(final ByteBuffer dst)
    {
        if (readDst != null)
        {
            throw new IllegalStateException("a read is already pending");
        }
        if (!dst.hasRemaining())
        {
            throw new IllegalArgumentException("a read needs room in its buffer");
        }
        if (channelClosed)
        {
            return;
        }
        readDst = dst;
        owner.markDirty(this);
    }

    @Override
    public void writev(final ByteBuffer[] srcs, final int count)
    {
        if (writePending)
        {
            throw new IllegalStateException("a write is already pending");
        }
        if (channelClosed)
        {
            return;
        }
        writePending = true;
        if (connection.isClosed() || closeReason != null)
        {
            writeTaken = IoResult.BROKEN_PIPE;
        }
        else
        {
            // Taken now, while the positions are the ones the caller set (shared frames have one
            // view per shard); completed in the service pass.
            final long taken = connection.write(srcs, count);
            if (taken == 0 && hasRemaining(srcs, count))
            {
                writeWaitsForRoom = true;
                writeSrcs = srcs;
                writeCount = count;
            }
            writeTaken = taken;
        }
        owner.markDirty(this);
    }

    private static boolean hasRemaining(final ByteBuffer[] srcs, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (srcs[i].hasRemaining())
            {
                return true;
            }
        }
        return false;
    }

    @Override
    public void shutdownOutput()
    {
        if (channelClosed)
        {
            return;
        }
        if (protocolError != null)
        {
            // WIRE.md, QUIC specifics: a protocol error closes the connection at once with
            // application error 0x1 and the reason, rather than FIN and a wait for the peer's FIN.
            closedByBus = true;
            connection.close(QuicSessionFactory.APPLICATION_PROTOCOL_ERROR, protocolError, true);
        }
        else
        {
            connection.shutdownOutput();
        }
        owner.markDirty(this);
    }

    @Override
    public void peerProtocolError(final String detail)
    {
        protocolError = detail != null ? detail : "protocol error";
    }

    @Override
    public void close()
    {
        if (channelClosed)
        {
            return;
        }
        channelClosed = true;
        readDst = null;
        writePending = false;
        writeWaitsForRoom = false;
        writeSrcs = null;
        if (!connection.isClosed())
        {
            closedByBus = true;
            if (protocolError != null)
            {
                connection.close(QuicSessionFactory.APPLICATION_PROTOCOL_ERROR, protocolError, true);
            }
            else
            {
                connection.close(QuicSessionFactory.NO_ERROR, "", true);
            }
        }
        owner.onChannelClosed(this);
        owner.markDirty(this);
    }

    @Override
    public boolean isClosed()
    {
        return channelClosed;
    }

    @Override
    public String failure()
    {
        return closeReason == null ? null : "QUIC connection closed: " + closeDescription();
    }

    /** Why the connection closed, for logs and a failed connect; null while it is open. */
    String closeDescription()
    {
        return closeReason == null ? null :
            "code 0x" + Long.toHexString(closeCode) + (closeReason.isEmpty() ? "" : ": " + closeReason) +
            (closedByPeer ? " (from the peer)" : "");
    }

    boolean isAnnounced()
    {
        return announced;
    }
}
