package io.ringbus.core;

import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.replica.ReplicaPlane;
import io.ringbus.core.shard.Shard;
import io.ringbus.core.stat.BusCounters;
import org.agrona.concurrent.status.AtomicCounter;

import java.util.concurrent.TimeUnit;

/**
 * The counters that are read rather than counted: each shard's duty cycles, work and mailbox
 * high-water mark, the pool's buffers in use and misses, and per replica peer whether it is
 * connected and its queued frames. Copied into the bus's counters every {@link #INTERVAL_NS} by
 * shard 0 (their one writer), and once more by the closing thread after the shards stopped.
 */
final class BusGauges
{
    /** How often shard 0 copies the gauges into the counters file. */
    static final long INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private final Shard[] shards;
    private final FramePool pool;
    private final ReplicaPlane replicaPlane;
    private final int self;
    private final AtomicCounter[] dutyCycles;
    private final AtomicCounter[] work;
    private final AtomicCounter[] mailboxHighWater;
    private final AtomicCounter poolInUse;
    private final AtomicCounter poolMisses;
    private final AtomicCounter[] replicaConnected;
    private final AtomicCounter[] replicaQueued;

    BusGauges(final BusCounters counters, final BusConfig config, final Shard[] shards, final FramePool pool,
        final ReplicaPlane replicaPlane)
    {
        this.shards = shards;
        this.pool = pool;
        this.replicaPlane = replicaPlane;
        this.self = config.replicaId();
        dutyCycles = new AtomicCounter[shards.length];
        work = new AtomicCounter[shards.length];
        mailboxHighWater = new AtomicCounter[shards.length];
        for (int i = 0; i < shards.length; i++)
        {
            dutyCycles[i] = counters.gauge("shard." + i + ".duty_cycles");
            work[i] = counters.gauge("shard." + i + ".work");
            mailboxHighWater[i] = counters.gauge("shard." + i + ".mailbox_high_water");
        }
        poolInUse = counters.gauge("pool.buffers_in_use");
        poolMisses = counters.gauge("pool.misses");
        final int replicas = config.replicaId() == BusConfig.NO_REPLICA ? 0 : config.replicas().size();
        replicaConnected = new AtomicCounter[replicas];
        replicaQueued = new AtomicCounter[replicas];
        for (int r = 0; r < replicas; r++)
        {
            if (r != self)
            {
                replicaConnected[r] = counters.gauge("replica." + r + ".connected");
                replicaQueued[r] = counters.gauge("replica." + r + ".queued_frames");
            }
        }
    }

    /** Copy every gauge into the counters. Shard 0, or the closing thread once the shards stopped. */
    void sample()
    {
        for (int i = 0; i < shards.length; i++)
        {
            dutyCycles[i].setRelease(shards[i].dutyCycles());
            work[i].setRelease(shards[i].workDone() + shards[i].blockingPollWork());
            mailboxHighWater[i].setRelease(shards[i].mailboxHighWater());
        }
        poolInUse.setRelease(pool.buffersInUse());
        poolMisses.setRelease(pool.allocated());
        for (int r = 0; r < replicaConnected.length; r++)
        {
            if (r != self)
            {
                replicaConnected[r].setRelease(replicaPlane.isConnected(r) ? 1 : 0);
                replicaQueued[r].setRelease(replicaPlane.queuedFrames(r));
            }
        }
    }
}
