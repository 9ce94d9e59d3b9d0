package io.ringbus.cli;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
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
 * {@code log-level} is read too, before logging starts ({@link #withLogLevel}).
 * Confined to the thread that parses the command line.
 */
final class ConfigSources
{
    /** The flag (and key of no file) naming the properties file. */
    static final String CONFIG = "config";
    /** The prefix of the environment variables read. */
    static final String ENV_PREFIX = "RINGBUS_";
    /**
     * {@code --log-level}, which {@link CliLogging} takes out of the command line before the
     * command parses it: a key and a variable too, read first by {@link #withLogLevel}.
     */
    static final String LOG_LEVEL = CliLogging.FLAG;

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
    static Flags merge(final Flags commandLine, final Map<String, String> env, final Set<String> flags,
        final Set<String> repeatable) throws UsageException
    {
        final Set<String> known = new HashSet<>(flags);
        known.add(LOG_LEVEL); // already applied by withLogLevel; accepted here so that it is not "unknown"
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
        lower.remove(LOG_LEVEL);
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

    /**
     * {@code args} (of {@code ringbus serve}, before {@link CliLogging} takes {@code --log-level}
     * out) with {@code --log-level=VALUE} added from {@code RINGBUS_LOG_LEVEL} or the file's
     * {@code log-level} when the command line has none, so that the log level of the whole command
     * follows the same precedence as every other setting.
     *
     * @throws UsageException for a bad value, naming its source, or a file that cannot be read
     */
    static List<String> withLogLevel(final List<String> args, final Map<String, String> env) throws UsageException
    {
        String config = null;
        for (int i = 0; i < args.size(); i++)
        {
            final String arg = args.get(i);
            if (arg.equals("--" + LOG_LEVEL) || arg.startsWith("--" + LOG_LEVEL + "="))
            {
                return args; // the command line wins
            }
            if (arg.equals("--" + CONFIG) && i + 1 < args.size())
            {
                config = args.get(i + 1);
            }
            else if (arg.startsWith("--" + CONFIG + "="))
            {
                config = arg.substring(CONFIG.length() + 3);
            }
        }
        final Flags none = Flags.of("serve", List.of(), Map.of(), List.of());
        Setting level = null;
        if (env.get(variable(LOG_LEVEL)) != null)
        {
            level = new Setting(env.get(variable(LOG_LEVEL)), variable(LOG_LEVEL));
        }
        else
        {
            String label = "--" + CONFIG + " " + config;
            if (config == null && env.get(variable(CONFIG)) != null)
            {
                config = env.get(variable(CONFIG));
                label = variable(CONFIG) + " = " + config;
            }
            if (config != null)
            {
                // Other keys are checked once the command parses its flags (merge); here only this one.
                level = fromFile(none, Path.of(config), label, null).get(LOG_LEVEL);
            }
        }
        if (level == null)
        {
            return args;
        }
        try
        {
            CliLogging.parseLevel("serve", level.value());
        }
        catch (final UsageException ex)
        {
            throw none.error(level.label() + " = " + level.value() + ": must be error, warn, info or debug");
        }
        final List<String> withLevel = new ArrayList<>(args);
        withLevel.add("--" + LOG_LEVEL + "=" + level.value());
        return withLevel;
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

    /** The settings of {@code file} by key; {@code known} null accepts any key. */
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
            if (known != null && (!known.contains(key) || CONFIG.equals(key)))
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
