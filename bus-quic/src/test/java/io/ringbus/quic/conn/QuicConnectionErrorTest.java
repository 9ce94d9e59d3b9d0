package io.ringbus.quic.conn;

import io.ringbus.quic.frame.FrameType;
import io.ringbus.quic.frame.FrameVisitor;
import io.ringbus.quic.frame.FrameWriter;
import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.packet.VarInt;
import io.ringbus.quic.tls.TransportParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.ringbus.quic.conn.TestNetwork.MS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the peer may not do, and how each is answered (RFC 9000 section 20.1 codes). */
class QuicConnectionErrorTest
{
    private static long pn = 5000;

    private static byte[] frame(final java.util.function.Consumer<ByteBuffer> writer)
    {
        final ByteBuffer out = ByteBuffer.allocate(256);
        writer.accept(out);
        return Arrays.copyOf(out.array(), out.position());
    }

    private static byte[] streamFrame(final long streamId, final long offset, final boolean fin, final int length)
    {
        return frame(out -> FrameWriter.stream(out, streamId, offset, fin, ByteBuffer.allocate(length)));
    }

    /** A handshaken pair; the client has opened the stream with 10 bytes. */
    private static TestNetwork established(final long seed)
    {
        final TestNetwork net = new TestNetwork(seed);
        assertTrue(net.handshake());
        net.client.write(ByteBuffer.allocate(10));
        assertTrue(net.runUntil(() -> net.server.received == 10, 5_000 * MS));
        return net;
    }

    /** Inject a 1-RTT packet from the client carrying {@code payload}; the server must close with {@code code}. */
    private static void expectServerCloses(final TestNetwork net, final byte[] payload, final long code)
        throws QuicException
    {
        net.inject(true, Packets.shortHeader(FakeTls.CLIENT_APP_SECRET, net.server.connection.localConnectionId(), pn++,
            payload));
        assertTrue(net.server.closed, net.server::toString);
        assertEquals(code, net.server.closeCode, net.server::toString);
        assertFalse(net.server.closedByPeer);
        assertEquals(ConnectionState.CLOSING, net.server.connection.state());
        assertTrue(net.runUntil(() -> net.client.closed, 5_000 * MS), net.client::toString);
        assertEquals(code, net.client.closeCode, "the CONNECTION_CLOSE carries the code");
        assertTrue(net.client.closedByPeer);
        assertEquals(net.server.closeReason, net.client.closeReason);
        assertEquals(ConnectionState.DRAINING, net.client.connection.state());
        assertTrue(net.runUntil(() -> net.client.connection.state() == ConnectionState.CLOSED &&
            net.server.connection.state() == ConnectionState.CLOSED, 60_000 * MS));
    }

    @ParameterizedTest(name = "stream {0} -> 0x{1}")
    @CsvSource({
        "4, 04",  // a second client-initiated bidirectional stream: over the limit of 1
        "2, 04",  // a client-initiated unidirectional stream: the limit is 0
        "1, 05",  // a server-initiated stream the server never opened
        "3, 05"})
    void streamsOtherThanZeroAreRefused(final long streamId, final String code) throws QuicException
    {
        final TestNetwork net = established(10 + streamId);
        expectServerCloses(net, streamFrame(streamId, 0, false, 5), Long.parseLong(code, 16));
    }

    @Test
    void maxStreamDataForAnotherStreamIsRefused() throws QuicException
    {
        final TestNetwork net = established(20);
        expectServerCloses(net, frame(out -> FrameWriter.maxStreamData(out, 8, 100)), QuicException.STREAM_LIMIT_ERROR);
    }

    @Test
    void dataBeyondTheWindowIsAFlowControlError() throws QuicException
    {
        final TestNetwork net = established(21);
        expectServerCloses(net, streamFrame(0, (1 << 20) - 2, false, 5), QuicException.FLOW_CONTROL_ERROR);
    }

    @Test
    void dataBeyondTheFinalSizeIsAFinalSizeError() throws QuicException
    {
        final TestNetwork net = established(22);
        net.inject(true, Packets.shortHeader(FakeTls.CLIENT_APP_SECRET, net.server.connection.localConnectionId(), pn++,
            streamFrame(0, 10, true, 10)));
        assertFalse(net.server.closed);
        expectServerCloses(net, streamFrame(0, 20, false, 5), QuicException.FINAL_SIZE_ERROR);
    }

    @Test
    void aFinBelowReceivedDataIsAFinalSizeError() throws QuicException
    {
        final TestNetwork net = established(23);
        expectServerCloses(net, streamFrame(0, 0, true, 5), QuicException.FINAL_SIZE_ERROR);
    }

    @Test
    void retiringAnUnknownConnectionIdIsAProtocolViolation() throws QuicException
    {
        final TestNetwork net = established(24);
        expectServerCloses(net, frame(out -> FrameWriter.retireConnectionId(out, 7)), QuicException.PROTOCOL_VIOLATION);
    }

    @Test
    void handshakeDoneOrNewTokenToAServerIsAProtocolViolation() throws QuicException
    {
        expectServerCloses(established(25), new byte[] {FrameType.HANDSHAKE_DONE}, QuicException.PROTOCOL_VIOLATION);
        expectServerCloses(established(26), new byte[] {FrameType.NEW_TOKEN, 1, 9}, QuicException.PROTOCOL_VIOLATION);
    }

    @Test
    void anUnknownFrameIsAFrameEncodingError() throws QuicException
    {
        // DATAGRAM (RFC 9221) is not negotiated: an unknown frame type
        expectServerCloses(established(27), new byte[] {0x30, 1, 2, 3}, QuicException.FRAME_ENCODING_ERROR);
    }

    @Test
    void resetStreamClosesTheConnectionWithTheApplicationCode() throws QuicException
    {
        final TestNetwork net = established(28);
        net.inject(true, Packets.shortHeader(FakeTls.CLIENT_APP_SECRET, net.server.connection.localConnectionId(), pn++,
            frame(out -> FrameWriter.resetStream(out, 0, 77, 10))));
        assertTrue(net.server.closed);
        assertEquals(77, net.server.closeCode);
        assertTrue(net.server.closeReason.contains("RESET_STREAM"), net.server.closeReason);
        assertTrue(net.runUntil(() -> net.client.closed, 5_000 * MS));
        assertEquals(77, net.client.closeCode);
    }

    @Test
    void streamDataForAStreamTheClientHasNotOpenedIsAStreamStateError() throws QuicException
    {
        final TestNetwork net = new TestNetwork(29);
        assertTrue(net.handshake());
        net.inject(false, Packets.shortHeader(FakeTls.SERVER_APP_SECRET, net.client.connection.localConnectionId(), pn++,
            streamFrame(0, 0, false, 5)));
        assertTrue(net.client.closed);
        assertEquals(QuicException.STREAM_STATE_ERROR, net.client.closeCode);
    }

    @Test
    void aMisplacedFrameInAnInitialPacketIsAProtocolViolation() throws QuicException
    {
        final TestNetwork net = new TestNetwork(30);
        final byte[] dcid = net.randomBytes(8);
        final byte[] scid = net.randomBytes(8);
        final TestPeer peer = new TestPeer("server", new TransportParameters());
        final List<byte[]> sent = new ArrayList<>();
        peer.connection = QuicConnection.server(QuicConnectionConfig.DEFAULT, net.randomBytes(8), dcid, scid, peer.params,
            listener -> new FakeTls(false, listener, peer.params, 100), datagram -> sent.add(new byte[datagram.remaining()]),
            peer);
        peer.connection.onDatagram(ByteBuffer.wrap(Packets.clientInitial(dcid, scid, 0, streamFrame(0, 0, false, 10), 1200)),
            0);
        assertTrue(peer.closed);
        assertEquals(QuicException.PROTOCOL_VIOLATION, peer.closeCode);
        assertTrue(peer.closeReason.contains("STREAM frame not permitted in a INITIAL packet"), peer.closeReason);
        peer.connection.flush(0);
        assertEquals(1, sent.size(), "the CONNECTION_CLOSE goes out in an Initial");
        assertTrue(sent.get(0).length <= 3 * 1200);
    }

    @Test
    void aClientInitialInADatagramUnder1200BytesIsDropped() throws QuicException
    {
        final TestNetwork net = new TestNetwork(31);
        final byte[] dcid = net.randomBytes(8);
        final byte[] scid = net.randomBytes(8);
        final TestPeer peer = new TestPeer("server", new TransportParameters());
        final List<byte[]> sent = new ArrayList<>();
        peer.connection = QuicConnection.server(QuicConnectionConfig.DEFAULT, net.randomBytes(8), dcid, scid, peer.params,
            listener -> new FakeTls(false, listener, peer.params, 100), datagram -> sent.add(new byte[datagram.remaining()]),
            peer);
        final TransportParameters clientParams = new TransportParameters();
        clientParams.initialSourceConnectionId = scid;
        final byte[] hello = FakeTls.message(FakeTls.CLIENT_HELLO, FakeTls.encode(clientParams));
        final byte[] crypto = frame(out -> FrameWriter.crypto(out, 0, ByteBuffer.wrap(hello)));
        peer.connection.onDatagram(ByteBuffer.wrap(Packets.clientInitial(dcid, scid, 0, crypto, 1199)), 0);
        peer.connection.flush(0);
        assertTrue(sent.isEmpty());
        assertEquals(1, peer.connection.stats().packetsDropped());
        assertEquals(0, peer.connection.stats().packetsReceived());
        peer.connection.onDatagram(ByteBuffer.wrap(Packets.clientInitial(dcid, scid, 1, crypto, 1200)), 0);
        peer.connection.flush(0);
        assertEquals(1, peer.connection.stats().packetsReceived());
        assertFalse(sent.isEmpty(), "a 1200-byte Initial is answered");
        assertFalse(peer.closed);
    }

    @Test
    void mismatchedTransportParametersAreATransportParameterError()
    {
        final TestNetwork net = new TestNetwork(32);
        // the client claims another initial_source_connection_id than its packets carry
        net.client.params.initialSourceConnectionId = new byte[] {1, 2, 3, 4};
        net.runUntil(() -> net.server.closed, 10_000 * MS);
        assertEquals(QuicException.TRANSPORT_PARAMETER_ERROR, net.server.closeCode, net.server::toString);
        assertTrue(net.runUntil(() -> net.client.closed, 10_000 * MS), net.client::toString);
        assertEquals(QuicException.TRANSPORT_PARAMETER_ERROR, net.client.closeCode);
    }

    @Test
    void theClientChecksTheServersOriginalDestinationConnectionId()
    {
        final TestNetwork net = new TestNetwork(33);
        net.server.params.originalDestinationConnectionId = new byte[] {1, 2, 3, 4, 5, 6, 7, 8};
        net.runUntil(() -> net.client.closed, 10_000 * MS);
        assertEquals(QuicException.TRANSPORT_PARAMETER_ERROR, net.client.closeCode, net.client::toString);
        assertTrue(net.client.closeReason.contains("original_destination_connection_id"), net.client.closeReason);
    }

    @Test
    void newConnectionIdWithRetirePriorToSwitchesTheDestinationAndRetires() throws QuicException
    {
        final TestNetwork net = established(34);
        final byte[] newCid = {9, 8, 7, 6, 5, 4, 3, 2};
        net.inject(false, Packets.shortHeader(FakeTls.SERVER_APP_SECRET, net.client.connection.localConnectionId(), pn++,
            frame(out -> FrameWriter.newConnectionId(out, 1, 1, newCid, new byte[16]))));
        assertFalse(net.client.closed, net.client::toString);
        net.record = true;
        net.client.connection.flush(net.nowNs);
        assertEquals(1, net.clientDatagrams.size());
        final byte[] datagram = net.clientDatagrams.get(0);
        assertArrayEquals(newCid, Arrays.copyOfRange(datagram, 1, 9), "short header DCID is the new connection id");
    }

    @Test
    void tooManyConnectionIdsIsAConnectionIdLimitError() throws QuicException
    {
        final TestNetwork net = established(35);
        // active_connection_id_limit defaults to 2: the handshake id plus one more
        net.inject(false, Packets.shortHeader(FakeTls.SERVER_APP_SECRET, net.client.connection.localConnectionId(), pn++,
            frame(out ->
            {
                FrameWriter.newConnectionId(out, 1, 0, new byte[] {1, 1, 1, 1}, new byte[16]);
                FrameWriter.newConnectionId(out, 2, 0, new byte[] {2, 2, 2, 2}, new byte[16]);
            })));
        assertTrue(net.client.closed);
        assertEquals(QuicException.CONNECTION_ID_LIMIT_ERROR, net.client.closeCode);
    }

    @Test
    void pathChallengeIsAnsweredWithPathResponse() throws QuicException
    {
        final TestNetwork net = established(36);
        net.inject(true, Packets.shortHeader(FakeTls.CLIENT_APP_SECRET, net.server.connection.localConnectionId(), pn++,
            frame(out -> out.put((byte)FrameType.PATH_CHALLENGE).putLong(0x1122334455667788L))));
        net.record = true;
        net.server.connection.flush(net.nowNs);
        final long[] response = {0};
        for (final byte[] datagram : net.serverDatagrams)
        {
            Packets.readShortHeader(datagram, FakeTls.SERVER_APP_SECRET, 8, false, new FrameVisitor()
            {
                @Override
                public void onPathResponse(final long data)
                {
                    response[0] = data;
                }
            });
        }
        assertEquals(0x1122334455667788L, response[0]);
    }

    @Test
    void blockedSenderSignalsStreamDataBlocked() throws QuicException
    {
        final QuicConnectionConfig config = QuicConnectionConfig.builder().streamWindowBytes(4096)
            .connectionWindowBytes(8192).build();
        final TestNetwork net = new TestNetwork(37, config, 30_000, 500);
        assertTrue(net.handshake());
        assertEquals(4096, net.client.write(ByteBuffer.allocate(10_000)));
        net.record = true;
        net.client.connection.flush(net.nowNs);
        final long[] blocked = {-1};
        for (final byte[] datagram : net.clientDatagrams)
        {
            Packets.readShortHeader(datagram, FakeTls.CLIENT_APP_SECRET, 8, true, new FrameVisitor()
            {
                @Override
                public void onStreamDataBlocked(final long streamId, final long limit)
                {
                    blocked[0] = limit;
                }
            });
        }
        assertEquals(4096, blocked[0]);
    }

    @Test
    void varIntHelperSanity()
    {
        assertEquals(2, VarInt.length(100));
    }
}
