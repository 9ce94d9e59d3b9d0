package io.ringbus.core.dedup;

import java.util.Arrays;

/**
 * The open-addressing table both {@link RequestDedup} and {@link SessionBindings} keep their
 * per-client records in: keyed by the 128-bit client id, linear probing, a power-of-two length at
 * most half full, backward-shift deletion (no tombstones). Static helpers over the caller's array,
 * so each table stays a plain field of its owner; same threading as the owner.
 */
final class ClientIdTable
{
    /** What a table holds: a record with its client id and the id's {@link Mix#clientIdHash}. */
    abstract static class Key
    {
        long hi;
        long lo;
        int hash;
    }

    private ClientIdTable()
    {
    }

    /** The record of (hi, lo) in {@code t}, or null. */
    static <K extends Key> K find(final K[] t, final long hi, final long lo)
    {
        final int mask = t.length - 1;
        int i = Mix.clientIdHash(hi, lo) & mask;
        K key;
        while ((key = t[i]) != null)
        {
            if (key.hi == hi && key.lo == lo)
            {
                return key;
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    /**
     * Adds {@code key} (not in the table) holding {@code count} records before it; returns the table
     * to keep: {@code t} or, to stay at most half full, a copy of twice its length.
     */
    static <K extends Key> K[] insert(final K[] t, final int count, final K key)
    {
        K[] table = t;
        if ((count + 1) * 2 > table.length)
        {
            table = Arrays.copyOf(t, t.length * 2);
            Arrays.fill(table, null);
            for (final K held : t)
            {
                if (held != null)
                {
                    put(table, held);
                }
            }
        }
        put(table, key);
        return table;
    }

    private static <K extends Key> void put(final K[] t, final K key)
    {
        final int mask = t.length - 1;
        int i = key.hash & mask;
        while (t[i] != null)
        {
            i = (i + 1) & mask;
        }
        t[i] = key;
    }

    /** Removes {@code key}, which is in {@code t}. */
    static <K extends Key> void remove(final K[] t, final K key)
    {
        final int mask = t.length - 1;
        int hole = key.hash & mask;
        while (t[hole] != key)
        {
            hole = (hole + 1) & mask;
        }
        t[hole] = null;
        // Backward shift: move later members of the probe run into the hole when their home slot
        // does not lie cyclically in (hole, i], so every remaining key stays reachable.
        int i = (hole + 1) & mask;
        K next;
        while ((next = t[i]) != null)
        {
            final int home = next.hash & mask;
            final boolean homeInRange = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
            if (!homeInRange)
            {
                t[hole] = next;
                t[i] = null;
                hole = i;
            }
            i = (i + 1) & mask;
        }
    }
}
