package io.ringbus.quic.conn;

import io.ringbus.quic.frame.FrameVisitor;
import io.ringbus.quic.packet.QuicException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static io.ringbus.quic.conn.TestNetwork.MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Several frames per packet and packets of the full datagram size (issue 16 point 6). */
class PacketBatchingTest
{
    private static final int KIB_64 = 64 << 10;

    /** What one client 1-RTT datagram carried. */
    static final class Frames implements FrameVisitor
    {
        final int length;
        final List<long[]> streams = new ArrayList<>();
        boolean ack;
        boolean ping;
        boolean maxData;
        boolean maxStreamData;

        Frames(final int length)
        {
            this.length = length;
        }

        @Override
        public void onPing()
        {
            ping = true;
        }

        @Override
        public void onAck(final long ackDelay, final long[] ranges, final int rangeCount, final boolean ecn,
            final long ect0, final long ect1, final long ce)
        {
            ack = true;
        }

        @Override
        public void onStream(final long streamId, final long offset, final boolean fin, final ByteBuffer data)
        {
            streams.add(new long[] {offset, data.remaining()});
            data.position(data.limit());
        }

        @Override
        public void onMaxData(final long maximum)
        {
            maxData = true;
        }

        @Override
        public void onMaxStreamData(final long streamId, final long maximum)
        {
            maxStreamData = true;
        }
    }

    /** The frames of the client's 1-RTT datagrams recorded so far (those that open with the 1-RTT keys). */
    static List<Frames> clientFrames(final TestNetwork net, final int from) throws QuicException
    {
        final List<Frames> frames = new ArrayList<>();
        for (int i = from; i < net.clientDatagrams.size(); i++)
        {
            final byte[] datagram = net.clientDatagrams.get(i);
            final Frames f = new Frames(datagram.length);
            if (Packets.readShortHeader(datagram, FakeTls.CLIENT_APP_SECRET, 8, true, f))
            {
                frames.add(f);
            }
        }
        return frames;
    }

    private static TestNetwork network(final long seed, final boolean pathMtuDiscovery)
    {
        final QuicConnectionConfig config = QuicConnectionConfig.builder().pathMtuDiscovery(pathMtuDiscovery).build();
        return new TestNetwork(seed, config, 30_000, 2000);
    }

    @ParameterizedTest(name = "path MTU discovery {0}")
    @ValueSource(booleans = {false, true})
    void aSixtyFourKibWriteGoesOutInFullSizePackets(final boolean pathMtuDiscovery) throws QuicException
    {
        final TestNetwork net = network(61, pathMtuDiscovery);
        assertTrue(net.handshake());
        // settle the path MTU first (one probe on this path, acknowledged)
        assertTrue(net.runUntil(() -> !net.client.connection.pathMtu().isSearching(), 10_000 * MS));
        final int size = net.client.connection.datagramSizeBytes();
        assertEquals(pathMtuDiscovery ? QuicConnectionConfig.DEFAULT_MAX_UDP_PAYLOAD_BYTES : 1200, size);
        net.record = true;
        assertEquals(KIB_64, net.client.write(ByteBuffer.allocate(KIB_64)));
        assertTrue(net.runUntil(() -> net.server.received == KIB_64, 60_000 * MS));

        final List<Frames> data = new ArrayList<>();
        long streamBytes = 0;
        for (final Frames f : clientFrames(net, 0))
        {
            if (!f.streams.isEmpty())
            {
                data.add(f);
                for (final long[] range : f.streams)
                {
                    streamBytes += range[1];
                }
            }
        }
        assertEquals(KIB_64, streamBytes, "no byte sent twice on a lossless path");
        for (int i = 0; i < data.size() - 1; i++)
        {
            assertEquals(size, data.get(i).length, "datagram " + i + " of " + data.size() + " is full");
        }
        // 1-RTT overhead: 1 + 8 (connection id) + at most 4 (packet number) + 16 (tag); STREAM frame
        // header at most 1 + 1 + 4 + 2; an ACK riding along takes a few bytes more
        final int payload = size - 29 - 8;
        final int ideal = (KIB_64 + payload - 1) / payload;
        assertTrue(data.size() <= ideal + 1, data.size() + " packets for 64 KiB, ideal " + ideal);
        System.out.println("64 KiB write at " + size + " B datagrams: " + data.size() + " packets (ideal " + ideal + ")");
    }

    @Test
    void aShortLostRangeIsResentWithNewBytesInOneFullPacket() throws QuicException
    {
        final TestNetwork net = network(62, false);
        assertTrue(net.handshake());
        net.record = true;
        final boolean[] dropped = {false};
        final int[] droppedAt = {-1};
        net.dropFilter = (fromClient, datagram) ->
        {
            if (!fromClient || dropped[0])
            {
                return false;
            }
            final byte[] bytes = new byte[datagram.remaining()];
            datagram.duplicate().get(bytes);
            final Frames f = new Frames(bytes.length);
            try
            {
                Packets.readShortHeader(bytes, FakeTls.CLIENT_APP_SECRET, 8, true, f);
            }
            catch (final QuicException ex)
            {
                throw new AssertionError(ex);
            }
            dropped[0] = !f.streams.isEmpty() && f.streams.get(0)[0] == 0; // the first 100 bytes: lost once
            droppedAt[0] = net.clientDatagrams.size() - 1;
            return dropped[0];
        };
        assertEquals(100, net.client.write(ByteBuffer.allocate(100)));
        net.client.connection.flush(net.nowNs);
        assertTrue(dropped[0]);
        assertEquals(KIB_64, net.client.write(ByteBuffer.allocate(KIB_64)));
        assertTrue(net.runUntil(() -> net.server.received == KIB_64 + 100, 60_000 * MS));

        Frames resend = null;
        for (final Frames f : clientFrames(net, droppedAt[0] + 1))
        {
            for (final long[] range : f.streams)
            {
                if (range[0] == 0)
                {
                    resend = f;
                }
            }
        }
        assertTrue(resend != null, "the lost range was sent again");
        assertTrue(resend.streams.size() >= 2, "the resent range has new bytes beside it: " + resend.streams.size());
        assertTrue(resend.streams.get(1)[0] >= 100, "then new bytes");
        assertEquals(1200, resend.length, "the packet is full");
    }

    @Test
    void anAckFlowControlAndStreamDataShareOnePacket() throws QuicException
    {
        final QuicConnectionConfig config = QuicConnectionConfig.builder().streamWindowBytes(4096)
            .connectionWindowBytes(4096).pathMtuDiscovery(false).build();
        final TestNetwork net = new TestNetwork(63, config, 30_000, 500);
        assertTrue(net.handshake());
        // the client opens the stream, then the server answers with 3000 bytes: the client owes an
        // ACK (two ack-eliciting packets), MAX_DATA and MAX_STREAM_DATA (over half its window read),
        // and writes 500 bytes the moment the data arrives
        assertEquals(1, net.client.write(ByteBuffer.allocate(1)));
        assertTrue(net.runUntil(() -> net.server.received == 1, 10_000 * MS));
        assertTrue(net.runUntil(() -> net.client.connection.stats().packetsLost() == 0 &&
            !net.client.connection.pathMtu().isSearching(), 10_000 * MS));
        final int[] at = {-1};
        net.record = true;
        net.client.onData = data ->
        {
            data.position(data.limit());
            if (at[0] < 0 && net.client.received >= 3000)
            {
                at[0] = net.clientDatagrams.size();
                assertEquals(500, net.client.write(ByteBuffer.allocate(500)));
            }
        };
        assertEquals(3000, net.server.write(ByteBuffer.allocate(3000)));
        assertTrue(net.runUntil(() -> net.server.received == 501, 10_000 * MS));
        assertTrue(at[0] >= 0);
        final List<Frames> next = clientFrames(net, at[0]);
        final Frames first = next.get(0);
        assertTrue(first.ack, "an ACK");
        assertTrue(first.maxData, "MAX_DATA");
        assertTrue(first.maxStreamData, "MAX_STREAM_DATA");
        assertEquals(1, first.streams.size(), "the STREAM frame");
        assertEquals(500, first.streams.get(0)[1]);
    }
}
