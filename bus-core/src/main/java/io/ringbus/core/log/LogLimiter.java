package io.ringbus.core.log;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps log lines caused by the network from flooding the log: at most one line per reason per
 * interval, the next admitted line carrying how many were held back. A peer sending garbage on a
 * thousand connections produces one line per interval, not a thousand.
 *
 * <pre>{@code
 * long held = limiter.admit("protocol_error", nowNs);
 * if (held >= 0)
 * {
 *     LOG.log(Level.WARNING, "closing " + peer + ": " + detail + LogLimiter.suffix(held));
 * }
 * }</pre>
 *
 * <p>Reasons are a small fixed set of names (close reasons, error kinds); at most
 * {@link #MAX_REASONS} distinct ones are tracked, beyond which they share one entry. Any thread;
 * {@link #admit} allocates only the first time a reason is seen.
 */
public final class LogLimiter
{
    /** Default interval: one line per reason per second. */
    public static final long DEFAULT_INTERVAL_NS = 1_000_000_000L;
    /** Distinct reasons tracked; more share the entry {@link #OTHER}. */
    public static final int MAX_REASONS = 256;
    /** The reason under which reasons beyond {@link #MAX_REASONS} are counted. */
    public static final String OTHER = "(other)";

    private final long intervalNs;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    /**
     * @param intervalNs the shortest time between two lines of the same reason; positive
     */
    public LogLimiter(final long intervalNs)
    {
        if (intervalNs <= 0)
        {
            throw new IllegalArgumentException("intervalNs must be positive: " + intervalNs);
        }
        this.intervalNs = intervalNs;
    }

    /** A limiter with {@link #DEFAULT_INTERVAL_NS}. */
    public LogLimiter()
    {
        this(DEFAULT_INTERVAL_NS);
    }

    /**
     * Decides whether a line for {@code reason} may be logged now.
     *
     * @param reason what the line is about (a close reason, an error kind)
     * @param nowNs  the caller's clock, {@code System.nanoTime()} or a virtual one
     * @return -1 to hold the line back (it is counted); otherwise log it, and the value is how many
     *         lines of this reason were held back since the last one logged
     */
    public long admit(final String reason, final long nowNs)
    {
        final Entry entry = entry(reason, nowNs);
        while (true)
        {
            final long last = entry.lastLoggedNs.get();
            if (nowNs - last < intervalNs)
            {
                entry.held.incrementAndGet();
                return -1;
            }
            if (entry.lastLoggedNs.compareAndSet(last, nowNs))
            {
                return entry.held.getAndSet(0);
            }
        }
    }

    /**
     * Lines of {@code reason} held back and not yet reported by an admitted line.
     *
     * @param reason the reason
     * @return the count, 0 for an unknown reason
     */
    public long held(final String reason)
    {
        final Entry entry = entries.get(reason);
        return entry != null ? entry.held.get() : 0;
    }

    /**
     * The text to append to an admitted line: empty for 0, else {@code " (and N more like it)"}.
     *
     * @param held the value {@link #admit} returned
     * @return the suffix
     */
    public static String suffix(final long held)
    {
        return held > 0 ? " (and " + held + " more like it since the last such line)" : "";
    }

    private Entry entry(final String reason, final long nowNs)
    {
        Entry entry = entries.get(reason);
        if (entry == null)
        {
            final String key = entries.size() < MAX_REASONS ? reason : OTHER;
            entry = entries.computeIfAbsent(key, k -> new Entry(nowNs - intervalNs));
        }
        return entry;
    }

    private static final class Entry
    {
        final AtomicLong lastLoggedNs;
        final AtomicLong held = new AtomicLong();

        Entry(final long lastLoggedNs)
        {
            this.lastLoggedNs = new AtomicLong(lastLoggedNs);
        }
    }
}
