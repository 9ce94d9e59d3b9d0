package io.ringbus.cli;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The settings of a command from three sources, merged into one {@link Flags} so that each value
 * goes through the same checks as its flag: a properties file named by {@code --config FILE} (or
 * {@code RINGBUS_CONFIG}), {@code RINGBUS_<NAME>} environment variables, and the command line.
 * Per setting the command line wins over a variable, and a variable over the file.
 *
 * <p>The file holds {@code key = value} lines (also {@code key: value}), the key a flag's name
 * without its dashes ({@code idle-timeout = 60000}); blank lines and lines starting with {@code #}
 * or {@code !} are ignored; there are no escapes or continuation lines (a Windows path is written
 * as it is). A variable's name is the flag's upper-cased with {@code -} as {@code _}
 * ({@code RINGBUS_IDLE_TIMEOUT}). A repeatable flag ({@code --tcp}) takes a comma-separated list in
 * the file or a variable. An unknown key or variable, a key given twice, a line that is not
 * {@code key = value}, and a missing or unreadable file are usage errors naming the source.
 * Relative paths in values are taken from the working directory, as on the command line.
 * Confined to the thread that parses the command line.
 */
final class ConfigSources
{
    /** The flag (and key of no file) naming the properties file. */
    static final String CONFIG = "config";
    /** The prefix of the environment variables read. */
    static final String ENV_PREFIX = "RINGBUS_";

    private ConfigSources()
    {
    }

    /** A setting read from the file or a variable, and how messages name where it came from. */
    private record Setting(String value, String label)
    {
    }

    /**
     * {@code commandLine} merged over the {@code RINGBUS_*} variables of {@code env} over the file
     * of {@code --config} (or {@code RINGBUS_CONFIG}).
     *
     * @param known      the command's flag names, {@link #CONFIG} among them
     * @param repeatable the flags whose values are lists
     * @throws UsageException for an unknown key or variable, a malformed line, a missing or
     *                        unreadable file: "ringbus serve: SOURCE: what"
     */
    static Flags merge(final Flags commandLine, final Map<String, String> env, final Set<String> known,
        final Set<String> repeatable) throws UsageException
    {
        final Map<String, Setting> fromEnv = fromEnvironment(commandLine, env, known);
        final String configFile;
        final String configLabel;
        if (commandLine.has(CONFIG))
        {
            configFile = commandLine.value(CONFIG);
            configLabel = "--" + CONFIG + " " + configFile;
        }
        else if (fromEnv.containsKey(CONFIG))
        {
            configFile = fromEnv.get(CONFIG).value();
            configLabel = fromEnv.get(CONFIG).label() + " = " + configFile;
        }
        else
        {
            configFile = null;
            configLabel = null;
        }
        final Map<String, Setting> fromFile = configFile == null ? Map.of() :
            fromFile(commandLine, Path.of(configFile), configLabel, known);

        final List<Flags.Entry> entries = new ArrayList<>();
        final Map<String, String> labels = new HashMap<>();
        // The file's and the variables' settings first (in a stable order), then the command line's.
        final Map<String, Setting> lower = new TreeMap<>(fromFile);
        lower.putAll(fromEnv);
        lower.remove(CONFIG);
        for (final Map.Entry<String, Setting> setting : lower.entrySet())
        {
            final String name = setting.getKey();
            if (commandLine.has(name))
            {
                continue; // the command line wins
            }
            labels.put(name, setting.getValue().label());
            if (repeatable.contains(name))
            {
                for (final String item : setting.getValue().value().split(",", -1))
                {
                    entries.add(new Flags.Entry(name, item.trim()));
                }
            }
            else
            {
                entries.add(new Flags.Entry(name, setting.getValue().value()));
            }
        }
        entries.addAll(commandLine.entries());
        return Flags.of(commandLine.command(), entries, labels, commandLine.positional());
    }

    /** The environment variable of {@code --name}: {@code RINGBUS_IDLE_TIMEOUT} for idle-timeout. */
    static String variable(final String name)
    {
        return ENV_PREFIX + name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    private static Map<String, Setting> fromEnvironment(final Flags flags, final Map<String, String> env,
        final Set<String> known) throws UsageException
    {
        final Map<String, String> names = new HashMap<>();
        for (final String name : known)
        {
            names.put(variable(name), name);
        }
        final Map<String, Setting> settings = new HashMap<>();
        // Sorted, so that of several bad variables the same one is named every time.
        for (final Map.Entry<String, String> variable : new TreeMap<>(env).entrySet())
        {
            final String key = variable.getKey();
            if (!key.startsWith(ENV_PREFIX))
            {
                continue;
            }
            final String name = names.get(key);
            if (name == null)
            {
                throw flags.error(key + " = " + variable.getValue() + ": unknown variable (" + ENV_PREFIX +
                    "<FLAG> sets a flag of 'ringbus " + flags.command() + "', e.g. " + variable("idle-timeout") +
                    " for --idle-timeout)");
            }
            settings.put(name, new Setting(variable.getValue(), key));
        }
        return settings;
    }

    private static Map<String, Setting> fromFile(final Flags flags, final Path file, final String label,
        final Set<String> known) throws UsageException
    {
        if (!Files.exists(file))
        {
            throw flags.error(label + ": no such file");
        }
        if (!Files.isRegularFile(file))
        {
            throw flags.error(label + ": not a regular file");
        }
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final MalformedInputException ex)
        {
            throw flags.error(label + ": not UTF-8 text");
        }
        catch (final IOException ex)
        {
            throw flags.error(label + ": cannot read: " + ex.getMessage());
        }
        final Map<String, Setting> settings = new HashMap<>();
        final Map<String, Integer> lineOf = new HashMap<>();
        for (int i = 0; i < lines.size(); i++)
        {
            final int number = i + 1;
            final String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("!"))
            {
                continue;
            }
            final int equals = line.indexOf('=');
            final int colon = line.indexOf(':');
            final int separator = equals < 0 ? colon : colon < 0 ? equals : Math.min(equals, colon);
            final String where = label + ": line " + number + ": ";
            if (separator <= 0)
            {
                throw flags.error(where + "'" + line + "' is not KEY = VALUE");
            }
            final String key = line.substring(0, separator).strip();
            final String value = line.substring(separator + 1).strip();
            if (!known.contains(key) || CONFIG.equals(key))
            {
                throw flags.error(where + key + " = " + value + ": unknown key (the keys are the flags of 'ringbus " +
                    flags.command() + "' without their dashes, e.g. idle-timeout = 60000)");
            }
            final Integer first = lineOf.putIfAbsent(key, number);
            if (first != null)
            {
                throw flags.error(where + key + " = " + value + ": given twice (first on line " + first + ")");
            }
            settings.put(key, new Setting(value, where + key));
        }
        return settings;
    }
}
