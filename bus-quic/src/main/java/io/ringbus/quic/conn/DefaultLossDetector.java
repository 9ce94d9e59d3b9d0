package io.ringbus.quic.conn;

import java.util.ArrayDeque;

/**
 * The loss detection of RFC 9002 (Appendix A) for the three packet number spaces: packet threshold
 * 3, time threshold 9/8 of the RTT, RTT estimation with kInitialRtt = 333 ms, and the probe timeout
 * {@code srtt + max(4 * rttvar, 1 ms) + max_ack_delay} with exponential backoff, including the
 * client's anti-deadlock probes. Sent packet records live in a ring per space, ordered by packet
 * number, and are recycled through a pool. Drives a {@link CongestionController}. Not thread-safe.
 */
final class DefaultLossDetector implements LossDetector
{
    private static final int PACKET_THRESHOLD = 3;
    private static final long GRANULARITY_NS = 1_000_000L;
    private static final long INITIAL_RTT_NS = 333_000_000L;
    private static final int SPACES = 3;
    private static final int MAX_POOLED = 1024;

    private final CongestionController congestion;
    private final Sink sink;
    private final SentRing[] sent = new SentRing[SPACES];
    private final long[] lossTimeNs = new long[SPACES];
    private final long[] lastAckElicitingSentNs = new long[SPACES];
    private final int[] ackElicitingInFlight = new int[SPACES];
    private final long[] largestAcked = new long[SPACES];
    private final ArrayDeque<SentPacket> pool = new ArrayDeque<>(64);

    private boolean hasRttSample;
    private long latestRttNs;
    private long smoothedRttNs = INITIAL_RTT_NS;
    private long rttVarNs = INITIAL_RTT_NS / 2;
    private long minRttNs;
    private int ptoCount;
    private long timerNs = Long.MAX_VALUE;

    DefaultLossDetector(final CongestionController congestion, final Sink sink)
    {
        this.congestion = congestion;
        this.sink = sink;
        for (int i = 0; i < SPACES; i++)
        {
            sent[i] = new SentRing();
            lossTimeNs[i] = Long.MAX_VALUE;
            largestAcked[i] = -1;
        }
    }

    @Override
    public SentPacket acquire()
    {
        final SentPacket packet = pool.pollFirst();
        return (packet == null ? new SentPacket() : packet).reset();
    }

    private void release(final SentPacket packet)
    {
        if (pool.size() < MAX_POOLED)
        {
            pool.addFirst(packet);
        }
    }

    @Override
    public void onPacketSent(final SentPacket packet, final long nowNs)
    {
        packet.timeSentNs = nowNs;
        if (!packet.ackEliciting)
        {
            release(packet);
            return;
        }
        packet.inFlight = true;
        sent[packet.space].add(packet);
        ackElicitingInFlight[packet.space]++;
        lastAckElicitingSentNs[packet.space] = nowNs;
        congestion.onPacketSent(packet.size, nowNs);
        setTimer(nowNs);
    }

    @Override
    public void onAckReceived(final int space, final long[] ranges, final int rangeCount, final long ackDelayNs,
        final long nowNs)
    {
        final long largest = ranges[1];
        largestAcked[space] = Math.max(largestAcked[space], largest);
        final SentRing ring = sent[space];
        SentPacket largestNewlyAcked = null;
        boolean ackElicitingAcked = false;
        for (int r = 0; r < rangeCount; r++)
        {
            final long low = ranges[2 * r];
            final long high = ranges[2 * r + 1];
            for (int i = ring.indexOf(low); i < ring.size(); i++)
            {
                final SentPacket packet = ring.get(i);
                if (packet.packetNumber > high)
                {
                    break;
                }
                if (packet.done)
                {
                    continue;
                }
                packet.done = true;
                ackElicitingInFlight[space]--;
                congestion.onPacketAcked(packet.size, packet.timeSentNs, nowNs);
                ackElicitingAcked = true;
                if (largestNewlyAcked == null || packet.packetNumber > largestNewlyAcked.packetNumber)
                {
                    largestNewlyAcked = packet;
                }
                sink.onPacketAcked(packet);
            }
        }
        if (largestNewlyAcked == null)
        {
            return;
        }
        if (largestNewlyAcked.packetNumber == largest && ackElicitingAcked)
        {
            updateRtt(nowNs - largestNewlyAcked.timeSentNs, space == APPLICATION ? ackDelayNs : 0);
        }
        detectLostPackets(space, nowNs);
        if (sink.peerCompletedAddressValidation())
        {
            ptoCount = 0; // RFC 9002 6.2.1: a client not yet sure of its validation keeps backing off
        }
        compact(space);
        setTimer(nowNs);
    }

    private void updateRtt(final long sampleNs, final long ackDelayNs)
    {
        latestRttNs = Math.max(sampleNs, 0);
        if (!hasRttSample)
        {
            hasRttSample = true;
            minRttNs = latestRttNs;
            smoothedRttNs = latestRttNs;
            rttVarNs = latestRttNs / 2;
            return;
        }
        minRttNs = Math.min(minRttNs, latestRttNs);
        final long delay = sink.isHandshakeConfirmed() ? Math.min(ackDelayNs, sink.peerMaxAckDelayNs()) : ackDelayNs;
        long adjusted = latestRttNs;
        if (latestRttNs >= minRttNs + delay)
        {
            adjusted = latestRttNs - delay;
        }
        rttVarNs = (3 * rttVarNs + Math.abs(smoothedRttNs - adjusted)) / 4;
        smoothedRttNs = (7 * smoothedRttNs + adjusted) / 8;
    }

    private void detectLostPackets(final int space, final long nowNs)
    {
        lossTimeNs[space] = Long.MAX_VALUE;
        final long lossDelayNs = Math.max(9 * Math.max(latestRttNs, smoothedRttNs) / 8, GRANULARITY_NS);
        final long lostSendTimeNs = nowNs - lossDelayNs;
        final long largest = largestAcked[space];
        final SentRing ring = sent[space];
        for (int i = 0; i < ring.size(); i++)
        {
            final SentPacket packet = ring.get(i);
            if (packet.packetNumber > largest)
            {
                break;
            }
            if (packet.done)
            {
                continue;
            }
            if (packet.timeSentNs <= lostSendTimeNs || largest >= packet.packetNumber + PACKET_THRESHOLD)
            {
                packet.done = true;
                ackElicitingInFlight[space]--;
                if (packet.mtuProbe)
                {
                    congestion.onPacketDiscarded(packet.size); // RFC 9000 14.4: no congestion signal
                }
                else
                {
                    congestion.onPacketLost(packet.size, packet.timeSentNs, nowNs);
                }
                sink.onPacketLost(packet);
            }
            else
            {
                lossTimeNs[space] = Math.min(lossTimeNs[space], packet.timeSentNs + lossDelayNs);
            }
        }
    }

    private void compact(final int space)
    {
        final SentRing ring = sent[space];
        while (ring.size() > 0 && ring.get(0).done)
        {
            release(ring.removeFirst());
        }
    }

    @Override
    public long timerNs()
    {
        return timerNs;
    }

    @Override
    public void updateTimer(final long nowNs)
    {
        setTimer(nowNs);
    }

    private void setTimer(final long nowNs)
    {
        // RFC 9002 A.8 SetLossDetectionTimer
        final int lossSpace = earliestLossSpace();
        if (lossSpace >= 0)
        {
            timerNs = lossTimeNs[lossSpace];
            return;
        }
        if (sink.isAmplificationBlocked())
        {
            timerNs = Long.MAX_VALUE;
            return;
        }
        if (!anyAckElicitingInFlight() && sink.peerCompletedAddressValidation())
        {
            timerNs = Long.MAX_VALUE;
            return;
        }
        timerNs = ptoTime(nowNs);
    }

    private int earliestLossSpace()
    {
        int space = -1;
        for (int i = 0; i < SPACES; i++)
        {
            if (lossTimeNs[i] != Long.MAX_VALUE && (space < 0 || lossTimeNs[i] < lossTimeNs[space]))
            {
                space = i;
            }
        }
        return space;
    }

    private boolean anyAckElicitingInFlight()
    {
        return ackElicitingInFlight[INITIAL] + ackElicitingInFlight[HANDSHAKE] + ackElicitingInFlight[APPLICATION] > 0;
    }

    private long backoff(final long durationNs)
    {
        return durationNs << Math.min(ptoCount, 20);
    }

    /** RFC 9002 A.8 GetPtoTimeAndSpace: the time only; {@link #ptoSpace} names the space. */
    private long ptoTime(final long nowNs)
    {
        final long duration = backoff(smoothedRttNs + Math.max(4 * rttVarNs, GRANULARITY_NS));
        if (!anyAckElicitingInFlight())
        {
            return nowNs + duration; // client anti-deadlock (6.2.2.1)
        }
        long timeout = Long.MAX_VALUE;
        for (int space = INITIAL; space <= APPLICATION; space++)
        {
            if (ackElicitingInFlight[space] == 0)
            {
                continue;
            }
            long spaceDuration = duration;
            if (space == APPLICATION)
            {
                if (!sink.isHandshakeConfirmed())
                {
                    break;
                }
                spaceDuration += backoff(sink.peerMaxAckDelayNs());
            }
            timeout = Math.min(timeout, lastAckElicitingSentNs[space] + spaceDuration);
        }
        return timeout;
    }

    private int ptoSpace()
    {
        final long duration = smoothedRttNs + Math.max(4 * rttVarNs, GRANULARITY_NS);
        long timeout = Long.MAX_VALUE;
        int best = -1;
        for (int space = INITIAL; space <= APPLICATION; space++)
        {
            if (ackElicitingInFlight[space] == 0 || (space == APPLICATION && !sink.isHandshakeConfirmed()))
            {
                continue;
            }
            final long t = lastAckElicitingSentNs[space] + duration + (space == APPLICATION ? sink.peerMaxAckDelayNs() : 0);
            if (t < timeout)
            {
                timeout = t;
                best = space;
            }
        }
        return best;
    }

    @Override
    public void onTimeout(final long nowNs)
    {
        if (nowNs < timerNs)
        {
            return;
        }
        // RFC 9002 A.9 OnLossDetectionTimeout
        final int lossSpace = earliestLossSpace();
        if (lossSpace >= 0)
        {
            detectLostPackets(lossSpace, nowNs);
            compact(lossSpace);
            setTimer(nowNs);
            return;
        }
        if (!anyAckElicitingInFlight())
        {
            sink.onProbe(sink.hasHandshakeKeys() ? HANDSHAKE : INITIAL);
        }
        else
        {
            final int space = ptoSpace();
            if (space >= 0)
            {
                final SentRing ring = sent[space];
                int requeued = 0;
                for (int i = 0; i < ring.size() && requeued < 2; i++)
                {
                    final SentPacket packet = ring.get(i);
                    if (!packet.done)
                    {
                        sink.onProbeRequeue(packet);
                        requeued++;
                    }
                }
                sink.onProbe(space);
            }
        }
        ptoCount++;
        setTimer(nowNs);
    }

    @Override
    public void discardSpace(final int space, final long nowNs)
    {
        final SentRing ring = sent[space];
        while (ring.size() > 0)
        {
            final SentPacket packet = ring.removeFirst();
            if (!packet.done)
            {
                congestion.onPacketDiscarded(packet.size);
            }
            release(packet);
        }
        ackElicitingInFlight[space] = 0;
        lossTimeNs[space] = Long.MAX_VALUE;
        lastAckElicitingSentNs[space] = 0;
        ptoCount = 0; // RFC 9002 A.7 OnPacketNumberSpaceDiscarded
        setTimer(nowNs);
    }

    @Override
    public long largestAcked(final int space)
    {
        return largestAcked[space];
    }

    @Override
    public long smoothedRttNs()
    {
        return smoothedRttNs;
    }

    @Override
    public long ptoNs()
    {
        return smoothedRttNs + Math.max(4 * rttVarNs, GRANULARITY_NS) + sink.peerMaxAckDelayNs();
    }

    @Override
    public int ptoCount()
    {
        return ptoCount;
    }

    /** Sent packet records of one space in packet number order: a growable ring. */
    private static final class SentRing
    {
        private SentPacket[] items = new SentPacket[64];
        private int head;
        private int size;

        int size()
        {
            return size;
        }

        SentPacket get(final int i)
        {
            return items[(head + i) & (items.length - 1)];
        }

        void add(final SentPacket packet)
        {
            if (size == items.length)
            {
                final SentPacket[] grown = new SentPacket[2 * items.length];
                for (int i = 0; i < size; i++)
                {
                    grown[i] = get(i);
                }
                items = grown;
                head = 0;
            }
            items[(head + size) & (items.length - 1)] = packet;
            size++;
        }

        SentPacket removeFirst()
        {
            final SentPacket packet = items[head];
            items[head] = null;
            head = (head + 1) & (items.length - 1);
            size--;
            return packet;
        }

        /** Index of the first packet whose number is at least {@code packetNumber}. */
        int indexOf(final long packetNumber)
        {
            int lo = 0;
            int hi = size;
            while (lo < hi)
            {
                final int mid = (lo + hi) >>> 1;
                if (get(mid).packetNumber < packetNumber)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }
            return lo;
        }
    }
}
