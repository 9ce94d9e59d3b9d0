package io.ringbus.sim;

import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.NanoClock;

/**
 * The ordered record of what a simulation did, folded into one 64-bit hash: the same seed and
 * flags must give the same {@link #hex()}, so any nondeterminism shows as a different hash. Keeps
 * the last events as text for a failure report. Simulation thread only.
 */
public final class Trace
{
    /** How many events {@link #tail()} keeps by default. */
    public static final int DEFAULT_TAIL = 200;

    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;

    private final NanoClock clock;
    private final int tailSize;
    private final String[] kinds;
    private final long[] times;
    private final long[] as;
    private final long[] bs;
    private final long[] cs;
    private long state = 0x27D4EB2F165667C5L;
    private long events;

    /** A trace whose events carry no time. */
    public Trace()
    {
        this(null, DEFAULT_TAIL);
    }

    /** A trace that folds {@code clock}'s time into every event and shows it in the tail. */
    public Trace(final NanoClock clock)
    {
        this(clock, DEFAULT_TAIL);
    }

    public Trace(final NanoClock clock, final int tailSize)
    {
        if (tailSize < 1)
        {
            throw new IllegalArgumentException("tailSize must be positive: " + tailSize);
        }
        this.clock = clock;
        this.tailSize = tailSize;
        this.kinds = new String[tailSize];
        this.times = new long[tailSize];
        this.as = new long[tailSize];
        this.bs = new long[tailSize];
        this.cs = new long[tailSize];
    }

    /** Record one event: a kind (hashed by its characters) and three numbers (ids, sizes). */
    public void record(final String kind, final long a, final long b, final long c)
    {
        final long timeNs = clock != null ? clock.nanoTime() : 0;
        long h = state;
        h = round(h, kindHash(kind));
        h = round(h, timeNs);
        h = round(h, a);
        h = round(h, b);
        h = round(h, c);
        state = h;
        final int slot = (int)(events % tailSize);
        kinds[slot] = kind;
        times[slot] = timeNs;
        as[slot] = a;
        bs[slot] = b;
        cs[slot] = c;
        events++;
    }

    /** Record an event with one number. */
    public void record(final String kind, final long a)
    {
        record(kind, a, 0, 0);
    }

    private static long round(final long acc, final long input)
    {
        return Long.rotateLeft(acc ^ (input * P2), 31) * P1;
    }

    private static long kindHash(final String kind)
    {
        long h = 0xCBF29CE484222325L; // FNV-1a over the chars: the same on every JVM, unlike String.hashCode's cache
        for (int i = 0; i < kind.length(); i++)
        {
            h ^= kind.charAt(i);
            h *= 0x100000001B3L;
        }
        return h;
    }

    private static long fmix64(final long k0)
    {
        long k = k0;
        k ^= k >>> 33;
        k *= 0xFF51AFD7ED558CCDL;
        k ^= k >>> 33;
        k *= 0xC4CEB9FE1A85EC53L;
        k ^= k >>> 33;
        return k;
    }

    /** The hash of every event so far, in order. */
    public long hash()
    {
        return fmix64(state ^ events);
    }

    /** {@link #hash()} as 16 lower-case hex digits. */
    public String hex()
    {
        final String digits = Long.toHexString(hash());
        return "0000000000000000".substring(digits.length()) + digits;
    }

    /** How many events were recorded. */
    public long events()
    {
        return events;
    }

    /** The last events (up to the tail size), oldest first, one line each. */
    public List<String> tail()
    {
        final int n = (int)Math.min(events, tailSize);
        final List<String> lines = new ArrayList<>(n);
        for (long e = events - n; e < events; e++)
        {
            final int slot = (int)(e % tailSize);
            final StringBuilder line = new StringBuilder(64).append('#').append(e);
            if (clock != null)
            {
                line.append(" t=").append(times[slot] - SimClock.START_NS);
            }
            line.append(' ').append(kinds[slot]).append(' ').append(as[slot]).append(' ').append(bs[slot])
                .append(' ').append(cs[slot]);
            lines.add(line.toString());
        }
        return lines;
    }

    @Override
    public String toString()
    {
        return "Trace[" + events + " events, " + hex() + "]";
    }
}
