package io.ringbus.core.frame;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 11, memory A: the pool's direct memory budget refuses buffers instead of running out of memory. */
class FramePoolBudgetTest
{
    private static final int KIB = 1024;

    @Test
    void anAcquireBeyondTheBudgetIsRefusedWithAReasonNotAnOutOfMemoryError()
    {
        final FramePool pool = new FramePool(64 * KIB, 1 << 20, true, 1, 64 * KIB);
        final FrameBuffer first = pool.acquire(32 * KIB);
        final FrameBuffer second = pool.acquire(32 * KIB);
        assertEquals(64 * KIB, pool.heldBytes());
        assertEquals(64 * KIB, pool.outstandingBytes());

        assertNull(pool.tryAcquire(100), "a 4 KiB buffer would exceed the 64 KiB budget");
        final PoolExhaustedException refused = assertThrows(PoolExhaustedException.class, () -> pool.acquire(100));
        assertEquals(4 * KIB, refused.requestedBytes());
        assertEquals(64 * KIB, refused.heldBytes());
        assertEquals(64 * KIB, refused.budgetBytes());
        assertTrue(refused.getMessage().contains("direct_memory_budget"), refused.getMessage());
        assertEquals(2, pool.refused());
        assertEquals(64 * KIB, pool.heldBytes(), "a refusal holds nothing");

        first.release();
        assertSame(first, pool.acquire(32 * KIB), "an idle buffer of the class is reused within the budget");
        first.release();
        second.release();
        assertEquals(0, pool.outstandingBytes());
        pool.assertNoLeaks();
    }

    @Test
    void idleBuffersOfOtherClassesAreFreedToMakeRoom()
    {
        final FramePool pool = new FramePool(64 * KIB, 1 << 20, true, 1, 64 * KIB);
        pool.acquire(32 * KIB).release();
        pool.acquire(16 * KIB).release();
        assertEquals(48 * KIB, pool.heldBytes(), "idle buffers count: they are direct memory too");

        final FrameBuffer large = pool.acquire(64 * KIB);
        assertEquals(64 * KIB, pool.heldBytes(), "both idle buffers were freed for the 64 KiB one");
        assertEquals(0, pool.refused());
        large.release();
        pool.assertNoLeaks();
    }

    @Test
    void heldBytesStayWithinTheBudgetUnderAnyMixOfAcquiresAndReleases()
    {
        final long budget = 256 * KIB;
        final FramePool pool = new FramePool(128 * KIB, 1 << 20, true, 1, budget);
        final java.util.Random random = new java.util.Random(11);
        final java.util.ArrayDeque<FrameBuffer> held = new java.util.ArrayDeque<>();
        int refusals = 0;
        for (int i = 0; i < 10_000; i++)
        {
            if (random.nextInt(3) > 0)
            {
                final FrameBuffer frame = pool.tryAcquire(1 + random.nextInt(128 * KIB));
                if (frame == null)
                {
                    refusals++;
                }
                else
                {
                    held.add(frame);
                }
            }
            else if (!held.isEmpty())
            {
                held.poll().release();
            }
            assertTrue(pool.heldBytes() <= budget, "held " + pool.heldBytes() + " at step " + i);
        }
        assertTrue(refusals > 0, "the mix reached the budget");
        assertEquals(refusals, pool.refused());
        held.forEach(FrameBuffer::release);
        pool.assertNoLeaks();
    }

    @Test
    void aBudgetBelowTheLargestBufferIsRejectedNamingIt()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> new FramePool(100 * KIB, 1 << 20, false, 1, 100 * KIB));
        assertTrue(ex.getMessage().contains("budgetBytes") && ex.getMessage().contains("131072"), ex.getMessage());
        assertNotNull(new FramePool(100 * KIB, 1 << 20, false, 1, 128 * KIB));
        assertEquals(FramePool.UNBOUNDED, new FramePool(100 * KIB).budgetBytes());
    }
}
