package io.ringbus.cli.sim;

import io.ringbus.cli.EchoReplica;
import io.ringbus.core.MessageBus;
import io.ringbus.core.config.BusConfig;
import io.ringbus.sim.SimRuntime;
import io.ringbus.sim.World;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One replica of the simulated cluster: the node {@code ringbus serve} runs (a {@link MessageBus}
 * with the replicated echo, {@link EchoReplica}, as its handler, here behind a
 * {@link CheckingHandler}), on a host of the simulated network, with its shards and its echo
 * sequencer stepped by the world. A crash drops it whole (sockets reset by the network, memory
 * gone); a restart builds it again with the same replica id, addresses and key.
 *
 * <p>World thread only.
 */
final class SimReplica
{
    static final int REPLICA_PORT = 7000;
    static final int TCP_PORT = 8000;
    static final int WS_PORT = 8001;
    static final int QUIC_PORT = 8002;
    /**
     * handshake_grace of the simulated nodes: also how long a dialer waits for the keyed challenge of a
     * peer that crashed after taking its hello (nothing tells it sooner), so part of the reconnect bound.
     */
    static final Duration HANDSHAKE_GRACE = Duration.ofSeconds(2);
    /** peer_queue_max_bytes of the simulated nodes. */
    static final long PEER_QUEUE_MAX_BYTES = 256 * 1024;

    private final int id;
    private final World world;
    private final Checks checks;
    private final InetAddress host;
    private final BusConfig template;
    private final Simulation.Sabotage sabotage;
    private SimRuntime runtime;
    private MessageBus bus;
    private EchoReplica echo;
    private int incarnations;

    SimReplica(final int id, final World world, final Checks checks, final InetAddress host,
        final Map<Integer, InetSocketAddress> replicas, final byte[] clusterKey, final long clusterHi,
        final long clusterLo, final Object quicSettings, final Simulation.Sabotage sabotage)
    {
        this.id = id;
        this.sabotage = sabotage;
        this.world = world;
        this.checks = checks;
        this.host = host;
        this.template = BusConfig.builder()
            .shards(2)
            .cluster(clusterHi, clusterLo)
            .replicaId(id)
            .replicas(replicas)
            .clusterKey(clusterKey)
            .listen(List.of(uri("tcp", TCP_PORT), uri("ws", WS_PORT), uri("quic", QUIC_PORT)))
            .transportSettings("quic", quicSettings)
            .closeGrace(Duration.ofSeconds(2))
            .handshakeGrace(HANDSHAKE_GRACE)
            .reconnectBackoffMin(Duration.ofMillis(100))
            .reconnectBackoffMax(Duration.ofSeconds(5))
            // As ringbus serve does (ServeOptions.DEFAULT_IDLE_TIMEOUT), shorter to fit the settle phase:
            // a client connection that died unseen must close, or its session stays bound to it.
            .idleTimeout(Duration.ofSeconds(20))
            // Small, so that stalled clients and replicas press against it: the memory bound is checked.
            .peerQueueMaxBytes(PEER_QUEUE_MAX_BYTES)
            .build();
    }

    URI uri(final String scheme, final int port)
    {
        return URI.create(scheme + "://" + host.getHostAddress() + ":" + port);
    }

    int id()
    {
        return id;
    }

    InetAddress host()
    {
        return host;
    }

    /** Start (or restart after a crash) with a fresh memory. */
    void start()
    {
        incarnations++;
        runtime = new SimRuntime(world, host, "node " + id);
        final BusConfig config = template.toBuilder().runtime(runtime).build();
        echo = new EchoReplica(config, EchoReplica.Options.defaults()
            .withNanoClock(world.clock()::nanoTime)
            .withRandom(runtime.secureRandom())
            .withSteppedSequencer());
        bus = MessageBus.start(config, new CheckingHandler(id, echo, checks, sabotage));
        echo.start(bus);
        final SimRuntime mine = runtime;
        final EchoReplica myEcho = echo;
        world.add(new World.Actor()
        {
            private final String name = "node " + id + " sequencer";

            @Override
            public String name()
            {
                return name;
            }

            @Override
            public boolean alive()
            {
                return mine.alive();
            }

            @Override
            public int step()
            {
                return mine.frozen() ? 0 : myEcho.stepSequencer();
            }
        });
    }

    /** Crash: every socket of the host resets, nothing of this incarnation runs again. */
    void crash()
    {
        runtime.kill();
        world.network().crash(host);
        bus = null;
        echo = null;
    }

    boolean up()
    {
        return bus != null;
    }

    /** Stall the whole node until {@code untilNs}. */
    void freezeUntil(final long untilNs)
    {
        runtime.freezeUntil(untilNs);
    }

    boolean frozen()
    {
        return bus != null && runtime.frozen();
    }

    MessageBus bus()
    {
        return bus;
    }

    EchoReplica echo()
    {
        return echo;
    }

    int incarnations()
    {
        return incarnations;
    }

    /** Graceful stop at the end of a run: the bus closes its connections within close_grace (stepped). */
    void close()
    {
        if (bus != null)
        {
            runtime.freezeUntil(world.clock().nanoTime());
            bus.close();
            echo.close();
        }
    }
}
