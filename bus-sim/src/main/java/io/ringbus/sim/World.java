package io.ringbus.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The single-threaded scheduler of a simulation: one virtual clock, one seeded random source, one
 * simulated network, and the actors (shards of every node, state machines, clients) it steps in an
 * order the random source picks. Time moves in ticks: within a tick every actor is stepped, in a
 * fresh random order per round, until a round does no work (or a bound of rounds); then the network
 * delivers what is due and the clock moves on. Nothing here reads the wall clock or starts a thread,
 * so a seed replays a run exactly (its {@link Trace} hash is the proof).
 *
 * <p>Not thread-safe: everything runs on the thread that calls {@link #tick()}.
 */
public final class World
{
    /** Something the world steps: a shard, a state machine's thread of control, a client. */
    public interface Actor
    {
        /** For traces and failures: "node 2 shard 1". */
        String name();

        /** False once the actor is gone (its node crashed or closed); the world drops it. */
        boolean alive();

        /** Do what is ready, never block; the work done (0 if nothing was ready). */
        int step();
    }

    /** A throwable escaped an actor's step: the run has failed. */
    public static final class ActorFailure extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        ActorFailure(final String message, final Throwable cause)
        {
            super(message, cause);
        }
    }

    /** Rounds per tick before the world moves the clock on anyway (a busy actor cannot stop time). */
    public static final int MAX_ROUNDS_PER_TICK = 64;

    private final SimClock clock;
    private final SimRandom random;
    private final Trace trace;
    private final SimNetwork network;
    private final long tickNs;
    private final ArrayList<Actor> actors = new ArrayList<>();
    private final ArrayList<Actor> order = new ArrayList<>();
    private final ArrayDeque<Runnable> betweenSteps = new ArrayDeque<>();
    private long ticks;
    private long steps;
    private int depth;

    public World(final SimClock clock, final SimRandom random, final Trace trace, final SimNetwork network,
        final long tickNs)
    {
        if (tickNs <= 0)
        {
            throw new IllegalArgumentException("tickNs must be > 0: " + tickNs);
        }
        this.clock = clock;
        this.random = random;
        this.trace = trace;
        this.network = network;
        this.tickNs = tickNs;
    }

    public SimClock clock()
    {
        return clock;
    }

    public SimRandom random()
    {
        return random;
    }

    public Trace trace()
    {
        return trace;
    }

    public SimNetwork network()
    {
        return network;
    }

    /** The length of one tick in virtual nanoseconds. */
    public long tickNs()
    {
        return tickNs;
    }

    /** Ticks run so far. */
    public long ticks()
    {
        return ticks;
    }

    /** Actor steps run so far. */
    public long steps()
    {
        return steps;
    }

    /** Add an actor; it is stepped from the next round on. */
    public void add(final Actor actor)
    {
        actors.add(actor);
    }

    /** The actors still alive, in the order they were added. */
    public List<Actor> actors()
    {
        return actors;
    }

    /** Run {@code task} after the step under way (a bus's stop asked from inside a shard). */
    public void betweenSteps(final Runnable task)
    {
        betweenSteps.add(task);
    }

    /**
     * One tick: deliver what the network has due, step the actors round after round until a round
     * does no work, then move the clock one tick on.
     *
     * @throws ActorFailure if a throwable escaped an actor.
     */
    public void tick()
    {
        depth++;
        try
        {
            network.deliver();
            for (int round = 0; round < MAX_ROUNDS_PER_TICK; round++)
            {
                int work = stepAll();
                work += runBetweenSteps();
                work += network.deliver();
                if (work == 0)
                {
                    break;
                }
            }
            clock.advanceNs(tickNs);
            ticks++;
        }
        finally
        {
            depth--;
        }
    }

    /**
     * Tick until {@code done} or {@code timeoutNs} of virtual time have passed (a bus waiting for its
     * connections to close: see {@link SimRuntime#awaitUntil}).
     *
     * @return true if {@code done} became true.
     */
    public boolean runUntil(final BooleanSupplier done, final long timeoutNs)
    {
        final long deadlineNs = clock.nanoTime() + timeoutNs;
        while (!done.getAsBoolean())
        {
            if (clock.nanoTime() - deadlineNs >= 0)
            {
                return false;
            }
            tick();
        }
        return true;
    }

    /** True while the world is inside {@link #tick()} (an actor is being stepped). */
    public boolean ticking()
    {
        return depth > 0;
    }

    private int stepAll()
    {
        order.clear();
        for (int i = actors.size() - 1; i >= 0; i--)
        {
            if (!actors.get(i).alive())
            {
                actors.remove(i);
            }
        }
        order.addAll(actors);
        // Fisher-Yates with the world's random source: the interleaving is the seed's.
        for (int i = order.size() - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final Actor swap = order.get(i);
            order.set(i, order.get(j));
            order.set(j, swap);
        }
        int work = 0;
        for (int i = 0; i < order.size(); i++)
        {
            final Actor actor = order.get(i);
            if (!actor.alive())
            {
                continue;
            }
            final int done;
            try
            {
                done = actor.step();
            }
            catch (final Throwable ex)
            {
                throw new ActorFailure(actor.name() + " threw at t=" + clock.nanoTime() + " ns: " + rootOf(ex), ex);
            }
            steps++;
            if (done > 0)
            {
                work += done;
            }
        }
        return work;
    }

    private int runBetweenSteps()
    {
        int work = 0;
        Runnable task;
        while ((task = betweenSteps.poll()) != null)
        {
            task.run();
            work++;
        }
        return work;
    }

    private static Throwable rootOf(final Throwable ex)
    {
        Throwable t = ex;
        while (t.getCause() != null && t.getCause() != t)
        {
            t = t.getCause();
        }
        return t;
    }
}
