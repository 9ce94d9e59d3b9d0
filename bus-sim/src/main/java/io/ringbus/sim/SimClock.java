package io.ringbus.sim;

import org.agrona.concurrent.NanoClock;

/**
 * The virtual clock of a simulation: time moves only when the world moves it. Starts at
 * {@link #START_NS} (not 0, so that code treating 0 as "never" is not fooled). Simulation thread only.
 */
public final class SimClock implements NanoClock
{
    /** Where every simulation's time starts: 1000 s. */
    public static final long START_NS = 1_000_000_000_000L;

    private long nowNs = START_NS;

    @Override
    public long nanoTime()
    {
        return nowNs;
    }

    /** Move time forward by {@code deltaNs} (>= 0). */
    public void advanceNs(final long deltaNs)
    {
        if (deltaNs < 0)
        {
            throw new IllegalArgumentException("time cannot go back: " + deltaNs);
        }
        nowNs += deltaNs;
    }

    /**
     * Move time forward to {@code timeNs}; a time at or before now is a no-op (time never goes
     * back), so a world may pass {@link SimNetwork#nextEventNs()} as it is, which is at or before
     * now when something is due already.
     */
    public void advanceTo(final long timeNs)
    {
        if (timeNs > nowNs)
        {
            nowNs = timeNs;
        }
    }

    /** Virtual nanoseconds since the start. */
    public long elapsedNs()
    {
        return nowNs - START_NS;
    }

    @Override
    public String toString()
    {
        return "SimClock[" + elapsedNs() + " ns]";
    }
}
