package io.ringbus.cli;

import io.ringbus.core.stat.StatLayout;
import io.ringbus.core.stat.StatReader;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code ringbus stat}: prints the counters a node keeps in {@code <data-dir>/ringbus.stat}, live
 * or after it stopped, every interval (or {@code --count} times), as text or one JSON line per
 * refresh; {@code --errors} prints its distinct error log ({@code ringbus.errors}) instead. A
 * directory without a counters file, or a file of another layout, is one line on stderr and exit
 * code {@link Main#EXIT_USAGE}. Runs on the calling thread.
 */
public final class StatCommand
{
    /** Refresh interval when {@code --interval} is not given. */
    public static final long DEFAULT_INTERVAL_MS = 1000;

    /** The usage text of {@code ringbus stat}. */
    public static final String USAGE = String.join("\n",
        "usage: ringbus stat [--data-dir DIR] [--interval MS] [--count N] [--json] [--errors]",
        "  Prints every counter of the node whose data directory is DIR (default ./" + ServeOptions.DEFAULT_DATA_DIR +
            ", where",
        "  'ringbus serve' counts), with its name, every --interval ms (default " + DEFAULT_INTERVAL_MS +
            ") until stopped, or",
        "  --count N times. The node may be running or stopped: the first line says which.",
        "  --json prints one line per refresh:",
        "  {\"pid\":...,\"alive\":true|false,\"counters\":{\"<name>\":<value>,...}}.",
        "  --errors prints the node's error log instead (ringbus.errors): each distinct error once, with",
        "  how often it was seen and when first and last.",
        "  Exit code 2 when DIR holds no counters file or one of another layout.");

    private static final Set<String> FLAGS = Set.of("data-dir", "interval", "count", "json", "errors");
    private static final Set<String> SWITCHES = Set.of("json", "errors");

    private StatCommand()
    {
    }

    /** Run {@code ringbus stat} with the arguments after the command. */
    public static int run(final List<String> args, final PrintStream out, final PrintStream err) throws UsageException
    {
        final Flags flags = Flags.parse("stat", args, FLAGS, SWITCHES, Set.of(), false);
        final Path dataDir = flags.has("data-dir") ? Path.of(flags.value("data-dir")) : ServeOptions.DEFAULT_DATA_DIR;
        final long intervalMs = flags.longValue("interval", DEFAULT_INTERVAL_MS, 1, TimeUnit.HOURS.toMillis(1));
        final long count = flags.longValue("count", 0, 1, Long.MAX_VALUE);
        final boolean json = flags.has("json");
        try
        {
            if (flags.has("errors"))
            {
                printErrors(dataDir, json, out);
                return Main.EXIT_OK;
            }
            for (long i = 0; count == 0 || i < count; i++)
            {
                if (i > 0)
                {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(intervalMs));
                    if (Thread.currentThread().isInterrupted())
                    {
                        return Main.EXIT_OK;
                    }
                }
                // Opened afresh each time: a node restarted meanwhile wrote a new file.
                final StatReader reader = StatReader.open(dataDir);
                out.println(json ? json(reader) : text(reader));
                out.flush();
            }
            return Main.EXIT_OK;
        }
        catch (final StatReader.StatFileException ex)
        {
            err.println("ringbus stat: " + ex.getMessage());
            return Main.EXIT_USAGE;
        }
    }

    /** One refresh as text: a line on the node, then one line per counter, name and value. */
    static String text(final StatReader reader)
    {
        final Map<String, Long> counters = reader.counters();
        int width = 0;
        for (final String name : counters.keySet())
        {
            width = Math.max(width, name.length());
        }
        final StringBuilder text = new StringBuilder()
            .append(reader.directory().resolve(StatLayout.STAT_FILE)).append(": pid ").append(reader.pid())
            .append(reader.alive() ? " running" : " stopped").append(", started ")
            .append(Instant.ofEpochMilli(reader.startTimeMs())).append(", ").append(counters.size())
            .append(" counters");
        for (final Map.Entry<String, Long> entry : counters.entrySet())
        {
            text.append('\n').append(entry.getKey());
            for (int pad = entry.getKey().length(); pad < width + 2; pad++)
            {
                text.append(' ');
            }
            text.append(entry.getValue());
        }
        return text.toString();
    }

    /** One refresh as one JSON line: {@code {"pid":...,"alive":...,"counters":{...}}}. */
    static String json(final StatReader reader)
    {
        final StringBuilder line = new StringBuilder("{\"pid\":").append(reader.pid())
            .append(",\"alive\":").append(reader.alive()).append(",\"counters\":{");
        boolean first = true;
        for (final Map.Entry<String, Long> entry : reader.counters().entrySet())
        {
            if (!first)
            {
                line.append(',');
            }
            first = false;
            quote(line, entry.getKey()).append(':').append(entry.getValue());
        }
        return line.append("}}").toString();
    }

    private static void printErrors(final Path dataDir, final boolean json, final PrintStream out)
        throws StatReader.StatFileException
    {
        final int distinct = StatReader.readErrors(dataDir, (observations, firstMs, lastMs, encodedException) ->
        {
            if (json)
            {
                out.println(quote(new StringBuilder("{\"count\":").append(observations).append(",\"first_ms\":")
                    .append(firstMs).append(",\"last_ms\":").append(lastMs).append(",\"error\":"), encodedException)
                    .append('}'));
            }
            else
            {
                out.println(observations + " time(s), first " + Instant.ofEpochMilli(firstMs) + ", last " +
                    Instant.ofEpochMilli(lastMs) + ":");
                out.println(encodedException.stripTrailing());
            }
        });
        if (!json)
        {
            out.println(distinct + " distinct error(s) in " + dataDir.resolve(StatLayout.ERRORS_FILE));
        }
    }

    /** Append {@code text} as a JSON string. */
    private static StringBuilder quote(final StringBuilder to, final String text)
    {
        to.append('"');
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            switch (c)
            {
                case '"':
                    to.append("\\\"");
                    break;
                case '\\':
                    to.append("\\\\");
                    break;
                case '\n':
                    to.append("\\n");
                    break;
                case '\r':
                    to.append("\\r");
                    break;
                case '\t':
                    to.append("\\t");
                    break;
                default:
                    if (c < 0x20)
                    {
                        to.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        to.append(c);
                    }
            }
        }
        return to.append('"');
    }
}
