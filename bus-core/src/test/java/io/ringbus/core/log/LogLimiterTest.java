package io.ringbus.core.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LogLimiterTest
{
    private static final long SECOND = 1_000_000_000L;

    @Test
    void oneLinePerReasonPerIntervalThenTheCountOfHeldLines()
    {
        final LogLimiter limiter = new LogLimiter(SECOND);
        final long t0 = 5 * SECOND;
        assertEquals(0, limiter.admit("size", t0));
        for (int i = 0; i < 1000; i++)
        {
            assertEquals(-1, limiter.admit("size", t0 + i * 1000L));
        }
        assertEquals(1000, limiter.held("size"));
        assertEquals(0, limiter.admit("checksum", t0 + 1), "another reason has its own interval");
        assertEquals(1000, limiter.admit("size", t0 + SECOND));
        assertEquals(0, limiter.held("size"));
        assertEquals(-1, limiter.admit("size", t0 + SECOND + 1));
    }

    @Test
    void theFirstLineIsAdmittedWhateverTheClockValue()
    {
        final LogLimiter limiter = new LogLimiter(SECOND);
        assertEquals(0, limiter.admit("a", Long.MIN_VALUE + 5));
        assertEquals(0, new LogLimiter(SECOND).admit("a", -3));
    }

    @Test
    void reasonsBeyondTheCapShareOneEntry()
    {
        final LogLimiter limiter = new LogLimiter(SECOND);
        for (int i = 0; i < LogLimiter.MAX_REASONS; i++)
        {
            assertEquals(0, limiter.admit("r" + i, 0));
        }
        assertEquals(0, limiter.admit("new-1", 0));
        assertEquals(-1, limiter.admit("new-2", 0));
        assertEquals(1, limiter.held(LogLimiter.OTHER));
    }

    @Test
    void suffixNamesTheHeldCount()
    {
        assertEquals("", LogLimiter.suffix(0));
        assertEquals(" (and 7 more like it since the last such line)", LogLimiter.suffix(7));
        assertThrows(IllegalArgumentException.class, () -> new LogLimiter(0));
    }
}
