package io.ringbus.core.stat;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.status.CountersReader;

/**
 * The layout of {@code ringbus.stat}: a header of {@link #HEADER_LENGTH} bytes, then the counters'
 * metadata buffer (labels, type ids, keys), then their values buffer (one cache-line padded slot
 * per counter), both as Agrona's {@code CountersManager} lays them out.
 *
 * <pre>
 *   0  int  magic            'RBST' (0x52425354): written last, so a reader never sees half a header
 *   4  int  layout version   {@link #LAYOUT_VERSION}: a reader refuses any other
 *   8  long pid              of the process that owns the file
 *  16  long start time       epoch ms
 *  24  int  metadata length  bytes
 *  28  int  values length    bytes
 *  32  int  closed           1 once the bus closed cleanly (then the file is stale whatever the pid)
 *  36  int  shards
 * </pre>
 *
 * The magic, version, pid and closed offsets stay where they are in every layout, so a bus can
 * always tell whether a file belongs to a live process before it replaces it. Static helpers only.
 */
public final class StatLayout
{
    /** The counters file in a data directory. */
    public static final String STAT_FILE = "ringbus.stat";
    /** The distinct error log in a data directory. */
    public static final String ERRORS_FILE = "ringbus.errors";
    /** 'RBST'. */
    public static final int MAGIC = 0x52425354;
    /** The layout this code writes and reads. */
    public static final int LAYOUT_VERSION = 1;
    /** Header bytes; two cache lines, so the metadata and values buffers stay aligned. */
    public static final int HEADER_LENGTH = 128;
    /** Bytes of the error log file. */
    public static final int ERRORS_LENGTH = 1024 * 1024;

    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = 4;
    static final int PID_OFFSET = 8;
    static final int START_TIME_OFFSET = 16;
    static final int METADATA_LENGTH_OFFSET = 24;
    static final int VALUES_LENGTH_OFFSET = 28;
    static final int CLOSED_OFFSET = 32;
    static final int SHARDS_OFFSET = 36;

    /** Type id of a counter whose value is one shard's part of the total under its label (the reader sums them). */
    public static final int TYPE_PER_SHARD = 1;
    /** Type id of a counter with one writer and one slot (a gauge, a shard's own counter). */
    public static final int TYPE_SINGLE = 2;

    private StatLayout()
    {
    }

    /** Bytes of the values buffer for {@code counters} counters. */
    static int valuesLength(final int counters)
    {
        return counters * CountersReader.COUNTER_LENGTH;
    }

    /** Bytes of the metadata buffer for {@code counters} counters. */
    static int metadataLength(final int counters)
    {
        return counters * CountersReader.METADATA_LENGTH;
    }

    /** Bytes of the whole file for {@code counters} counters. */
    static long fileLength(final int counters)
    {
        return (long)HEADER_LENGTH + metadataLength(counters) + valuesLength(counters);
    }

    /** Write the header, the magic last (release), over a zeroed buffer. */
    static void writeHeader(final AtomicBuffer header, final long pid, final long startTimeMs, final int counters,
        final int shards)
    {
        header.putLong(PID_OFFSET, pid);
        header.putLong(START_TIME_OFFSET, startTimeMs);
        header.putInt(METADATA_LENGTH_OFFSET, metadataLength(counters));
        header.putInt(VALUES_LENGTH_OFFSET, valuesLength(counters));
        header.putInt(SHARDS_OFFSET, shards);
        header.putInt(VERSION_OFFSET, LAYOUT_VERSION);
        header.putIntRelease(MAGIC_OFFSET, MAGIC);
    }

    /** True if the process {@code pid} is alive (never true for a pid that is not running). */
    static boolean processAlive(final long pid)
    {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
