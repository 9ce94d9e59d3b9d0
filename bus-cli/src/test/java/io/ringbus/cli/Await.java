package io.ringbus.cli;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Condition waits with a deadline for the tests: poll, park briefly, give up at the deadline. */
final class Await
{
    private static final long POLL_NS = TimeUnit.MILLISECONDS.toNanos(5);

    private Await()
    {
    }

    /** Wait until {@code condition} holds; fail naming {@code what} if it does not within {@code timeout}. */
    static void until(final String what, final Duration timeout, final BooleanSupplier condition)
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs >= 0)
            {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            LockSupport.parkNanos(POLL_NS);
        }
    }
}
