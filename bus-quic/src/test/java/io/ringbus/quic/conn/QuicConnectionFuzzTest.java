package io.ringbus.quic.conn;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.tls.TransportParameters;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

import static io.ringbus.quic.conn.TestNetwork.MS;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Hostile datagrams at a fresh server connection never escape {@link QuicConnection#onDatagram} as an
 * exception, and never end in an INTERNAL_ERROR (which would mean a RuntimeException was caught inside).
 * The first input byte picks the case: bit 0 clear, the rest is a raw datagram (bit 1: forced to a
 * version 1 long header, else to a short header); bit 0 set, the rest is the frame payload of a
 * valid client Initial packet.
 */
class QuicConnectionFuzzTest
{
    @FuzzTest(maxDuration = "60s")
    void datagramAtAServer(final byte[] input) throws QuicException
    {
        if (input.length == 0)
        {
            return;
        }
        final byte[] rest = Arrays.copyOfRange(input, 1, input.length);
        if ((input[0] & 1) == 0)
        {
            randomDatagramAtAFreshServer(rest, (input[0] & 2) != 0);
        }
        else if (rest.length > 0)
        {
            framesInAValidClientInitial(rest);
        }
    }

    /** Random datagrams of up to 1500 bytes, as the former property sent them. */
    @Test
    void randomDatagramsAtAFreshServer()
    {
        final Random random = new Random(7);
        for (int i = 0; i < 300; i++)
        {
            final byte[] datagram = new byte[random.nextInt(1501)];
            random.nextBytes(datagram);
            randomDatagramAtAFreshServer(datagram, random.nextBoolean());
        }
    }

    /** Random frame payloads of 1 to 1100 bytes in a valid client Initial, as the former property sent them. */
    @Test
    void randomFramesInAValidClientInitial() throws QuicException
    {
        final Random random = new Random(8);
        for (int i = 0; i < 300; i++)
        {
            final byte[] payload = new byte[1 + random.nextInt(1100)];
            random.nextBytes(payload);
            framesInAValidClientInitial(payload);
        }
    }

    private static void randomDatagramAtAFreshServer(final byte[] bytes, final boolean longHeader)
    {
        final TestNetwork net = new TestNetwork(7);
        if (bytes.length > 0)
        {
            bytes[0] = (byte)(longHeader ? (bytes[0] | 0xC0) : ((bytes[0] & 0x7F) | 0x40));
        }
        if (bytes.length > 6 && longHeader)
        {
            bytes[1] = 0;
            bytes[2] = 0;
            bytes[3] = 0;
            bytes[4] = 1; // version 1, to reach the header parser and the keys
        }
        net.inject(true, bytes);
        net.server.connection.flush(net.nowNs);
        net.server.connection.onTimeout(net.nowNs + 1000 * MS);
        assertNoInternalError(net.server);
    }

    private static void framesInAValidClientInitial(final byte[] payload) throws QuicException
    {
        final TestNetwork net = new TestNetwork(8);
        final byte[] dcid = net.randomBytes(8);
        final byte[] scid = net.randomBytes(8);
        final TestPeer peer = new TestPeer("server", new TransportParameters());
        peer.connection = QuicConnection.server(QuicConnectionConfig.DEFAULT, net.randomBytes(8), dcid, scid, peer.params,
            listener -> new FakeTls(false, listener, peer.params, 100), datagram -> { }, peer);
        peer.connection.onDatagram(ByteBuffer.wrap(Packets.clientInitial(dcid, scid, 0, payload, 1200)), 0);
        peer.connection.flush(0);
        assertNoInternalError(peer);
    }

    static void assertNoInternalError(final TestPeer peer)
    {
        // a random payload may be a CONNECTION_CLOSE carrying INTERNAL_ERROR: that is the peer's word, not ours
        if (!peer.closedByPeer)
        {
            assertNotEquals(QuicException.INTERNAL_ERROR, peer.closeCode, peer::toString);
        }
    }
}
