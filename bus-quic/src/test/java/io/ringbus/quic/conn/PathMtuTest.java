package io.ringbus.quic.conn;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link PathMtu}'s search, driven by hand: the order of the sizes tried, the fall-back, late acknowledgements. */
class PathMtuTest
{
    private static final long NOW_NS = 1_000_000_000L;

    /** Probe at the size asked for, lose it MAX_PROBES times; @return that size. */
    private static int failSize(final PathMtu mtu)
    {
        final int size = mtu.probeBytes(NOW_NS);
        for (int i = 0; i < PathMtu.MAX_PROBES; i++)
        {
            assertEquals(size, mtu.probeBytes(NOW_NS), "the same size again until MAX_PROBES are lost");
            mtu.onProbeSent(size);
            assertEquals(0, mtu.probeBytes(NOW_NS), "one probe in flight at a time");
            mtu.onProbeLost(size, NOW_NS);
        }
        return size;
    }

    @Test
    void theMaximumFirstThenBisectionBetweenTheLargestAckedAndTheSmallestFailed()
    {
        final PathMtu mtu = new PathMtu(true, 1452);
        assertEquals(0, mtu.probeBytes(NOW_NS), "nothing before the handshake is confirmed");
        mtu.start(1500);
        assertEquals(1452, mtu.maxBytes());
        assertEquals(1452, failSize(mtu));
        final int second = mtu.probeBytes(NOW_NS);
        assertEquals((1200 + 1451 + 1) / 2, second);
        mtu.onProbeSent(second);
        mtu.onProbeAcked(second, NOW_NS);
        assertEquals(second, mtu.currentBytes(), "an acknowledged probe's size is adopted");
        int probes = 0;
        while (mtu.isSearching() && probes++ < 20)
        {
            final int size = mtu.probeBytes(NOW_NS);
            assertTrue(size > mtu.currentBytes() && size < 1452, size + " between acked and failed");
            mtu.onProbeSent(size);
            mtu.onProbeAcked(size, NOW_NS); // this path carries everything below 1452
        }
        assertFalse(mtu.isSearching());
        assertTrue(mtu.currentBytes() >= 1452 - PathMtu.MIN_STEP, "settled within MIN_STEP of the failed size: " +
            mtu.currentBytes());
        assertEquals(0, mtu.probeBytes(NOW_NS), "search complete: no probe");
        assertTrue(mtu.probeBytes(NOW_NS + PathMtu.RAISE_INTERVAL_NS) > mtu.currentBytes(),
            "below the maximum the search runs again after PMTU_RAISE_TIMER");
    }

    @Test
    void blackHoleFallsBackAndALateProbeOfTheFailedSizeIsNotTrusted()
    {
        final PathMtu mtu = new PathMtu(true, 1452);
        mtu.start(65527);
        mtu.onProbeSent(mtu.probeBytes(NOW_NS));
        mtu.onProbeAcked(1452, NOW_NS);
        assertEquals(1452, mtu.currentBytes());
        for (int i = 1; i < PathMtu.BLACK_HOLE_LOSSES; i++)
        {
            assertFalse(mtu.onPacketLost(1452, NOW_NS));
        }
        mtu.onPacketAcked(1452); // a large packet got through: the count starts again
        for (int i = 1; i < PathMtu.BLACK_HOLE_LOSSES; i++)
        {
            assertFalse(mtu.onPacketLost(1452, NOW_NS));
        }
        assertTrue(mtu.onPacketLost(1452, NOW_NS), "BLACK_HOLE_LOSSES large packets lost in a row");
        assertEquals(PathMtu.BASE_BYTES, mtu.currentBytes());
        assertEquals(1, mtu.blackHoles());
        mtu.onProbeAcked(1452, NOW_NS); // a probe sent before the fall-back, acknowledged late
        assertEquals(PathMtu.BASE_BYTES, mtu.currentBytes(), "not trusted");
        assertTrue(mtu.isSearching(), "searching again below the size that failed");
        assertTrue(mtu.probeBytes(NOW_NS) < 1452);
    }

    @Test
    void repeatedProbeTimeoutsFallBackOnlyAboveTheBase()
    {
        final PathMtu mtu = new PathMtu(true, 1452);
        mtu.start(1452);
        assertFalse(mtu.onProbeTimeout(5, NOW_NS), "already at the base size");
        mtu.onProbeSent(mtu.probeBytes(NOW_NS));
        mtu.onProbeAcked(1452, NOW_NS);
        assertFalse(mtu.onProbeTimeout(1, NOW_NS), "one timeout is not a black hole");
        assertTrue(mtu.onProbeTimeout(2, NOW_NS));
        assertEquals(PathMtu.BASE_BYTES, mtu.currentBytes());
    }

    @Test
    void disabledOrNoRoomAboveTheBaseNeverProbes()
    {
        final PathMtu off = new PathMtu(false, 1452);
        off.start(65527);
        assertEquals(0, off.probeBytes(NOW_NS));
        final PathMtu peerSmall = new PathMtu(true, 1452);
        peerSmall.start(1200);
        assertEquals(0, peerSmall.probeBytes(NOW_NS));
        assertEquals(PathMtu.BASE_BYTES, peerSmall.currentBytes());
    }
}
