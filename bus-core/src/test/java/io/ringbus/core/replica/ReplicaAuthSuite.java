package io.ringbus.core.replica;

import io.ringbus.core.MessageBus;
import io.ringbus.core.SendResult;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.Await;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The authenticated replica handshake (docs/replica-auth.md) against real replicas and raw sockets
 * on loopback: an unauthenticated ping, a wrong key (as dialer and as acceptor), a replayed
 * recording, a reflected proof and a stranger at a replica's address are refused, counted and never
 * see or deliver an application frame; an authenticated newcomer replaces its replica's stale link;
 * a replica without a key warns once. Run per backend: {@code ReplicaAuthTest} here,
 * {@code ReplicaAuthMatrixTest} in bus-uring.
 */
public abstract class ReplicaAuthSuite
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final byte[] key = Keying.newKey();
    private final List<MessageBus> buses = new ArrayList<>();
    private final List<Closeable> closeables = new ArrayList<>();

    /** Adjust the configuration (backend). */
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return builder;
    }

    private MessageBus start(final int replica, final Map<Integer, InetSocketAddress> replicas,
        final ReplicaPlaneSuite.Recorder recorder, final byte[] clusterKey)
    {
        final MessageBus bus = MessageBus.start(configure(BusConfig.builder()
            .shards(2)
            .replicaId(replica)
            .replicas(replicas)
            .handshakeGrace(Duration.ofMillis(500))
            .reconnectBackoffMin(Duration.ofMillis(20))
            .reconnectBackoffMax(Duration.ofMillis(200))
            .clusterKey(clusterKey)).build(), recorder);
        buses.add(bus);
        return bus;
    }

    @AfterEach
    void tearDown() throws IOException
    {
        for (final Closeable closeable : closeables)
        {
            closeable.close();
        }
        for (final MessageBus bus : buses)
        {
            bus.close();
            assertEquals(0, bus.stats().openConnections());
            if (bus.pool().isLeakDetectionEnabled())
            {
                bus.pool().assertNoLeaks();
            }
        }
    }

    @Test
    void anUnauthenticatedPingToAKeyedNodeIsRefusedAndNothingIsDelivered() throws IOException
    {
        final Map<Integer, InetSocketAddress> replicas = freeAddresses(2);
        final ReplicaPlaneSuite.Recorder one = new ReplicaPlaneSuite.Recorder();
        final MessageBus bus1 = start(1, replicas, one, key);

        final Socket stranger = connect(replicas.get(1));
        // Today's valid ping, then a prepare as replica 0 in the same write.
        stranger.getOutputStream().write(concat(ReplicaPlaneSuite.ping(0), prepare(0, 7)));
        assertTrue(ReplicaPlaneSuite.closedByPeer(stranger), "the unauthenticated ping was refused");
        Await.until(TIMEOUT, () -> bus1.replicaHandshakesRefused() == 1, "the refusal was counted");
        assertEquals(0, one.connected.get(0), "no replica connected");
        assertTrue(one.frames.isEmpty(), "no frame was delivered");
        assertFalse(bus1.isReplicaConnected(0));
    }

    @Test
    void aReplicaWithAnotherKeyIsRefusedByTheDialer() throws IOException
    {
        final Map<Integer, InetSocketAddress> replicas = freeAddresses(2);
        final ReplicaPlaneSuite.Recorder zero = new ReplicaPlaneSuite.Recorder();
        final ReplicaPlaneSuite.Recorder one = new ReplicaPlaneSuite.Recorder();
        final MessageBus bus1 = start(1, replicas, one, Keying.newKey());
        final MessageBus bus0 = start(0, replicas, zero, key);

        // 0 dials 1, which answers with a challenge under its own key: 0 refuses it, and redials.
        Await.until(TIMEOUT, () -> bus0.replicaHandshakesRefused() >= 2, "the dialer refused the acceptor twice");
        assertFalse(bus0.isReplicaConnected(1) || bus1.isReplicaConnected(0), "no link");
        assertEquals(0, zero.connected.get(1) + one.connected.get(0), "no connected callback");
        assertEquals(SendResult.NOT_CONNECTED, bus0.sendToReplica(1, prepareFrame(bus0, 0, 1)));
        assertTrue(zero.frames.isEmpty() && one.frames.isEmpty(), "no frame was delivered");
    }

    @Test
    void aDialerWithAnotherKeyIsRefusedByTheAcceptor() throws IOException
    {
        final Map<Integer, InetSocketAddress> replicas = freeAddresses(2);
        final ReplicaPlaneSuite.Recorder one = new ReplicaPlaneSuite.Recorder();
        final MessageBus bus1 = start(1, replicas, one, key);

        final RawDialer dialer = new RawDialer(connect(replicas.get(1)), 0, 1, Keying.newKey());
        dialer.hello();
        dialer.readChallenge();
        assertFalse(dialer.challengeVerifies(), "the acceptor's proof is under another key");
        dialer.out.write(concat(dialer.proofFrame(dialer.ownProof()), prepare(0, 7)));
        assertTrue(ReplicaPlaneSuite.closedByPeer(dialer.socket), "the proof under another key was refused");
        Await.until(TIMEOUT, () -> bus1.replicaHandshakesRefused() == 1, "the refusal was counted");
        assertEquals(0, one.connected.get(0));
        assertTrue(one.frames.isEmpty(), "no frame was delivered");
    }

    @Test
    void aRecordedHandshakeReplayedOnANewConnectionIsRefused() throws Exception
    {
        final Map<Integer, InetSocketAddress> replicas = freeAddresses(2);
        final ReplicaPlaneSuite.Recorder one = new ReplicaPlaneSuite.Recorder();
        final MessageBus bus1 = start(1, replicas, one, key);
        final Relay relay = new Relay(replicas.get(1));
        closeables.add(relay);
        // Replica 0 reaches replica 1 through the relay, which records what 0 sends.
        final Map<Integer, InetSocketAddress> viaRelay = new TreeMap<>(replicas);
        viaRelay.put(1, relay.address());
        final MessageBus bus0 = start(0, viaRelay, new ReplicaPlaneSuite.Recorder(), key);
        Await.until(TIMEOUT, () -> bus0.isReplicaConnected(1) && one.connected.get(0) == 1, "connected via the relay");
        for (int i = 0; i < 10; i++)
        {
            assertEquals(SendResult.OK, bus0.sendToReplica(1, prepareFrame(bus0, 0, i)));
        }
        Await.until(TIMEOUT, () -> one.frames.size() == 10 && relay.recorded().length == 12 * FrameHeader.HEADER_SIZE,
            "hello, proof and ten prepares recorded");
        final byte[] recording = relay.recorded();
        assertEquals(ReplicaAuth.STEP_HELLO, ReplicaAuth.step(new UnsafeBuffer(recording), 0));
        assertEquals(ReplicaAuth.STEP_PROOF, ReplicaAuth.step(new UnsafeBuffer(recording), FrameHeader.HEADER_SIZE));

        final Socket replay = connect(replicas.get(1));
        replay.getOutputStream().write(recording);
        final byte[] challenge = readFrame(replay);
        assertEquals(ReplicaAuth.STEP_CHALLENGE, ReplicaAuth.step(new UnsafeBuffer(challenge), 0),
            "a fresh challenge answers the replayed hello");
        assertTrue(ReplicaPlaneSuite.closedByPeer(replay), "the replayed proof was refused");
        Await.until(TIMEOUT, () -> bus1.replicaHandshakesRefused() == 1, "the refusal was counted");
        assertEquals(10, one.frames.size(), "no replayed frame was delivered");
        assertEquals(1, one.connected.get(0), "the replay did not replace the real link");
        assertEquals(0, one.lost.get(0));
        assertTrue(bus1.isReplicaConnected(0) && bus0.isReplicaConnected(1));

        // The other direction: a stranger replays replica 1's recorded challenge to a dialing replica 0.
        final byte[] recordedChallenge = Arrays.copyOf(relay.answered(), FrameHeader.HEADER_SIZE);
        assertEquals(ReplicaAuth.STEP_CHALLENGE, ReplicaAuth.step(new UnsafeBuffer(recordedChallenge), 0));
        final Map<Integer, InetSocketAddress> elsewhere = freeAddresses(2);
        final ServerSocket stranger = new ServerSocket();
        closeables.add(stranger);
        stranger.bind(elsewhere.get(1));
        final MessageBus dialer = start(0, elsewhere, new ReplicaPlaneSuite.Recorder(), key);
        stranger.setSoTimeout((int)TIMEOUT.toMillis());
        final Socket replayer = stranger.accept();
        closeables.add(replayer);
        readFrame(replayer);
        replayer.getOutputStream().write(recordedChallenge);
        assertEquals(0, drain(replayer), "the dialer refused the replayed challenge and sent nothing more");
        Await.until(TIMEOUT, () -> dialer.replicaHandshakesRefused() >= 1, "the refusal was counted");
        assertFalse(dialer.isReplicaConnected(1));
    }

    @Test
    void aReflectedProofIsRefused() throws IOException
    {
        final Map<Integer, InetSocketAddress> replicas = freeAddresses(2);
        final ReplicaPlaneSuite.Recorder one = new ReplicaPlaneSuite.Recorder();
        final MessageBus bus1 = start(1, replicas, one, key);

        // Without the key, send the acceptor's own proof back as ours.
        final RawDialer dialer = new RawDialer(connect(replicas.get(1)), 0, 1, null);
        dialer.hello();
        dialer.readChallenge();
        dialer.out.write(concat(dialer.proofFrame(dialer.challengeMac()), prepare(0, 7)));
        assertTrue(ReplicaPlaneSuite.closedByPeer(dialer.socket), "the reflected proof was refused");

        // And the acceptor's nonce as our nonce on a second connection: its proof is still its own role's.
        final RawDialer second = new RawDialer(connect(replicas.get(1)), 0, 1, null);
        System.arraycopy(dialer.nonceAcceptor, 0, second.nonceDialer, 0, ReplicaAuth.NONCE_LENGTH);
        second.hello();
        second.readChallenge();
        second.out.write(second.proofFrame(second.challengeMac()));
        assertTrue(ReplicaPlaneSuite.closedByPeer(second.socket), "the reflected proof was refused");

        Await.until(TIMEOUT, () -> bus1.replicaHandshakesRefused() == 2, "both refusals were counted");
        assertEquals(0, one.connected.get(0));
        assertTrue(one.frames.isEmpty(), "no frame was delivered");
    }

    @Test
    void anAuthenticatedConnectionOfAReplicaReplacesItsStaleLink() throws IOException
    {
        final Map<Integer, InetSocketAddress> replicas = freeAddresses(2);
        final ReplicaPlaneSuite.Recorder one = new ReplicaPlaneSuite.Recorder();
        final MessageBus bus1 = start(1, replicas, one, key);

        // Replica 0's old connection: authenticated, then silent (its process "crashed" without a FIN).
        final RawDialer old = new RawDialer(connect(replicas.get(1)), 0, 1, key);
        old.hello();
        old.readChallenge();
        assertTrue(old.challengeVerifies(), "the acceptor proved the key");
        old.out.write(concat(old.proofFrame(old.ownProof()), prepare(0, 1_000)));
        Await.until(TIMEOUT, () -> one.connected.get(0) == 1 && one.frames.contains(1_000L), "the old link is up");

        // Replica 0 restarts and dials again.
        final ReplicaPlaneSuite.Recorder zero = new ReplicaPlaneSuite.Recorder();
        final MessageBus bus0 = start(0, replicas, zero, key);
        Await.until(TIMEOUT, () -> one.connected.get(0) == 2 && one.lost.get(0) == 1 && bus0.isReplicaConnected(1),
            "the new connection replaced the stale link");
        assertTrue(ReplicaPlaneSuite.closedByPeer(old.socket), "the stale connection was closed");
        for (int i = 0; i < 100; i++)
        {
            assertEquals(SendResult.OK, bus0.sendToReplica(1, prepareFrame(bus0, 0, i)));
        }
        Await.until(TIMEOUT, () -> one.frames.size() == 101, "the new link carries frames");
        assertEquals(2, one.connected.get(0), "no flapping: the link stayed");
        assertEquals(1, one.lost.get(0), "one loss: the stale link");
        assertEquals(1, zero.connected.get(1));
        assertEquals(0, zero.lost.get(1));
        assertEquals(0, bus1.replicaHandshakesRefused());
    }

    @Test
    void aStrangerAtAReplicasAddressIsNotTakenForIt() throws IOException
    {
        final Map<Integer, InetSocketAddress> replicas = freeAddresses(2);
        final ServerSocket stranger = new ServerSocket();
        closeables.add(stranger);
        stranger.bind(replicas.get(1));
        final ReplicaPlaneSuite.Recorder zero = new ReplicaPlaneSuite.Recorder();
        final MessageBus bus0 = start(0, replicas, zero, key);

        // It answers the hello with a challenge it cannot prove.
        stranger.setSoTimeout((int)TIMEOUT.toMillis());
        final Socket forged = stranger.accept();
        closeables.add(forged);
        final byte[] hello = readFrame(forged);
        final UnsafeBuffer helloView = new UnsafeBuffer(hello);
        assertTrue(ReplicaAuth.hasMagic(helloView, 0) && ReplicaAuth.step(helloView, 0) == ReplicaAuth.STEP_HELLO);
        final byte[] nonce = new byte[ReplicaAuth.NONCE_LENGTH];
        final byte[] mac = new byte[ReplicaAuth.MAC_LENGTH];
        new SecureRandom().nextBytes(nonce);
        new SecureRandom().nextBytes(mac);
        forged.getOutputStream().write(frame(Command.PONG, ReplicaAuth.STEP_CHALLENGE, 1, 0, nonce, mac));
        assertEquals(0, drain(forged), "the dialer sent nothing after its hello");
        Await.until(TIMEOUT, () -> bus0.replicaHandshakesRefused() >= 1, "the refusal was counted");

        // The next one stays silent: refused at handshake_grace.
        final Socket silent = stranger.accept();
        closeables.add(silent);
        readFrame(silent);
        assertEquals(0, drain(silent), "the dialer closed at handshake_grace, having sent only its hello");
        Await.until(TIMEOUT, () -> bus0.replicaHandshakesRefused() >= 2, "the timeout was counted");
        assertFalse(bus0.isReplicaConnected(1));
        assertEquals(0, zero.connected.get(1));
        assertEquals(SendResult.NOT_CONNECTED, bus0.sendToReplica(1, prepareFrame(bus0, 0, 1)));
    }

    @Test
    void aReplicaWithoutAKeyWarnsOnceThatThePlaneIsUnauthenticated() throws IOException
    {
        final Logger logger = Logger.getLogger(MessageBus.class.getName());
        final List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        final Handler handler = new Handler()
        {
            @Override
            public void publish(final LogRecord record)
            {
                if (record.getMessage() != null && record.getMessage().contains("unauthenticated"))
                {
                    warnings.add(record.getLevel() + " " + record.getMessage());
                }
            }

            @Override
            public void flush()
            {
            }

            @Override
            public void close()
            {
            }
        };
        logger.addHandler(handler);
        try
        {
            final Map<Integer, InetSocketAddress> replicas = freeAddresses(3);
            start(0, replicas, new ReplicaPlaneSuite.Recorder(), key);
            assertEquals(List.of(), warnings, "a keyed replica does not warn");
            start(1, replicas, new ReplicaPlaneSuite.Recorder(), null);
            assertEquals(1, warnings.size(), "one warning: " + warnings);
            assertTrue(warnings.get(0).startsWith("WARNING") && warnings.get(0).contains("--cluster-key") &&
                warnings.get(0).contains("BusConfig.Builder.clusterKey"), warnings.get(0));
        }
        finally
        {
            logger.removeHandler(handler);
        }
    }

    /** A hand-driven dialer: the handshake's frames from the test, with or without the key. */
    private final class RawDialer
    {
        final Socket socket;
        final OutputStream out;
        final int self;
        final int peer;
        final ReplicaAuth auth;
        final byte[] nonceDialer = new byte[ReplicaAuth.NONCE_LENGTH];
        final byte[] nonceAcceptor = new byte[ReplicaAuth.NONCE_LENGTH];
        private byte[] challenge;

        RawDialer(final Socket socket, final int self, final int peer, final byte[] clusterKey) throws IOException
        {
            this.socket = socket;
            this.out = socket.getOutputStream();
            this.self = self;
            this.peer = peer;
            this.auth = clusterKey != null ? new ReplicaAuth(clusterKey) : null;
            new SecureRandom().nextBytes(nonceDialer);
        }

        void hello() throws IOException
        {
            out.write(frame(Command.PING, ReplicaAuth.STEP_HELLO, self, peer, nonceDialer, null));
        }

        void readChallenge() throws IOException
        {
            challenge = readFrame(socket);
            final UnsafeBuffer view = new UnsafeBuffer(challenge);
            assertEquals(Command.PONG.code(), FrameHeader.command(view, 0));
            assertEquals(ReplicaAuth.STEP_CHALLENGE, ReplicaAuth.step(view, 0));
            assertEquals(peer, FrameHeader.replica(view, 0));
            assertEquals(self, ReplicaAuth.peer(view, 0));
            ReplicaAuth.nonce(view, 0, nonceAcceptor);
        }

        byte[] challengeMac()
        {
            return Arrays.copyOfRange(challenge, ReplicaAuth.MAC_OFFSET, ReplicaAuth.MAC_OFFSET + ReplicaAuth.MAC_LENGTH);
        }

        boolean challengeVerifies()
        {
            final byte[] expected = new byte[ReplicaAuth.MAC_LENGTH];
            auth.proof(ReplicaAuth.ROLE_ACCEPTOR, self, peer, 0, 0, nonceDialer, nonceAcceptor, expected);
            return Arrays.equals(expected, challengeMac());
        }

        byte[] ownProof()
        {
            final byte[] proof = new byte[ReplicaAuth.MAC_LENGTH];
            auth.proof(ReplicaAuth.ROLE_DIALER, self, peer, 0, 0, nonceDialer, nonceAcceptor, proof);
            return proof;
        }

        byte[] proofFrame(final byte[] proof)
        {
            return frame(Command.PING, ReplicaAuth.STEP_PROOF, self, peer, null, proof);
        }
    }

    /** Forwards one connection to {@code target}, recording what each side sends. */
    private static final class Relay implements Closeable
    {
        private final ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        private final ByteArrayOutputStream recorded = new ByteArrayOutputStream();
        private final ByteArrayOutputStream answered = new ByteArrayOutputStream();
        private final List<Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final Thread acceptor;

        Relay(final InetSocketAddress target) throws IOException
        {
            acceptor = new Thread(() ->
            {
                try
                {
                    final Socket client = server.accept();
                    final Socket upstream = new Socket(target.getAddress(), target.getPort());
                    sockets.add(client);
                    sockets.add(upstream);
                    pump(upstream.getInputStream(), client.getOutputStream(), answered);
                    pump(client.getInputStream(), upstream.getOutputStream(), recorded);
                }
                catch (final IOException ex)
                {
                    // closed by the test
                }
            }, "relay-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        InetSocketAddress address()
        {
            return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
        }

        /** What the client sent. */
        byte[] recorded()
        {
            synchronized (recorded)
            {
                return recorded.toByteArray();
            }
        }

        /** What the server answered. */
        byte[] answered()
        {
            synchronized (answered)
            {
                return answered.toByteArray();
            }
        }

        private static void pump(final InputStream in, final OutputStream out, final ByteArrayOutputStream copy)
        {
            final Thread thread = new Thread(() ->
            {
                final byte[] chunk = new byte[8192];
                try
                {
                    for (int read = in.read(chunk); read >= 0; read = in.read(chunk))
                    {
                        if (copy != null)
                        {
                            synchronized (copy)
                            {
                                copy.write(chunk, 0, read);
                            }
                        }
                        out.write(chunk, 0, read);
                    }
                }
                catch (final IOException ex)
                {
                    // closed
                }
            }, "relay-pump");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws IOException
        {
            server.close();
            for (final Socket socket : sockets)
            {
                socket.close();
            }
        }
    }

    /** A sealed handshake frame as the wire carries it. */
    static byte[] frame(final Command command, final int step, final int sender, final int peer, final byte[] nonce,
        final byte[] mac)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[FrameHeader.HEADER_SIZE]);
        ReplicaAuth.write(buffer, 0, command, step, sender, peer, 0, 0, nonce, mac);
        return buffer.byteArray();
    }

    private static byte[] prepare(final int replica, final long request)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[FrameHeader.HEADER_SIZE]);
        Frames.header().wrap(buffer, 0).clear().size(FrameHeader.HEADER_SIZE).command(Command.PREPARE)
            .replica(replica).request(request);
        Frames.seal(buffer, 0);
        return buffer.byteArray();
    }

    private static FrameBuffer prepareFrame(final MessageBus bus, final int replica, final long request)
    {
        final FrameBuffer frame = bus.allocate(FrameHeader.HEADER_SIZE);
        Frames.header().wrap(frame.buffer(), 0).clear().size(FrameHeader.HEADER_SIZE).command(Command.PREPARE)
            .replica(replica).request(request);
        Frames.seal(frame.buffer(), 0);
        return frame;
    }

    private static byte[] concat(final byte[] first, final byte[] second)
    {
        final byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    private static byte[] readFrame(final Socket socket) throws IOException
    {
        socket.setSoTimeout((int)TIMEOUT.toMillis());
        final byte[] frame = new byte[FrameHeader.HEADER_SIZE];
        new DataInputStream(socket.getInputStream()).readFully(frame);
        return frame;
    }

    /** Read until the peer closes; the number of bytes read. */
    private static int drain(final Socket socket) throws IOException
    {
        socket.setSoTimeout((int)TIMEOUT.toMillis());
        final InputStream in = socket.getInputStream();
        int total = 0;
        try
        {
            for (int read = in.read(); read >= 0; read = in.read())
            {
                total++;
            }
        }
        catch (final SocketException ex)
        {
            // reset: closed
        }
        return total;
    }

    private Socket connect(final InetSocketAddress address) throws IOException
    {
        final Socket socket = new Socket(address.getAddress(), address.getPort());
        closeables.add(socket);
        return socket;
    }

    private static Map<Integer, InetSocketAddress> freeAddresses(final int count) throws IOException
    {
        final Map<Integer, InetSocketAddress> map = new TreeMap<>();
        for (int i = 0; i < count; i++)
        {
            try (ServerSocket probe = new ServerSocket(0))
            {
                map.put(i, new InetSocketAddress("127.0.0.1", probe.getLocalPort()));
            }
        }
        return map;
    }
}
