package io.ringbus.quic;

import io.ringbus.core.shard.Shard;
import io.ringbus.core.stat.BusCounters;
import io.ringbus.core.stat.ClientCounters;
import io.ringbus.core.stat.ProtocolErrorKind;
import io.ringbus.quic.conn.QuicConnection;
import io.ringbus.quic.conn.QuicConnectionStats;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * A QUIC listener's counters in its bus's counters file (issue 15): packets sent, lost and
 * retransmitted and the smoothed RTT of its connections, what the endpoint refuses or answers
 * statelessly, handshakes that failed and QUIC protocol errors. Its endpoint's shard (shard 0) is
 * the one writer; an endpoint on a shard outside a bus counts nothing ({@link #NONE}).
 */
final class QuicCounters
{
    /** Counts nothing: for an endpoint whose shard has no bus counters. */
    static final QuicCounters NONE = new QuicCounters(null, 0);

    private final ClientCounters client;
    private final AtomicCounter packetsSent;
    private final AtomicCounter packetsLost;
    private final AtomicCounter packetsRetransmitted;
    private final AtomicCounter smoothedRttUs;
    private final AtomicCounter initialsRefused;
    private final AtomicCounter tokensRefused;
    private final AtomicCounter retriesSent;
    private final AtomicCounter resetsSent;
    private final AtomicCounter versionNegotiationsSent;

    private QuicCounters(final BusCounters counters, final int shard)
    {
        client = counters == null ? null : counters.client("quic", shard);
        packetsSent = counter(counters, "client.quic.packets_sent", shard);
        packetsLost = counter(counters, "client.quic.packets_lost", shard);
        packetsRetransmitted = counter(counters, "client.quic.packets_retransmitted", shard);
        smoothedRttUs = counter(counters, "client.quic.smoothed_rtt_us", shard);
        initialsRefused = counter(counters, "client.quic.initials_refused", shard);
        tokensRefused = counter(counters, "client.quic.tokens_refused", shard);
        retriesSent = counter(counters, "client.quic.retries_sent", shard);
        resetsSent = counter(counters, "client.quic.stateless_resets_sent", shard);
        versionNegotiationsSent = counter(counters, "client.quic.version_negotiations_sent", shard);
    }

    private static AtomicCounter counter(final BusCounters counters, final String name, final int shard)
    {
        return counters == null ? null : counters.counter(name, shard);
    }

    /** The counters of an endpoint driven by {@code shard}. */
    static QuicCounters of(final Shard shard)
    {
        final BusCounters counters = shard.counters();
        return counters == null ? NONE : new QuicCounters(counters, shard.index());
    }

    private static void increment(final AtomicCounter counter)
    {
        if (counter != null)
        {
            counter.incrementRelease();
        }
    }

    void onInitialRefused()
    {
        increment(initialsRefused);
    }

    void onTokenRefused()
    {
        increment(tokensRefused);
    }

    void onRetrySent()
    {
        increment(retriesSent);
    }

    void onStatelessResetSent()
    {
        increment(resetsSent);
    }

    void onVersionNegotiationSent()
    {
        increment(versionNegotiationsSent);
    }

    /**
     * Add what {@code session}'s connection did since the last call (packets sent, lost, sent again)
     * and take its smoothed RTT. After each service pass; no allocation.
     */
    void publish(final QuicSession session)
    {
        if (client == null)
        {
            return;
        }
        final QuicConnection connection = session.connection;
        final QuicConnectionStats stats = connection.stats();
        final long sent = stats.packetsSent();
        final long lost = stats.packetsLost();
        // Sent again: the frames of a lost packet are requeued, and a PTO probe resends the oldest data.
        final long retransmitted = lost + stats.probesSent();
        if (sent != session.publishedPacketsSent)
        {
            packetsSent.getAndAddRelease(sent - session.publishedPacketsSent);
            session.publishedPacketsSent = sent;
        }
        if (lost != session.publishedPacketsLost)
        {
            packetsLost.getAndAddRelease(lost - session.publishedPacketsLost);
            session.publishedPacketsLost = lost;
        }
        if (retransmitted != session.publishedPacketsRetransmitted)
        {
            packetsRetransmitted.getAndAddRelease(retransmitted - session.publishedPacketsRetransmitted);
            session.publishedPacketsRetransmitted = retransmitted;
        }
        if (connection.isEstablished())
        {
            smoothedRttUs.setRelease(connection.smoothedRttNs() / 1000);
        }
    }

    /**
     * {@code session} left the endpoint: its last packets, and whether its handshake failed (not
     * when the listener stops) or a QUIC error of its peer closed it.
     */
    void onClosed(final QuicSession session, final boolean stopping)
    {
        if (client == null)
        {
            return;
        }
        publish(session);
        if (stopping)
        {
            return;
        }
        if (!session.isAnnounced())
        {
            client.onHandshakeFailed(session.graceExpired);
        }
        if (session.peerBrokeQuic && !session.graceExpired)
        {
            client.onProtocolError(ProtocolErrorKind.QUIC);
        }
    }
}
