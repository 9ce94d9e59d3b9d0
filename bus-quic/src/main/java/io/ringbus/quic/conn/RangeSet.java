package io.ringbus.quic.conn;

/**
 * A set of non-negative longs kept as sorted, disjoint, non-adjacent half-open ranges
 * {@code [low, high)} in one growable array: received packet numbers for ACK frames, acknowledged
 * and lost byte ranges of a send buffer, received byte ranges of a reassembly buffer. Allocates only
 * when it grows. Not thread-safe.
 *
 * <p>Finding a range is a binary search; inserting or removing one moves the ranges after it. A
 * set that a peer can fragment at will must therefore be bounded with
 * {@link #add(long, long, int)}: with at most {@code maxRanges} ranges a change moves at most
 * {@code 2 * maxRanges} longs, so n changes cost O(n (log maxRanges + maxRanges)), linear in n,
 * where an unbounded set costs O(n^2) (issue 13: 128K ranges made highest offset first took
 * seconds).
 */
final class RangeSet
{
    private long[] bounds;
    private int count;
    /** Ranges moved by inserts and removals so far: the cost the cap bounds, for tests. */
    private long rangesMoved;

    RangeSet(final int initialRanges)
    {
        bounds = new long[2 * Math.max(1, initialRanges)];
    }

    /** Number of ranges. */
    int size()
    {
        return count;
    }

    boolean isEmpty()
    {
        return count == 0;
    }

    /** Low bound (inclusive) of range {@code i}, ranges ascending. */
    long low(final int i)
    {
        return bounds[2 * i];
    }

    /** High bound (exclusive) of range {@code i}. */
    long high(final int i)
    {
        return bounds[2 * i + 1];
    }

    void clear()
    {
        count = 0;
    }

    /** True if {@code value} is in the set. */
    boolean contains(final long value)
    {
        final int i = firstHighAbove(value);
        return i < count && bounds[2 * i] <= value;
    }

    /** Ranges moved by inserts and removals since construction (an operation count for tests). */
    long rangesMoved()
    {
        return rangesMoved;
    }

    /** Add {@code [low, high)}, merging with overlapping and adjacent ranges. */
    void add(final long low, final long high)
    {
        add(low, high, Integer.MAX_VALUE);
    }

    /**
     * Add {@code [low, high)}, merging with overlapping and adjacent ranges, unless the set would
     * then hold more than {@code maxRanges} ranges.
     *
     * @return false, the set unchanged, if the range was refused.
     */
    boolean add(final long low, final long high, final int maxRanges)
    {
        if (low >= high)
        {
            return true;
        }
        final int i = firstHighAtLeast(low);
        int j = i;
        long newLow = low;
        long newHigh = high;
        while (j < count && bounds[2 * j] <= high)
        {
            newLow = Math.min(newLow, bounds[2 * j]);
            newHigh = Math.max(newHigh, bounds[2 * j + 1]);
            j++;
        }
        if (j == i && count >= maxRanges)
        {
            return false; // a new disjoint range beyond the cap
        }
        splice(i, j, 1);
        bounds[2 * i] = newLow;
        bounds[2 * i + 1] = newHigh;
        return true;
    }

    /** Remove {@code [low, high)}, splitting a range that spans it. */
    void remove(final long low, final long high)
    {
        if (low >= high)
        {
            return;
        }
        final int i = firstHighAbove(low);
        int j = i;
        while (j < count && bounds[2 * j] < high)
        {
            j++;
        }
        if (i == j)
        {
            return;
        }
        final long leftLow = bounds[2 * i];
        final long rightHigh = bounds[2 * (j - 1) + 1];
        final boolean left = leftLow < low;
        final boolean right = rightHigh > high;
        splice(i, j, (left ? 1 : 0) + (right ? 1 : 0));
        int k = i;
        if (left)
        {
            bounds[2 * k] = leftLow;
            bounds[2 * k + 1] = low;
            k++;
        }
        if (right)
        {
            bounds[2 * k] = high;
            bounds[2 * k + 1] = rightHigh;
        }
    }

    /** Remove the lowest range. */
    void removeFirst()
    {
        if (count > 0)
        {
            splice(0, 1, 0);
        }
    }

    /** Remove every range that {@code other} holds. */
    void removeAll(final RangeSet other)
    {
        for (int i = 0; i < other.count && count > 0; i++)
        {
            remove(other.bounds[2 * i], other.bounds[2 * i + 1]);
        }
    }

    /** Index of the first range whose high bound is at least {@code value} (adjacent ranges merge). */
    private int firstHighAtLeast(final long value)
    {
        int lo = 0;
        int hi = count;
        while (lo < hi)
        {
            final int mid = (lo + hi) >>> 1;
            if (bounds[2 * mid + 1] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /** Index of the first range whose high bound is above {@code value}. */
    private int firstHighAbove(final long value)
    {
        int lo = 0;
        int hi = count;
        while (lo < hi)
        {
            final int mid = (lo + hi) >>> 1;
            if (bounds[2 * mid + 1] <= value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /** Replace ranges {@code [from, to)} by {@code replacements} uninitialised slots. */
    private void splice(final int from, final int to, final int replacements)
    {
        final int newCount = count - (to - from) + replacements;
        if (2 * newCount > bounds.length)
        {
            final long[] grown = new long[Math.max(2 * newCount, 2 * bounds.length)];
            System.arraycopy(bounds, 0, grown, 0, 2 * count);
            bounds = grown;
        }
        if (to != from + replacements && to < count)
        {
            System.arraycopy(bounds, 2 * to, bounds, 2 * (from + replacements), 2 * (count - to));
            rangesMoved += count - to;
        }
        count = newCount;
    }

    @Override
    public String toString()
    {
        final StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < count; i++)
        {
            out.append(i == 0 ? "" : ", ").append(bounds[2 * i]).append("..").append(bounds[2 * i + 1]);
        }
        return out.append(']').toString();
    }
}
