package io.ringbus.quic.conn;

import io.ringbus.quic.tls.TransportParameters;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.BiPredicate;
import java.util.function.BooleanSupplier;

/**
 * An in-memory network between a client and a server {@link QuicConnection} with a fake clock:
 * one-way latency, optional jitter (which reorders), random loss and duplication, and a filter to
 * drop chosen datagrams. {@link #runUntil} drives both connections event by event; nothing sleeps.
 */
final class TestNetwork
{
    static final long MS = 1_000_000L;

    final Random random;
    long nowNs = 1_000 * MS;
    long latencyNs = 5 * MS;
    long jitterNs;
    double lossRate;
    double duplicateRate;
    /** Drop a datagram when this says so: (fromClient, datagram). */
    BiPredicate<Boolean, ByteBuffer> dropFilter = (fromClient, datagram) -> false;
    /** Rewrites a datagram before it enters the network: (fromClient, bytes) -> bytes. */
    java.util.function.BiFunction<Boolean, byte[], byte[]> mutator = (fromClient, datagram) -> datagram;
    /** Every datagram sent, before loss: true if from the client. */
    final List<byte[]> clientDatagrams = new ArrayList<>();
    final List<byte[]> serverDatagrams = new ArrayList<>();
    boolean record;
    long clientBytes;
    long serverBytes;

    final TestPeer client;
    final TestPeer server;
    private final PriorityQueue<InFlight> queue = new PriorityQueue<>();
    private long sequence;
    private int certificateBytes = 2000;
    /** Runs between steps (e.g. an application pump). */
    Runnable onStep = () -> { };

    TestNetwork(final long seed)
    {
        this(seed, QuicConnectionConfig.DEFAULT, 30_000, 2000);
    }

    TestNetwork(final long seed, final QuicConnectionConfig config, final long idleTimeoutMs, final int certificateBytes)
    {
        this.random = new Random(seed);
        this.certificateBytes = certificateBytes;
        final TransportParameters clientParams = new TransportParameters();
        clientParams.maxIdleTimeoutMs = idleTimeoutMs;
        final TransportParameters serverParams = new TransportParameters();
        serverParams.maxIdleTimeoutMs = idleTimeoutMs;
        client = new TestPeer("client", clientParams);
        server = new TestPeer("server", serverParams);
        final byte[] clientCid = randomBytes(8);
        final byte[] initialDcid = randomBytes(8);
        final byte[] serverCid = randomBytes(8);
        client.connection = QuicConnection.client(config, clientCid, initialDcid, clientParams,
            listener -> new FakeTls(true, listener, clientParams, this.certificateBytes), datagram -> send(true, datagram),
            client);
        server.connection = QuicConnection.server(config, serverCid, initialDcid, clientCid, serverParams,
            listener -> new FakeTls(false, listener, serverParams, this.certificateBytes),
            datagram -> send(false, datagram), server);
    }

    byte[] randomBytes(final int length)
    {
        final byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    private void send(final boolean fromClient, final ByteBuffer datagram)
    {
        final byte[] original = new byte[datagram.remaining()];
        datagram.get(original);
        final byte[] copy = mutator.apply(fromClient, original);
        if (fromClient)
        {
            clientBytes += copy.length;
        }
        else
        {
            serverBytes += copy.length;
        }
        if (record)
        {
            (fromClient ? clientDatagrams : serverDatagrams).add(copy);
        }
        if (dropFilter.test(fromClient, ByteBuffer.wrap(copy)))
        {
            return;
        }
        if (lossRate > 0 && random.nextDouble() < lossRate)
        {
            return;
        }
        enqueue(fromClient, copy);
        if (duplicateRate > 0 && random.nextDouble() < duplicateRate)
        {
            enqueue(fromClient, copy);
        }
    }

    private void enqueue(final boolean fromClient, final byte[] datagram)
    {
        final long jitter = jitterNs > 0 ? (long)(random.nextDouble() * jitterNs) : 0;
        queue.add(new InFlight(nowNs + latencyNs + jitter, sequence++, fromClient, datagram));
    }

    /** Hand a datagram to a connection now, bypassing the network. */
    void inject(final boolean toServer, final byte[] datagram)
    {
        (toServer ? server : client).connection.onDatagram(ByteBuffer.wrap(datagram), nowNs);
    }

    void flushBoth()
    {
        client.connection.flush(nowNs);
        server.connection.flush(nowNs);
    }

    /**
     * Run until {@code done} holds, nothing is left to happen, or {@code maxSimulatedNs} of fake
     * time passed. Returns {@code done}'s final value.
     */
    boolean runUntil(final BooleanSupplier done, final long maxSimulatedNs)
    {
        final long deadline = nowNs + maxSimulatedNs;
        for (int steps = 0; steps < 5_000_000; steps++)
        {
            onStep.run();
            flushBoth();
            if (done.getAsBoolean())
            {
                return true;
            }
            final InFlight head = queue.peek();
            long next = head == null ? Long.MAX_VALUE : head.atNs;
            next = Math.min(next, client.connection.nextTimeoutNs());
            next = Math.min(next, server.connection.nextTimeoutNs());
            if (next == Long.MAX_VALUE || next > deadline)
            {
                return done.getAsBoolean();
            }
            nowNs = Math.max(nowNs, next);
            while (!queue.isEmpty() && queue.peek().atNs <= nowNs)
            {
                final InFlight datagram = queue.poll();
                (datagram.fromClient ? server : client).connection.onDatagram(ByteBuffer.wrap(datagram.bytes), nowNs);
            }
            if (client.connection.nextTimeoutNs() <= nowNs)
            {
                client.connection.onTimeout(nowNs);
            }
            if (server.connection.nextTimeoutNs() <= nowNs)
            {
                server.connection.onTimeout(nowNs);
            }
        }
        throw new AssertionError("the network did not settle: " + client + " / " + server);
    }

    boolean handshake()
    {
        return runUntil(() -> client.established && server.established, 600_000 * MS);
    }

    private record InFlight(long atNs, long sequence, boolean fromClient, byte[] bytes) implements Comparable<InFlight>
    {
        @Override
        public int compareTo(final InFlight other)
        {
            final int byTime = Long.compare(atNs, other.atNs);
            return byTime != 0 ? byTime : Long.compare(sequence, other.sequence);
        }
    }
}
