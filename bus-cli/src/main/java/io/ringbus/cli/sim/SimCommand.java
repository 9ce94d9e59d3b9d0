package io.ringbus.cli.sim;

import io.ringbus.cli.Main;
import io.ringbus.cli.UsageException;
import io.ringbus.core.frame.FramePool;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * {@code ringbus sim}: run one seeded simulation of the cluster under faults, or a range of seeds,
 * and print one line per seed, {@code seed S ok|FAIL ... trace <hex>}. A failing seed is printed
 * with the command that reproduces it (the same seed and flags give the same trace hash).
 */
public final class SimCommand
{
    /** The command's usage text. */
    public static final String USAGE = String.join("\n",
        "usage: ringbus sim (--seed S | --seeds A..B) [--replicas N] [--clients N] [--ticks T] [--faults KIND]",
        "  Simulate a cluster of replicated echo nodes and their clients on one thread, with a virtual clock,",
        "  a simulated network and faults drawn from the seed; check the invariants as it runs.",
        "  --seed S        one run; the same seed and flags always give the same trace hash",
        "  --seeds A..B    every seed from A to B (inclusive); exit 1 if any failed",
        "  --replicas N    replicas in the cluster, 1..7 (default 3)",
        "  --clients N     clients, on tcp, ws and quic in turn, 0..64 (default 4)",
        "  --ticks T       ticks of 1 ms of virtual time with faults (default 20000), then settle and stop",
        "  --faults KIND   none | network | crash | all (default all)");

    private SimCommand()
    {
    }

    /** Parse, run, print; returns the exit code. */
    public static int run(final List<String> args, final PrintStream out, final PrintStream err)
        throws UsageException
    {
        Long seed = null;
        long first = 0;
        long last = -1;
        int replicas = 3;
        int clients = 4;
        long ticks = 20_000;
        Simulation.Faults faults = Simulation.Faults.ALL;
        for (int i = 0; i < args.size(); i++)
        {
            final String flag = args.get(i);
            if (i + 1 >= args.size())
            {
                throw new UsageException("ringbus sim: " + flag + " needs a value");
            }
            final String value = args.get(++i);
            switch (flag)
            {
                case "--seed":
                    seed = parseLong(flag, value);
                    break;
                case "--seeds":
                    final int dots = value.indexOf("..");
                    if (dots < 0)
                    {
                        throw new UsageException("ringbus sim: --seeds " + value + ": expected A..B");
                    }
                    first = parseLong(flag, value.substring(0, dots));
                    last = parseLong(flag, value.substring(dots + 2));
                    if (last < first)
                    {
                        throw new UsageException("ringbus sim: --seeds " + value + ": B is below A");
                    }
                    break;
                case "--replicas":
                    replicas = (int)parseLong(flag, value);
                    break;
                case "--clients":
                    clients = (int)parseLong(flag, value);
                    break;
                case "--ticks":
                    ticks = parseLong(flag, value);
                    break;
                case "--faults":
                    try
                    {
                        faults = Simulation.Faults.valueOf(value.toUpperCase(Locale.ROOT));
                    }
                    catch (final IllegalArgumentException ex)
                    {
                        throw new UsageException("ringbus sim: --faults " + value + ": expected none, network, crash or all");
                    }
                    break;
                default:
                    throw new UsageException("ringbus sim: unknown flag " + flag);
            }
        }
        if ((seed == null) == (last < first))
        {
            throw new UsageException("ringbus sim: give exactly one of --seed S or --seeds A..B");
        }
        if (seed != null)
        {
            first = seed;
            last = seed;
        }
        enableLeakDetection(err);
        int failures = 0;
        for (long s = first; s <= last; s++)
        {
            final Simulation.Options options;
            try
            {
                options = new Simulation.Options(s, replicas, clients, ticks, faults);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new UsageException("ringbus sim: " + ex.getMessage());
            }
            final Simulation.Result result = new Simulation(options).run();
            if (!result.ok())
            {
                failures++;
                err.println("seed " + s + ": last events before the failure:");
                for (final String line : result.traceTail())
                {
                    err.println("  " + line);
                }
                err.println("seed " + s + ": state at the failure:");
                for (final String line : result.state())
                {
                    err.println("  " + line);
                }
                err.println("reproduce: " + options.command());
            }
            out.println(result.line());
            if (s == Long.MAX_VALUE)
            {
                break;
            }
        }
        return failures == 0 ? Main.EXIT_OK : Main.EXIT_FAILURE;
    }

    /**
     * The leak check needs the pools' leak detection, which each pool reads from the system
     * property {@code ringbus.leakDetection} when the pool class loads: set it before that.
     */
    private static void enableLeakDetection(final PrintStream err)
    {
        if (System.getProperty("ringbus.leakDetection") == null)
        {
            System.setProperty("ringbus.leakDetection", "true");
        }
        if (!FramePool.LEAK_DETECTION_DEFAULT)
        {
            err.println("ringbus sim: pooled buffer leak detection is off in this JVM (-Dringbus.leakDetection=false " +
                "or the pool was loaded before): leaks are not checked");
        }
    }

    private static long parseLong(final String flag, final String value) throws UsageException
    {
        try
        {
            return Long.parseLong(value.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new UsageException("ringbus sim: " + flag + " " + value + ": not a number");
        }
    }
}
