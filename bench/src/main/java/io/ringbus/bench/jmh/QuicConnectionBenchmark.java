package io.ringbus.bench.jmh;

import io.ringbus.quic.conn.DatagramSink;
import io.ringbus.quic.conn.QuicConnection;
import io.ringbus.quic.conn.QuicConnectionConfig;
import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.tls.QuicTls;
import io.ringbus.quic.tls.QuicTlsConfig;
import io.ringbus.quic.tls.TransportParameters;
import io.ringbus.tls.SelfSignedCertificate;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;

/**
 * The QUIC data path of bus-quic in memory, no sockets: a client and a server
 * {@link QuicConnection} wired back to back through {@link DatagramSink}s that copy each datagram
 * into a pre-allocated slot of the other side's inbound queue, with the real TLS 1.3 engine
 * ({@link QuicTls}, a self-signed EC P-256 certificate, AES-128-GCM packet protection) and the
 * default {@link QuicConnectionConfig}. The handshake runs once per trial; each operation then is
 * one stream round on the established connection, driven by hand like bus-quic's tests drive their
 * TestNetwork (flush both, deliver every queued datagram, fire due timers, until nothing moves):
 * <ul>
 *   <li>{@link #oneWay}: the client writes {@code payloadSize} bytes to stream 0; they are
 *       packetised, protected, delivered, unprotected and handed to the server's listener; the
 *       server's ACKs go back to the client.</li>
 *   <li>{@link #echo}: as {@code oneWay}, and the server's listener writes the bytes back at once,
 *       so they cross the same path the other way (client to server to client).</li>
 * </ul>
 * The clock is {@link System#nanoTime()}, read once per pump pass, so loss timers and delayed ACKs
 * behave as on a real (very fast) link. Run with {@code -prof gc}: the harness side allocates
 * nothing per operation, so {@code gc.alloc.rate.norm} is the connections' own allocation.
 *
 * <p>One thread per trial (JMH's benchmark thread); nothing here is thread-safe.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class QuicConnectionBenchmark
{
    /** Bytes written to the stream per operation. */
    @Param({"1024"})
    public int payloadSize;

    private static final String SERVER_NAME = "localhost";
    private static final int CID_LENGTH = 8;
    /** Idle timeout both sides advertise: far longer than a trial, so it never fires. */
    private static final long IDLE_TIMEOUT_MS = 3_600_000;
    /** Pump passes without progress after which a round is declared stuck. */
    private static final int MAX_IDLE_PASSES = 1_000_000;

    private Side client;
    private Side server;
    private ByteBuffer payload;
    private final ByteBuffer[] srcs = new ByteBuffer[1];

    @Setup(Level.Trial)
    public void setUp()
    {
        final SelfSignedCertificate certificate = SelfSignedCertificate.generate();
        final QuicTlsConfig serverTls = QuicTlsConfig.builder()
            .keyMaterial(new X509Certificate[] {certificate.certificate()}, certificate.privateKey())
            .cipherSuites(CipherSuite.AES_128_GCM_SHA256)
            .build();
        final QuicTlsConfig clientTls = QuicTlsConfig.builder()
            .trust(certificate.certificate())
            .cipherSuites(CipherSuite.AES_128_GCM_SHA256)
            .build();
        final SecureRandom random = new SecureRandom();
        final byte[] clientCid = new byte[CID_LENGTH];
        final byte[] serverCid = new byte[CID_LENGTH];
        final byte[] initialDcid = new byte[CID_LENGTH];
        random.nextBytes(clientCid);
        random.nextBytes(serverCid);
        random.nextBytes(initialDcid);

        client = new Side();
        server = new Side();
        final TransportParameters clientParams = parameters();
        final TransportParameters serverParams = parameters();
        client.connection = QuicConnection.client(QuicConnectionConfig.DEFAULT, clientCid, initialDcid, clientParams,
            listener -> QuicTls.client(clientTls, SERVER_NAME, clientParams, listener), server.inbound, client);
        server.connection = QuicConnection.server(QuicConnectionConfig.DEFAULT, serverCid, initialDcid, clientCid,
            serverParams, listener -> QuicTls.server(serverTls, serverParams, listener), client.inbound, server);

        pumpUntilEstablished();
        payload = ByteBuffer.allocateDirect(payloadSize);
        for (int i = 0; i < payloadSize; i++)
        {
            payload.put(i, (byte)(i * 31));
        }
        srcs[0] = payload;
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        if (client.connection.isClosed() || server.connection.isClosed())
        {
            throw new IllegalStateException("a connection closed during the trial: " + client.connection + " / " +
                server.connection);
        }
    }

    private static TransportParameters parameters()
    {
        final TransportParameters params = new TransportParameters();
        params.maxIdleTimeoutMs = IDLE_TIMEOUT_MS;
        params.disableActiveMigration = true;
        return params;
    }

    /** Client to server: write, deliver, ACK back. */
    @Benchmark
    public long oneWay()
    {
        server.echo = false;
        final long target = server.received + payloadSize;
        writeAll();
        pumpUntil(server, target);
        return server.received;
    }

    /** Client to server and back: the server's listener writes each chunk back as it arrives. */
    @Benchmark
    public long echo()
    {
        server.echo = true;
        final long target = client.received + payloadSize;
        writeAll();
        pumpUntil(client, target);
        return client.received;
    }

    private void writeAll()
    {
        payload.clear();
        int passes = 0;
        while (payload.hasRemaining())
        {
            if (client.connection.write(srcs, 1) == 0)
            {
                // The send buffer or a flow-control window is full: let ACKs and MAX_DATA through.
                pumpOnce(System.nanoTime());
                if (++passes > MAX_IDLE_PASSES)
                {
                    throw new IllegalStateException("the client cannot write: " + client.connection);
                }
            }
        }
    }

    private void pumpUntil(final Side side, final long target)
    {
        int idle = 0;
        while (side.received < target)
        {
            if (pumpOnce(System.nanoTime()) == 0 && ++idle > MAX_IDLE_PASSES)
            {
                throw new IllegalStateException("stuck at " + side.received + " of " + target + ": " + client.connection +
                    " / " + server.connection);
            }
        }
        // What the round left (an ACK, the echo's ACK) is delivered now, not billed to the next round.
        drain();
    }

    /** Pump until a pass moves no datagram. */
    private void drain()
    {
        for (int pass = 0; pumpOnce(System.nanoTime()) > 0; pass++)
        {
            if (pass > MAX_IDLE_PASSES)
            {
                throw new IllegalStateException("the connections never go quiet: " + client.connection);
            }
        }
    }

    private void pumpUntilEstablished()
    {
        for (int pass = 0; pass < MAX_IDLE_PASSES; pass++)
        {
            pumpOnce(System.nanoTime());
            if (client.connection.isEstablished() && server.connection.isEstablished())
            {
                drain();
                return;
            }
            if (client.connection.isClosed() || server.connection.isClosed())
            {
                break;
            }
        }
        throw new IllegalStateException("no handshake: " + client.connection + " / " + server.connection);
    }

    /** One pass: fire due timers, flush both sides, deliver every queued datagram; returns how many moved. */
    private int pumpOnce(final long nowNs)
    {
        if (client.connection.nextTimeoutNs() <= nowNs)
        {
            client.connection.onTimeout(nowNs);
        }
        if (server.connection.nextTimeoutNs() <= nowNs)
        {
            server.connection.onTimeout(nowNs);
        }
        client.connection.flush(nowNs);
        server.connection.flush(nowNs);
        return server.inbound.deliver(server.connection, nowNs) + client.inbound.deliver(client.connection, nowNs);
    }

    /** One endpoint: its connection, its listener state and the queue of datagrams addressed to it. */
    static final class Side implements QuicConnection.Listener
    {
        final Inbound inbound = new Inbound();
        QuicConnection connection;
        long received;
        boolean echo;
        private final ByteBuffer[] echoSrcs = new ByteBuffer[1];

        @Override
        public void onEstablished()
        {
        }

        @Override
        public void onStreamData(final ByteBuffer data)
        {
            received += data.remaining();
            if (echo)
            {
                echoSrcs[0] = data;
                while (data.hasRemaining())
                {
                    if (connection.write(echoSrcs, 1) == 0)
                    {
                        throw new IllegalStateException("the echo found the server's send buffer full");
                    }
                }
                echoSrcs[0] = null;
            }
            else
            {
                data.position(data.limit());
            }
        }

        @Override
        public void onStreamFin()
        {
        }

        @Override
        public void onWritable()
        {
        }

        @Override
        public void onClosed(final long errorCode, final String reason, final boolean byPeer)
        {
            throw new IllegalStateException("closed: 0x" + Long.toHexString(errorCode) + " " + reason +
                (byPeer ? " (by the peer)" : ""));
        }
    }

    /**
     * Datagrams on their way to one side: a fixed ring of slots, each a byte array and a heap
     * buffer over it, filled by the other side's {@link DatagramSink#send} (a copy: the sink's
     * buffer is valid only during the call) and emptied by {@link #deliver}. No allocation.
     */
    static final class Inbound implements DatagramSink
    {
        private static final int SLOTS = 4096;
        private static final int SLOT_SIZE = 2048;

        private final ByteBuffer[] slots = new ByteBuffer[SLOTS];
        private int head;
        private int count;

        Inbound()
        {
            for (int i = 0; i < SLOTS; i++)
            {
                slots[i] = ByteBuffer.wrap(new byte[SLOT_SIZE]);
            }
        }

        @Override
        public void send(final ByteBuffer datagram)
        {
            if (count == SLOTS)
            {
                throw new IllegalStateException("more than " + SLOTS + " datagrams in flight");
            }
            final ByteBuffer slot = slots[(head + count) & (SLOTS - 1)];
            slot.clear();
            slot.put(datagram);
            slot.flip();
            count++;
        }

        /** Hand every queued datagram to {@code to}, oldest first, including those queued meanwhile. */
        int deliver(final QuicConnection to, final long nowNs)
        {
            int delivered = 0;
            while (count > 0)
            {
                final ByteBuffer slot = slots[head];
                head = (head + 1) & (SLOTS - 1);
                count--;
                to.onDatagram(slot, nowNs);
                delivered++;
            }
            return delivered;
        }
    }
}
