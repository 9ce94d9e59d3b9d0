package io.ringbus.sim;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/** A minimal world for the tests: one clock, one PRNG, one trace, one network, the backends made on it. */
final class SimHarness
{
    final SimClock clock = new SimClock();
    final SimRandom random;
    final Trace trace = new Trace(clock);
    final SimNetwork network;
    final List<SimBackend> backends = new ArrayList<>();

    SimHarness(final long seed, final NetworkConfig config)
    {
        random = new SimRandom(seed);
        network = new SimNetwork(clock, random, trace, config);
    }

    SimHarness(final long seed)
    {
        this(seed, NetworkConfig.defaults());
    }

    static InetAddress host(final int n)
    {
        try
        {
            return InetAddress.getByAddress(new byte[] {10, 0, 0, (byte)n});
        }
        catch (final UnknownHostException ex)
        {
            throw new AssertionError(ex);
        }
    }

    SimBackend backend(final int host, final int shard)
    {
        final SimBackend backend = network.backend(host(host), shard);
        backends.add(backend);
        return backend;
    }

    /** Poll every backend once (in order), after delivering what is due. */
    int step()
    {
        int work = network.deliver();
        if (network.nextEventNs() <= clock.nanoTime())
        {
            // Something is still due (an RST made by this pass with no latency): the next pass must move it,
            // or a world that jumps to nextEventNs would spin without end.
            final int more = network.deliver();
            if (more == 0)
            {
                throw new AssertionError("nextEventNs says due, deliver moves nothing: " + network);
            }
            work += more;
        }
        for (int i = 0; i < backends.size(); i++)
        {
            work += backends.get(i).poll(0);
        }
        network.checkBuffers();
        return work;
    }

    /**
     * Step, jumping virtual time to the next network event when nothing is ready, until the
     * condition holds, nothing is left to happen, or {@code maxNs} of virtual time passed.
     *
     * @return whether the condition held.
     */
    boolean runUntil(final BooleanSupplier condition, final long maxNs)
    {
        final long endNs = clock.nanoTime() + maxNs;
        for (int i = 0; i < 10_000_000; i++)
        {
            if (condition.getAsBoolean())
            {
                return true;
            }
            if (step() > 0)
            {
                continue;
            }
            final long next = network.nextEventNs();
            if (next == Long.MAX_VALUE || next > endNs)
            {
                if (clock.nanoTime() < endNs)
                {
                    clock.advanceTo(endNs);
                    step();
                }
                return condition.getAsBoolean();
            }
            if (next > clock.nanoTime())
            {
                clock.advanceTo(next);
            }
        }
        throw new AssertionError("no progress bound reached");
    }

    /** Run for {@code ns} of virtual time, delivering everything due on the way. */
    void runFor(final long ns)
    {
        runUntil(() -> false, ns);
    }
}
