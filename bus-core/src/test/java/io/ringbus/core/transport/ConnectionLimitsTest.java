package io.ringbus.core.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;

import org.junit.jupiter.api.Test;

class ConnectionLimitsTest
{
    private static InetAddress ip(final int last) throws Exception
    {
        return InetAddress.getByAddress(new byte[] {10, 0, 0, (byte)last});
    }

    @Test
    void thePerAddressLimitRefusesOneAddressWhileOthersStillGetIn() throws Exception
    {
        final ConnectionLimits limits = new ConnectionLimits(10, 2);
        assertNull(limits.tryAcquire(ip(1)));
        assertNull(limits.tryAcquire(ip(1)));
        assertEquals(ConnectionLimits.REFUSED_PER_ADDRESS, limits.tryAcquire(ip(1)));
        assertNull(limits.tryAcquire(ip(2)));
        assertEquals(3, limits.open());
        limits.release(ip(1));
        assertEquals(1, limits.open(ip(1)));
        assertNull(limits.tryAcquire(ip(1)), "a released place is free again");
        assertEquals(1, limits.refusedPerAddress());
        assertEquals(0, limits.refusedTotal());
    }

    @Test
    void theTotalLimitRefusesEveryAddressAndARefusalTakesNoPlace() throws Exception
    {
        final ConnectionLimits limits = new ConnectionLimits(2, 0);
        assertNull(limits.tryAcquire(ip(1)));
        assertNull(limits.tryAcquire(ip(2)));
        assertEquals(ConnectionLimits.REFUSED_TOTAL, limits.tryAcquire(ip(3)));
        assertEquals(ConnectionLimits.REFUSED_TOTAL, limits.tryAcquire(ip(3)));
        assertEquals(2, limits.open());
        limits.release(ip(2));
        assertNull(limits.tryAcquire(ip(3)));
        assertEquals(2, limits.refusedTotal(), "each refusal counted by its reason");
        assertEquals(0, limits.refusedPerAddress());
    }

    @Test
    void aReleaseWithoutAPlaceIsABug() throws Exception
    {
        assertThrows(IllegalStateException.class, () -> new ConnectionLimits(2, 1).release(ip(1)));
        assertThrows(IllegalStateException.class, () -> new ConnectionLimits(2, 0).release(ip(1)));
    }
}
