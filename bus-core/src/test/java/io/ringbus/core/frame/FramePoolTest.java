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
}
