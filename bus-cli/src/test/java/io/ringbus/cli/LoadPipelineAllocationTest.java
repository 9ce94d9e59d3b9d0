package io.ringbus.cli;

import org.HdrHistogram.Histogram;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fast load client allocates nothing per message once running: the bytes the load thread
 * allocates over {@value #MEASURED} messages (requests filled and written, replies read, checked
 * and recorded, the driver idling in between) stay under a small bound that does not grow with
 * the count, in both idle modes.
 */
class LoadPipelineAllocationTest
{
    private static final int WARM_UP = 100_000;
    private static final int MEASURED = 100_000;
    /** Room for JIT noise only: one allocation per message would be over 1 MB. */
    private static final long BOUND_BYTES = 16 * 1024;

    @ParameterizedTest
    @EnumSource(LoadDriver.Idle.class)
    void steadyStateAllocatesNothingPerMessage(final LoadDriver.Idle idle) throws Exception
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long thread = Thread.currentThread().getId();
        final Histogram latencyNs = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        try (LoadTestServer server = LoadTestServer.honest(true);
            LoadPipeline pipeline = LoadPipeline.connect(server.address(), 64, 32, 0, 0, true,
                SystemNanoClock.INSTANCE, new SplittableRandom(3));
            LoadDriver driver = new LoadDriver(new LoadPipeline[] {pipeline}, idle, SystemNanoClock.INSTANCE))
        {
            pipeline.maxRequests(WARM_UP + MEASURED)
                .record(latencyNs, Long.MIN_VALUE / 2, Long.MAX_VALUE / 2, TimeUnit.SECONDS.toNanos(10));
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            stepUntil(driver, pipeline, WARM_UP, deadlineNs);
            final long before = threads.getThreadAllocatedBytes(thread);
            stepUntil(driver, pipeline, WARM_UP + MEASURED, deadlineNs);
            final long allocated = threads.getThreadAllocatedBytes(thread) - before;
            assertNull(driver.failure(0));
            assertEquals(WARM_UP + MEASURED, pipeline.received());
            assertTrue(allocated < BOUND_BYTES, allocated + " bytes allocated over " + MEASURED + " messages");
        }
    }

    private static void stepUntil(final LoadDriver driver, final LoadPipeline pipeline, final long replies,
        final long deadlineNs)
    {
        while (pipeline.received() < replies && driver.failure(0) == null)
        {
            driver.step(TimeUnit.MILLISECONDS.toNanos(10));
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new AssertionError("only " + pipeline.received() + " replies within 60 s");
            }
        }
    }
}
