package io.ringbus.cli.sim;

import io.ringbus.core.ClientConnectionSnapshot;
import io.ringbus.core.MessageBus;
import io.ringbus.core.frame.FramePool;
import io.ringbus.quic.QuicSettings;
import io.ringbus.sim.NetworkConfig;
import io.ringbus.sim.SimClock;
import io.ringbus.sim.SimNetwork;
import io.ringbus.sim.SimRandom;
import io.ringbus.sim.SimRuntime;
import io.ringbus.sim.Trace;
import io.ringbus.sim.World;
import io.ringbus.tls.SelfSignedCertificate;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One seeded simulation of a replicated echo cluster under faults (issue 14): {@code replicas}
 * nodes of {@code ringbus serve} and {@code clients} SDK clients (tcp, ws and quic in turn) on a
 * simulated network (whose datagrams, with network faults, are also lost, duplicated, reordered,
 * truncated and corrupted now and then), all stepped on the calling thread by a {@link World} whose every decision
 * comes from the seed. The run has three phases:
 * <ol>
 *   <li><b>faults</b> ({@code ticks} of 1 ms): clients send, and the chosen faults strike at random
 *       moments: partitions of any subset of hosts and their heal, streams reset or half-closed at
 *       any byte, nodes and clients stalled (a long pause), replicas crashed and restarted with
 *       the same id (never more than a minority down at once);</li>
 *   <li><b>settle</b>: every fault is healed, crashed replicas restart, clients stop sending new
 *       requests; within {@link #SETTLE_NS} every client must have every request answered and
 *       every replica pair must be connected;</li>
 *   <li><b>stop</b>: clients close, then each node closes gracefully; every connection must be
 *       closed within close_grace, and no pooled buffer may be left unreleased.</li>
 * </ol>
 * The invariants checked while it runs are in {@link Checks}, {@link CheckingHandler} and
 * {@link SimClient}; the first violation ends the run as FAIL, naming the invariant, the virtual
 * time and what broke it. The trace hash covers every network event and fault in order: the same
 * seed and options give the same hash.
 */
public final class Simulation
{
    /** What goes wrong during the faults phase. */
    public enum Faults
    {
        NONE, NETWORK, CRASH, ALL;

        boolean network()
        {
            return this == NETWORK || this == ALL;
        }

        boolean crash()
        {
            return this == CRASH || this == ALL;
        }
    }

    /**
     * A deliberate bug planted by a test, to show that each invariant does catch what it names (a
     * check that cannot fail proves nothing). NONE outside tests.
     */
    enum Sabotage
    {
        NONE,
        /** A client skips a send number on its connection: frames out of order or lost. */
        SKIP_SEND_NUMBER,
        /** A client sends one request with a byte of its body changed (before sealing). */
        CORRUPT_BODY,
        /** A node's handler takes a pooled buffer and never gives it back. */
        LEAK_BUFFER,
        /** A node's handler logs an error. */
        LOG_ERROR,
        /** A node's handler throws an Error. */
        THROW_IN_HANDLER,
        /** Replicas 0 and 1 can never reach each other again. */
        CUT_REPLICA_LINK,
        /** A node answers a request with the body of another. */
        WRONG_REPLY
    }

    /** One run's parameters: the seed decides the rest. */
    public record Options(long seed, int replicas, int clients, long ticks, Faults faults)
    {
        public Options
        {
            if (replicas < 1 || replicas > 7)
            {
                throw new IllegalArgumentException("replicas must be 1..7: " + replicas);
            }
            if (clients < 0 || clients > 64)
            {
                throw new IllegalArgumentException("clients must be 0..64: " + clients);
            }
            if (ticks < 1)
            {
                throw new IllegalArgumentException("ticks must be >= 1: " + ticks);
            }
        }

        /** The command that runs exactly this simulation again. */
        public String command()
        {
            return "java -jar bus-cli/target/ringbus.jar sim --seed " + seed + " --replicas " + replicas +
                " --clients " + clients + " --ticks " + ticks + " --faults " + faults.name().toLowerCase();
        }
    }

    /** What a run found. */
    public record Result(Options options, boolean ok, String violation, String trace, long events,
        long requestsAnswered, long requestsSeen, long preparesSeen, long faultsInjected, long virtualMs,
        List<String> traceTail, List<String> state, Map<String, Long> answeredByTransport)
    {
        /** The line {@code ringbus sim} prints last: {@code seed S ok|FAIL ... trace <hex>}. */
        public String line()
        {
            final String facts = "replicas=" + options.replicas() + " clients=" + options.clients() + " ticks=" +
                options.ticks() + " faults=" + options.faults().name().toLowerCase() + " injected=" + faultsInjected +
                " answered=" + requestsAnswered + byTransport() + " prepares=" + preparesSeen + " virtual=" + virtualMs + "ms";
            return "seed " + options.seed() + (ok ? " ok " : " FAIL " + violation + " ") + facts + " trace " + trace;
        }

        /** " (tcp=N ws=N quic=N)": the requests each transport's clients had answered. */
        private String byTransport()
        {
            if (answeredByTransport.isEmpty())
            {
                return "";
            }
            final StringBuilder out = new StringBuilder(" (");
            for (final Map.Entry<String, Long> entry : answeredByTransport.entrySet())
            {
                out.append(out.length() > 2 ? " " : "").append(entry.getKey()).append('=').append(entry.getValue());
            }
            return out.append(')').toString();
        }
    }

    /** Virtual time one tick lasts. */
    public static final long TICK_NS = TimeUnit.MILLISECONDS.toNanos(1);
    /** How long the settle phase may take before liveness is declared broken. */
    public static final long SETTLE_NS = TimeUnit.SECONDS.toNanos(60);
    /**
     * After the last heal, how long replica pairs may take to be connected again: a dial that set
     * off during the trouble may wait its SYN timeout (3 s), or, if its peer crashed after taking
     * the dialer's hello, handshake_grace for a challenge that never comes; then the reconnect
     * back-off's cap (5 s); then a second for the connect and the handshake.
     */
    static final long RECONNECT_BOUND_NS = Math.max(TimeUnit.SECONDS.toNanos(3), SimReplica.HANDSHAKE_GRACE.toNanos()) +
        TimeUnit.SECONDS.toNanos(5) + TimeUnit.SECONDS.toNanos(1);
    /** The pooled capacity of the largest frame the workload sends (a request of MAX_BODY, its reply). */
    private static final long MAX_FRAME_CAPACITY = 64 * 1024;
    /** close_grace of every node and client of the simulation. */
    static final long CLOSE_GRACE_NS = TimeUnit.SECONDS.toNanos(2);
    /** Mean ticks between faults. */
    private static final int TICKS_PER_FAULT = 400;
    /** With network faults: the share of datagrams lost, duplicated, reordered, truncated, corrupted. */
    static final double DATAGRAM_LOSS = 0.03;
    static final double DATAGRAM_DUPLICATE = 0.02;
    static final double DATAGRAM_REORDER = 0.05;
    static final double DATAGRAM_TRUNCATE = 0.005;
    static final double DATAGRAM_CORRUPT = 0.005;
    /**
     * Where the simulation's one certificate starts to be valid: a fixed instant, so that a seed
     * makes the same certificate (bytes and length) on every run; valid for a century after.
     */
    private static final Instant CERTIFICATE_FROM = Instant.parse("2025-01-01T00:00:00Z");
    private static final Duration CERTIFICATE_VALIDITY = Duration.ofDays(36_500);
    /** The client transports, in turn: client k uses {@code TRANSPORTS[k % 3]}. */
    private static final String[] TRANSPORTS = {"tcp", "ws", "quic"};

    private final Options options;
    private final Sabotage sabotage;
    private final SimClock clock = new SimClock();
    private final SimRandom random;
    private final Trace trace = new Trace(clock);
    private final SimNetwork network;
    private final World world;
    private final Checks checks;
    private final List<SimReplica> replicas = new ArrayList<>();
    private final List<SimClient> clients = new ArrayList<>();
    private final List<InetAddress> hosts = new ArrayList<>();
    /** Replica id to the tick it restarts at (crashed replicas only). */
    private final Map<Integer, Long> restartAtTick = new LinkedHashMap<>();
    private long healAtTick = -1;
    private long connectivityDeadlineNs = Long.MAX_VALUE;
    private long faultsInjected;
    /** Counters summed over the nodes as they stood when the stop began (their last incarnations). */
    private final Map<String, Long> nodeCounters = new LinkedHashMap<>();
    private static final List<String> NODE_COUNTERS_KEPT = List.of("client.quic.packets_sent",
        "client.quic.packets_lost", "client.quic.packets_retransmitted", "client.quic.connections_opened");

    public Simulation(final Options options)
    {
        this(options, Sabotage.NONE);
    }

    /** A run with a planted bug (tests of the invariants themselves). */
    Simulation(final Options options, final Sabotage sabotage)
    {
        this.options = options;
        this.sabotage = sabotage;
        this.random = new SimRandom(options.seed());
        this.network = new SimNetwork(clock, random.fork(), trace, networkConfig(options.faults()));
        this.world = new World(clock, random.fork(), trace, network, TICK_NS);
        this.checks = new Checks(world);
    }

    /**
     * The network's own faults: with network faults, datagrams (QUIC's) are now and then lost,
     * duplicated, reordered, truncated or corrupted, so that QUIC's loss recovery and its checks
     * of what arrives run all the time, not only when a fault strikes.
     */
    static NetworkConfig networkConfig(final Faults faults)
    {
        if (!faults.network())
        {
            return NetworkConfig.defaults();
        }
        return NetworkConfig.builder()
            .datagramLossProbability(DATAGRAM_LOSS)
            .datagramDuplicateProbability(DATAGRAM_DUPLICATE)
            .datagramReorderProbability(DATAGRAM_REORDER)
            .datagramTruncateProbability(DATAGRAM_TRUNCATE)
            .datagramCorruptProbability(DATAGRAM_CORRUPT)
            .build();
    }

    /** Run the simulation on the calling thread. */
    public Result run()
    {
        final SevereWatch watch = SevereWatch.install();
        try
        {
            setUp();
            faultsPhase();
            if (!checks.failed())
            {
                settlePhase();
            }
            if (!checks.failed())
            {
                stopPhase();
            }
        }
        catch (final World.ActorFailure ex)
        {
            checks.fail("the bus never throws out of a shard", ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            checks.fail("the simulation ran", ex.toString());
        }
        finally
        {
            watch.uninstall();
        }
        if (!checks.failed() && watch.first() != null)
        {
            checks.fail("no error logged", watch.first());
        }
        return new Result(options, !checks.failed(), checks.violation(), trace.hex(), trace.events(),
            checks.repliesChecked(), checks.requestsChecked(), checks.preparesChecked(), faultsInjected,
            (clock.nanoTime() - SimClock.START_NS) / 1_000_000L, trace.tail(), checks.failed() ? state() : List.of(),
            answeredByTransport());
    }

    private void setUp()
    {
        final Map<Integer, InetSocketAddress> addresses = new LinkedHashMap<>();
        for (int i = 0; i < options.replicas(); i++)
        {
            addresses.put(i, new InetSocketAddress(host(0, i), SimReplica.REPLICA_PORT));
        }
        final byte[] key = new byte[32];
        random.secureRandom().nextBytes(key);
        final long clusterHi = random.nextLong();
        final long clusterLo = random.nextLong();
        // One certificate per run, from the seed (key pair, serial and ECDSA signature) and a fixed
        // validity: its DER length, and so every handshake's sizes, repeat with the seed.
        final SelfSignedCertificate certificate = SelfSignedCertificate.generate(random.secureRandom(),
            CERTIFICATE_FROM, CERTIFICATE_VALIDITY);
        final QuicSettings serverQuic = QuicSettings.builder().tls(certificate.serverSettings().build()).build();
        for (int i = 0; i < options.replicas(); i++)
        {
            final SimReplica replica = new SimReplica(i, world, checks, host(0, i), addresses, key.clone(),
                clusterHi, clusterLo, serverQuic, sabotage);
            replicas.add(replica);
            hosts.add(replica.host());
            replica.start();
        }
        for (int k = 0; k < options.clients(); k++)
        {
            final SimReplica home = replicas.get(k % replicas.size());
            final String scheme = TRANSPORTS[k % TRANSPORTS.length];
            final InetAddress host = host(1, k);
            hosts.add(host);
            // quic: trust the run's certificate (its names are localhost's, not the simulated
            // hosts', hence no hostname check) and draw the client's randomness from the seed.
            final Object settings = "quic".equals(scheme) ? QuicSettings.builder().tls(certificate.clientSettings()
                .hostnameVerification(false).secureRandom(random.secureRandom()).build()).build() : null;
            final SimClient client = new SimClient(k, world, checks, new SimRuntime(world, host, "client " + k),
                home.uri(scheme, port(scheme)), settings, clusterHi, clusterLo, sabotage);
            clients.add(client);
            client.start();
        }
        if (sabotage == Sabotage.CUT_REPLICA_LINK && replicas.size() > 1)
        {
            network.block(replicas.get(0).host(), replicas.get(1).host());
        }
    }

    private void faultsPhase()
    {
        for (long tick = 0; tick < options.ticks() && !checks.failed(); tick++)
        {
            scheduledRecoveries(tick);
            if (options.faults() != Faults.NONE && random.nextInt(TICKS_PER_FAULT) == 0)
            {
                inject(tick);
            }
            world.tick();
            checkConnectivity();
            checkCloses();
            if (tick % 50 == 0)
            {
                checkQueues();
            }
        }
    }

    private void settlePhase()
    {
        healEverything();
        for (final SimClient client : clients)
        {
            client.stopGenerating();
        }
        final long deadlineNs = clock.nanoTime() + SETTLE_NS;
        while (!checks.failed())
        {
            if (settled())
            {
                return;
            }
            if (clock.nanoTime() - deadlineNs >= 0)
            {
                checks.fail("liveness", describeUnsettled() + " " + SETTLE_NS / 1_000_000_000L +
                    " s after the faults stopped");
                return;
            }
            world.tick();
            checkConnectivity();
            checkCloses();
        }
    }

    private void stopPhase()
    {
        for (final SimClient client : clients)
        {
            client.stop();
        }
        if (!world.runUntil(() -> clients.stream().allMatch(SimClient::closed), TimeUnit.SECONDS.toNanos(3)))
        {
            checks.fail("every close finishes within close_grace", "a client connection was still open 3 s after " +
                "its close began (close_grace 2 s)");
            return;
        }
        for (final SimClient client : clients)
        {
            client.closeShard();
            checkLeaks(client.pool(), "client");
        }
        for (final SimReplica replica : replicas)
        {
            final MessageBus bus = replica.bus();
            for (final String name : NODE_COUNTERS_KEPT)
            {
                nodeCounters.merge(name, bus.counters().value(name), Long::sum);
            }
            replica.close();
            final int open = bus.stats().openConnections();
            if (open != 0)
            {
                checks.fail("every close finishes within close_grace", "node " + replica.id() + " still had " + open +
                    " connection(s) open after its close");
            }
            checkLeaks(bus.pool(), "node " + replica.id());
        }
    }

    /**
     * Every graceful close ends within close_grace: from the FIN a connection sends to the close of
     * its socket (the network sees both) no more than close_grace (2 s on nodes and clients) and a
     * tick, on every connection, including those still half-closed now.
     */
    private void checkCloses()
    {
        final long longestNs = network.longestFinToCloseNs();
        if (longestNs > CLOSE_GRACE_NS + TICK_NS)
        {
            checks.fail("every close finishes within close_grace", "a connection stayed half-closed for " +
                longestNs / 1_000_000L + " ms after its FIN (close_grace " + CLOSE_GRACE_NS / 1_000_000L + " ms)");
        }
    }

    /**
     * Memory per connection stays within its bound under slow peers: no client connection of a
     * node holds more frames queued than peer_queue_max_bytes (plus one frame: a frame above the
     * bound still goes when nothing else is queued).
     */
    private void checkQueues()
    {
        for (final SimReplica replica : replicas)
        {
            if (!replica.up())
            {
                continue;
            }
            for (final ClientConnectionSnapshot connection : replica.bus().clientConnections())
            {
                if (connection.queuedBytes() > SimReplica.PEER_QUEUE_MAX_BYTES + MAX_FRAME_CAPACITY)
                {
                    checks.fail("memory per connection stays bounded", "node " + replica.id() + ", connection " +
                        connection.clientId() + " (" + connection.remoteAddress() + ") holds " + connection.queuedBytes() +
                        " bytes of queued frames, above peer_queue_max_bytes " + SimReplica.PEER_QUEUE_MAX_BYTES);
                }
            }
        }
    }

    private void checkLeaks(final FramePool pool, final String owner)
    {
        if (pool.isLeakDetectionEnabled() && pool.outstanding() != 0)
        {
            checks.fail("no pooled buffer leaks", owner + ": " + pool.outstanding() + " buffer(s) (" +
                pool.outstandingBytes() + " bytes) never released");
        }
    }

    // ---- faults ----

    private void inject(final long tick)
    {
        final boolean network = options.faults().network();
        final boolean crash = options.faults().crash() && replicas.size() > 2;
        final int kinds = (network ? 4 : 0) + (crash ? 1 : 0);
        if (kinds == 0)
        {
            return;
        }
        final int pick = random.nextInt(kinds);
        faultsInjected++;
        connectivityDeadlineNs = Long.MAX_VALUE; // a new fault: the heal check starts again at the next heal
        if (network)
        {
            switch (pick)
            {
                case 0:
                    partition(tick);
                    return;
                case 1:
                    trace.record("fault-reset", tick, 0, 0);
                    network().resetRandomStream();
                    return;
                case 2:
                    trace.record("fault-fin", tick, 0, 0);
                    network().finRandomStream();
                    return;
                case 3:
                    stall(tick);
                    return;
                default:
                    break; // 4: a crash
            }
        }
        crashOne(tick);
    }

    private SimNetwork network()
    {
        return network;
    }

    private void partition(final long tick)
    {
        final List<InetAddress> sideA = new ArrayList<>();
        final List<InetAddress> sideB = new ArrayList<>();
        for (final InetAddress host : hosts)
        {
            (random.nextInt(2) == 0 ? sideA : sideB).add(host);
        }
        if (sideA.isEmpty() || sideB.isEmpty())
        {
            return;
        }
        network.partition(sideA, sideB);
        final long forTicks = 200 + random.nextInt(6000);
        healAtTick = Math.max(healAtTick, tick + forTicks);
        trace.record("fault-partition", tick, sideA.size(), forTicks);
    }

    private void stall(final long tick)
    {
        final int who = random.nextInt(replicas.size() + clients.size());
        final long forNs = TimeUnit.MILLISECONDS.toNanos(100 + random.nextInt(3000));
        if (who < replicas.size())
        {
            final SimReplica replica = replicas.get(who);
            if (replica.up())
            {
                replica.freezeUntil(clock.nanoTime() + forNs);
            }
        }
        else
        {
            clients.get(who - replicas.size()).runtime().freezeUntil(clock.nanoTime() + forNs);
        }
        healAtTick = Math.max(healAtTick, tick + forNs / TICK_NS);
        trace.record("fault-stall", tick, who, forNs);
    }

    private void crashOne(final long tick)
    {
        final int maxDown = (replicas.size() - 1) / 2;
        if (restartAtTick.size() >= maxDown)
        {
            return;
        }
        final SimReplica replica = replicas.get(random.nextInt(replicas.size()));
        if (!replica.up())
        {
            return;
        }
        replica.crash();
        final long forTicks = 300 + random.nextInt(5000);
        restartAtTick.put(replica.id(), tick + forTicks);
        trace.record("fault-crash", tick, replica.id(), forTicks);
    }

    /** Heal partitions and restart crashed replicas whose time has come. */
    private void scheduledRecoveries(final long tick)
    {
        if (healAtTick >= 0 && tick >= healAtTick)
        {
            healNetwork();
            healAtTick = -1;
            trace.record("heal", tick, 0, 0);
            armConnectivityCheck();
        }
        final List<Integer> due = new ArrayList<>();
        for (final Map.Entry<Integer, Long> entry : restartAtTick.entrySet())
        {
            if (tick >= entry.getValue())
            {
                due.add(entry.getKey());
            }
        }
        for (final Integer id : due)
        {
            restartAtTick.remove(id);
            replicas.get(id).start();
            trace.record("restart", tick, id, 0);
            armConnectivityCheck();
        }
    }

    private void healEverything()
    {
        healNetwork();
        healAtTick = -1;
        for (final Integer id : new ArrayList<>(restartAtTick.keySet()))
        {
            replicas.get(id).start();
        }
        restartAtTick.clear();
        for (final SimReplica replica : replicas)
        {
            replica.freezeUntil(clock.nanoTime());
        }
        for (final SimClient client : clients)
        {
            client.runtime().freezeUntil(clock.nanoTime());
        }
        trace.record("settle", world.ticks(), 0, 0);
        armConnectivityCheck();
    }

    private void healNetwork()
    {
        network.healAll();
        if (sabotage == Sabotage.CUT_REPLICA_LINK && replicas.size() > 1)
        {
            network.block(replicas.get(0).host(), replicas.get(1).host());
        }
    }

    /**
     * After a heal with nothing else wrong (no partition pending, no replica down, none stalled),
     * every replica pair must be connected again within {@link #RECONNECT_BOUND_NS}.
     */
    private void armConnectivityCheck()
    {
        if (healAtTick < 0 && restartAtTick.isEmpty())
        {
            connectivityDeadlineNs = clock.nanoTime() + RECONNECT_BOUND_NS;
        }
    }

    private void checkConnectivity()
    {
        if (clock.nanoTime() - connectivityDeadlineNs < 0)
        {
            return;
        }
        connectivityDeadlineNs = Long.MAX_VALUE;
        final String missing = missingLinks();
        if (missing != null)
        {
            checks.fail("replicas reconnect after a heal", missing + " " + RECONNECT_BOUND_NS / 1_000_000L +
                " ms after the last heal");
        }
    }

    /** The first replica pair (both up, neither stalled) not connected both ways, or null. */
    private String missingLinks()
    {
        for (final SimReplica a : replicas)
        {
            for (final SimReplica b : replicas)
            {
                if (a.id() != b.id() && a.up() && b.up() && !a.frozen() && !b.frozen() &&
                    !a.bus().isReplicaConnected(b.id()))
                {
                    return "node " + a.id() + " has no link to node " + b.id();
                }
            }
        }
        return null;
    }

    private boolean settled()
    {
        for (final SimClient client : clients)
        {
            if (!client.settled())
            {
                return false;
            }
        }
        return missingLinks() == null;
    }

    private String describeUnsettled()
    {
        final StringBuilder out = new StringBuilder();
        for (int k = 0; k < clients.size(); k++)
        {
            if (!clients.get(k).settled())
            {
                out.append("client ").append(k).append(" has ").append(clients.get(k).unanswered())
                    .append(" request(s) unanswered; ");
            }
        }
        final String missing = missingLinks();
        if (missing != null)
        {
            out.append(missing).append(';');
        }
        return out.toString().trim();
    }

    /**
     * {@code client.quic.packets_sent}, {@code packets_lost}, {@code packets_retransmitted} and
     * {@code connections_opened}, summed over the nodes' last incarnations when the stop began (tests).
     */
    Map<String, Long> nodeCounters()
    {
        return nodeCounters;
    }

    /** What a failure report shows of the end state: each replica's links, each client, the live streams. */
    private List<String> state()
    {
        final List<String> lines = new ArrayList<>();
        for (final SimReplica replica : replicas)
        {
            final StringBuilder line = new StringBuilder("node " + replica.id() + " (" + replica.host().getHostAddress() +
                "): " + (replica.up() ? "up" : "down") + ", incarnation " + replica.incarnations() +
                (replica.frozen() ? ", stalled" : "") + ", links:");
            if (replica.up())
            {
                for (final SimReplica other : replicas)
                {
                    if (other.id() != replica.id())
                    {
                        line.append(' ').append(other.id()).append(replica.bus().isReplicaConnected(other.id()) ? "=up" : "=down");
                    }
                }
            }
            lines.add(line.toString());
        }
        for (int k = 0; k < clients.size(); k++)
        {
            final SimClient client = clients.get(k);
            lines.add("client " + k + " (" + client.runtime().host().getHostAddress() + "): " + client.describe());
        }
        for (final Object stream : network.streams())
        {
            lines.add(stream.toString());
        }
        return lines;
    }

    private Map<String, Long> answeredByTransport()
    {
        final Map<String, Long> answered = new LinkedHashMap<>();
        for (final SimClient client : clients)
        {
            answered.merge(client.scheme(), client.answered(), Long::sum);
        }
        return answered;
    }

    private static int port(final String scheme)
    {
        switch (scheme)
        {
            case "ws":
                return SimReplica.WS_PORT;
            case "quic":
                return SimReplica.QUIC_PORT;
            default:
                return SimReplica.TCP_PORT;
        }
    }

    private static InetAddress host(final int net, final int index)
    {
        try
        {
            return InetAddress.getByAddress(new byte[] {10, 0, (byte)net, (byte)(index + 1)});
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Records the first ERROR (SEVERE) logged by the bus during a run (an exception a shard caught
     * and logged is still a failure of the run) and keeps the run's expected warnings off the
     * console.
     */
    static final class SevereWatch extends Handler
    {
        private final Logger logger = Logger.getLogger("io.ringbus");
        private final boolean parentHandlers;
        private final Level level;
        private String first;

        private SevereWatch()
        {
            this.parentHandlers = logger.getUseParentHandlers();
            this.level = logger.getLevel();
        }

        static SevereWatch install()
        {
            final SevereWatch watch = new SevereWatch();
            watch.logger.setUseParentHandlers(false);
            watch.logger.setLevel(Level.WARNING);
            watch.logger.addHandler(watch);
            return watch;
        }

        void uninstall()
        {
            logger.removeHandler(this);
            logger.setUseParentHandlers(parentHandlers);
            logger.setLevel(level);
        }

        String first()
        {
            return first;
        }

        @Override
        public void publish(final LogRecord record)
        {
            if (first == null && record.getLevel().intValue() >= Level.SEVERE.intValue())
            {
                final Throwable thrown = record.getThrown();
                first = record.getLoggerName() + ": " + record.getMessage() + (thrown != null ? ": " + thrown : "");
            }
        }

        @Override
        public void flush()
        {
        }

        @Override
        public void close()
        {
        }
    }
}
