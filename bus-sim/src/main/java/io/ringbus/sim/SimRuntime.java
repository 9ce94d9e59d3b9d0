package io.ringbus.sim;

import io.ringbus.core.backend.IoBackend;
import io.ringbus.core.shard.Shard;
import io.ringbus.core.shard.ShardRuntime;
import org.agrona.concurrent.NanoClock;

import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.function.BooleanSupplier;

/**
 * The {@link ShardRuntime} of one simulated node (one bus, or one client's I/O shard): its shards
 * get backends of the simulated network on the node's host, read the world's virtual clock and
 * draw from the world's random source, and are stepped by the {@link World} as actors, not run
 * on threads. {@link #kill()} is the node's crash: its shards are never stepped again.
 *
 * <p>World thread only.
 */
public final class SimRuntime implements ShardRuntime
{
    private final World world;
    private final InetAddress host;
    private final String name;
    private Shard[] shards = new Shard[0];
    private boolean dead;
    private long frozenUntilNs = Long.MIN_VALUE;

    /**
     * @param name what failures and traces call the node: "node 2", "client 5".
     */
    public SimRuntime(final World world, final InetAddress host, final String name)
    {
        this.world = world;
        this.host = host;
        this.name = name;
    }

    /** The node's host on the simulated network. */
    public InetAddress host()
    {
        return host;
    }

    @Override
    public IoBackend backend(final int shardIndex)
    {
        return world.network().backend(host, shardIndex);
    }

    @Override
    public NanoClock clock()
    {
        return world.clock();
    }

    @Override
    public SecureRandom secureRandom()
    {
        return world.random().secureRandom();
    }

    @Override
    public boolean threaded()
    {
        return false;
    }

    @Override
    public void adopt(final Shard[] adopted)
    {
        this.shards = adopted;
        for (final Shard shard : adopted)
        {
            world.add(new ShardActor(shard));
        }
    }

    /** The shards the node's bus handed over (empty before it started). */
    public Shard[] shards()
    {
        return shards;
    }

    @Override
    public boolean awaitUntil(final BooleanSupplier done, final long timeoutNs)
    {
        return world.runUntil(done, timeoutNs);
    }

    @Override
    public void stopLater(final Runnable stop, final String threadName)
    {
        world.betweenSteps(stop);
    }

    /** The node crashed: its shards are never stepped again (its memory is simply dropped). */
    public void kill()
    {
        dead = true;
    }

    /**
     * The node stalls (a long GC pause, a stopped process) until {@code untilNs} on the virtual
     * clock: its shards are not stepped meanwhile, its sockets stay open and its peers' bytes pile up.
     */
    public void freezeUntil(final long untilNs)
    {
        frozenUntilNs = untilNs;
    }

    /** True while {@link #freezeUntil frozen}. */
    public boolean frozen()
    {
        return world.clock().nanoTime() < frozenUntilNs; // virtual time never wraps
    }

    /** False once {@link #kill()}ed. */
    public boolean alive()
    {
        return !dead;
    }

    @Override
    public String toString()
    {
        return "sim " + name;
    }

    private final class ShardActor implements World.Actor
    {
        private final Shard shard;
        private final String actorName;

        ShardActor(final Shard shard)
        {
            this.shard = shard;
            this.actorName = name + " shard " + shard.index();
        }

        @Override
        public String name()
        {
            return actorName;
        }

        @Override
        public boolean alive()
        {
            return !dead && !shard.isStopped();
        }

        @Override
        public int step()
        {
            return frozen() ? 0 : shard.step();
        }
    }
}
