package io.ringbus.sim;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.Consumer;

import io.ringbus.core.backend.AcceptedSocket;
import io.ringbus.core.backend.IoBackend;
import io.ringbus.core.backend.IoBackendProvider;
import io.ringbus.core.backend.IoChannelHandler;
import io.ringbus.core.backend.IoResult;

/**
 * A simulated IP network between simulated hosts: TCP streams (SYN, data, FIN, RST with latency,
 * in order per direction, flow-controlled by send and receive buffers), UDP datagrams (lost,
 * duplicated, reordered, truncated, corrupted as configured), partitions, and host crashes. Every
 * decision comes from the one {@link SimRandom}; every delivery goes into the {@link Trace}.
 *
 * <p>The world drives it: {@link #deliver()} moves what is due at the {@link SimClock}'s time to
 * its receiver, {@link #nextEventNs()} says when the next thing is due, and each
 * {@link SimBackend#poll(long)} hands the completions to the shard's handlers. Nothing here
 * calls application code except those polls. Simulation thread only.
 *
 * <p>What it does not model: congestion control and the RTO backoff (a held segment goes out
 * the moment the partition heals), Nagle, TIME_WAIT and port reuse rules, keepalive, ICMP
 * (a datagram to a closed port vanishes), IP fragmentation, MTU.
 */
public final class SimNetwork
{
    private final SimClock clock;
    private final SimRandom random;
    private final Trace trace;
    private final NetworkConfig config;
    private final Map<InetAddress, SimHost> hosts = new LinkedHashMap<>();
    /** Streams in order of their connect; finished ones are dropped by {@link #deliver()}. */
    private final ArrayList<SimStream> streams = new ArrayList<>();
    private final PriorityQueue<Datagram> datagrams = new PriorityQueue<>(SimNetwork::compareDatagrams);
    /** Channels whose owner sent FIN and has not closed them yet, in the order they did. */
    private final java.util.ArrayList<SimChannel> halfClosed = new java.util.ArrayList<>();
    private long longestFinToCloseNs;

    /** Ordered host pairs (index << 32 | index) that cannot reach each other; only looked up, never iterated. */
    private final Set<Long> blocked = new HashSet<>();
    private long nextStreamId = 1;
    private int nextBackendId = 1;
    private int nextDatagramSocketId = 1;
    private long nextDatagramSeq = 1;
    private int openDatagramSockets;

    public SimNetwork(final SimClock clock, final SimRandom random, final Trace trace, final NetworkConfig config)
    {
        this.clock = clock;
        this.random = random;
        this.trace = trace;
        this.config = config;
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

    public NetworkConfig config()
    {
        return config;
    }

    // ------------------------------------------------------------------------------------------------
    // Hosts and backends

    /**
     * A new backend for shard {@code shardIndex} on {@code host}. The first backend on a crashed
     * host restarts it: the host answers again (an RST to whatever reaches a connection it lost).
     */
    public SimBackend backend(final InetAddress host, final int shardIndex)
    {
        restart(host);
        final SimHost h = host(host);
        final SimBackend backend = new SimBackend(this, h, shardIndex, nextBackendId++);
        h.backends.add(backend);
        return backend;
    }

    /**
     * A provider named "sim" whose {@code create(shardIndex)} is {@link #backend(InetAddress, int)}
     * on {@code host}, for code that takes its backends from a provider.
     */
    public IoBackendProvider provider(final InetAddress host)
    {
        return new IoBackendProvider()
        {
            @Override
            public String name()
            {
                return "sim";
            }

            @Override
            public boolean isAvailable()
            {
                return true;
            }

            @Override
            public String unavailabilityReason()
            {
                return null;
            }

            @Override
            public IoBackend create(final int shardIndex)
            {
                return backend(host, shardIndex);
            }
        };
    }

    private SimHost host(final InetAddress address)
    {
        SimHost h = hosts.get(address);
        if (h == null)
        {
            h = new SimHost(address, hosts.size() + 1);
            hosts.put(address, h);
        }
        return h;
    }

    void backendClosed(final SimBackend backend)
    {
        backend.host.backends.remove(backend);
    }

    // ------------------------------------------------------------------------------------------------
    // Faults

    /** Block every pair across the two sides, both directions. */
    public void partition(final Collection<InetAddress> sideA, final Collection<InetAddress> sideB)
    {
        for (final InetAddress a : sideA)
        {
            for (final InetAddress b : sideB)
            {
                block(a, b);
            }
        }
    }

    /** Block both directions between two hosts (a host always reaches itself). */
    public void block(final InetAddress a, final InetAddress b)
    {
        final SimHost ha = host(a);
        final SimHost hb = host(b);
        if (ha == hb)
        {
            return;
        }
        if (blocked.add(pair(ha, hb)))
        {
            blocked.add(pair(hb, ha));
            trace.record("block", ha.index, hb.index, 0);
        }
    }

    /** Let two hosts reach each other again. */
    public void unblock(final InetAddress a, final InetAddress b)
    {
        final SimHost ha = host(a);
        final SimHost hb = host(b);
        if (blocked.remove(pair(ha, hb)))
        {
            blocked.remove(pair(hb, ha));
            trace.record("unblock", ha.index, hb.index, 0);
        }
    }

    /** Remove every block. */
    public void healAll()
    {
        blocked.clear();
        trace.record("heal", 0, 0, 0);
    }

    /** True unless a block separates the two hosts (whether they are up is another matter: {@link #isDown}). */
    public boolean reachable(final InetAddress a, final InetAddress b)
    {
        final SimHost ha = host(a);
        final SimHost hb = host(b);
        return ha == hb || !blocked.contains(pair(ha, hb));
    }

    /**
     * Bring a crashed host up again without making a backend on it yet (its first new backend
     * does this too): from now on a segment of a connection it lost is answered by an RST.
     * Calling it right after {@link #crash} models a process whose sockets vanished on a machine
     * that stays up. No-op for a host that is up.
     */
    public void restart(final InetAddress host)
    {
        final SimHost h = host(host);
        if (h.down)
        {
            h.down = false;
            trace.record("restart", h.index, h.crashes, 0);
        }
    }

    /** True between a host's crash and its restart (the first {@link #backend} made on it after). */
    public boolean isDown(final InetAddress host)
    {
        final SimHost h = hosts.get(host);
        return h != null && h.down;
    }

    private static long pair(final SimHost from, final SimHost to)
    {
        return ((long)from.index << 32) | to.index;
    }

    private boolean isBlocked(final SimHost from, final SimHost to)
    {
        if (from.down || to.down)
        {
            return true;
        }
        return from != to && blocked.contains(pair(from, to));
    }

    /**
     * The host loses power: every socket, listener and datagram socket on it vanishes at once and
     * its backends die (no further completion, no exception to anyone still holding them). Nothing
     * reaches the host or leaves it until it restarts ({@link #backend} on it again); then a
     * segment of a lost connection reaching it is answered by an RST. A peer learns of the crash
     * only that way, or by its user timeout; an idle peer learns nothing.
     */
    public void crash(final InetAddress host)
    {
        final SimHost h = host(host);
        h.down = true;
        h.crashes++;
        trace.record("crash", h.index, h.crashes, 0);
        for (int i = 0; i < h.backends.size(); i++)
        {
            h.backends.get(i).die();
        }
        h.backends.clear();
        h.listeners.clear();
        openDatagramSockets -= h.datagramSockets.size();
        for (final SimDatagramSocket socket : h.datagramSockets.values())
        {
            socket.queue.clear();
            socket.queuedBytes = 0;
        }
        h.datagramSockets.clear();
        for (int i = 0; i < streams.size(); i++)
        {
            final SimStream stream = streams.get(i);
            vanish(stream.client, h);
            vanish(stream.server, h);
        }
    }

    private static void vanish(final Endpoint e, final SimHost crashed)
    {
        if (e == null || e.host != crashed)
        {
            return;
        }
        e.state = Endpoint.State.GONE;
        e.out.clear(); // its send buffer was in the memory that is gone
        e.dropReceived();
    }

    /**
     * Reset a live stream picked by the PRNG, from a side picked by the PRNG: that side reads
     * RESET at once, its peer when the RST reaches it.
     *
     * @return the stream's id, or -1 if no stream is live.
     */
    public long resetRandomStream()
    {
        final SimStream stream = pickLiveStream();
        if (stream == null)
        {
            return -1;
        }
        resetStream(stream.id());
        return stream.id();
    }

    /**
     * Half-close a live stream picked by the PRNG from a side picked by the PRNG, at the current
     * byte: the peer reads EOF after what was written so far; that side's next write fails.
     *
     * @return the stream's id, or -1 if no stream has a side that can still send.
     */
    public long finRandomStream()
    {
        final SimStream stream = pickLiveStream();
        if (stream == null)
        {
            return -1;
        }
        return finStream(stream.id(), random.nextInt(2)) ? stream.id() : -1;
    }

    /** Reset a stream by id from a side picked by the PRNG; false if it has no live side. */
    public boolean resetStream(final long streamId)
    {
        final SimStream stream = find(streamId);
        if (stream == null)
        {
            return false;
        }
        final Endpoint a = stream.client;
        final Endpoint b = stream.server;
        final boolean aLive = a.state == Endpoint.State.OPEN;
        final boolean bLive = b != null && b.state == Endpoint.State.OPEN;
        final Endpoint side;
        if (aLive && bLive)
        {
            side = random.nextInt(2) == 0 ? a : b;
        }
        else if (aLive || bLive)
        {
            side = aLive ? a : b;
        }
        else
        {
            return false;
        }
        trace.record("inject-rst", streamId, side.side, 0);
        rstReceived(side);
        sendRst(side);
        return true;
    }

    /**
     * Half-close a stream's side (0 client, 1 server) now, as if its application had called
     * shutdownOutput without knowing: its later writes fail with BROKEN_PIPE.
     *
     * @return false if that side cannot send (not open, or already shut).
     */
    public boolean finStream(final long streamId, final int side)
    {
        final SimStream stream = find(streamId);
        if (stream == null)
        {
            return false;
        }
        final Endpoint e = side == 0 ? stream.client : stream.server;
        if (e == null || e.state != Endpoint.State.OPEN || e.outputShut)
        {
            final Endpoint other = side == 0 ? stream.server : stream.client;
            if (other == null || other.state != Endpoint.State.OPEN || other.outputShut)
            {
                return false;
            }
            return finStream(streamId, 1 - side);
        }
        trace.record("inject-fin", streamId, e.side, e.out.queuedBytes);
        shutdownOutput(e);
        return true;
    }

    private SimStream pickLiveStream()
    {
        int live = 0;
        for (int i = 0; i < streams.size(); i++)
        {
            if (hasOpenSide(streams.get(i)))
            {
                live++;
            }
        }
        if (live == 0)
        {
            return null;
        }
        int pick = random.nextInt(live);
        for (int i = 0; i < streams.size(); i++)
        {
            final SimStream stream = streams.get(i);
            if (hasOpenSide(stream) && pick-- == 0)
            {
                return stream;
            }
        }
        return null;
    }

    private static boolean hasOpenSide(final SimStream stream)
    {
        return stream.client.state == Endpoint.State.OPEN ||
            (stream.server != null && stream.server.state == Endpoint.State.OPEN);
    }

    private SimStream find(final long streamId)
    {
        for (int i = 0; i < streams.size(); i++)
        {
            if (streams.get(i).id() == streamId)
            {
                return streams.get(i);
            }
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------
    // Observation

    /**
     * The longest time any channel took from its owner's FIN ({@code shutdownOutput}) to its owner's
     * {@code close()}, counting channels still half-closed at their age now and leaving out those
     * whose host crashed: what a graceful close costs, for the close_grace invariant. Simulation
     * thread.
     */
    public long longestFinToCloseNs()
    {
        long longest = longestFinToCloseNs;
        final long nowNs = clock.nanoTime();
        for (int i = halfClosed.size() - 1; i >= 0; i--)
        {
            final SimChannel channel = halfClosed.get(i);
            if (channel.ownerDead())
            {
                halfClosed.remove(i);
            }
            else
            {
                longest = Math.max(longest, nowNs - channel.finAtNs());
            }
        }
        return longest;
    }

    void finSent(final SimChannel channel)
    {
        halfClosed.add(channel);
    }

    void closedAfterFin(final SimChannel channel, final long finToCloseNs)
    {
        halfClosed.remove(channel);
        longestFinToCloseNs = Math.max(longestFinToCloseNs, finToCloseNs);
    }

    /** The streams not yet finished (either side live, or something in flight), in connect order. */
    public List<SimStream> streams()
    {
        return Collections.unmodifiableList(new ArrayList<>(streams));
    }

    /** How many streams are not yet finished. */
    public int openStreams()
    {
        return streams.size();
    }

    /** How many datagram sockets are bound and open. */
    public int openDatagramSockets()
    {
        return openDatagramSockets;
    }

    /**
     * Bytes the host's kernel holds for its streams: written and not yet delivered, plus delivered
     * and not yet read. Each socket's share stays within its send and receive buffer by construction
     * ({@link #checkBuffers()}).
     */
    public long bytesQueued(final InetAddress host)
    {
        final SimHost h = hosts.get(host);
        long bytes = 0;
        for (int i = 0; i < streams.size(); i++)
        {
            final SimStream stream = streams.get(i);
            if (stream.client.host == h)
            {
                bytes += stream.toServer.queuedBytes + stream.client.receivedBytes;
            }
            if (stream.server != null && stream.server.host == h)
            {
                bytes += stream.toClient.queuedBytes + stream.server.receivedBytes;
            }
        }
        return bytes;
    }

    /** Bytes of datagrams in flight (sent, not yet arrived). */
    public long datagramBytesInFlight()
    {
        long bytes = 0;
        for (final Datagram d : datagrams)
        {
            bytes += d.data.length;
        }
        return bytes;
    }

    /**
     * Throws IllegalStateException naming the stream if any socket holds more than its send or
     * receive buffer: the network's own invariant.
     */
    public void checkBuffers()
    {
        for (int i = 0; i < streams.size(); i++)
        {
            final SimStream stream = streams.get(i);
            if (stream.toServer.queuedBytes > config.sendBufferBytes() ||
                stream.toClient.queuedBytes > config.sendBufferBytes() ||
                stream.client.receivedBytes > config.receiveBufferBytes() ||
                (stream.server != null && stream.server.receivedBytes > config.receiveBufferBytes()))
            {
                throw new IllegalStateException("socket buffer exceeded: " + stream);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Time

    /** Same as {@link #deliver()}, for a world that does not need the count. */
    public void advance()
    {
        deliver();
    }

    /**
     * Move every segment, SYN, RST and datagram due at the clock's time to its receiver, fire the
     * connect and user timeouts that expired. Calls no application code: the backends' polls
     * deliver the completions this makes ready.
     *
     * @return how many events happened.
     */
    public int deliver()
    {
        final long nowNs = clock.nanoTime();
        int moved = 0;
        for (int i = 0; i < streams.size(); i++)
        {
            final SimStream stream = streams.get(i);
            final Endpoint client = stream.client;
            if (client.state == Endpoint.State.CONNECTING && client.connectDeadlineNs <= nowNs)
            {
                trace.record("connect-timeout", stream.id(), 0, 0);
                client.connectResult = IoResult.ERROR;
                client.failure = "connect timed out: no answer to the SYN within " +
                    config.connectTimeoutNs() / 1_000_000 + " ms";
                client.state = Endpoint.State.GONE;
                client.out.clear();
                moved++;
            }
            moved += drain(stream.toServer, nowNs);
            moved += drain(stream.toClient, nowNs);
        }
        Datagram d;
        while ((d = datagrams.peek()) != null && d.deliverAtNs <= nowNs)
        {
            datagrams.poll();
            arrive(d);
            moved++;
        }
        int j = 0;
        for (int i = 0; i < streams.size(); i++)
        {
            final SimStream stream = streams.get(i);
            if (!stream.isFinished())
            {
                streams.set(j++, stream);
            }
            else
            {
                trace.record("stream-done", stream.id(), 0, 0);
            }
        }
        while (streams.size() > j)
        {
            streams.remove(streams.size() - 1);
        }
        return moved;
    }

    /**
     * When {@link #deliver()} next has something to do: the earliest due segment, datagram, connect
     * deadline or user timeout; a time at or before now if something is due already;
     * Long.MAX_VALUE if nothing is pending. Segments waiting for a reader to make room, or held by
     * a partition, do not count (the read or the heal makes them due).
     */
    public long nextEventNs()
    {
        final long nowNs = clock.nanoTime();
        long next = Long.MAX_VALUE;
        for (int i = 0; i < streams.size(); i++)
        {
            final SimStream stream = streams.get(i);
            if (stream.client.state == Endpoint.State.CONNECTING)
            {
                next = Math.min(next, stream.client.connectDeadlineNs);
            }
            next = Math.min(next, nextEventNs(stream.toServer, nowNs));
            next = Math.min(next, nextEventNs(stream.toClient, nowNs));
        }
        final Datagram d = datagrams.peek();
        if (d != null)
        {
            next = Math.min(next, d.deliverAtNs);
        }
        return next;
    }

    private long nextEventNs(final Pipe pipe, final long nowNs)
    {
        final Segment head = pipe.segments.peekFirst();
        if (head == null)
        {
            return Long.MAX_VALUE;
        }
        if (head.deliverAtNs > nowNs)
        {
            return head.deliverAtNs;
        }
        if (isBlocked(pipe.fromHost, pipe.toHost))
        {
            if (head.type == Segment.RST)
            {
                return head.deliverAtNs; // it is dropped
            }
            if (head.type == Segment.SYN || pipe.from == null)
            {
                return Long.MAX_VALUE; // the connect deadline decides
            }
            return pipe.heldSinceNs == Pipe.NONE ? head.deliverAtNs : pipe.heldSinceNs + config.userTimeoutNs();
        }
        if (head.type == Segment.DATA && pipe.to != null && pipe.to.state == Endpoint.State.OPEN &&
            pipe.to.receivedBytes >= config.receiveBufferBytes())
        {
            return Long.MAX_VALUE; // zero window: the reader's next read makes room
        }
        return head.deliverAtNs;
    }

    // ------------------------------------------------------------------------------------------------
    // Streams: delivery

    private long latencyNs()
    {
        return random.between(config.latencyMinNs(), config.latencyMaxNs());
    }

    private void send(final Pipe pipe, final byte type, final byte[] data)
    {
        final long deliverAtNs = Math.max(pipe.lastDeliverAtNs, clock.nanoTime() + latencyNs());
        pipe.lastDeliverAtNs = deliverAtNs;
        pipe.segments.addLast(new Segment(type, data, deliverAtNs));
        if (data != null)
        {
            pipe.queuedBytes += data.length;
        }
    }

    /** Answer a segment that reached a socket the kernel no longer knows. */
    private void sendRst(final Endpoint e)
    {
        if (!e.out.endsWithRst())
        {
            send(e.out, Segment.RST, null);
        }
    }

    private int drain(final Pipe pipe, final long nowNs)
    {
        int moved = 0;
        Segment head;
        while ((head = pipe.segments.peekFirst()) != null && head.deliverAtNs <= nowNs)
        {
            final long streamId = pipe.stream.id();
            if (isBlocked(pipe.fromHost, pipe.toHost))
            {
                if (head.type == Segment.RST)
                {
                    pipe.segments.pollFirst(); // an RST is never retransmitted
                    trace.record("rst-lost", streamId, pipe.direction, 0);
                    moved++;
                    continue;
                }
                if (head.type == Segment.SYN || pipe.from == null)
                {
                    break; // SYNs are retransmitted until the connect deadline
                }
                if (pipe.heldSinceNs == Pipe.NONE)
                {
                    pipe.heldSinceNs = Math.max(head.deliverAtNs, pipe.lastDeliveryNs);
                    trace.record("held", streamId, pipe.direction, pipe.queuedBytes);
                    moved++;
                }
                if (nowNs - pipe.heldSinceNs >= config.userTimeoutNs())
                {
                    userTimeout(pipe.from);
                    moved++;
                }
                break;
            }
            pipe.heldSinceNs = Pipe.NONE;
            final Endpoint to = pipe.to;
            switch (head.type)
            {
                case Segment.SYN:
                    pipe.segments.pollFirst();
                    synArrived(pipe.stream);
                    moved++;
                    break;

                case Segment.SYN_ACK:
                    pipe.segments.pollFirst();
                    if (to.state == Endpoint.State.CONNECTING)
                    {
                        to.state = Endpoint.State.OPEN;
                        to.connectResult = 0;
                        trace.record("established", streamId, 0, 0);
                    }
                    else
                    {
                        trace.record("syn-ack-to-gone", streamId, 0, 0);
                        sendRst(to);
                    }
                    moved++;
                    break;

                case Segment.RST:
                    pipe.segments.pollFirst();
                    trace.record("rst", streamId, pipe.direction, 0);
                    rstReceived(to);
                    moved++;
                    break;

                case Segment.FIN:
                    pipe.segments.pollFirst();
                    trace.record("fin", streamId, pipe.direction, 0);
                    if (to.state == Endpoint.State.GONE)
                    {
                        sendRst(to);
                    }
                    else
                    {
                        to.finReceived = true;
                    }
                    moved++;
                    break;

                default:
                    if (!deliverData(pipe, head, to, nowNs))
                    {
                        return moved; // zero window
                    }
                    moved++;
                    break;
            }
        }
        return moved;
    }

    /** @return false if the receiver has no room (the head stays). */
    private boolean deliverData(final Pipe pipe, final Segment head, final Endpoint to, final long nowNs)
    {
        final long streamId = pipe.stream.id();
        if (to.state != Endpoint.State.OPEN)
        {
            pipe.segments.pollFirst();
            pipe.queuedBytes -= head.remaining();
            trace.record("data-to-closed", streamId, pipe.direction, head.remaining());
            if (to.state == Endpoint.State.CLOSED)
            {
                // Data after the application closed: Linux answers with an RST and drops the socket.
                to.state = Endpoint.State.GONE;
                to.out.clear();
            }
            sendRst(to);
            return true;
        }
        if (!head.faultsDrawn)
        {
            head.faultsDrawn = true;
            if (random.chance(config.streamResetProbability()))
            {
                pipe.segments.pollFirst();
                pipe.queuedBytes -= head.remaining();
                trace.record("inject-rst-seg", streamId, pipe.direction, head.remaining());
                rstReceived(to);
                return true;
            }
            head.finAfter = random.chance(config.streamFinProbability());
        }
        final long room = config.receiveBufferBytes() - to.receivedBytes;
        if (room <= 0)
        {
            return false;
        }
        final int n = (int)Math.min(room, head.remaining());
        final byte[] chunk;
        if (head.offset == 0 && n == head.data.length)
        {
            chunk = head.data;
        }
        else
        {
            chunk = new byte[n];
            System.arraycopy(head.data, head.offset, chunk, 0, n);
        }
        head.offset += n;
        pipe.queuedBytes -= n;
        pipe.lastDeliveryNs = nowNs;
        to.received.addLast(chunk);
        to.receivedBytes += n;
        trace.record("seg", streamId, pipe.direction, n);
        if (head.remaining() == 0)
        {
            pipe.segments.pollFirst();
            if (head.finAfter)
            {
                // A spontaneous half-close right after this byte: what the sender wrote later is lost.
                trace.record("inject-fin-seg", streamId, pipe.direction, pipe.queuedBytes);
                pipe.clear();
                if (pipe.from != null)
                {
                    pipe.from.outputShut = true;
                }
                to.finReceived = true;
            }
        }
        return true;
    }

    private void synArrived(final SimStream stream)
    {
        final SimHost serverHost = stream.toServer.toHost;
        final SimListener listener = serverHost.listeners.get(stream.serverAddress.getPort());
        if (listener == null || listener.closed)
        {
            trace.record("syn-refused", stream.id(), serverHost.index, stream.serverAddress.getPort());
            send(stream.toClient, Segment.RST, null);
            return;
        }
        final Endpoint server = new Endpoint(stream, 1, serverHost, listener.local, stream.client.local,
            Endpoint.State.OPEN);
        server.in = stream.toServer;
        server.out = stream.toClient;
        stream.server = server;
        stream.toServer.to = server;
        stream.toClient.from = server;
        send(stream.toClient, Segment.SYN_ACK, null);
        listener.pending.addLast(new SimAcceptedSocket(this, server));
        trace.record("syn-accepted", stream.id(), serverHost.index, stream.serverAddress.getPort());
    }

    private void rstReceived(final Endpoint e)
    {
        switch (e.state)
        {
            case CONNECTING:
                e.connectResult = IoResult.REFUSED;
                break;
            case OPEN:
                e.pendingError = IoResult.RESET;
                break;
            default:
                break;
        }
        e.state = Endpoint.State.GONE;
        e.out.clear();
        e.dropReceived(); // what was not read yet is lost with the connection
    }

    private void userTimeout(final Endpoint e)
    {
        trace.record("user-timeout", e.stream.id(), e.side, e.out.queuedBytes);
        if (e.state == Endpoint.State.OPEN)
        {
            e.pendingError = IoResult.RESET;
            e.failure = "user timeout: data unacknowledged for " + config.userTimeoutNs() / 1_000_000 + " ms";
        }
        e.state = Endpoint.State.GONE;
        e.out.clear();
        e.dropReceived();
        sendRst(e);
    }

    // ------------------------------------------------------------------------------------------------
    // Streams: calls from the backends

    SimChannel connect(final SimBackend backend, final InetSocketAddress address, final IoChannelHandler handler)
        throws IOException
    {
        if (address.getAddress() == null)
        {
            throw new UnknownHostException(address.getHostString());
        }
        final SimHost clientHost = backend.host;
        // Loopback stays on the dialer's host, as it does on a real one.
        final SimHost serverHost = address.getAddress().isLoopbackAddress() ? clientHost : host(address.getAddress());
        final InetSocketAddress local = new InetSocketAddress(clientHost.address, clientHost.ephemeralPort(null));
        final SimStream stream = new SimStream(nextStreamId++, clientHost, local, serverHost, address);
        final SimChannel channel = new SimChannel(backend, stream.client, handler);
        stream.client.channel = channel;
        if (backend.isDead())
        {
            stream.client.state = Endpoint.State.GONE; // never completes, as nothing on a dead backend does
            return channel;
        }
        stream.client.connectDeadlineNs = clock.nanoTime() + config.connectTimeoutNs();
        streams.add(stream);
        send(stream.toServer, Segment.SYN, null);
        trace.record("connect", stream.id(), clientHost.index, serverHost.index);
        return channel;
    }

    SimListener listen(final SimBackend backend, final InetSocketAddress address,
        final Consumer<AcceptedSocket> onAccept) throws IOException
    {
        final SimHost h = backend.host;
        checkLocal(h, address);
        if (backend.isDead())
        {
            return new SimListener(backend, new InetSocketAddress(h.address, address.getPort()), onAccept, false);
        }
        int port = address.getPort();
        if (port == 0)
        {
            port = h.ephemeralPort(h.listeners);
            if (port < 0)
            {
                throw new BindException("no ephemeral port left");
            }
        }
        else if (h.listeners.containsKey(port))
        {
            throw new BindException("Address already in use");
        }
        final SimListener listener = new SimListener(backend, new InetSocketAddress(h.address, port), onAccept, true);
        h.listeners.put(port, listener);
        trace.record("listen", h.index, port, backend.id);
        return listener;
    }

    private static void checkLocal(final SimHost h, final InetSocketAddress address) throws IOException
    {
        final InetAddress a = address.getAddress();
        if (a != null && !a.isAnyLocalAddress() && !a.isLoopbackAddress() && !a.equals(h.address))
        {
            throw new BindException("Cannot assign requested address: " + a + " is not " + h.address);
        }
    }

    void closeListener(final SimListener listener)
    {
        final SimHost h = listener.backend.host;
        if (listener.bound && h.listeners.get(listener.local.getPort()) == listener)
        {
            h.listeners.remove(listener.local.getPort());
        }
        trace.record("unlisten", h.index, listener.local.getPort(), listener.pending.size());
        // Linux resets the connections still in the accept queue of a closed listener.
        SimAcceptedSocket socket;
        while ((socket = listener.pending.poll()) != null)
        {
            final Endpoint e = socket.endpoint;
            if (e.state == Endpoint.State.OPEN)
            {
                e.state = Endpoint.State.GONE;
                e.out.clear();
                e.dropReceived();
                sendRst(e);
            }
        }
    }

    SimChannel register(final SimBackend backend, final AcceptedSocket socket, final IoChannelHandler handler)
        throws IOException
    {
        if (!(socket instanceof SimAcceptedSocket) || ((SimAcceptedSocket)socket).network != this)
        {
            throw new IllegalArgumentException("not a socket of this simulated network: " + socket);
        }
        final SimAcceptedSocket accepted = (SimAcceptedSocket)socket;
        if (accepted.registered || accepted.closed)
        {
            throw new IOException("the accepted socket was already registered or closed");
        }
        if (accepted.endpoint.host != backend.host)
        {
            throw new IllegalArgumentException("a socket of " + accepted.endpoint.host.address + " registered on " +
                backend);
        }
        accepted.registered = true;
        final SimChannel channel = new SimChannel(backend, accepted.endpoint, handler);
        accepted.endpoint.channel = channel;
        trace.record("register", accepted.endpoint.stream.id(), backend.id, 0);
        return channel;
    }

    long write(final SimChannel channel, final ByteBuffer[] srcs, final int count)
    {
        final Endpoint e = channel.endpoint;
        channel.writeWaitsForRoom = false;
        final long streamId = e.stream.id();
        if (e.state == Endpoint.State.CONNECTING)
        {
            trace.record("write-unconnected", streamId, e.side, 0);
            return IoResult.ERROR;
        }
        if (e.pendingError != 0 && !e.writeErrorReported)
        {
            e.writeErrorReported = true;
            return e.pendingError;
        }
        if (e.state != Endpoint.State.OPEN || e.outputShut)
        {
            return IoResult.BROKEN_PIPE;
        }
        long asked = 0;
        for (int i = 0; i < count; i++)
        {
            asked += srcs[i].remaining();
        }
        if (asked == 0)
        {
            return 0;
        }
        final long free = config.sendBufferBytes() - e.out.queuedBytes;
        if (free <= 0)
        {
            channel.writeWaitsForRoom = true;
            trace.record("write-full", streamId, e.side, 0);
            return 0;
        }
        final int n = 1 + random.nextInt((int)Math.min(Math.min(asked, free), config.maxChunkBytes()));
        final byte[] data = new byte[n];
        int copied = 0;
        for (int i = 0; i < count && copied < n; i++)
        {
            final ByteBuffer src = srcs[i];
            final int take = Math.min(src.remaining(), n - copied);
            src.get(data, copied, take); // consumes the position, earlier buffers first, as a partial writev
            copied += take;
        }
        send(e.out, Segment.DATA, data);
        if (n < asked)
        {
            channel.writeWaitsForRoom = true;
        }
        trace.record("write", streamId, e.side, n);
        return n;
    }

    int read(final SimChannel channel)
    {
        final Endpoint e = channel.endpoint;
        final ByteBuffer dst = channel.readBuffer;
        channel.readBuffer = null;
        final long streamId = e.stream.id();
        if (e.receivedBytes > 0)
        {
            final int n = 1 + random.nextInt((int)Math.min(Math.min(dst.remaining(), e.receivedBytes),
                config.maxChunkBytes()));
            int copied = 0;
            while (copied < n)
            {
                final byte[] chunk = e.received.peekFirst();
                final int take = Math.min(chunk.length - e.receivedHeadOffset, n - copied);
                dst.put(chunk, e.receivedHeadOffset, take);
                copied += take;
                e.receivedHeadOffset += take;
                if (e.receivedHeadOffset == chunk.length)
                {
                    e.received.pollFirst();
                    e.receivedHeadOffset = 0;
                }
            }
            e.receivedBytes -= n;
            trace.record("on-read", streamId, e.side, n);
            return n;
        }
        final int result = e.pendingError != 0 ? e.pendingError : IoResult.EOF;
        trace.record("on-read", streamId, e.side, result);
        return result;
    }

    void shutdownOutput(final Endpoint e)
    {
        if (e.state != Endpoint.State.OPEN || e.outputShut)
        {
            return;
        }
        e.outputShut = true;
        send(e.out, Segment.FIN, null);
        trace.record("shutdown", e.stream.id(), e.side, e.out.queuedBytes);
    }

    /** The application closed its socket (a channel, or an accepted socket never registered). */
    void appClose(final Endpoint e)
    {
        final long streamId = e.stream.id();
        switch (e.state)
        {
            case CONNECTING:
                e.state = Endpoint.State.GONE;
                e.out.clear();
                trace.record("close-connecting", streamId, e.side, 0);
                break;
            case OPEN:
                if (e.receivedBytes > 0)
                {
                    // Linux: close with unread data sends an RST, not a FIN, and drops the send queue.
                    trace.record("close-rst", streamId, e.side, e.receivedBytes);
                    e.state = Endpoint.State.GONE;
                    e.out.clear();
                    e.dropReceived();
                    sendRst(e);
                }
                else
                {
                    trace.record("close", streamId, e.side, e.out.queuedBytes);
                    if (!e.outputShut)
                    {
                        e.outputShut = true;
                        send(e.out, Segment.FIN, null);
                    }
                    e.state = Endpoint.State.CLOSED;
                }
                break;
            default:
                break;
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Datagrams

    /** A datagram in flight or waiting in its receiver's queue. */
    static final class Datagram
    {
        final long seq;
        final InetSocketAddress from;
        final SimHost fromHost;
        final InetSocketAddress to;
        final byte[] data;
        final long deliverAtNs;

        Datagram(final long seq, final InetSocketAddress from, final SimHost fromHost, final InetSocketAddress to,
            final byte[] data, final long deliverAtNs)
        {
            this.seq = seq;
            this.from = from;
            this.fromHost = fromHost;
            this.to = to;
            this.data = data;
            this.deliverAtNs = deliverAtNs;
        }
    }

    private static int compareDatagrams(final Datagram a, final Datagram b)
    {
        final int byTime = Long.compare(a.deliverAtNs, b.deliverAtNs);
        return byTime != 0 ? byTime : Long.compare(a.seq, b.seq);
    }

    SimDatagramSocket openDatagram(final SimBackend backend, final InetSocketAddress address,
        final InetSocketAddress connectTo, final Runnable onReadable) throws IOException
    {
        final SimHost h = backend.host;
        final InetSocketAddress bindTo = address != null ? address : new InetSocketAddress(0);
        checkLocal(h, bindTo);
        if (connectTo != null && connectTo.getAddress() == null)
        {
            throw new UnknownHostException(connectTo.getHostString());
        }
        final int id = nextDatagramSocketId++;
        if (backend.isDead())
        {
            return new SimDatagramSocket(backend, id, new InetSocketAddress(h.address, bindTo.getPort()), connectTo,
                onReadable, false);
        }
        int port = bindTo.getPort();
        if (port == 0)
        {
            port = h.ephemeralPort(h.datagramSockets);
            if (port < 0)
            {
                throw new BindException("no ephemeral port left");
            }
        }
        else if (h.datagramSockets.containsKey(port))
        {
            throw new BindException("Address already in use");
        }
        final SimDatagramSocket socket = new SimDatagramSocket(backend, id, new InetSocketAddress(h.address, port),
            connectTo, onReadable, true);
        h.datagramSockets.put(port, socket);
        openDatagramSockets++;
        trace.record("dgram-open", id, h.index, port);
        return socket;
    }

    void closeDatagramSocket(final SimDatagramSocket socket)
    {
        final SimHost h = socket.backend.host;
        if (socket.bound && h.datagramSockets.get(socket.local.getPort()) == socket)
        {
            h.datagramSockets.remove(socket.local.getPort());
            openDatagramSockets--;
        }
        trace.record("dgram-close", socket.id, 0, 0);
    }

    void sendDatagram(final SimDatagramSocket socket, final ByteBuffer src, final InetSocketAddress target)
        throws IOException
    {
        if (target == null || target.getAddress() == null)
        {
            throw new UnknownHostException(String.valueOf(target));
        }
        final byte[] data = new byte[src.remaining()];
        src.get(data);
        final long seq = nextDatagramSeq++;
        trace.record("dgram-send", socket.id, seq, data.length);
        if (random.chance(config.datagramLossProbability()))
        {
            trace.record("dgram-loss", socket.id, seq, 0);
            return;
        }
        final int copies = random.chance(config.datagramDuplicateProbability()) ? 2 : 1;
        if (copies == 2)
        {
            trace.record("dgram-dup", socket.id, seq, 0);
        }
        final long nowNs = clock.nanoTime();
        for (int c = 0; c < copies; c++)
        {
            byte[] bytes = c == 0 ? data : data.clone();
            if (bytes.length > 0 && random.chance(config.datagramTruncateProbability()))
            {
                final int length = random.nextInt(bytes.length);
                trace.record("dgram-truncate", socket.id, seq, length);
                bytes = java.util.Arrays.copyOf(bytes, length);
            }
            if (bytes.length > 0 && random.chance(config.datagramCorruptProbability()))
            {
                final int at = random.nextInt(bytes.length);
                bytes[at] ^= (byte)(1 + random.nextInt(255)); // never 0: the byte does change
                trace.record("dgram-corrupt", socket.id, seq, at);
            }
            final long deliverAtNs;
            if (random.chance(config.datagramReorderProbability()))
            {
                deliverAtNs = nowNs + latencyNs();
                trace.record("dgram-reorder", socket.id, seq, deliverAtNs - nowNs);
            }
            else
            {
                deliverAtNs = Math.max(socket.lastDeliverAtNs, nowNs + latencyNs());
                socket.lastDeliverAtNs = deliverAtNs;
            }
            datagrams.add(new Datagram(seq, socket.local, socket.backend.host, target, bytes, deliverAtNs));
        }
    }

    private void arrive(final Datagram d)
    {
        final SimHost toHost = d.to.getAddress().isLoopbackAddress() ? d.fromHost : hosts.get(d.to.getAddress());
        if (toHost == null || isBlocked(d.fromHost, toHost))
        {
            trace.record("dgram-unreachable", d.seq, d.fromHost.index, toHost == null ? 0 : toHost.index);
            return;
        }
        final SimDatagramSocket socket = toHost.datagramSockets.get(d.to.getPort());
        if (socket == null || socket.closed || (socket.connectedTo != null && !socket.connectedTo.equals(d.from)))
        {
            trace.record("dgram-no-port", d.seq, toHost.index, d.to.getPort());
            return;
        }
        if (socket.queuedBytes + d.data.length > config.datagramBufferBytes())
        {
            trace.record("dgram-overflow", d.seq, socket.id, d.data.length);
            return;
        }
        socket.queue.addLast(d);
        socket.queuedBytes += d.data.length;
        trace.record("dgram-arrive", d.seq, socket.id, d.data.length);
    }

    /**
     * A multi-line picture of the network for a failure report: each host (up or down, its bound
     * ports), each unfinished stream with both sides' states and queued bytes, the datagrams in flight.
     */
    public String dump()
    {
        final StringBuilder out = new StringBuilder(256);
        out.append("at ").append(clock.elapsedNs()).append(" ns virtual, next event ");
        final long next = nextEventNs();
        out.append(next == Long.MAX_VALUE ? "none" : (next - SimClock.START_NS) + " ns").append('\n');
        for (final SimHost h : hosts.values())
        {
            out.append("host ").append(h.index).append(' ').append(h.address.getHostAddress())
                .append(h.down ? " DOWN" : " up").append(", crashes ").append(h.crashes)
                .append(", tcp ports ").append(h.listeners.keySet())
                .append(", udp ports ").append(h.datagramSockets.keySet());
            for (final SimHost other : hosts.values())
            {
                if (other != h && blocked.contains(pair(h, other)))
                {
                    out.append(", blocked to ").append(other.index);
                }
            }
            out.append('\n');
        }
        for (int i = 0; i < streams.size(); i++)
        {
            final SimStream stream = streams.get(i);
            out.append(stream).append(", unread ").append(stream.receiveQueuedBytes(0)).append('/')
                .append(stream.receiveQueuedBytes(1)).append(" B\n");
        }
        out.append(datagrams.size()).append(" datagrams in flight\n");
        return out.toString();
    }

    @Override
    public String toString()
    {
        return "SimNetwork[" + hosts.size() + " hosts, " + streams.size() + " streams, " + datagrams.size() +
            " datagrams in flight]";
    }
}
