package io.ringbus.core.replica;

import io.ringbus.core.MessageBus;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.frame.Frames;
import io.ringbus.core.log.LogLimiter;
import io.ringbus.core.transport.CloseReason;
import io.ringbus.core.transport.Connection;
import org.agrona.DirectBuffer;

import java.lang.System.Logger.Level;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The replica plane's handshake, in one of two forms (WIRE.md, docs/replica-auth.md).
 *
 * <p>Without a cluster key (today's form): the dialer's first frame is a header-only ping carrying
 * its replica id and the cluster id (checked by the frame decoder); the acceptor admits it only if
 * that id is lower than its own and names a configured replica, within handshake_grace.
 *
 * <p>With a cluster key ({@link ReplicaAuth}): hello (ping, the dialer's nonce), challenge (pong,
 * the acceptor's nonce and proof), proof (ping, the dialer's proof), each proof an HMAC-SHA256 over
 * both nonces, the cluster id, both ids and the prover's role. Both sides wait at most
 * handshake_grace; neither takes an application frame from, nor registers, a peer before its proof
 * checked out; any other frame, a wrong proof or an unauthenticated ping closes the connection
 * (protocol error). A ping after the handshake is a protocol error in both forms.
 *
 * <p>Every connection that closes before its handshake completed because of the peer (a protocol
 * error, including a wrong cluster, or handshake_grace) is counted ({@link #refused()}) and logged
 * through a {@link LogLimiter}: a stranger can cause it at will.
 *
 * <p>The methods taking a connection run on the shard that owns it; {@link #refused()} any thread.
 */
final class PingHandshake
{
    /** What an accepted connection failed to send when its grace runs out (keyless form). */
    static final String MISSING = "no valid ping";
    /** What an accepted connection failed to complete when its grace runs out (keyed form). */
    static final String MISSING_AUTH = "no authenticated handshake (hello, then proof)";
    /** What a dialed connection's acceptor failed to send when its grace runs out (keyed form). */
    static final String MISSING_CHALLENGE = "no valid challenge from the acceptor";

    /** The bus's logger: refusals are reported under the bus's name, where operators look. */
    private static final System.Logger LOG = System.getLogger(MessageBus.class.getName());

    /** The handshake state of one connection; on its shard. */
    static final class Exchange
    {
        /** Acceptor: the id the dialer claimed in its hello, until its proof checks out. */
        int claimed = -1;
        /** True once the peer proved itself (keyed) or sent a valid ping (keyless acceptor). */
        boolean done;
        final byte[] nonceDialer;
        final byte[] nonceAcceptor;

        Exchange(final boolean keyed)
        {
            nonceDialer = keyed ? new byte[ReplicaAuth.NONCE_LENGTH] : null;
            nonceAcceptor = keyed ? new byte[ReplicaAuth.NONCE_LENGTH] : null;
        }
    }

    private final BusConfig config;
    private final FramePool pool;
    private final boolean keyed;
    /** One proof maker and scratch per shard (by shard index): Mac is not thread-safe. */
    private final ReplicaAuth[] auth;
    private final byte[][] expected;
    private final byte[][] received;
    private final SecureRandom random;
    private final AtomicLong refused = new AtomicLong();
    private final LogLimiter limiter = new LogLimiter();

    PingHandshake(final BusConfig config, final FramePool pool, final int shards)
    {
        this.config = config;
        this.pool = pool;
        this.keyed = config.hasClusterKey();
        if (keyed)
        {
            final byte[] key = config.clusterKey();
            auth = new ReplicaAuth[shards];
            expected = new byte[shards][ReplicaAuth.MAC_LENGTH];
            received = new byte[shards][ReplicaAuth.MAC_LENGTH];
            for (int i = 0; i < shards; i++)
            {
                auth[i] = new ReplicaAuth(key);
            }
            java.util.Arrays.fill(key, (byte)0);
            random = config.runtime().secureRandom();
        }
        else
        {
            auth = null;
            expected = null;
            received = null;
            random = null;
        }
    }

    /** True if the handshake is the authenticated form (a cluster key is set). */
    boolean isKeyed()
    {
        return keyed;
    }

    /** Connections closed because their handshake failed (either side). Any thread. */
    long refused()
    {
        return refused.get();
    }

    /** A fresh state for one connection. */
    Exchange newExchange()
    {
        return new Exchange(keyed);
    }

    /** The acceptor side: the connection must complete the handshake within handshake_grace. Before it opens. */
    void await(final Connection connection)
    {
        connection.awaitPlaneHandshake(config.handshakeGrace().toNanos(), keyed ? MISSING_AUTH : MISSING);
    }

    /** The dialer side, before connecting: with a key, the acceptor must prove itself within handshake_grace. */
    void awaitChallenge(final Connection connection)
    {
        if (keyed)
        {
            connection.awaitPlaneHandshake(config.handshakeGrace().toNanos(), MISSING_CHALLENGE);
        }
    }

    /**
     * The dialer side, on open: send the first frame (ping, or hello with a fresh nonce). True if
     * the link is up now (keyless: the dialer trusts its ping); false if a challenge must come first.
     */
    boolean open(final Connection connection, final Exchange exchange, final int peer)
    {
        if (!keyed)
        {
            exchange.done = true;
            connection.send(Frames.headerOnly(pool, Command.PING, config.replicaId(), config.clusterHi(),
                config.clusterLo()));
            return true;
        }
        random.nextBytes(exchange.nonceDialer);
        send(connection, Command.PING, ReplicaAuth.STEP_HELLO, peer, exchange.nonceDialer, null);
        return false;
    }

    /**
     * The dialer side, on a frame before the link is up (keyed): check the acceptor's challenge,
     * answer with our proof and return true (the link is up); else close and return false.
     */
    boolean onChallenge(final Connection connection, final Exchange exchange, final int peer,
        final DirectBuffer buffer, final int offset)
    {
        final int self = config.replicaId();
        final int command = FrameHeader.command(buffer, offset);
        if (command != Command.PONG.code() || !ReplicaAuth.hasMagic(buffer, offset) ||
            ReplicaAuth.step(buffer, offset) != ReplicaAuth.STEP_CHALLENGE)
        {
            return refuse(connection, "command = " + command + ": the acceptor's first frame must be an " +
                "authenticated challenge (pong, step 2)");
        }
        final int sender = FrameHeader.replica(buffer, offset);
        if (sender != peer || ReplicaAuth.peer(buffer, offset) != self)
        {
            return refuse(connection, "challenge from replica " + sender + " for replica " +
                ReplicaAuth.peer(buffer, offset) + ": we dialed replica " + peer + " as replica " + self);
        }
        ReplicaAuth.nonce(buffer, offset, exchange.nonceAcceptor);
        final int shard = connection.shard().index();
        final byte[] proof = expected[shard];
        auth[shard].proof(ReplicaAuth.ROLE_ACCEPTOR, self, peer, config.clusterHi(), config.clusterLo(),
            exchange.nonceDialer, exchange.nonceAcceptor, proof);
        if (!ReplicaAuth.macEquals(buffer, offset, proof, received[shard]))
        {
            return refuse(connection, "the acceptor's proof does not match: a wrong cluster key, or a replayed challenge");
        }
        auth[shard].proof(ReplicaAuth.ROLE_DIALER, self, peer, config.clusterHi(), config.clusterLo(),
            exchange.nonceDialer, exchange.nonceAcceptor, proof);
        send(connection, Command.PING, ReplicaAuth.STEP_PROOF, peer, null, proof);
        connection.planeHandshakeDone();
        exchange.done = true;
        return true;
    }

    /**
     * The acceptor side, on a frame before the link is up: the dialer's replica id once the
     * handshake is done (keyless: a valid ping; keyed: a proof that checks out); -1 while it goes
     * on (keyed: the challenge was sent) or when it failed (the connection is closing).
     */
    int accept(final Connection connection, final Exchange exchange, final DirectBuffer buffer, final int offset)
    {
        final int command = FrameHeader.command(buffer, offset);
        final int replica = FrameHeader.replica(buffer, offset);
        final int self = config.replicaId();
        if (command != Command.PING.code())
        {
            refuse(connection, "command = " + command + ": the first frames must be ping");
            return -1;
        }
        if (!keyed)
        {
            if (!validDialer(connection, replica, self))
            {
                return -1;
            }
            connection.planeHandshakeDone();
            exchange.done = true;
            return replica;
        }
        if (!ReplicaAuth.hasMagic(buffer, offset))
        {
            refuse(connection, "unauthenticated ping from replica " + replica +
                ": this node requires the authenticated replica handshake (cluster key)");
            return -1;
        }
        final int step = ReplicaAuth.step(buffer, offset);
        if (exchange.claimed < 0)
        {
            if (step != ReplicaAuth.STEP_HELLO)
            {
                refuse(connection, "step = " + step + ": expected hello (1)");
                return -1;
            }
            if (!validDialer(connection, replica, self))
            {
                return -1;
            }
            if (ReplicaAuth.peer(buffer, offset) != self)
            {
                refuse(connection, "hello for replica " + ReplicaAuth.peer(buffer, offset) + ": this is replica " + self);
                return -1;
            }
            exchange.claimed = replica;
            ReplicaAuth.nonce(buffer, offset, exchange.nonceDialer);
            random.nextBytes(exchange.nonceAcceptor);
            final int shard = connection.shard().index();
            final byte[] proof = expected[shard];
            auth[shard].proof(ReplicaAuth.ROLE_ACCEPTOR, replica, self, config.clusterHi(), config.clusterLo(),
                exchange.nonceDialer, exchange.nonceAcceptor, proof);
            send(connection, Command.PONG, ReplicaAuth.STEP_CHALLENGE, replica, exchange.nonceAcceptor, proof);
            return -1;
        }
        if (step != ReplicaAuth.STEP_PROOF || replica != exchange.claimed)
        {
            refuse(connection, "step = " + step + " from replica " + replica + ": expected the proof (3) of replica " +
                exchange.claimed);
            return -1;
        }
        final int shard = connection.shard().index();
        final byte[] proof = expected[shard];
        auth[shard].proof(ReplicaAuth.ROLE_DIALER, replica, self, config.clusterHi(), config.clusterLo(),
            exchange.nonceDialer, exchange.nonceAcceptor, proof);
        if (!ReplicaAuth.macEquals(buffer, offset, proof, received[shard]))
        {
            refuse(connection, "the proof of replica " + replica + " does not match: a wrong cluster key, or a " +
                "replayed or reflected handshake");
            return -1;
        }
        connection.planeHandshakeDone();
        exchange.done = true;
        return replica;
    }

    private boolean validDialer(final Connection connection, final int replica, final int self)
    {
        if (replica >= self || replica >= config.replicas().size())
        {
            refuse(connection, "replica = " + replica + ": a dialer must have a lower id than " + self +
                " and be below " + config.replicas().size());
            return false;
        }
        return true;
    }

    /**
     * A connection closed: if its handshake had not completed and the close is the peer's doing
     * (a protocol error, including a wrong cluster or checksum, or handshake_grace), count and log it.
     */
    void onClosed(final Connection connection, final Exchange exchange, final String side)
    {
        if (exchange == null || exchange.done)
        {
            return;
        }
        final CloseReason reason = connection.closeReason();
        if (reason != CloseReason.PROTOCOL_ERROR && reason != CloseReason.HANDSHAKE_TIMEOUT)
        {
            return;
        }
        refused.incrementAndGet();
        final long held = limiter.admit(side + " " + reason.name(), connection.shard().nowNs());
        if (held >= 0)
        {
            LOG.log(Level.WARNING, "replica handshake refused (" + side + ") with " + connection.remoteAddress() +
                ": " + reason + ": " + connection.closeDetail() + LogLimiter.suffix(held));
        }
    }

    /** Close {@code connection} for a failed handshake (counted in {@link #onClosed}); false. */
    private static boolean refuse(final Connection connection, final String detail)
    {
        connection.close(CloseReason.PROTOCOL_ERROR, detail);
        return false;
    }

    private void send(final Connection connection, final Command command, final int step, final int peer,
        final byte[] nonce, final byte[] proof)
    {
        final FrameBuffer frame = pool.acquire(FrameHeader.HEADER_SIZE);
        ReplicaAuth.write(frame.buffer(), 0, command, step, config.replicaId(), peer, config.clusterHi(),
            config.clusterLo(), nonce, proof);
        frame.frameLength(FrameHeader.HEADER_SIZE);
        connection.send(frame);
    }

    /** True (and the connection closing) if a frame after the handshake is a ping. */
    static boolean rejectAfterHandshake(final Connection connection, final DirectBuffer buffer, final int offset)
    {
        if (FrameHeader.command(buffer, offset) == Command.PING.code())
        {
            connection.close(CloseReason.PROTOCOL_ERROR, "command = ping (1): only in the handshake of a connection");
            return true;
        }
        return false;
    }
}
