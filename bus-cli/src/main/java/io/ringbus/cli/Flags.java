package io.ringbus.cli;

import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The flags of one sub-command, parsed from {@code --name value} or {@code --name=value}, and the
 * converters that turn their values into numbers and addresses with a clear error.
 *
 * <p>Every flag takes a value, except switches ({@code --insecure}), which take none and read as
 * "true". A flag listed as repeatable may be given several times (its values keep their order);
 * any other flag given twice is an error, as is an unknown flag. Arguments that do not start with
 * {@code --} are positional, allowed only where the command takes them.
 * Confined to the thread that parses the command line.
 */
public final class Flags
{
    /** One occurrence of a flag, in command-line order. */
    public record Entry(String name, String value)
    {
    }

    private final String command;
    private final List<Entry> entries = new ArrayList<>();
    private final List<String> positional = new ArrayList<>();
    /** How messages name a flag that did not come from the command line (ConfigSources), by name. */
    private final Map<String, String> labels = new HashMap<>();

    private Flags(final String command)
    {
        this.command = command;
    }

    /**
     * Flags from several sources merged ({@link ConfigSources}): {@code entries} in order, and for
     * each name not given on the command line how messages name its source ({@link #label}).
     */
    static Flags of(final String command, final List<Entry> entries, final Map<String, String> labels,
        final List<String> positional)
    {
        final Flags flags = new Flags(command);
        flags.entries.addAll(entries);
        flags.labels.putAll(labels);
        flags.positional.addAll(positional);
        return flags;
    }

    /** The sub-command, for messages ("serve"). */
    String command()
    {
        return command;
    }

    /**
     * How a message names where {@code name}'s value came from: {@code --name} for the command line,
     * else e.g. {@code RINGBUS_IDLE_TIMEOUT} or {@code --config FILE: line 3: idle-timeout}.
     */
    public String label(final String name)
    {
        final String label = labels.get(name);
        return label != null ? label : "--" + name;
    }

    /**
     * Parse {@code args} of {@code ringbus <command>}.
     *
     * @param command        the sub-command, for messages ("serve")
     * @param args           the arguments after the sub-command
     * @param known          the flag names the command accepts, without the leading dashes
     * @param repeatable     the flags that may be given more than once
     * @param takesPositional whether arguments that are not flags are allowed
     * @throws UsageException naming the first argument that is wrong
     */
    public static Flags parse(final String command, final List<String> args, final Set<String> known,
        final Set<String> repeatable, final boolean takesPositional) throws UsageException
    {
        return parse(command, args, known, Set.of(), repeatable, takesPositional);
    }

    /**
     * As {@link #parse(String, List, Set, Set, boolean)}, with {@code switches}: flags among
     * {@code known} that take no value.
     */
    public static Flags parse(final String command, final List<String> args, final Set<String> known,
        final Set<String> switches, final Set<String> repeatable, final boolean takesPositional) throws UsageException
    {
        final Flags flags = new Flags(command);
        for (int i = 0; i < args.size(); i++)
        {
            final String arg = args.get(i);
            if (!arg.startsWith("--"))
            {
                if (!takesPositional)
                {
                    throw flags.error("unexpected argument '" + arg + "'");
                }
                flags.positional.add(arg);
                continue;
            }
            final int equals = arg.indexOf('=');
            final String name = equals < 0 ? arg.substring(2) : arg.substring(2, equals);
            if (!known.contains(name))
            {
                throw flags.error("unknown flag --" + name);
            }
            final String value;
            if (switches.contains(name))
            {
                if (equals >= 0)
                {
                    throw flags.error("flag --" + name + " takes no value");
                }
                value = "true";
            }
            else if (equals >= 0)
            {
                value = arg.substring(equals + 1);
            }
            else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--"))
            {
                value = args.get(++i);
            }
            else
            {
                throw flags.error("flag --" + name + " needs a value");
            }
            if (!repeatable.contains(name) && flags.has(name))
            {
                throw flags.error("flag --" + name + " given more than once");
            }
            flags.entries.add(new Entry(name, value));
        }
        return flags;
    }

    /** Every flag occurrence in command-line order. */
    public List<Entry> entries()
    {
        return Collections.unmodifiableList(entries);
    }

    /** The positional arguments in order. */
    public List<String> positional()
    {
        return Collections.unmodifiableList(positional);
    }

    /** True if {@code --name} was given. */
    public boolean has(final String name)
    {
        return value(name) != null;
    }

    /** The value of {@code --name} (its last occurrence), or null. */
    public String value(final String name)
    {
        String found = null;
        for (final Entry entry : entries)
        {
            if (entry.name().equals(name))
            {
                found = entry.value();
            }
        }
        return found;
    }

    /** A usage error of this command: "ringbus serve: " + detail. */
    public UsageException error(final String detail)
    {
        return new UsageException("ringbus " + command + ": " + detail);
    }

    /** {@code --name} as an int within [min, max], or {@code fallback} if absent. */
    public int intValue(final String name, final int fallback, final int min, final int max) throws UsageException
    {
        final long value = longValue(name, fallback, min, max);
        return (int)value;
    }

    /** {@code --name} as a long within [min, max], or {@code fallback} if absent. */
    public long longValue(final String name, final long fallback, final long min, final long max)
        throws UsageException
    {
        final String text = value(name);
        if (text == null)
        {
            return fallback;
        }
        final long value;
        try
        {
            value = Long.parseLong(text.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw error(label(name) + " = " + text + ": not a whole number");
        }
        if (value < min || value > max)
        {
            throw error(label(name) + " = " + text + ": must be within " + min + ".." + max);
        }
        return value;
    }

    /**
     * {@code --name} as an unsigned 128-bit decimal number, returned as {hi, lo}; {0, 0} if
     * absent.
     */
    public long[] u128Value(final String name) throws UsageException
    {
        final String text = value(name);
        if (text == null)
        {
            return new long[] {0, 0};
        }
        final BigInteger value;
        try
        {
            value = new BigInteger(text.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw error(label(name) + " = " + text + ": not a decimal number");
        }
        if (value.signum() < 0 || value.bitLength() > 128)
        {
            throw error(label(name) + " = " + text + ": must be within 0..2^128-1");
        }
        return new long[] {value.shiftRight(64).longValue(), value.longValue()};
    }

    /** Parse {@code HOST:PORT} (IPv6 as {@code [::1]:PORT}) given for {@code what}; port 0..65535. */
    public InetSocketAddress hostPort(final String what, final String text) throws UsageException
    {
        final int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1)
        {
            throw error(what + " = " + text + ": must be HOST:PORT");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]"))
        {
            host = host.substring(1, host.length() - 1);
        }
        else if (host.indexOf(':') >= 0)
        {
            throw error(what + " = " + text + ": write an IPv6 host in brackets, [::1]:PORT");
        }
        final int port;
        try
        {
            port = Integer.parseInt(text.substring(colon + 1));
        }
        catch (final NumberFormatException ex)
        {
            throw error(what + " = " + text + ": port is not a number");
        }
        if (port < 0 || port > 65535 || host.isEmpty())
        {
            throw error(what + " = " + text + ": port must be within 0..65535 and the host non-empty");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    /**
     * {@code address} (parsed from {@code text}, given for {@code what}) with its host resolved; a
     * host that does not resolve is a usage error, so a typo is refused before anything starts.
     */
    public InetSocketAddress resolve(final String what, final String text, final InetSocketAddress address)
        throws UsageException
    {
        final InetSocketAddress resolved = new InetSocketAddress(address.getHostString(), address.getPort());
        if (resolved.isUnresolved())
        {
            throw error(what + " = " + text + ": cannot resolve host " + address.getHostString());
        }
        return resolved;
    }

    /** Parse {@code 0=HOST:PORT,1=HOST:PORT,...} given for {@code --name}; ids must be 0..n-1. */
    public SortedMap<Integer, InetSocketAddress> replicaMap(final String name) throws UsageException
    {
        final String text = value(name);
        final SortedMap<Integer, InetSocketAddress> replicas = new TreeMap<>();
        if (text == null)
        {
            return replicas;
        }
        for (final String item : text.split(","))
        {
            final int equals = item.indexOf('=');
            if (equals <= 0)
            {
                throw error(label(name) + " entry '" + item + "': must be ID=HOST:PORT");
            }
            final int id;
            try
            {
                id = Integer.parseInt(item.substring(0, equals).trim());
            }
            catch (final NumberFormatException ex)
            {
                throw error(label(name) + " entry '" + item + "': the id is not a number");
            }
            final String what = label(name) + " entry " + id;
            final String hostPort = item.substring(equals + 1).trim();
            if (replicas.put(id, resolve(what, hostPort, hostPort(what, hostPort))) != null)
            {
                throw error(label(name) + ": replica " + id + " given twice");
            }
        }
        final int count = replicas.size();
        if (replicas.firstKey() != 0 || replicas.lastKey() != count - 1)
        {
            throw error(label(name) + " = " + text + ": ids must be exactly 0.." + (count - 1));
        }
        return replicas;
    }

    /** Render an address as HOST:PORT (IPv6 in brackets), the form the CLI prints and accepts. */
    public static String format(final InetSocketAddress address)
    {
        final String host = address.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
