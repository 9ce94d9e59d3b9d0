package io.ringbus.cli;

import io.ringbus.cli.sim.SimCommand;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Entry point of the {@code ringbus} executable ({@code java -jar ringbus.jar COMMAND ...}):
 * {@code serve}, {@code load}, {@code demo}, {@code stat}, {@code keygen} or {@code sim}. Exit codes:
 * {@link #EXIT_OK}, {@link #EXIT_FAILURE}
 * (the command ran and failed), {@link #EXIT_USAGE} (bad command line; nothing was started).
 * Runs on the main thread.
 */
public final class Main
{
    /** Success. */
    public static final int EXIT_OK = 0;
    /** The command ran and failed. */
    public static final int EXIT_FAILURE = 1;
    /** The command line is wrong: unknown command or flag, bad value, missing transport. */
    public static final int EXIT_USAGE = 2;

    /** The top-level usage text. */
    public static final String USAGE = String.join("\n",
        "usage: ringbus COMMAND [FLAGS]",
        "  serve   run a replicated echo node",
        "  load    drive load at nodes and report throughput and latency",
        "  demo    run a three-replica cluster in this process and print a table per transport",
        "  stat    print the counters (or the error log) of a node, running or stopped",
        "  keygen  write a new cluster key for 'serve --cluster-key' (owner-only file)",
        "  sim     simulate a cluster under faults from a seed (deterministic) and check its invariants",
        "  version print the version (also --version)",
        "Run 'ringbus COMMAND --help' for a command's flags.",
        "",
        ServeOptions.USAGE + "\n" + CliLogging.USAGE,
        "",
        LoadCommand.USAGE,
        "",
        DemoCommand.USAGE,
        "",
        StatCommand.USAGE,
        "",
        KeygenCommand.USAGE,
        "",
        SimCommand.USAGE);

    private Main()
    {
    }

    /** Run a command and exit with its code. */
    public static void main(final String[] args)
    {
        final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        final PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
        final int code = run(args, out, err);
        out.flush();
        err.flush();
        // serve returns once SIGTERM/SIGINT stopped it (ServeCommand handles them): exit 0, not 143.
        System.exit(code);
    }

    /**
     * Run {@code args} (command first) writing to {@code out} and {@code err}; returns the exit
     * code. {@code serve} returns only once the JVM shuts down.
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        return run(args, System.getenv(), out, err);
    }

    /**
     * As {@link #run(String[], PrintStream, PrintStream)}, with the environment whose
     * {@code RINGBUS_*} variables set serve's flags (tests give their own).
     */
    public static int run(final String[] args, final Map<String, String> env, final PrintStream out,
        final PrintStream err)
    {
        if (args.length == 0)
        {
            err.println(USAGE);
            return EXIT_USAGE;
        }
        final String command = args[0];
        final List<String> rest = Arrays.asList(args).subList(1, args.length);
        if ("help".equals(command) || "--help".equals(command) || "-h".equals(command))
        {
            out.println(USAGE);
            return EXIT_OK;
        }
        if ("version".equals(command) || "--version".equals(command))
        {
            out.println(Version.line());
            return EXIT_OK;
        }
        final String usage = usageOf(command);
        if (usage == null)
        {
            err.println("ringbus: unknown command '" + command + "' (serve, load, demo, stat, keygen, sim or version)");
            err.println(USAGE);
            return EXIT_USAGE;
        }
        if (rest.contains("--help") || rest.contains("-h"))
        {
            out.println(usage);
            return EXIT_OK;
        }
        // One log line per record on err, at --log-level, for the time of the command (CliLogging).
        // serve: a log level from RINGBUS_LOG_LEVEL or the --config file, as if given as a flag.
        try (CliLogging logging = CliLogging.install(command,
            "serve".equals(command) ? ConfigSources.withLogLevel(rest, env) : rest, err))
        {
            switch (command)
            {
                case "serve":
                    return ServeCommand.run(logging.args(), env, out, err);
                case "load":
                    return LoadCommand.run(logging.args(), out, err);
                case "keygen":
                    return KeygenCommand.run(rest, out, err);
                case "sim":
                    return SimCommand.run(rest, out, err);
                case "stat":
                    return StatCommand.run(rest, out, err);
                default:
                    return DemoCommand.run(logging.args(), out, err);
            }
        }
        catch (final UsageException ex)
        {
            err.println(ex.getMessage());
            err.println("Run 'ringbus " + command + " --help' for its flags.");
            return EXIT_USAGE;
        }
        catch (final RuntimeException ex)
        {
            err.println("ringbus " + command + ": " + ex);
            ex.printStackTrace(err);
            return EXIT_FAILURE;
        }
    }

    /** The usage text of a command, or null if there is no such command. */
    private static String usageOf(final String command)
    {
        switch (command)
        {
            case "serve":
                return ServeOptions.USAGE + "\n" + CliLogging.USAGE;
            case "load":
                return LoadCommand.USAGE;
            case "demo":
                return DemoCommand.USAGE;
            case "keygen":
                return KeygenCommand.USAGE;
            case "sim":
                return SimCommand.USAGE;
            case "stat":
                return StatCommand.USAGE;
            default:
                return null;
        }
    }
}
