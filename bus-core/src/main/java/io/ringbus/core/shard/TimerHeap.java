package io.ringbus.core.shard;

import java.util.Arrays;

/**
 * A shard's timers: an indexed binary min-heap of deadlines, so the earliest deadline is always at
 * hand (no walk over the timers after an expiry) and a cancel takes its timer out at once (a
 * cancelled timer never wakes the shard). Schedule and cancel cost O(log n); no allocation once the
 * arrays have grown to the most timers ever pending at once. Shard thread only.
 *
 * <p>A timer id packs its slot (low 32 bits) and the slot's generation (high bits, never negative),
 * so cancelling a timer that has run already, or whose slot a newer timer now holds, is harmless,
 * and -1 stays free for callers to mean "no timer". Deadlines are {@link System#nanoTime()} values
 * and compare by difference, so the clock may wrap. Timers with equal deadlines run in the order
 * they were scheduled.
 */
final class TimerHeap
{
    private static final int GENERATION_MASK = 0x7FFF_FFFF;
    private static final int NO_SLOT = -1;

    // By slot:
    private long[] deadlinesNs;
    private long[] sequences;
    private Runnable[] tasks; // null while the slot is free
    private int[] generations;
    private int[] positions; // the slot's index in heap; the next free slot while free
    // By heap position: the slot there. heap[0] is the earliest timer.
    private int[] heap;
    private int size;
    private int slotsUsed;
    private int freeSlot = NO_SLOT;
    private long nextSequence;

    TimerHeap(final int initialCapacity)
    {
        final int capacity = Math.max(4, initialCapacity);
        deadlinesNs = new long[capacity];
        sequences = new long[capacity];
        tasks = new Runnable[capacity];
        generations = new int[capacity];
        positions = new int[capacity];
        heap = new int[capacity];
    }

    /** Timers pending. */
    int size()
    {
        return size;
    }

    /** The earliest pending deadline; only meaningful when {@link #size()} is not 0. */
    long earliestDeadlineNs()
    {
        return deadlinesNs[heap[0]];
    }

    /** Add a timer for {@code task} at {@code deadlineNs}; returns its id (never negative). */
    long schedule(final long deadlineNs, final Runnable task)
    {
        final int slot = takeSlot();
        deadlinesNs[slot] = deadlineNs;
        sequences[slot] = nextSequence++;
        tasks[slot] = task;
        heap[size] = slot;
        positions[slot] = size;
        size++;
        siftUp(size - 1);
        return ((long)generations[slot] << 32) | slot;
    }

    /** Remove the timer {@code timerId}; false (and nothing changes) if it ran or was cancelled already. */
    boolean cancel(final long timerId)
    {
        if (timerId < 0)
        {
            return false;
        }
        final int slot = (int)timerId;
        if (slot < 0 || slot >= slotsUsed || tasks[slot] == null || generations[slot] != (int)(timerId >>> 32))
        {
            return false;
        }
        removeAt(positions[slot]);
        releaseSlot(slot);
        return true;
    }

    /**
     * Take out the earliest timer if it is due at {@code nowNs}.
     *
     * @return its task (the timer is gone: cancelling its id now is harmless), or null if none is due.
     */
    Runnable pollDue(final long nowNs)
    {
        if (size == 0)
        {
            return null;
        }
        final int slot = heap[0];
        if (nowNs - deadlinesNs[slot] < 0)
        {
            return null;
        }
        final Runnable task = tasks[slot];
        removeAt(0);
        releaseSlot(slot);
        return task;
    }

    private int takeSlot()
    {
        if (freeSlot != NO_SLOT)
        {
            final int slot = freeSlot;
            freeSlot = positions[slot];
            return slot;
        }
        if (slotsUsed == tasks.length)
        {
            grow();
        }
        return slotsUsed++;
    }

    private void releaseSlot(final int slot)
    {
        tasks[slot] = null;
        generations[slot] = (generations[slot] + 1) & GENERATION_MASK;
        positions[slot] = freeSlot;
        freeSlot = slot;
    }

    private void grow()
    {
        final int capacity = tasks.length << 1;
        deadlinesNs = Arrays.copyOf(deadlinesNs, capacity);
        sequences = Arrays.copyOf(sequences, capacity);
        tasks = Arrays.copyOf(tasks, capacity);
        generations = Arrays.copyOf(generations, capacity);
        positions = Arrays.copyOf(positions, capacity);
        heap = Arrays.copyOf(heap, capacity);
    }

    private void removeAt(final int position)
    {
        size--;
        if (position == size)
        {
            return;
        }
        final int moved = heap[size];
        heap[position] = moved;
        positions[moved] = position;
        if (!siftDown(position))
        {
            siftUp(position);
        }
    }

    private void siftUp(final int start)
    {
        int position = start;
        final int slot = heap[position];
        while (position > 0)
        {
            final int parentPosition = (position - 1) >>> 1;
            final int parent = heap[parentPosition];
            if (!earlier(slot, parent))
            {
                break;
            }
            heap[position] = parent;
            positions[parent] = position;
            position = parentPosition;
        }
        heap[position] = slot;
        positions[slot] = position;
    }

    /** @return true if the entry at {@code start} moved down. */
    private boolean siftDown(final int start)
    {
        int position = start;
        final int slot = heap[position];
        while (true)
        {
            final int left = (position << 1) + 1;
            if (left >= size)
            {
                break;
            }
            final int right = left + 1;
            final int child = right < size && earlier(heap[right], heap[left]) ? right : left;
            final int childSlot = heap[child];
            if (!earlier(childSlot, slot))
            {
                break;
            }
            heap[position] = childSlot;
            positions[childSlot] = position;
            position = child;
        }
        heap[position] = slot;
        positions[slot] = position;
        return position != start;
    }

    private boolean earlier(final int slotA, final int slotB)
    {
        final long differenceNs = deadlinesNs[slotA] - deadlinesNs[slotB];
        return differenceNs < 0 || (differenceNs == 0 && sequences[slotA] < sequences[slotB]);
    }
}
