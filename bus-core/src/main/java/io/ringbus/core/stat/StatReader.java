package io.ringbus.core.stat;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.errors.ErrorConsumer;
import org.agrona.concurrent.errors.ErrorLogReader;
import org.agrona.concurrent.status.CountersReader;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a data directory's counters file ({@link StatLayout}) and error log from any process,
 * while the bus runs or after it stopped. {@link #counters()} sums the per-shard slots of each
 * label. One thread at a time.
 */
public final class StatReader
{
    /** The data directory holds no usable counters file: the message says why, for an operator. */
    public static final class StatFileException extends Exception
    {
        private static final long serialVersionUID = 1L;

        StatFileException(final String message)
        {
            super(message);
        }
    }

    private final Path directory;
    private final UnsafeBuffer header;
    private final CountersReader reader;

    private StatReader(final Path directory, final UnsafeBuffer header, final CountersReader reader)
    {
        this.directory = directory;
        this.header = header;
        this.reader = reader;
    }

    /**
     * Open the counters file of {@code directory}.
     *
     * @throws StatFileException if the directory or file is missing, or the file has another layout.
     */
    public static StatReader open(final Path directory) throws StatFileException
    {
        final Path file = directory.resolve(StatLayout.STAT_FILE);
        if (!Files.isDirectory(directory))
        {
            throw new StatFileException("no data directory " + directory);
        }
        if (!Files.isRegularFile(file))
        {
            throw new StatFileException("no counters file in " + directory + " (" + StatLayout.STAT_FILE +
                "): is it the data directory of a bus?");
        }
        final MappedByteBuffer mapped;
        final long size;
        try (FileChannel channel = FileChannel.open(file))
        {
            size = channel.size();
            if (size < StatLayout.HEADER_LENGTH)
            {
                throw new StatFileException(file + " is not a ringbus counters file (" + size + " bytes)");
            }
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
        }
        catch (final IOException ex)
        {
            throw new StatFileException("cannot read " + file + ": " + ex.getMessage());
        }
        final UnsafeBuffer header = new UnsafeBuffer(mapped, 0, StatLayout.HEADER_LENGTH);
        final int magic = header.getIntAcquire(StatLayout.MAGIC_OFFSET);
        if (magic != StatLayout.MAGIC)
        {
            throw new StatFileException(file + " is not a ringbus counters file (magic " +
                Integer.toHexString(magic) + ")");
        }
        final int version = header.getInt(StatLayout.VERSION_OFFSET);
        if (version != StatLayout.LAYOUT_VERSION)
        {
            throw new StatFileException(file + " has counters layout " + version + "; this ringbus reads layout " +
                StatLayout.LAYOUT_VERSION);
        }
        final int metadataLength = header.getInt(StatLayout.METADATA_LENGTH_OFFSET);
        final int valuesLength = header.getInt(StatLayout.VALUES_LENGTH_OFFSET);
        if (metadataLength < 0 || valuesLength < 0 ||
            (long)StatLayout.HEADER_LENGTH + metadataLength + valuesLength > size)
        {
            throw new StatFileException(file + " is damaged: its regions (" + metadataLength + " + " + valuesLength +
                " bytes) do not fit its " + size + " bytes");
        }
        final UnsafeBuffer metadata = new UnsafeBuffer(mapped, StatLayout.HEADER_LENGTH, metadataLength);
        final UnsafeBuffer values = new UnsafeBuffer(mapped, StatLayout.HEADER_LENGTH + metadataLength, valuesLength);
        return new StatReader(directory, header, new CountersReader(metadata, values, StandardCharsets.UTF_8));
    }

    /** The pid of the process that wrote the file. */
    public long pid()
    {
        return header.getLong(StatLayout.PID_OFFSET);
    }

    /** When the bus started, epoch ms. */
    public long startTimeMs()
    {
        return header.getLong(StatLayout.START_TIME_OFFSET);
    }

    /** True once the bus closed cleanly. */
    public boolean closedCleanly()
    {
        return header.getIntAcquire(StatLayout.CLOSED_OFFSET) != 0;
    }

    /** True while the bus that wrote the file runs: not closed cleanly, and its process alive. */
    public boolean alive()
    {
        return !closedCleanly() && StatLayout.processAlive(pid());
    }

    /** Every counter by label, in the order of the file, the per-shard slots of a label summed. */
    public Map<String, Long> counters()
    {
        return sum(reader);
    }

    /** Every counter of {@code reader} by label, in the order of the file, the slots of a label summed. */
    static Map<String, Long> sum(final CountersReader reader)
    {
        final Map<String, Long> sums = new LinkedHashMap<>();
        reader.forEach((value, id, label) -> sums.merge(label, value, Long::sum));
        return sums;
    }

    /** The underlying Agrona reader (labels, type ids, keys). */
    public CountersReader reader()
    {
        return reader;
    }

    /**
     * Read the error log of {@code directory}: each distinct error once, with its count and first
     * and last time.
     *
     * @return how many distinct errors were read.
     * @throws StatFileException if the directory has no error log.
     */
    public static int readErrors(final Path directory, final ErrorConsumer consumer) throws StatFileException
    {
        final Path file = directory.resolve(StatLayout.ERRORS_FILE);
        if (!Files.isRegularFile(file))
        {
            throw new StatFileException("no error log in " + directory + " (" + StatLayout.ERRORS_FILE +
                "): is it the data directory of a bus?");
        }
        final MappedByteBuffer mapped;
        try (FileChannel channel = FileChannel.open(file))
        {
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
        }
        catch (final IOException ex)
        {
            throw new StatFileException("cannot read " + file + ": " + ex.getMessage());
        }
        try
        {
            return ErrorLogReader.read(new UnsafeBuffer(mapped), consumer);
        }
        finally
        {
            IoUtil.unmap(mapped);
        }
    }

    /** The data directory read. */
    public Path directory()
    {
        return directory;
    }
}
