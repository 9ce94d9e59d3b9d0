package io.ringbus.quic.conn;

import io.ringbus.quic.frame.FrameWriter;
import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.tls.TransportParameters;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.ringbus.quic.conn.TestNetwork.MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reassembly attack of issue 13 point 5 through a whole connection: 1-byte CRYPTO or STREAM
 * frames with gaps, highest offset first, used to grow the receive buffer's range array without
 * bound (and cost a whole-array copy each). Beyond the cap of disjoint ranges the connection
 * closes: CRYPTO_BUFFER_EXCEEDED for CRYPTO (RFC 9000 7.5), PROTOCOL_VIOLATION for STREAM (RFC
 * 9000 21.7, 21.9).
 */
class ReassemblyLimitTest
{
    /** 1-byte frames per packet: about 6 bytes each, within a 1200-byte Initial. */
    private static final int FRAMES_PER_PACKET = 150;
    private static final int PACKETS = 40;

    /** A payload of {@code count} 1-byte frames at odd offsets, descending from {@code top}. */
    private static byte[] gappedFrames(final boolean crypto, final long top, final int count)
    {
        final ByteBuffer out = ByteBuffer.allocate(count * 12);
        for (int i = 0; i < count; i++)
        {
            final long offset = top - 2L * i;
            final ByteBuffer one = ByteBuffer.wrap(new byte[] {(byte)offset});
            if (crypto)
            {
                FrameWriter.crypto(out, offset, one);
            }
            else
            {
                FrameWriter.stream(out, 0, offset, false, one);
            }
        }
        return Arrays.copyOf(out.array(), out.position());
    }

    @Test
    void fragmentedCryptoBeforeTheHandshakeIsCryptoBufferExceeded() throws QuicException
    {
        final TestNetwork net = new TestNetwork(130);
        final byte[] dcid = net.randomBytes(8);
        final byte[] scid = net.randomBytes(8);
        final TestPeer peer = new TestPeer("server", new TransportParameters());
        final List<byte[]> sent = new ArrayList<>();
        peer.connection = QuicConnection.server(QuicConnectionConfig.DEFAULT, net.randomBytes(8), dcid, scid,
            peer.params, listener -> new FakeTls(false, listener, peer.params, 100),
            datagram -> sent.add(new byte[datagram.remaining()]), peer);
        // anyone can compute the Initial keys: no handshake needed for this
        long top = 2L * FRAMES_PER_PACKET * PACKETS + 1;
        for (int p = 0; p < PACKETS && !peer.closed; p++)
        {
            peer.connection.onDatagram(ByteBuffer.wrap(Packets.clientInitial(dcid, scid, p,
                gappedFrames(true, top, FRAMES_PER_PACKET), 1200)), 0);
            top -= 2L * FRAMES_PER_PACKET;
        }
        assertTrue(peer.closed, () -> "still open after " + PACKETS * FRAMES_PER_PACKET + " gaps: " + peer);
        assertEquals(QuicException.CRYPTO_BUFFER_EXCEEDED, peer.closeCode, peer::toString);
        assertTrue(peer.closeReason.contains("disjoint ranges"), peer.closeReason);
        assertTrue(peer.connection.stats().packetsReceived() <= QuicConnectionConfig.DEFAULT.cryptoReceiveRanges() /
            FRAMES_PER_PACKET + 1, "closed at the packet that went over the cap: " + peer);
        peer.connection.flush(0);
        assertEquals(1, sent.size(), "the CONNECTION_CLOSE goes out in an Initial");
    }

    @Test
    void fragmentedStreamDataIsAProtocolViolation() throws QuicException
    {
        final TestNetwork net = new TestNetwork(131);
        assertTrue(net.handshake());
        long top = 2L * FRAMES_PER_PACKET * PACKETS + 1;
        long pn = 1000;
        for (int p = 0; p < PACKETS && !net.server.closed; p++)
        {
            net.inject(true, Packets.shortHeader(FakeTls.CLIENT_APP_SECRET, net.server.connection.localConnectionId(),
                pn++, gappedFrames(false, top, FRAMES_PER_PACKET)));
            top -= 2L * FRAMES_PER_PACKET;
        }
        assertTrue(net.server.closed, () -> "still open after " + PACKETS * FRAMES_PER_PACKET + " gaps: " + net.server);
        assertEquals(QuicException.PROTOCOL_VIOLATION, net.server.closeCode, net.server::toString);
        assertTrue(net.server.closeReason.contains("disjoint ranges"), net.server.closeReason);
        assertTrue(net.runUntil(() -> net.client.closed, 5_000 * MS), net.client::toString);
        assertEquals(QuicException.PROTOCOL_VIOLATION, net.client.closeCode);
    }

    @Test
    void lossyTransfersStayWellUnderTheCap()
    {
        // 20 % loss with reordering: many gaps, all of them filled by retransmissions
        final TestNetwork net = new TestNetwork(132);
        net.lossRate = 0.2;
        net.jitterNs = 20 * MS;
        assertTrue(net.handshake());
        final StreamPump pump = new StreamPump(net.client, 2_000_000);
        final StreamPump.Checker checker = new StreamPump.Checker();
        net.server.onData = checker::check;
        net.onStep = pump::pump;
        assertTrue(net.runUntil(() -> net.server.fin, 600_000 * MS), net.server::toString);
        assertEquals(2_000_000, checker.offset);
        assertFalse(net.server.closed || net.client.closed);
    }
}
