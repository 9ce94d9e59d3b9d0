package io.ringbus.cli;

/**
 * The fixed schedule of an open-loop run: request {@code i} (0, 1, 2, ...) is intended to be sent
 * at {@code startNs + phaseNs + i * periodNs}, whatever happened to the requests before it, so a
 * stall of the server (or of the client) shows as latency measured from the intended send time
 * instead of as fewer requests (no coordinated omission). The period is held as a fraction of a
 * nanosecond-exact rate, so a long run does not drift.
 *
 * <p>Immutable; any thread.
 */
public final class LoadSchedule
{
    private static final double NS_PER_SECOND = 1e9;

    private final long startNs;
    private final double periodNs;
    private final double ratePerSecond;

    /**
     * A schedule of {@code ratePerSecond} requests a second from {@code startNs}, shifted by
     * {@code phaseNs} (so that several connections sharing one rate do not send in lock step).
     */
    public LoadSchedule(final long startNs, final double ratePerSecond, final long phaseNs)
    {
        if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond))
        {
            throw new IllegalArgumentException("rate = " + ratePerSecond + " per second: must be above 0");
        }
        if (phaseNs < 0)
        {
            throw new IllegalArgumentException("phaseNs = " + phaseNs + ": must be at least 0");
        }
        this.startNs = startNs + phaseNs;
        this.ratePerSecond = ratePerSecond;
        this.periodNs = NS_PER_SECOND / ratePerSecond;
    }

    /** Requests a second. */
    public double ratePerSecond()
    {
        return ratePerSecond;
    }

    /** Intended send time of request {@code index} (0 for the first). */
    public long intendedNs(final long index)
    {
        return startNs + (long)(index * periodNs);
    }

    /**
     * How many requests are due at {@code nowNs}: those whose intended send time is at or before
     * it (0 before the start).
     */
    public long dueCount(final long nowNs)
    {
        final long sinceNs = nowNs - startNs;
        if (sinceNs < 0)
        {
            return 0;
        }
        long count = (long)(sinceNs / periodNs) + 1;
        // The double division may land one off at an exact boundary: settle it on intendedNs.
        while (count > 0 && intendedNs(count - 1) > nowNs)
        {
            count--;
        }
        while (intendedNs(count) <= nowNs)
        {
            count++;
        }
        return count;
    }

    /** How many requests are due in {@code [startNs, endNs)} of this schedule, for a run ending at {@code endNs}. */
    public long dueBefore(final long endNs)
    {
        return dueCount(endNs - 1);
    }
}
