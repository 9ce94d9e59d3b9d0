package io.ringbus.core.transport;

import io.ringbus.core.shard.Shard;

/**
 * The one owner of the handshake_grace rule (DESIGN.md, configuration): a new connection must
 * finish its handshake within handshake_grace of its start, or it is closed. Every handshake
 * deadline of the bus is armed here: a {@link Connection}'s carrier handshake (TLS, WebSocket
 * upgrade) and a plane's handshake in its first frames (the replica ping), both through
 * {@link Connection}, and a QUIC connection's handshake in the QUIC server endpoint, which has no
 * {@link Connection} until its handshake is done.
 *
 * <p>One instance per handshaking connection, on the owner's timer wheel. Shard thread only.
 */
public final class HandshakeGrace
{
    private static final long NOT_ARMED = -1;

    /** Told, on the shard thread, that the handshake did not finish in time. */
    @FunctionalInterface
    public interface Expiry
    {
        /**
         * The grace ran out before {@link #disarm()}.
         *
         * @param detail why, for the close reason and the log: what was awaited and the grace in ms.
         */
        void onHandshakeGraceExpired(String detail);
    }

    private final Shard shard;
    private final Expiry expiry;
    private final Runnable onTimer = this::onTimer; // one instance: no allocation per arm
    private long graceNs;
    private String missing;
    private long timerId = NOT_ARMED;

    /**
     * @param shard  the shard that owns the handshaking connection.
     * @param expiry what to do when the grace runs out (close the connection).
     */
    public HandshakeGrace(final Shard shard, final Expiry expiry)
    {
        this.shard = shard;
        this.expiry = expiry;
    }

    /**
     * Start the grace now (the shard's clock); a grace already armed is replaced.
     *
     * @param handshakeGraceNs handshake_grace.
     * @param missing          what the peer failed to do when it expires ("handshake not complete",
     *                         "no valid ping"): the detail begins with it.
     */
    public void arm(final long handshakeGraceNs, final String missing)
    {
        disarm();
        this.graceNs = handshakeGraceNs;
        this.missing = missing;
        timerId = shard.schedule(shard.nowNs() + handshakeGraceNs, onTimer);
    }

    /** True while armed and not yet expired. */
    public boolean isArmed()
    {
        return timerId != NOT_ARMED;
    }

    /** The handshake is done or the connection closed: the grace no longer applies. Harmless if not armed. */
    public void disarm()
    {
        if (timerId != NOT_ARMED)
        {
            shard.cancel(timerId);
            timerId = NOT_ARMED;
        }
    }

    private void onTimer()
    {
        timerId = NOT_ARMED;
        expiry.onHandshakeGraceExpired(missing + " within handshake_grace " + graceNs / 1_000_000 + " ms");
    }
}
