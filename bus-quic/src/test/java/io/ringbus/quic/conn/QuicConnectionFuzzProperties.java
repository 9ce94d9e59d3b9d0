package io.ringbus.quic.conn;

import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.tls.TransportParameters;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.nio.ByteBuffer;
import java.util.List;

import static io.ringbus.quic.conn.TestNetwork.MS;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile input never escapes {@link QuicConnection#onDatagram} as an exception, and never ends in
 * an INTERNAL_ERROR (which would mean a RuntimeException was caught inside).
 */
class QuicConnectionFuzzProperties
{
    private static byte[] bytes(final List<Byte> list)
    {
        final byte[] out = new byte[list.size()];
        for (int i = 0; i < out.length; i++)
        {
            out[i] = list.get(i);
        }
        return out;
    }

    private static void assertNoInternalError(final TestPeer peer)
    {
        // a random payload may be a CONNECTION_CLOSE carrying INTERNAL_ERROR: that is the peer's word, not ours
        if (!peer.closedByPeer)
        {
            assertNotEquals(QuicException.INTERNAL_ERROR, peer.closeCode, peer::toString);
        }
    }

    @Property(tries = 300)
    void randomDatagramsAtAFreshServer(@ForAll @Size(max = 1500) final List<Byte> datagram,
        @ForAll final boolean longHeader)
    {
        final TestNetwork net = new TestNetwork(7);
        final byte[] bytes = bytes(datagram);
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

    @Property(tries = 300)
    void randomFramesInAValidClientInitial(@ForAll @Size(min = 1, max = 1100) final List<Byte> payload)
        throws QuicException
    {
        final TestNetwork net = new TestNetwork(8);
        final byte[] dcid = net.randomBytes(8);
        final byte[] scid = net.randomBytes(8);
        final TestPeer peer = new TestPeer("server", new TransportParameters());
        peer.connection = QuicConnection.server(QuicConnectionConfig.DEFAULT, net.randomBytes(8), dcid, scid, peer.params,
            listener -> new FakeTls(false, listener, peer.params, 100), datagram -> { }, peer);
        peer.connection.onDatagram(ByteBuffer.wrap(Packets.clientInitial(dcid, scid, 0, bytes(payload), 1200)), 0);
        peer.connection.flush(0);
        assertNoInternalError(peer);
    }

    /** A handshaken pair shared by the tries that need one; replaced once closed. */
    private TestNetwork established;
    private long packetNumber = 10_000;

    private TestNetwork established()
    {
        if (established == null || established.server.closed || established.client.closed)
        {
            established = new TestNetwork(9);
            assertTrue(established.handshake());
            established.client.write(ByteBuffer.allocate(100));
            assertTrue(established.runUntil(() -> established.server.received == 100, 5_000 * MS));
        }
        return established;
    }

    @Property(tries = 200)
    void randomFramesInValidOneRttPackets(@ForAll @Size(min = 1, max = 1100) final List<Byte> payload,
        @ForAll final boolean toServer) throws QuicException
    {
        final TestNetwork net = established();
        final TestPeer target = toServer ? net.server : net.client;
        net.inject(toServer, Packets.shortHeader(toServer ? FakeTls.CLIENT_APP_SECRET : FakeTls.SERVER_APP_SECRET,
            target.connection.localConnectionId(), packetNumber++, bytes(payload)));
        net.runUntil(() -> false, 50 * MS);
        assertNoInternalError(net.client);
        assertNoInternalError(net.server);
    }

    @Property(tries = 100)
    void mutatedDatagramsOfARealExchange(@ForAll @IntRange(min = 0, max = 30) final int which,
        @ForAll @IntRange(min = 0, max = 1199) final int position, @ForAll final byte xor,
        @ForAll @IntRange(min = 0, max = 1200) final int truncateTo)
    {
        final TestNetwork net = new TestNetwork(11);
        final int[] count = {0};
        net.mutator = (fromClient, datagram) ->
        {
            if (count[0]++ != which)
            {
                return datagram;
            }
            final byte[] mutated = java.util.Arrays.copyOf(datagram, Math.min(datagram.length, Math.max(1, truncateTo)));
            mutated[position % mutated.length] ^= xor == 0 ? 1 : xor;
            return mutated;
        };
        final StreamPump pump = new StreamPump(net.client, 20_000);
        net.onStep = pump::pump;
        net.runUntil(() -> net.server.fin, 120_000 * MS);
        assertNoInternalError(net.client);
        assertNoInternalError(net.server);
        assertTrue(net.server.fin || net.server.closed || net.client.closed, () -> net.client + " / " + net.server);
    }
}
