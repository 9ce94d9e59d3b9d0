package io.ringbus.core.stat;

import io.ringbus.core.transport.CloseReason;
import org.agrona.concurrent.status.AtomicCounter;

import java.util.Locale;

/**
 * The counters of one client scheme on one shard: connections opened and closed (by reason),
 * protocol errors (by kind), failed handshakes and handshake_grace expiries, and the frame
 * counters its connections move ({@link #connection()}). Owning shard only.
 */
public final class ClientCounters
{
    private static final CloseReason[] REASONS = CloseReason.values();

    private final ConnectionCounters connection;
    private final AtomicCounter opened;
    private final AtomicCounter closed;
    private final AtomicCounter[] closedBy;
    private final AtomicCounter protocolErrors;
    private final AtomicCounter[] protocolErrorsBy;
    private final AtomicCounter handshakesFailed;
    private final AtomicCounter handshakeGraceExpired;

    ClientCounters(final BusCounters counters, final String scheme, final int shard, final AtomicCounter backpressure)
    {
        final String prefix = "client." + scheme + ".";
        opened = counters.counter(prefix + "connections_opened", shard);
        closed = counters.counter(prefix + "connections_closed", shard);
        connection = new ConnectionCounters(counters.counter(prefix + "frames_in", shard),
            counters.counter(prefix + "frames_out", shard), counters.counter(prefix + "bytes_in", shard),
            counters.counter(prefix + "bytes_out", shard), backpressure);
        protocolErrors = counters.counter(prefix + "protocol_errors", shard);
        final ProtocolErrorKind[] kinds = ProtocolErrorKind.all();
        protocolErrorsBy = new AtomicCounter[kinds.length];
        for (int i = 0; i < kinds.length; i++)
        {
            protocolErrorsBy[i] = counters.counter(prefix + "protocol_errors." + kinds[i].label(), shard);
        }
        handshakesFailed = counters.counter(prefix + "handshakes_failed", shard);
        handshakeGraceExpired = counters.counter(prefix + "handshake_grace_expired", shard);
        closedBy = new AtomicCounter[REASONS.length];
        for (int i = 0; i < REASONS.length; i++)
        {
            closedBy[i] = counters.counter(prefix + "closed." + REASONS[i].name().toLowerCase(Locale.ROOT), shard);
        }
    }

    /** The frame counters for this scheme's connections on this shard. */
    public ConnectionCounters connection()
    {
        return connection;
    }

    /** A connection of this scheme was taken (accepted and registered on its shard). */
    public void onOpened()
    {
        opened.incrementRelease();
    }

    /**
     * A connection of this scheme closed.
     *
     * @param reason        why.
     * @param kind          the protocol error's kind when {@code reason} is PROTOCOL_ERROR and it is known, else null.
     * @param handshakeDone false if it closed before its carrier's handshake (TLS, WebSocket upgrade) completed.
     */
    public void onClosed(final CloseReason reason, final ProtocolErrorKind kind, final boolean handshakeDone)
    {
        closed.incrementRelease();
        closedBy[reason.ordinal()].incrementRelease();
        if (reason == CloseReason.PROTOCOL_ERROR)
        {
            onProtocolError(kind);
        }
        if (reason == CloseReason.HANDSHAKE_TIMEOUT)
        {
            handshakeGraceExpired.incrementRelease();
        }
        if (!handshakeDone && reason != CloseReason.LOCAL && reason != CloseReason.SHUTDOWN &&
            reason != CloseReason.BUS_FAILURE)
        {
            handshakesFailed.incrementRelease();
        }
    }

    /** A protocol error of {@code kind} (null: unknown) outside a connection close (a transport's own handshake). */
    public void onProtocolError(final ProtocolErrorKind kind)
    {
        protocolErrors.incrementRelease();
        if (kind != null)
        {
            protocolErrorsBy[kind.ordinal()].incrementRelease();
        }
    }

    /** A handshake of a transport with its own sockets (QUIC) failed before a connection existed. */
    public void onHandshakeFailed(final boolean graceExpired)
    {
        handshakesFailed.incrementRelease();
        if (graceExpired)
        {
            handshakeGraceExpired.incrementRelease();
        }
    }
}
