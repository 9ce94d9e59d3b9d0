package io.ringbus.quic.bus;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Captures what one class logs through System.Logger (backed by java.util.logging in tests), so
 * that a test can check that a reason was logged. Close it to detach. Any thread.
 */
final class LogCapture extends Handler implements AutoCloseable
{
    private final Logger logger;
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();

    LogCapture(final Class<?> source)
    {
        this.logger = Logger.getLogger(source.getName());
        setLevel(Level.ALL);
        logger.addHandler(this);
    }

    /** Capture records of the class of this name (a package-private class of the transport). */
    LogCapture(final String sourceClassName)
    {
        this.logger = Logger.getLogger(sourceClassName);
        setLevel(Level.ALL);
        logger.addHandler(this);
    }

    /** The messages logged at {@code level} or above that contain every one of {@code parts}. */
    long count(final Level level, final String... parts)
    {
        long count = 0;
        for (final LogRecord record : records)
        {
            if (record.getLevel().intValue() >= level.intValue() && containsAll(record.getMessage(), parts))
            {
                count++;
            }
        }
        return count;
    }

    /** Every message captured, for failure messages. */
    String messages()
    {
        final StringBuilder all = new StringBuilder();
        for (final LogRecord record : records)
        {
            all.append(record.getLevel()).append(' ').append(record.getMessage()).append('\n');
        }
        return all.toString();
    }

    private static boolean containsAll(final String message, final String[] parts)
    {
        if (message == null)
        {
            return false;
        }
        for (final String part : parts)
        {
            if (!message.contains(part))
            {
                return false;
            }
        }
        return true;
    }

    @Override
    public void publish(final LogRecord record)
    {
        records.add(record);
    }

    @Override
    public void flush()
    {
    }

    @Override
    public void close()
    {
        logger.removeHandler(this);
    }
}
