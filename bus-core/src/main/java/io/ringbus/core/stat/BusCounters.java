package io.ringbus.core.stat;

import io.ringbus.core.transport.CloseReason;
import org.agrona.IoUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.errors.DistinctErrorLog;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A bus's counters and error log. With a data directory they live in {@code <dir>/ringbus.stat}
 * (layout: {@link StatLayout}) and {@code <dir>/ringbus.errors}, memory-mapped, so another process
 * ({@code ringbus stat}) reads them live or after the bus stopped; without one, in direct memory,
 * through the same code.
 *
 * <p>Every counter belongs to one writer: a counter of a client scheme or a replica peer has one
 * slot per shard under the same label ({@link StatLayout#TYPE_PER_SHARD}, key = the shard index)
 * and only that shard writes it, with ordered stores; a reader sums the slots of a label. A gauge
 * ({@link StatLayout#TYPE_SINGLE}) has one slot and one writer.
 *
 * <p>{@link #counter}, {@link #gauge}, {@link #client}, {@link #replica}, {@link #recordError}:
 * any thread ({@code counter} and {@code gauge} allocate under a lock, so callers look them up once,
 * off the frame path). {@link #close()}: once, after every writer has stopped. The mapping is never
 * unmapped explicitly: a late writer (a sender thread counting a refusal) must never touch unmapped
 * memory; it goes with the last reference.
 */
public final class BusCounters implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(BusCounters.class.getName());
    /** Client schemes counted from the start, in the order they are printed. */
    public static final List<String> SCHEMES = List.of("tcp", "tls", "ws", "wss", "quic");
    /** Counters a bus may allocate beyond those it knows of at start (transports, other schemes). */
    static final int SPARE_COUNTERS = 256;
    private static final int IN_MEMORY_ERRORS_LENGTH = 64 * 1024;
    private static final int NO_SHARD = -1;

    private final Path directory;
    private final AtomicBuffer header;
    private final CountersManager manager;
    private final DistinctErrorLog errorLog;
    private final ByteBuffer statMapping;
    private final ByteBuffer errorsMapping;
    private final Map<String, AtomicCounter> byKey = new HashMap<>();
    private final int shards;
    private final ClientCounters[][] clients;
    private final ConnectionCounters[][] replicas;
    private final AtomicCounter[][] reconnects;
    private final AtomicCounter backpressure;
    private boolean closed;

    private BusCounters(final Path directory, final int shards, final int replicaCount, final int self)
    {
        this.directory = directory;
        this.shards = shards;
        final int capacity = capacity(shards, replicaCount);
        final long pid = ProcessHandle.current().pid();
        final long startMs = System.currentTimeMillis();
        if (directory != null)
        {
            final Path statFile = directory.resolve(StatLayout.STAT_FILE);
            refuseIfLive(statFile);
            statMapping = mapNew(statFile, StatLayout.fileLength(capacity));
            errorsMapping = mapNew(directory.resolve(StatLayout.ERRORS_FILE), StatLayout.ERRORS_LENGTH);
        }
        else
        {
            statMapping = ByteBuffer.allocateDirect((int)StatLayout.fileLength(capacity));
            errorsMapping = ByteBuffer.allocateDirect(IN_MEMORY_ERRORS_LENGTH);
        }
        header = new UnsafeBuffer(statMapping, 0, StatLayout.HEADER_LENGTH);
        final UnsafeBuffer metadata = new UnsafeBuffer(statMapping, StatLayout.HEADER_LENGTH,
            StatLayout.metadataLength(capacity));
        final UnsafeBuffer values = new UnsafeBuffer(statMapping,
            StatLayout.HEADER_LENGTH + StatLayout.metadataLength(capacity), StatLayout.valuesLength(capacity));
        manager = new CountersManager(metadata, values, StandardCharsets.UTF_8);
        errorLog = new DistinctErrorLog(new UnsafeBuffer(errorsMapping), SystemEpochClock.INSTANCE,
            StandardCharsets.UTF_8);
        StatLayout.writeHeader(header, pid, startMs, capacity, shards);

        backpressure = gauge("client.backpressure_rejected");
        clients = new ClientCounters[shards][SCHEMES.size()];
        for (int s = 0; s < SCHEMES.size(); s++)
        {
            for (int shard = 0; shard < shards; shard++)
            {
                clients[shard][s] = new ClientCounters(this, SCHEMES.get(s), shard, backpressure);
            }
        }
        replicas = new ConnectionCounters[replicaCount][shards];
        reconnects = new AtomicCounter[replicaCount][shards];
        for (int r = 0; r < replicaCount; r++)
        {
            if (r == self)
            {
                continue;
            }
            final String prefix = "replica." + r + ".";
            for (int shard = 0; shard < shards; shard++)
            {
                replicas[r][shard] = new ConnectionCounters(counter(prefix + "frames_in", shard),
                    counter(prefix + "frames_out", shard), counter(prefix + "bytes_in", shard),
                    counter(prefix + "bytes_out", shard), null);
                reconnects[r][shard] = counter(prefix + "reconnects", shard);
            }
        }
    }

    /**
     * Counters for a bus of {@code shards} shards and {@code replicaCount} replicas (0: no
     * replica plane; {@code self} is this bus's own id, which gets none), in {@code directory}
     * (created if missing) or, if it is null, in memory.
     *
     * @throws IllegalStateException if {@code directory}'s counters file belongs to a live process
     *                               (a stale file of a dead process, or of a bus that closed, is replaced).
     * @throws UncheckedIOException  if the files cannot be created.
     */
    public static BusCounters create(final Path directory, final int shards, final int replicaCount, final int self)
    {
        return new BusCounters(directory, shards, replicaCount, self);
    }

    private static int capacity(final int shards, final int replicaCount)
    {
        // frames and bytes each way, opened and closed, protocol errors and their kinds, handshakes, by reason
        final int perScheme = 4 + 2 + 1 + ProtocolErrorKind.all().length + 2 + CloseReason.values().length;
        final int perShard = SCHEMES.size() * perScheme + replicaCount * 5 + 3;
        return shards * perShard + replicaCount * 2 + 1 + SPARE_COUNTERS;
    }

    private static void refuseIfLive(final Path statFile)
    {
        if (!Files.exists(statFile))
        {
            return;
        }
        try (FileChannel channel = FileChannel.open(statFile, StandardOpenOption.READ))
        {
            if (channel.size() < StatLayout.HEADER_LENGTH)
            {
                return;
            }
            final ByteBuffer bytes = ByteBuffer.allocate(StatLayout.HEADER_LENGTH).order(ByteOrder.nativeOrder());
            while (bytes.hasRemaining() && channel.read(bytes) >= 0)
            {
                // read the whole header (a file channel returns it in one or two reads)
            }
            final UnsafeBuffer header = new UnsafeBuffer(bytes.array());
            if (header.getInt(StatLayout.MAGIC_OFFSET) != StatLayout.MAGIC ||
                header.getInt(StatLayout.CLOSED_OFFSET) != 0)
            {
                return;
            }
            final long pid = header.getLong(StatLayout.PID_OFFSET);
            if (StatLayout.processAlive(pid))
            {
                throw new IllegalStateException("data_directory = " + statFile.getParent() + ": " +
                    StatLayout.STAT_FILE + " belongs to a running bus (pid " + pid + ", started " +
                    Instant.ofEpochMilli(header.getLong(StatLayout.START_TIME_OFFSET)) +
                    "); each bus needs a data directory of its own");
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("data_directory: cannot read " + statFile + ": " + ex.getMessage(), ex);
        }
    }

    private static MappedByteBuffer mapNew(final Path file, final long length)
    {
        try
        {
            Files.createDirectories(file.getParent());
            // A new file, not the old one truncated: a reader still mapping the stale file keeps its pages.
            Files.deleteIfExists(file);
            return IoUtil.mapNewFile(file.toFile(), length, false);
        }
        catch (final IOException | IllegalStateException ex)
        {
            throw new UncheckedIOException("data_directory: cannot create " + file + ": " + ex.getMessage(),
                ex instanceof IOException ? (IOException)ex : new IOException(ex));
        }
    }

    /** The data directory, or null for counters in memory. */
    public Path directory()
    {
        return directory;
    }

    /** When this bus started, epoch ms, as the file's header says. */
    public long startTimeMs()
    {
        return header.getLong(StatLayout.START_TIME_OFFSET);
    }

    /** Shards the per-shard counters were made for. */
    public int shards()
    {
        return shards;
    }

    /**
     * The slot of {@code shard} under {@code name} (found or allocated); the reader sums the slots
     * of a name. Only {@code shard} may write it. Any thread; allocates: look it up once.
     */
    public synchronized AtomicCounter counter(final String name, final int shard)
    {
        return findOrAllocate(name, shard, StatLayout.TYPE_PER_SHARD);
    }

    /** The one slot under {@code name} (found or allocated); one writer. Any thread; allocates: look it up once. */
    public synchronized AtomicCounter gauge(final String name)
    {
        return findOrAllocate(name, NO_SHARD, StatLayout.TYPE_SINGLE);
    }

    private AtomicCounter findOrAllocate(final String name, final int shard, final int typeId)
    {
        final String key = name + '@' + shard;
        AtomicCounter counter = byKey.get(key);
        if (counter == null)
        {
            if (manager.available() > 0)
            {
                counter = manager.newCounter(name, typeId, buffer -> buffer.putInt(0, shard));
            }
            else
            {
                // Full (a transport allocating far beyond what it announced): count on, unseen by readers.
                LOG.log(Level.WARNING, "counters file full: " + name + " is kept in memory only");
                counter = new AtomicCounter(new UnsafeBuffer(ByteBuffer.allocateDirect(128)), 0);
            }
            byKey.put(key, counter);
        }
        return counter;
    }

    /**
     * The counters of client scheme {@code scheme} on {@code shard}. Any thread for a known scheme
     * ({@link #SCHEMES}, made at start); another scheme's are made on first use (under the lock).
     */
    public ClientCounters client(final String scheme, final int shard)
    {
        final int index = SCHEMES.indexOf(scheme);
        if (index >= 0)
        {
            return clients[shard][index];
        }
        synchronized (this)
        {
            return new ClientCounters(this, scheme, shard, backpressure);
        }
    }

    /** The frame counters of the link to {@code replica} on {@code shard}, or null if it is no replica of ours. */
    public ConnectionCounters replica(final int replica, final int shard)
    {
        return replica >= 0 && replica < replicas.length ? replicas[replica][shard] : null;
    }

    /** Reconnections of replica {@code replica} seen on {@code shard}, or null if it is no replica of ours. */
    public AtomicCounter replicaReconnects(final int replica, final int shard)
    {
        return replica >= 0 && replica < reconnects.length ? reconnects[replica][shard] : null;
    }

    /** Record {@code error} in the distinct error log (each distinct error once, with a count). Any thread. */
    public void recordError(final Throwable error)
    {
        if (!errorLog.record(error))
        {
            LOG.log(Level.DEBUG, "error log full: not recorded: " + error);
        }
    }

    /** The error log's buffer (for tests and an in-process reader). */
    public AtomicBuffer errorBuffer()
    {
        return errorLog.buffer();
    }

    /**
     * Every counter by label, per-shard slots summed, in the order of the file (as {@code ringbus
     * stat} shows them). Any thread.
     */
    public Map<String, Long> snapshot()
    {
        return StatReader.sum(manager);
    }

    /** The value of counter {@code name} (its per-shard slots summed), or 0 if there is none. Any thread. */
    public long value(final String name)
    {
        final Long value = snapshot().get(name);
        return value != null ? value : 0;
    }

    /** The counters, for an in-process reader. */
    public CountersManager manager()
    {
        return manager;
    }

    /**
     * Mark the file closed cleanly (a reader then reports alive=false) and write it out. Call once
     * every writer has stopped; later calls do nothing.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        header.putIntRelease(StatLayout.CLOSED_OFFSET, 1);
        if (statMapping instanceof MappedByteBuffer)
        {
            ((MappedByteBuffer)statMapping).force();
            ((MappedByteBuffer)errorsMapping).force();
        }
    }
}
