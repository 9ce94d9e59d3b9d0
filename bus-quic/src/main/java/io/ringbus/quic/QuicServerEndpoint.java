package io.ringbus.quic;

import io.ringbus.core.backend.IoListener;
import io.ringbus.core.shard.Shard;
import io.ringbus.core.transport.AcceptedStream;
import io.ringbus.core.transport.HandshakeGrace;
import io.ringbus.quic.packet.LongHeader;
import io.ringbus.quic.packet.PacketProtection;
import io.ringbus.quic.packet.QuicException;
import org.agrona.collections.Long2ObjectHashMap;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A QUIC listener: one UDP socket on its shard (shard 0) and the connection-id demux. A datagram's
 * Destination Connection ID picks its session: our own 8-byte ids (every short header, and long
 * headers once the client has our id) by value, and the client's original Destination Connection
 * ID while its first Initials still carry it. A client Initial in a datagram under 1200 bytes is
 * dropped (RFC 9000 14.1), as is one that does not open with its Initial keys, and any packet for no
 * known connection.
 *
 * <p>A connection whose handshake is not done within {@code handshake_grace} is closed with
 * CONNECTION_REFUSED; once it is, its stream is handed to the bus as an {@link AcceptedStream}.
 * Shard thread only, like everything it owns.
 */
final class QuicServerEndpoint implements IoListener, QuicSession.Owner, Shard.Flushable, DatagramLoop.Handler
{
    private static final System.Logger LOG = System.getLogger(QuicServerEndpoint.class.getName());
    static final int MAX_DATAGRAM = DatagramLoop.MAX_DATAGRAM;
    static final int MIN_INITIAL_DATAGRAM = 1200;
    /** Bound on connections at once (handshaking or open): an Initial beyond it is dropped. */
    private static final int MAX_SESSIONS = 16_384;
    /**
     * Bound on handshakes in progress: a flood of Initials (from spoofed addresses, say) holds at
     * most this many connections' handshake state, each a few KiB until its handshake is done.
     */
    static final int MAX_HANDSHAKING = 1024;

    private final Shard shard;
    private final QuicSessionFactory factory;
    private final Consumer<AcceptedStream> onStream;
    private final long handshakeGraceNs;
    private final DatagramLoop socket;
    private final byte[] initialScratch = new byte[MAX_DATAGRAM];
    private final LongHeader initialHeader = new LongHeader();
    private final Long2ObjectHashMap<QuicSession> byLocalCid = new Long2ObjectHashMap<>();
    private final Map<ByteBuffer, QuicSession> byOriginalCid = new HashMap<>();
    private final Map<QuicSession, ByteBuffer> originalCidOf = new HashMap<>();
    private final ArrayDeque<QuicSession> dirty = new ArrayDeque<>();
    private final SecureRandom random = new SecureRandom();
    private boolean flushRequested;
    private boolean servicing;
    /** The listener was closed: no new connection is accepted. */
    private boolean stopping;
    private int handshaking;
    long datagramsDropped;

    QuicServerEndpoint(final Shard shard, final InetSocketAddress address, final QuicSessionFactory factory,
        final long handshakeGraceNs, final Consumer<AcceptedStream> onStream) throws IOException
    {
        this.shard = shard;
        this.factory = factory;
        this.onStream = onStream;
        this.handshakeGraceNs = handshakeGraceNs;
        this.socket = new DatagramLoop(shard, address, null, this);
    }

    @Override
    public InetSocketAddress localAddress()
    {
        return socket.localAddress();
    }

    /**
     * Stop accepting: new Initials are dropped and connections still in their handshake are closed
     * (CONNECTION_CLOSE). Connections already handed to the bus keep the socket: the bus closes them
     * gracefully within close_grace (flush, FIN, CONNECTION_CLOSE), as it does TCP connections after
     * closing a TCP listener, and the socket closes once the last one is gone (or with the shard).
     */
    @Override
    public void close()
    {
        if (stopping)
        {
            return;
        }
        stopping = true;
        for (final QuicSession session : byLocalCid.values().toArray(new QuicSession[0]))
        {
            if (!session.isAnnounced() && !session.connection.isClosed())
            {
                session.connection.close(QuicException.CONNECTION_REFUSED, "server stopping", false);
                markDirty(session);
            }
        }
        closeSocketWhenIdle();
    }

    private void closeSocketWhenIdle()
    {
        // the socket closes once stopping and the last connection is gone
        if (stopping && !socket.isClosed() && byLocalCid.isEmpty())
        {
            socket.close();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Datagrams in

    @Override
    public void onReceiveFailed(final IOException ex)
    {
        LOG.log(System.Logger.Level.WARNING, "quic receive failed", ex);
    }

    @Override
    public void afterPass(final long nowNs, final boolean more)
    {
        if (more)
        {
            requestFlush();
        }
        serviceDirty(nowNs);
    }

    /** A datagram to demultiplex by its Destination Connection ID. */
    @Override
    public void onDatagram(final ByteBuffer datagram, final InetSocketAddress sender, final long nowNs)
    {
        final int length = datagram.remaining();
        if (length < 1)
        {
            return;
        }
        final int first = datagram.get(0) & 0xFF;
        QuicSession session;
        if ((first & 0x80) == 0)
        {
            if (length < 1 + QuicSessionFactory.CID_LENGTH)
            {
                datagramsDropped++;
                return;
            }
            session = byLocalCid.get(datagram.getLong(1));
        }
        else
        {
            if (length < 7)
            {
                datagramsDropped++;
                return;
            }
            final int dcidLength = datagram.get(5) & 0xFF;
            if (dcidLength > 20 || length < 6 + dcidLength + 1)
            {
                datagramsDropped++;
                return;
            }
            session = dcidLength == QuicSessionFactory.CID_LENGTH ? byLocalCid.get(datagram.getLong(6)) : null;
            if (session == null)
            {
                final ByteBuffer key = datagram.duplicate().position(6).limit(6 + dcidLength).slice();
                session = byOriginalCid.get(key);
                if (session == null)
                {
                    session = accept(datagram, sender, first, dcidLength, nowNs);
                }
            }
        }
        if (session == null)
        {
            datagramsDropped++;
            return;
        }
        session.connection.onDatagram(datagram, nowNs);
        markDirty(session);
    }

    /** A long-header datagram for no known connection: a new client's first Initial, or dropped. */
    private QuicSession accept(final ByteBuffer datagram, final InetSocketAddress sender, final int first,
        final int dcidLength, final long nowNs)
    {
        if (stopping)
        {
            return null; // the listener is closed: no new connection
        }
        final boolean initial = (first & 0x30) == 0 && datagram.getInt(1) == 1;
        if (!initial || datagram.remaining() < MIN_INITIAL_DATAGRAM || dcidLength < 8)
        {
            return null; // RFC 9000 14.1 (size), 7.2 (an original DCID of at least 8 bytes)
        }
        if (handshaking >= MAX_HANDSHAKING)
        {
            LOG.log(System.Logger.Level.WARNING, "quic: " + MAX_HANDSHAKING + " handshakes in progress already, dropping an " +
                "Initial from " + sender);
            return null;
        }
        if (byLocalCid.size() >= MAX_SESSIONS)
        {
            LOG.log(System.Logger.Level.WARNING, "quic: " + MAX_SESSIONS + " connections already, dropping an Initial from " +
                sender);
            return null;
        }
        final int scidOffset = 6 + dcidLength;
        final int scidLength = datagram.get(scidOffset) & 0xFF;
        if (scidLength > 20 || datagram.remaining() < scidOffset + 1 + scidLength)
        {
            return null;
        }
        final byte[] originalDcid = new byte[dcidLength];
        datagram.get(6, originalDcid);
        final byte[] clientScid = new byte[scidLength];
        datagram.get(scidOffset + 1, clientScid);
        if (!opensWithInitialKeys(datagram, originalDcid))
        {
            return null;
        }
        long localCid;
        do
        {
            localCid = random.nextLong();
        }
        while (byLocalCid.containsKey(localCid));
        final QuicSession session = new QuicSession(this, sender, localCid);
        try
        {
            session.connection = factory.server(session, localCid, originalDcid, clientScid);
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "quic: cannot start a connection for " + sender, ex);
            return null;
        }
        byLocalCid.put(localCid, session);
        handshaking++;
        final ByteBuffer key = ByteBuffer.wrap(originalDcid);
        byOriginalCid.put(key, session);
        originalCidOf.put(session, key);
        final QuicSession handshaking = session;
        // handshake_grace has one owner, HandshakeGrace: the same rule as a TCP connection's handshakes.
        new HandshakeGrace(shard, detail ->
        {
            if (!handshaking.isAnnounced() && !handshaking.connection.isClosed())
            {
                LOG.log(System.Logger.Level.INFO, "quic " + sender + ": " + detail);
                handshaking.connection.close(QuicException.CONNECTION_REFUSED, "handshake not done in time", false);
                markDirty(handshaking);
                serviceDirty(System.nanoTime());
            }
        }).arm(handshakeGraceNs, "handshake not done");
        return session;
    }

    /**
     * True if the datagram's first packet opens with the client Initial keys of its Destination
     * Connection ID (RFC 9001 5.2). Checked before a connection is made for it: a connection holds
     * its stream buffers from the start (megabytes), and a datagram that cannot be a client's first
     * Initial (random bytes, a corrupted copy) must cost no more than this check.
     */
    private boolean opensWithInitialKeys(final ByteBuffer datagram, final byte[] originalDcid)
    {
        final int length = datagram.remaining();
        datagram.get(datagram.position(), initialScratch, 0, length);
        try
        {
            final LongHeader header = initialHeader.parse(ByteBuffer.wrap(initialScratch, 0, length));
            return PacketProtection.initial(originalDcid, true)
                .unprotect(initialScratch, 0, header.packetNumberOffset(), header.packetEnd(), -1);
        }
        catch (final QuicException ex)
        {
            return false; // malformed: dropped and counted like any undecryptable datagram
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Service passes

    @Override
    public void markDirty(final QuicSession session)
    {
        if (!session.queued)
        {
            session.queued = true;
            dirty.add(session);
        }
        if (!servicing && !flushRequested)
        {
            flushRequested = true;
            shard.requestFlush(this);
        }
    }

    /** A service pass requested by a session outside of one (a write from the bus). */
    @Override
    public void flush()
    {
        flushRequested = false;
        socket.resume();
        serviceDirty(System.nanoTime());
    }

    private void requestFlush()
    {
        if (!flushRequested)
        {
            flushRequested = true;
            shard.requestFlush(this);
        }
    }

    private void serviceDirty(final long nowNs)
    {
        servicing = true;
        try
        {
            for (int i = dirty.size(); i > 0; i--)
            {
                final QuicSession session = dirty.poll();
                session.queued = false;
                session.service(nowNs);
            }
        }
        finally
        {
            servicing = false;
        }
        if (!dirty.isEmpty() && !flushRequested)
        {
            flushRequested = true;
            shard.requestFlush(this);
        }
    }

    @Override
    public void onEstablished(final QuicSession session)
    {
        handshaking--;
        final ByteBuffer key = originalCidOf.remove(session);
        if (key != null)
        {
            byOriginalCid.remove(key);
        }
        onStream.accept(session);
    }

    @Override
    public void onClosed(final QuicSession session)
    {
        if (!session.isAnnounced())
        {
            handshaking--;
        }
        byLocalCid.remove(session.localCid);
        final ByteBuffer key = originalCidOf.remove(session);
        if (key != null)
        {
            byOriginalCid.remove(key);
        }
        session.cancelTimer();
        closeSocketWhenIdle();
    }

    @Override
    public Shard shard()
    {
        return shard;
    }

    @Override
    public void onTimer(final QuicSession session)
    {
        session.onTimerFired();
        final long nowNs = System.nanoTime();
        session.connection.onTimeout(nowNs);
        markDirty(session);
        serviceDirty(nowNs);
    }

    @Override
    public void send(final QuicSession session, final ByteBuffer datagram)
    {
        try
        {
            socket.send(datagram, session.remoteAddress());
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.DEBUG, () -> "quic send to " + session.remoteAddress() + " failed: " + ex);
        }
    }
}
