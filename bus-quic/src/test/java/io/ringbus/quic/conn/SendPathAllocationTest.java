package io.ringbus.quic.conn;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-packet bookkeeping of the send path allocates nothing in steady state (issue 16 point 5
 * for QUIC's send side): the sent-packet records (pooled), the loss detector's rings, the send
 * buffer's ranges (acknowledged out of order, lost and resent), NewReno and path MTU discovery.
 * Packet protection (AES-GCM) is not part of it: another part of issue 16 owns that.
 */
class SendPathAllocationTest
{
    private static final int PAYLOAD = 1160;
    private static final int APPLICATION = LossDetector.APPLICATION;

    /** Acknowledgements and losses go back to the send buffer, as PacketAssembler does. */
    private static final class Sink implements LossDetector.Sink
    {
        final SendBuffer buffer;
        final PathMtu pathMtu;
        long lost;

        Sink(final SendBuffer buffer, final PathMtu pathMtu)
        {
            this.buffer = buffer;
            this.pathMtu = pathMtu;
        }

        @Override
        public void onPacketAcked(final SentPacket packet)
        {
            pathMtu.onPacketAcked(packet.size);
            for (int i = 0; i < packet.streamCount; i++)
            {
                buffer.onAcked(packet.streamOffsets[i], packet.streamLengths[i], false);
            }
        }

        @Override
        public void onPacketLost(final SentPacket packet)
        {
            lost++;
            pathMtu.onPacketLost(packet.size, 0);
            onProbeRequeue(packet);
        }

        @Override
        public void onProbeRequeue(final SentPacket packet)
        {
            for (int i = 0; i < packet.streamCount; i++)
            {
                buffer.onLost(packet.streamOffsets[i], packet.streamLengths[i], false);
            }
        }

        @Override
        public void onProbe(final int space)
        {
        }

        @Override
        public boolean isHandshakeConfirmed()
        {
            return true;
        }

        @Override
        public boolean peerCompletedAddressValidation()
        {
            return true;
        }

        @Override
        public boolean isAmplificationBlocked()
        {
            return false;
        }

        @Override
        public boolean hasHandshakeKeys()
        {
            return false;
        }

        @Override
        public long peerMaxAckDelayNs()
        {
            return 25_000_000L;
        }
    }

    private final ByteBuffer source = ByteBuffer.allocate(PAYLOAD);
    private final ByteBuffer wire = ByteBuffer.allocate(1500);
    private final long[] ranges = new long[4];
    private SendBuffer buffer;
    private DefaultLossDetector recovery;
    private PathMtu pathMtu;
    private Sink sink;
    private long packetNumber;
    private long nowNs = 1_000_000_000L;

    /**
     * Send {@code count} packets of stream data; the peer acknowledges them in pairs, except every
     * 64th packet, which is lost (found by the packet threshold) and resent beside new bytes.
     */
    private void run(final int count)
    {
        for (int i = 0; i < count; i++)
        {
            nowNs += 10_000;
            if (buffer.writeOffset() - buffer.sentOffset() < PAYLOAD)
            {
                buffer.append(source.clear(), PAYLOAD);
            }
            final SentPacket record = recovery.acquire();
            record.space = APPLICATION;
            record.packetNumber = packetNumber++;
            int room = PAYLOAD;
            wire.clear();
            while (room > 0 && record.streamCount < SentPacket.MAX_STREAM_RANGES && buffer.nextChunk(room))
            {
                final int n = record.streamCount++;
                record.streamOffsets[n] = buffer.chunkOffset();
                record.streamLengths[n] = buffer.chunkLength();
                buffer.copy(buffer.chunkOffset(), buffer.chunkLength(), wire);
                room -= buffer.chunkLength();
            }
            record.size = pathMtu.currentBytes();
            record.ackEliciting = true;
            recovery.onPacketSent(record, nowNs);
            if ((record.packetNumber & 1) == 1)
            {
                // the pair [pn - 1, pn], without pn - 1 when it is the one in 64 lost
                final boolean lose = ((record.packetNumber - 1) & 63) == 0;
                ranges[0] = lose ? record.packetNumber : record.packetNumber - 1;
                ranges[1] = record.packetNumber;
                recovery.onAckReceived(APPLICATION, ranges, 1, 0, nowNs + 5_000_000L);
            }
        }
    }

    @Test
    void steadyStateSendBookkeepingAllocatesNothing()
    {
        buffer = new SendBuffer(1 << 20, false);
        pathMtu = new PathMtu(true, 1452);
        sink = new Sink(buffer, pathMtu);
        recovery = new DefaultLossDetector(new NewRenoCongestionController(1200), sink);
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        run(50_000); // warm-up: pools, rings and ranges reach their steady sizes, the JIT compiles
        final long lostBefore = sink.lost;
        final long ackedBefore = buffer.ackedOffset();
        final int packets = 200_000;
        final long before = threads.getCurrentThreadAllocatedBytes();
        run(packets);
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(sink.lost - lostBefore >= packets / 64 - 1, "losses were resent: " + (sink.lost - lostBefore));
        assertTrue(buffer.ackedOffset() - ackedBefore > (long)packets * PAYLOAD * 9 / 10, "the stream moved on");
        // a constant, not per packet: JIT and safepoint noise only
        assertTrue(allocated < 16 << 10, allocated + " bytes allocated over " + packets + " packets");
    }
}
