package io.ringbus.core.frame;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FramePoolTest
{
    @Test
    void sizeClassesArePowersOfTwoFromFourKiB()
    {
        assertEquals(0, FramePool.sizeClassOf(0));
        assertEquals(0, FramePool.sizeClassOf(4096));
        assertEquals(1, FramePool.sizeClassOf(4097));
        assertEquals(1, FramePool.sizeClassOf(8192));
        assertEquals(4096, FramePool.classSize(0));
        assertEquals(64 << 20, FramePool.classSize(FramePool.sizeClassOf(64 << 20)));
    }

    @Test
    void releasedBufferIsReused()
    {
        final FramePool pool = new FramePool(1 << 20, 1 << 20, true);
        final FrameBuffer first = pool.acquire(5000);
        assertEquals(8192, first.capacity());
        assertEquals(1, first.refCount());
        assertTrue(first.release());
        final FrameBuffer second = pool.acquire(6000);
        assertSame(first, second);
        assertEquals(1, second.refCount());
        assertEquals(1, pool.allocated());
        second.release();
        pool.assertNoLeaks();
    }

    @Test
    void retainedBufferGoesBackOnlyAtTheLastRelease()
    {
        final FramePool pool = new FramePool(1 << 16, 1 << 20, true);
        final FrameBuffer frame = pool.acquire(100).retain().retain();
        assertEquals(3, frame.refCount());
        assertFalse(frame.release());
        assertFalse(frame.release());
        assertEquals(1, pool.outstanding());
        assertTrue(frame.release());
        assertEquals(0, pool.outstanding());
    }

    @Test
    void doubleReleaseAndRetainAfterReleaseAreRefused()
    {
        final FramePool pool = new FramePool(1 << 16, 1 << 20, true);
        final FrameBuffer frame = pool.acquire(100);
        frame.release();
        assertThrows(IllegalStateException.class, frame::release);
        assertThrows(IllegalStateException.class, frame::retain);
        assertEquals(0, pool.outstanding());
    }

    @Test
    void leakDetectionNamesTheAcquiringStack()
    {
        final FramePool pool = new FramePool(1 << 16, 1 << 20, true);
        final FrameBuffer leaked = pool.acquire(100);
        final AssertionError error = assertThrows(AssertionError.class, pool::assertNoLeaks);
        assertTrue(error.getMessage().contains("1 FrameBuffer(s) leaked"));
        assertEquals(1, error.getSuppressed().length);
        assertEquals(getClass().getName(), error.getSuppressed()[0].getStackTrace()[1].getClassName());
        leaked.release();
        pool.assertNoLeaks();
    }

    @Test
    void requestsBeyondTheLargestClassAreRefused()
    {
        final FramePool pool = new FramePool(1 << 16, 1 << 20, false);
        assertThrows(IllegalArgumentException.class, () -> pool.acquire((1 << 16) + 1));
        assertThrows(IllegalStateException.class, pool::assertNoLeaks);
        assertThrows(IllegalArgumentException.class, () -> new FramePool(FramePool.MAX_BUFFER_SIZE + 1));
    }

    @Test
    void frameLengthIsBoundedByCapacity()
    {
        final FramePool pool = new FramePool(1 << 16, 1 << 20, false);
        final FrameBuffer frame = pool.acquire(100);
        frame.frameLength(4096);
        assertEquals(4096, frame.frameLength());
        assertThrows(IllegalArgumentException.class, () -> frame.frameLength(4097));
        frame.release();
    }
    @Test
    void trimFreesOnlyBuffersIdleForAWholePeriodDownToTheFloor()
    {
        final FramePool pool = new FramePool(1 << 20, 16 << 20, true);
        final FrameBuffer[] buffers = new FrameBuffer[100];
        for (int i = 0; i < buffers.length; i++)
        {
            buffers[i] = pool.acquire(4096);
        }
        for (final FrameBuffer buffer : buffers)
        {
            buffer.release();
        }
        assertEquals(100, pool.idleBuffers(4096));
        final long floor = 10 * 4096;
        assertEquals(0, pool.trim(floor), "just released: the first trim only starts the period");
        for (int i = 0; i < 30; i++)
        {
            buffers[i] = pool.acquire(4096); // a working set of 30 in use during this period
        }
        for (int i = 0; i < 30; i++)
        {
            buffers[i].release();
        }
        assertEquals(70, pool.trim(floor), "the 70 no acquire needed are freed; the working set stays");
        assertEquals(30, pool.idleBuffers(4096));
        assertEquals(20, pool.trim(floor), "a quiet period: down to the floor");
        assertEquals(10, pool.idleBuffers(4096));
        assertEquals(0, pool.trim(floor), "never below the floor");
        assertEquals(90, pool.trimmed());
        final FrameBuffer again = pool.acquire(4096);
        again.buffer().putLong(0, 42);
        again.release();
        pool.assertNoLeaks();
    }

    @Test
    void trimWithAZeroFloorEmptiesEveryClassAfterAQuietPeriod()
    {
        final FramePool pool = new FramePool(1 << 20, 16 << 20, true);
        pool.acquire(100).release();
        pool.acquire(70_000).release();
        pool.acquire(1 << 20).release();
        pool.trim(0);
        assertEquals(3, pool.trim(0));
        assertEquals(0, pool.idleBuffers(100));
        assertEquals(0, pool.idleBuffers(70_000));
        assertEquals(0, pool.idleBuffers(1 << 20));
    }
}
