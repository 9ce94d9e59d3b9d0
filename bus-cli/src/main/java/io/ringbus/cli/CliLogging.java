package io.ringbus.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.logging.Filter;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The logging of the {@code ringbus} executable (never of the library: bus-core and the transports
 * log through {@code System.Logger} and leave its configuration to their users). For the time of
 * one command it replaces the handlers of java.util.logging's root logger (where
 * {@code System.Logger} records end up by default) with one handler that writes one line per record
 * to the command's stderr ({@link OneLineFormatter}), at the level {@code --log-level} chose;
 * {@link #close} puts the previous handlers and level back.
 *
 * <p>{@code --log-level} is taken out of the arguments of {@code serve}, {@code load} and
 * {@code demo} here, before the command parses the rest. Install and close on the main thread;
 * the handler may be called from any thread.
 */
final class CliLogging implements AutoCloseable
{
    /** The flag, without its dashes. */
    static final String FLAG = "log-level";

    /** The usage lines of {@code --log-level}, shared by serve, load and demo. */
    static final String USAGE = String.join("\n",
        "  --log-level error|warn|info|debug: which log records go to stderr, one line each",
        "  (ISO-8601 UTC time, level, logger, message); default info (demo: warn). A record's stack",
        "  trace is printed only at error, or for every record at debug.");

    /** The levels {@code --log-level} accepts, with the java.util.logging level each stands for. */
    enum LogLevel
    {
        ERROR(Level.SEVERE),
        WARN(Level.WARNING),
        INFO(Level.INFO),
        DEBUG(Level.FINE);

        final Level julLevel;

        LogLevel(final Level julLevel)
        {
            this.julLevel = julLevel;
        }

        /** The flag's value for this level: "error", "warn", "info", "debug". */
        String flagValue()
        {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final List<String> args;
    private final Logger root;
    private final Level previousLevel;
    private final Handler[] previousHandlers;
    private final Handler handler;

    private CliLogging(final List<String> args, final Logger root, final Handler handler)
    {
        this.args = args;
        this.root = root;
        this.handler = handler;
        this.previousLevel = root.getLevel();
        this.previousHandlers = root.getHandlers();
        for (final Handler previous : previousHandlers)
        {
            root.removeHandler(previous);
        }
        root.addHandler(handler);
        root.setLevel(handler.getLevel());
    }

    /**
     * Take {@code --log-level} out of {@code args} (for serve, load and demo; other commands keep
     * their arguments as given and log at info) and install the one-line handler writing to
     * {@code err}.
     *
     * @throws UsageException for a bad or repeated {@code --log-level}, naming the value; nothing
     *                        is installed then
     */
    static CliLogging install(final String command, final List<String> args, final PrintStream err)
        throws UsageException
    {
        final boolean takesFlag = "serve".equals(command) || "load".equals(command) || "demo".equals(command);
        final List<String> rest = new ArrayList<>(args.size());
        LogLevel level = null;
        for (int i = 0; i < args.size(); i++)
        {
            final String arg = args.get(i);
            final String value;
            if (takesFlag && arg.equals("--" + FLAG))
            {
                if (i + 1 >= args.size() || args.get(i + 1).startsWith("--"))
                {
                    throw new UsageException("ringbus " + command + ": flag --" + FLAG + " needs a value");
                }
                value = args.get(++i);
            }
            else if (takesFlag && arg.startsWith("--" + FLAG + "="))
            {
                value = arg.substring(FLAG.length() + 3);
            }
            else
            {
                rest.add(arg);
                continue;
            }
            if (level != null)
            {
                throw new UsageException("ringbus " + command + ": flag --" + FLAG + " given more than once");
            }
            level = parseLevel(command, value);
        }
        if (level == null)
        {
            level = "demo".equals(command) ? LogLevel.WARN : LogLevel.INFO;
        }
        final Handler handler = new OneLineHandler(err, new OneLineFormatter(level == LogLevel.DEBUG));
        handler.setLevel(level.julLevel);
        if ("serve".equals(command))
        {
            handler.setFilter(SERVE_FILTER);
        }
        return new CliLogging(Collections.unmodifiableList(rest), Logger.getLogger(""), handler);
    }

    /** {@code --log-level}'s value as a level; a usage error naming the value otherwise. */
    static LogLevel parseLevel(final String command, final String value) throws UsageException
    {
        for (final LogLevel level : LogLevel.values())
        {
            if (level.flagValue().equals(value))
            {
                return level;
            }
        }
        throw new UsageException("ringbus " + command + ": --" + FLAG + " = " + value +
            ": must be error, warn, info or debug");
    }

    /** The command's arguments without {@code --log-level}. */
    List<String> args()
    {
        return args;
    }

    /** Put back the root logger's previous handlers and level. */
    @Override
    public void close()
    {
        root.removeHandler(handler);
        for (final Handler previous : previousHandlers)
        {
            root.addHandler(previous);
        }
        root.setLevel(previousLevel);
        handler.flush();
    }

    /**
     * Records of facts that {@code ringbus serve} prints itself on stdout (see
     * {@link ServeCommand#printsItself}), dropped so that each fact is said once.
     */
    private static final Filter SERVE_FILTER = record -> !ServeCommand.printsItself(record);

    /**
     * Writes each formatted record to one stream, whole (records of different threads do not
     * interleave), flushed at once. Any thread.
     */
    static final class OneLineHandler extends Handler
    {
        private final PrintStream out;

        OneLineHandler(final PrintStream out, final Formatter formatter)
        {
            this.out = out;
            setFormatter(formatter);
        }

        @Override
        public void publish(final LogRecord record)
        {
            if (!isLoggable(record))
            {
                return;
            }
            final String text;
            try
            {
                text = getFormatter().format(record);
            }
            catch (final RuntimeException ex)
            {
                reportError("cannot format a log record", ex, java.util.logging.ErrorManager.FORMAT_FAILURE);
                return;
            }
            synchronized (out)
            {
                out.print(text);
                out.flush();
            }
        }

        @Override
        public void flush()
        {
            out.flush();
        }

        @Override
        public void close()
        {
            flush(); // the stream is the command's stderr: not ours to close
        }
    }

    /**
     * One line per record: {@code 2026-12-03T17:56:47.123Z INFO  MessageBus message}: the time in
     * ISO-8601 UTC with milliseconds, the level (ERROR, WARN, INFO, DEBUG, TRACE) padded to five,
     * the logger's simple name (after its last dot), the message with line breaks written as
     * {@code \n}. A record's throwable is appended to the line as {@code : <throwable>} below
     * ERROR; its stack trace follows the line only for an ERROR record or when
     * {@code stackTraces} is on (at {@code --log-level debug}). Any thread.
     */
    static final class OneLineFormatter extends Formatter
    {
        private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

        private final boolean stackTraces;

        OneLineFormatter(final boolean stackTraces)
        {
            this.stackTraces = stackTraces;
        }

        @Override
        public String format(final LogRecord record)
        {
            final StringBuilder line = new StringBuilder(128);
            TIME.formatTo(record.getInstant(), line);
            final String level = levelName(record.getLevel());
            line.append(' ').append(level);
            for (int i = level.length(); i < 5; i++)
            {
                line.append(' ');
            }
            line.append(' ').append(simpleName(record.getLoggerName())).append(' ');
            appendOneLine(line, formatMessage(record));
            final Throwable thrown = record.getThrown();
            if (thrown != null && !stackTraces && record.getLevel().intValue() < Level.SEVERE.intValue())
            {
                line.append(": ");
                appendOneLine(line, String.valueOf(thrown));
            }
            line.append(System.lineSeparator());
            if (thrown != null && (stackTraces || record.getLevel().intValue() >= Level.SEVERE.intValue()))
            {
                final StringWriter trace = new StringWriter();
                try (PrintWriter writer = new PrintWriter(trace))
                {
                    thrown.printStackTrace(writer);
                }
                line.append(trace);
            }
            return line.toString();
        }

        /** The name the one-line format gives a java.util.logging level. */
        static String levelName(final Level level)
        {
            final int value = level.intValue();
            if (value >= Level.SEVERE.intValue())
            {
                return "ERROR";
            }
            if (value >= Level.WARNING.intValue())
            {
                return "WARN";
            }
            if (value >= Level.INFO.intValue())
            {
                return "INFO";
            }
            return value >= Level.FINE.intValue() ? "DEBUG" : "TRACE";
        }

        private static String simpleName(final String loggerName)
        {
            if (loggerName == null || loggerName.isEmpty())
            {
                return "-";
            }
            return loggerName.substring(loggerName.lastIndexOf('.') + 1);
        }

        private static void appendOneLine(final StringBuilder line, final String text)
        {
            for (int i = 0; i < text.length(); i++)
            {
                final char c = text.charAt(i);
                if (c == '\n')
                {
                    line.append("\\n");
                }
                else if (c != '\r')
                {
                    line.append(c);
                }
            }
        }
    }
}
