package io.ringbus.quic;

import io.ringbus.core.backend.IoListener;
import io.ringbus.core.log.LogLimiter;
import io.ringbus.core.shard.Shard;
import io.ringbus.core.transport.AcceptedStream;
import io.ringbus.core.transport.ConnectionLimits;
import io.ringbus.core.transport.HandshakeGrace;
import io.ringbus.quic.frame.FrameWriter;
import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.packet.LongHeader;
import io.ringbus.quic.packet.PacketProtection;
import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.packet.RetryPacket;
import io.ringbus.quic.packet.RetryToken;
import io.ringbus.quic.packet.StatelessReset;
import io.ringbus.quic.packet.VarInt;
import io.ringbus.quic.packet.VersionNegotiation;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.NanoClock;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Arrays;
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
 * <p>Before any connection state is made for a client's Initial: a long-header packet of another
 * version (in a datagram of at least 1200 bytes) is answered with Version Negotiation (RFC 9000 6);
 * depending on the {@link RetryMode}, a client without a token is sent a Retry carrying a
 * {@link RetryToken} (RFC 9000 8.1.2) and one with a token that does not open is refused with a
 * stateless INVALID_TOKEN close (8.1.2); the client's address takes a {@link ConnectionLimits}
 * place (refused: the Initial is dropped and counted), given back exactly once when its connection
 * leaves the endpoint (handshake failed or out of grace, closed). A short-header packet for no known connection is answered with a
 * stateless reset (RFC 9000 10.3) whose token is derived from the listener's reset key, so a
 * listener that lost the connection (a restart with the same key) still ends it for the client.
 * Stateless replies (Version Negotiation, resets) are rate-limited; every log line a peer can cause
 * goes through a {@link LogLimiter}.
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
    static final int MAX_HANDSHAKING = QuicSettings.MAX_HANDSHAKES;

    /** Stateless replies (Version Negotiation, stateless resets) per second at most: none of them may be a flood. */
    static final int MAX_STATELESS_REPLIES_PER_SECOND = 200;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** Our connection ids in a Retry's Source Connection ID: the client's next DCID (and Initial keys). */
    private static final int RETRY_CID_LENGTH = 8;
    private static final int MAX_STATELESS_REPLY = 256;
    private static final byte[] INVALID_TOKEN_REASON =
        "invalid address validation token".getBytes(StandardCharsets.US_ASCII);

    private final Shard shard;
    private final QuicSessionFactory factory;
    /** Bus-wide connection places, or null for none (a bare endpoint in tests). */
    private final ConnectionLimits limits;
    private final RetryMode retryMode;
    private final int autoRetryThreshold;
    private final RetryToken tokens;
    private final StatelessReset resets;
    private final LogLimiter logLimiter = new LogLimiter();
    private final byte[] replyBytes = new byte[MAX_STATELESS_REPLY];
    private final ByteBuffer reply = ByteBuffer.allocateDirect(MAX_STATELESS_REPLY);
    private final byte[] resetRandom = new byte[StatelessReset.MAX_LENGTH];
    private final byte[] cidScratch = new byte[VersionNegotiation.MAX_INVARIANT_CID_LENGTH];
    private long statelessWindowStartNs;
    private int statelessInWindow;
    private final Consumer<AcceptedStream> onStream;
    private final long handshakeGraceNs;
    private final DatagramLoop socket;
    private final byte[] initialScratch = new byte[MAX_DATAGRAM];
    private final LongHeader initialHeader = new LongHeader();
    private final Long2ObjectHashMap<QuicSession> byLocalCid = new Long2ObjectHashMap<>();
    private final Map<ByteBuffer, QuicSession> byOriginalCid = new HashMap<>();
    private final Map<QuicSession, ByteBuffer> originalCidOf = new HashMap<>();
    private final ArrayDeque<QuicSession> dirty = new ArrayDeque<>();
    private final SecureRandom random;
    private final NanoClock clock;
    private boolean flushRequested;
    private boolean servicing;
    /** The listener was closed: no new connection is accepted. */
    private boolean stopping;
    private int handshaking;
    long datagramsDropped;
    /** Initials dropped because the bus's connection limits refused their address. */
    long initialsRefused;
    /** Initials dropped because their token did not open (forged, expired, another address). */
    long tokensRefused;
    long retriesSent;
    long resetsSent;
    long versionNegotiationsSent;
    /** The same events, and the connections' packets, in the bus's counters file. */
    private final QuicCounters counters;

    /**
     * @param limits            the bus's connection places (null for none)
     * @param statelessResetKey the key of our stateless reset tokens (RFC 9000 10.3.2), at least 32 bytes
     */
    QuicServerEndpoint(final Shard shard, final NanoClock clock, final SecureRandom random,
        final InetSocketAddress address, final QuicSessionFactory factory, final QuicSettings settings,
        final byte[] statelessResetKey, final ConnectionLimits limits, final long handshakeGraceNs,
        final Consumer<AcceptedStream> onStream) throws IOException
    {
        this.shard = shard;
        this.clock = clock;
        this.random = random;
        this.factory = factory;
        this.limits = limits;
        this.retryMode = settings.retryMode();
        this.autoRetryThreshold = settings.autoRetryThreshold();
        this.tokens = new RetryToken(random, RetryToken.DEFAULT_LIFETIME_NS);
        this.resets = new StatelessReset(statelessResetKey);
        this.onStream = onStream;
        this.handshakeGraceNs = handshakeGraceNs;
        this.counters = QuicCounters.of(shard);
        this.socket = new DatagramLoop(shard, clock, address, null, this);
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
                releasePlaceOf(session); // the shard may stop before its closing period ends
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
        // an ICMP error for an earlier send can surface here: a peer can cause it
        final long held = logLimiter.admit("receive failed", clock.nanoTime());
        if (held >= 0)
        {
            LOG.log(System.Logger.Level.WARNING, "quic receive failed: " + ex + LogLimiter.suffix(held));
        }
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
            if (session == null)
            {
                datagramsDropped++;
                statelessReset(datagram, sender, nowNs);
                return;
            }
        }
        else
        {
            if (length < 7)
            {
                datagramsDropped++;
                return;
            }
            final int version = datagram.getInt(1);
            if (version != LongHeader.VERSION_1)
            {
                datagramsDropped++;
                if (version != VersionNegotiation.VERSION_NEGOTIATION)
                {
                    versionNegotiation(datagram, sender, nowNs); // RFC 9000 6.1; never in reply to a VN (6.1, 17.2.1)
                }
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

    /**
     * A long-header datagram for no known connection: a new client's Initial, or dropped. In order,
     * the cheap checks first: size and shape, the Initial keys, the token (or a Retry instead of any
     * state), the handshake slots, the bus's connection places; only then a connection.
     */
    private QuicSession accept(final ByteBuffer datagram, final InetSocketAddress sender, final int first,
        final int dcidLength, final long nowNs)
    {
        if (stopping)
        {
            return null; // the listener is closed: no new connection
        }
        final boolean initial = (first & 0x30) == 0;
        if (!initial || datagram.remaining() < MIN_INITIAL_DATAGRAM || dcidLength < 8)
        {
            return null; // RFC 9000 14.1 (size), 7.2 (an original DCID of at least 8 bytes)
        }
        final int scidOffset = 6 + dcidLength;
        final int scidLength = datagram.get(scidOffset) & 0xFF;
        final int tokenLengthOffset = scidOffset + 1 + scidLength;
        if (scidLength > 20 || datagram.remaining() < tokenLengthOffset + 1)
        {
            return null;
        }
        final long tokenLength;
        try
        {
            tokenLength = VarInt.read(datagram.duplicate().position(tokenLengthOffset), "token length");
        }
        catch (final QuicException ex)
        {
            return null;
        }
        final int tokenOffset = tokenLengthOffset + VarInt.lengthOf(datagram.get(tokenLengthOffset));
        if (tokenLength > datagram.remaining() - tokenOffset)
        {
            return null;
        }
        final byte[] initialDcid = new byte[dcidLength];
        datagram.get(6, initialDcid);
        final byte[] clientScid = new byte[scidLength];
        datagram.get(scidOffset + 1, clientScid);
        if (!opensWithInitialKeys(datagram, initialDcid))
        {
            return null;
        }
        RetryToken.Validated retried = null;
        if (tokenLength > 0)
        {
            // Our tokens come only in Retry packets (we send no NEW_TOKEN). RFC 9000 8.1.2: an Initial
            // with an invalid Retry token is answered with an immediate close, INVALID_TOKEN, without
            // any state (the client would not accept another Retry); a token replays only from its
            // own address within its lifetime (8.1.4).
            datagram.get(tokenOffset, initialScratch, 0, (int)tokenLength);
            retried = tokens.open(initialScratch, 0, (int)tokenLength, sender, nowNs);
            if (retried == null || !sameCid(initialDcid, retried.retrySourceConnectionId()))
            {
                tokensRefused++;
                counters.onTokenRefused();
                final String why = retried == null ? tokens.failure() : "token issued for another connection id";
                logLimited("token refused", "quic: refusing an Initial from " + sender + ": " + why, nowNs);
                sendInvalidToken(sender, initialDcid, clientScid, nowNs);
                return null;
            }
        }
        else if (retryMode == RetryMode.ALWAYS || (retryMode == RetryMode.AUTO && handshaking >= autoRetryThreshold))
        {
            sendRetry(sender, initialDcid, clientScid, nowNs);
            return null;
        }
        if (handshaking >= MAX_HANDSHAKING)
        {
            logLimited("handshake slots full", "quic: " + MAX_HANDSHAKING + " handshakes in progress already, " +
                "dropping an Initial from " + sender, nowNs);
            return null;
        }
        if (byLocalCid.size() >= MAX_SESSIONS)
        {
            logLimited("sessions full", "quic: " + MAX_SESSIONS + " connections already, dropping an Initial from " +
                sender, nowNs);
            return null;
        }
        final InetAddress address = sender.getAddress();
        final String refused = limits == null ? null : limits.tryAcquire(address);
        if (refused != null)
        {
            // dropped silently: the client retransmits its Initial and may get in once a place is free
            initialsRefused++;
            counters.onInitialRefused();
            logLimited(refused, "quic: " + refused + " reached, dropping an Initial from " + sender, nowNs);
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
            final byte[] cid = QuicSessionFactory.cidBytes(localCid);
            session.connection = factory.server(session, localCid, initialDcid, clientScid, retried,
                resets.token(cid, 0, cid.length));
        }
        catch (final RuntimeException ex)
        {
            releasePlace(address);
            logLimited("cannot start", "quic: cannot start a connection for " + sender + ": " + ex, nowNs);
            return null;
        }
        session.holdsPlace = true; // given back once: when the bus or the endpoint is done with it, or in onClosed
        byLocalCid.put(localCid, session);
        handshaking++;
        final ByteBuffer key = ByteBuffer.wrap(initialDcid);
        byOriginalCid.put(key, session);
        originalCidOf.put(session, key);
        final QuicSession handshaking = session;
        // handshake_grace has one owner, HandshakeGrace: the same rule as a TCP connection's handshakes.
        new HandshakeGrace(shard, detail ->
        {
            if (!handshaking.isAnnounced() && !handshaking.connection.isClosed())
            {
                logLimited("handshake grace", "quic " + sender + ": " + detail, clock.nanoTime(), System.Logger.Level.INFO);
                handshaking.graceExpired = true;
                handshaking.connection.close(QuicException.CONNECTION_REFUSED, "handshake not done in time", false);
                markDirty(handshaking);
                serviceDirty(clock.nanoTime());
            }
        }).arm(handshakeGraceNs, "handshake not done");
        return session;
    }

    private static boolean sameCid(final byte[] a, final byte[] b)
    {
        return Arrays.equals(a, b);
    }

    /**
     * The bus is done with an announced session: its place goes back now rather than after the QUIC
     * closing period (3 PTO, longer than the bus's own life when the bus is closing).
     */
    @Override
    public void onChannelClosed(final QuicSession session)
    {
        releasePlaceOf(session);
    }

    /** Give back the place accept() took for {@code session}, once. */
    private void releasePlaceOf(final QuicSession session)
    {
        if (session.holdsPlace)
        {
            session.holdsPlace = false;
            releasePlace(session.remoteAddress().getAddress());
        }
    }

    private void releasePlace(final InetAddress address)
    {
        if (limits != null)
        {
            limits.release(address);
        }
    }

    /**
     * RFC 9000 8.1.2, 17.2.5: answer a token-less Initial with a Retry instead of any state. The
     * token seals the client's address, its Initial's DCID and the Retry's new SCID; the Retry is
     * smaller than the Initial that caused it (no amplification).
     */
    private void sendRetry(final InetSocketAddress sender, final byte[] originalDcid, final byte[] clientScid,
        final long nowNs)
    {
        final byte[] retryScid = new byte[RETRY_CID_LENGTH];
        random.nextBytes(retryScid);
        final byte[] token = tokens.seal(sender, originalDcid, retryScid, nowNs);
        final int length = RetryPacket.write(replyBytes, 0, clientScid, retryScid, token, originalDcid, random.nextInt());
        retriesSent++;
        counters.onRetrySent();
        sendReply(length, sender);
    }

    /**
     * RFC 9000 8.1.2, 10.2: close at once with INVALID_TOKEN, statelessly: one Initial packet (keys of
     * the client's Destination Connection ID, packet number 0) carrying CONNECTION_CLOSE; far smaller
     * than the 1200-byte Initial that caused it, and rate-limited with the other stateless replies.
     */
    private void sendInvalidToken(final InetSocketAddress sender, final byte[] initialDcid, final byte[] clientScid,
        final long nowNs)
    {
        if (!admitStatelessReply(nowNs))
        {
            return;
        }
        final byte[] serverScid = new byte[RETRY_CID_LENGTH];
        random.nextBytes(serverScid);
        final ByteBuffer out = ByteBuffer.wrap(replyBytes);
        out.put((byte)0xC0); // Initial, a 1-byte packet number
        out.putInt(LongHeader.VERSION_1);
        out.put((byte)clientScid.length).put(clientScid);
        out.put((byte)serverScid.length).put(serverScid);
        out.put((byte)0); // no token
        final int lengthOffset = out.position();
        out.putShort((short)0);
        final int pnOffset = out.position();
        out.put((byte)0);
        FrameWriter.connectionClose(out, QuicException.INVALID_TOKEN, 0, INVALID_TOKEN_REASON);
        while (out.position() < pnOffset + 1 + 20)
        {
            out.put((byte)0); // PADDING: room for the header protection sample (RFC 9001 5.4.2)
        }
        final int payloadLength = out.position() - pnOffset - 1;
        out.putShort(lengthOffset, (short)(0x4000 | (1 + payloadLength + CipherSuite.TAG_LENGTH)));
        try
        {
            final int length = PacketProtection.initial(initialDcid, false)
                .protect(replyBytes, 0, pnOffset, 1, 0, payloadLength);
            sendReply(length, sender);
        }
        catch (final QuicException ex)
        {
            LOG.log(System.Logger.Level.DEBUG, () -> "quic: cannot protect an INVALID_TOKEN close: " + ex);
        }
    }

    /**
     * RFC 9000 10.3: a short-header datagram for no connection we know is answered with a stateless
     * reset carrying the token of its Destination Connection ID, so a client of a listener that lost
     * its state (restarted with the same key) learns at once that its connection is gone. Never for a
     * datagram of 21 bytes or less and always shorter than it (10.3.3: two endpoints cannot loop on
     * each other's resets), and rate-limited.
     */
    private void statelessReset(final ByteBuffer datagram, final InetSocketAddress sender, final long nowNs)
    {
        final int length = datagram.remaining();
        if (StatelessReset.lengthFor(length) == 0 || !admitStatelessReply(nowNs))
        {
            return;
        }
        datagram.get(1, cidScratch, 0, QuicSessionFactory.CID_LENGTH);
        random.nextBytes(resetRandom);
        final int resetLength = resets.write(replyBytes, length, cidScratch, 0, QuicSessionFactory.CID_LENGTH, resetRandom);
        resetsSent++;
        counters.onStatelessResetSent();
        sendReply(resetLength, sender);
    }

    /**
     * RFC 9000 6.1: a long-header packet of a version we do not support, in a datagram large enough
     * to be a client's first (14.1: at least 1200 bytes, so the answer is never an amplification), is
     * answered with Version Negotiation listing v1 and a greased version; rate-limited.
     */
    private void versionNegotiation(final ByteBuffer datagram, final InetSocketAddress sender, final long nowNs)
    {
        final int length = datagram.remaining();
        if (length < MIN_INITIAL_DATAGRAM)
        {
            return;
        }
        // RFC 8999 5.1: any version's long header carries connection ids of up to 255 bytes
        final int dcidLength = datagram.get(5) & 0xFF;
        if (length < 6 + dcidLength + 1)
        {
            return;
        }
        final int scidLength = datagram.get(6 + dcidLength) & 0xFF;
        if (length < 7 + dcidLength + scidLength || 7 + dcidLength + scidLength + 8 > MAX_STATELESS_REPLY ||
            !admitStatelessReply(nowNs))
        {
            return;
        }
        final byte[] dcid = new byte[dcidLength];
        datagram.get(6, dcid);
        final byte[] scid = new byte[scidLength];
        datagram.get(7 + dcidLength, scid);
        final ByteBuffer out = ByteBuffer.wrap(replyBytes);
        final int written = VersionNegotiation.write(out, dcid, scid, random.nextInt(),
            VersionNegotiation.greasedVersion(random.nextInt()));
        versionNegotiationsSent++;
        counters.onVersionNegotiationSent();
        sendReply(written, sender);
    }

    /** At most {@link #MAX_STATELESS_REPLIES_PER_SECOND} stateless replies per second. */
    private boolean admitStatelessReply(final long nowNs)
    {
        if (nowNs - statelessWindowStartNs >= NANOS_PER_SECOND)
        {
            statelessWindowStartNs = nowNs;
            statelessInWindow = 0;
        }
        if (statelessInWindow >= MAX_STATELESS_REPLIES_PER_SECOND)
        {
            return false;
        }
        statelessInWindow++;
        return true;
    }

    private void sendReply(final int length, final InetSocketAddress target)
    {
        reply.clear();
        reply.put(replyBytes, 0, length).flip();
        try
        {
            socket.send(reply, target);
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.DEBUG, () -> "quic send to " + target + " failed: " + ex);
        }
    }

    private void logLimited(final String reason, final String message, final long nowNs)
    {
        logLimited(reason, message, nowNs, System.Logger.Level.WARNING);
    }

    private void logLimited(final String reason, final String message, final long nowNs, final System.Logger.Level level)
    {
        final long held = logLimiter.admit(reason, nowNs);
        if (held >= 0)
        {
            LOG.log(level, message + LogLimiter.suffix(held));
        }
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
        serviceDirty(clock.nanoTime());
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
                counters.publish(session);
            }
        }
        finally
        {
            servicing = false;
        }
        socket.flushSends(); // one batch per pass: every session's datagrams and the stateless replies
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
        counters.onClosed(session, stopping);
        if (!session.isAnnounced())
        {
            handshaking--;
        }
        if (byLocalCid.remove(session.localCid) != null)
        {
            releasePlaceOf(session);
        }
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
    public long nowNs()
    {
        return clock.nanoTime();
    }

    @Override
    public void onTimer(final QuicSession session)
    {
        session.onTimerFired();
        final long nowNs = clock.nanoTime();
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

    @Override
    public LogLimiter logLimiter()
    {
        return logLimiter;
    }
}
