package io.ringbus.quic.conn;

import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.tls.QuicTls;
import io.ringbus.quic.tls.QuicTlsConfig;
import io.ringbus.quic.tls.TransportParameters;
import io.ringbus.tls.SelfSignedCertificate;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.security.cert.X509Certificate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The receive path of an established connection allocates nothing per packet (issue 16 point 5):
 * a client and a server back to back with the real TLS 1.3 engine and ChaCha20-Poly1305 (the suite
 * whose packet protection allocates nothing; the JDK's AES-GCM allocates in Cipher.init), the
 * client streaming to the server. Only the bytes allocated inside {@link QuicConnection#onDatagram}
 * are counted, on both sides: packet parsing, unprotection, frame reading and dispatch, stream
 * reassembly, ACK ranges on the server; ACK processing on the client. Counted with
 * {@link com.sun.management.ThreadMXBean#getThreadAllocatedBytes} after a warm-up; the bound
 * allows JIT noise only, far below a byte per packet.
 */
class ReceivePathAllocationTest
{
    private static final int CHUNK = 1000;
    private static final int WARM_UP_ROUNDS = 3_000;
    private static final int ROUNDS = 3_000;
    private static final long NOISE_BYTES = 16 * 1024;
    private static final int MAX_PASSES = 100_000;

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
    private final Side client = new Side();
    private final Side server = new Side();
    private final ByteBuffer payload = ByteBuffer.allocateDirect(CHUNK);
    private final ByteBuffer[] srcs = {payload};
    private long receiveAllocatedBytes;
    private long datagramsReceived;

    @Test
    void anEstablishedConnectionReceivesStreamDataAndAcksWithoutAllocating()
    {
        final SelfSignedCertificate certificate = SelfSignedCertificate.generate();
        final QuicTlsConfig serverTls = QuicTlsConfig.builder()
            .keyMaterial(new X509Certificate[] {certificate.certificate()}, certificate.privateKey())
            .cipherSuites(CipherSuite.CHACHA20_POLY1305_SHA256)
            .build();
        final QuicTlsConfig clientTls = QuicTlsConfig.builder()
            .trust(certificate.certificate())
            .cipherSuites(CipherSuite.CHACHA20_POLY1305_SHA256)
            .build();
        final byte[] clientCid = {1, 2, 3, 4, 5, 6, 7, 8};
        final byte[] serverCid = {9, 10, 11, 12, 13, 14, 15, 16};
        final byte[] initialDcid = {17, 18, 19, 20, 21, 22, 23, 24};
        final TransportParameters clientParams = parameters();
        final TransportParameters serverParams = parameters();
        client.connection = QuicConnection.client(QuicConnectionConfig.DEFAULT, clientCid, initialDcid, clientParams,
            listener -> QuicTls.client(clientTls, "localhost", clientParams, listener), server.inbound, client);
        server.connection = QuicConnection.server(QuicConnectionConfig.DEFAULT, serverCid, initialDcid, clientCid,
            serverParams, listener -> QuicTls.server(serverTls, serverParams, listener), client.inbound, server);
        for (int pass = 0; pass < MAX_PASSES && !(client.connection.isEstablished() &&
            server.connection.isEstablished()); pass++)
        {
            pump();
        }
        assertTrue(client.connection.isEstablished() && server.connection.isEstablished(), "no handshake");
        // both ends offer ChaCha20-Poly1305 only: the 1-RTT packets are protected with it

        for (int round = 0; round < WARM_UP_ROUNDS; round++)
        {
            sendChunk();
        }
        receiveAllocatedBytes = 0;
        datagramsReceived = 0;
        client.allocatedBytes = 0;
        server.allocatedBytes = 0;
        for (int round = 0; round < ROUNDS; round++)
        {
            sendChunk();
        }
        assertTrue(datagramsReceived >= ROUNDS, datagramsReceived + " datagrams");
        assertTrue(receiveAllocatedBytes < NOISE_BYTES, receiveAllocatedBytes + " bytes allocated receiving " +
            datagramsReceived + " datagrams (client " + client.allocatedBytes + ", server " + server.allocatedBytes + ")");
        assertTrue(!client.connection.isClosed() && !server.connection.isClosed());
    }

    private static TransportParameters parameters()
    {
        final TransportParameters params = new TransportParameters();
        params.maxIdleTimeoutMs = 3_600_000;
        params.disableActiveMigration = true;
        return params;
    }

    /** One chunk written by the client, delivered to the server, and the ACKs back, until quiet. */
    private void sendChunk()
    {
        payload.clear();
        final long target = server.received + CHUNK;
        for (int pass = 0; payload.hasRemaining() && pass < MAX_PASSES; pass++)
        {
            if (client.connection.write(srcs, 1) == 0)
            {
                pump();
            }
        }
        for (int pass = 0; (server.received < target || pump() > 0) && pass < MAX_PASSES; pass++)
        {
            pump();
        }
        assertEquals(target, server.received);
    }

    /** Timers, flushes and delivery of every queued datagram; returns the datagrams moved. */
    private int pump()
    {
        final long nowNs = System.nanoTime();
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
        return deliver(server, nowNs) + deliver(client, nowNs);
    }

    private int deliver(final Side to, final long nowNs)
    {
        int delivered = 0;
        while (to.inbound.count > 0)
        {
            final ByteBuffer slot = to.inbound.take();
            final long before = threads.getCurrentThreadAllocatedBytes();
            to.connection.onDatagram(slot, nowNs);
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            receiveAllocatedBytes += allocated;
            to.allocatedBytes += allocated;
            datagramsReceived++;
            delivered++;
        }
        return delivered;
    }

    /** One end: its connection, a listener that consumes stream data without allocating, its inbound datagrams. */
    private static final class Side implements QuicConnection.Listener
    {
        final Inbound inbound = new Inbound();
        QuicConnection connection;
        long received;
        long allocatedBytes;

        @Override
        public void onEstablished()
        {
        }

        @Override
        public void onStreamData(final ByteBuffer data)
        {
            received += data.remaining();
            data.position(data.limit());
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
        }
    }

    /** A ring of pre-allocated datagram slots, filled by copy (the sink's buffer is valid only during the call). */
    private static final class Inbound implements DatagramSink
    {
        private static final int SLOTS = 1024;
        private final ByteBuffer[] slots = new ByteBuffer[SLOTS];
        private int head;
        private int count;

        Inbound()
        {
            for (int i = 0; i < SLOTS; i++)
            {
                slots[i] = ByteBuffer.wrap(new byte[2048]);
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

        ByteBuffer take()
        {
            final ByteBuffer slot = slots[head];
            head = (head + 1) & (SLOTS - 1);
            count--;
            return slot;
        }
    }
}
