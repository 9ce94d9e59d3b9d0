package io.ringbus.cli.sim;

import io.ringbus.core.SendResult;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.config.IdleMode;
import io.ringbus.core.dedup.ReplyStatus;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.frame.Frames;
import io.ringbus.core.shard.Shard;
import io.ringbus.core.transport.Carrier;
import io.ringbus.core.transport.CloseReason;
import io.ringbus.core.transport.Connection;
import io.ringbus.core.transport.ConnectionHandler;
import io.ringbus.core.transport.TransportProvider;
import io.ringbus.sim.SimRandom;
import io.ringbus.sim.SimRuntime;
import io.ringbus.sim.World;
import org.agrona.DirectBuffer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A simulated SDK client: the SDK's own parts (a {@link Connection} with the transport's client
 * carrier on a shard of its own, as {@code BusClient} runs them) on a host of the simulated
 * network, driven by a timer on its shard. It keeps up to {@code window} requests in flight to its
 * home node; after a failure it reconnects (with a random back-off) and sends every unanswered
 * request again with the same request number, as a real client retrying; a request unanswered for
 * {@link #RETRY_NS} is sent again on the same connection (the node's dedup answers it once).
 *
 * <p>Checks on every reply: it answers one of this client's requests, byte for byte. Each frame
 * sent on a connection carries its send number (1, 2, 3, ...) in the header's timestamp field, for
 * the node's order check ({@link CheckingHandler}).
 *
 * <p>World thread only (everything runs on the client's shard, stepped by the world).
 */
final class SimClient implements ConnectionHandler
{
    static final long RETRY_NS = TimeUnit.SECONDS.toNanos(2);
    private static final long PULSE_NS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final int MAX_MESSAGE_SIZE = 64 * 1024;
    private static final long CLOSE_GRACE_NS = TimeUnit.SECONDS.toNanos(2);
    private static final long HANDSHAKE_GRACE_NS = TimeUnit.SECONDS.toNanos(10);
    /** How far either side of a reply's number to look for the request whose body it carries. */
    private static final int NEARBY_REQUESTS = 64;

    private final int index;
    private final Checks checks;
    private final SimRandom random;
    private final SimRuntime runtime;
    private final Shard shard;
    private final FramePool pool;
    private final URI target;
    private final TransportProvider transport;
    /** The transport's client settings (quic: the certificate to trust and the seeded random), or null. */
    private final Object transportSettings;
    private final InetSocketAddress address;
    private final long clusterHi;
    private final long clusterLo;
    private final long clientHi;
    private final long clientLo;
    private final int window;
    private final Simulation.Sabotage sabotage;
    /** Unanswered requests: number to when it was last sent (virtual ns; MIN_VALUE: never on this connection). */
    private final TreeMap<Long, Long> pending = new TreeMap<>();
    private final Runnable pulse = this::pulse;
    private final Runnable dial = this::dial;
    private final ByteBuffer discard = ByteBuffer.allocateDirect(64 * 1024);
    private Connection connection;
    private boolean open;
    private long connectionIds;
    private long sendNumber;
    private long nextRequest;
    private boolean generating = true;
    private long connects;
    private long resends;
    private long answered;
    private boolean stopped;
    private boolean corrupted;

    SimClient(final int index, final World world, final Checks checks, final SimRuntime runtime, final URI target,
        final Object transportSettings, final long clusterHi, final long clusterLo, final Simulation.Sabotage sabotage)
    {
        this.transportSettings = transportSettings;
        this.index = index;
        this.sabotage = sabotage;
        this.checks = checks;
        this.random = world.random().fork();
        this.runtime = runtime;
        this.target = target;
        this.clusterHi = clusterHi;
        this.clusterLo = clusterLo;
        this.clientHi = random.nextLong();
        this.clientLo = random.nextLong();
        this.window = 1 + random.nextInt(8);
        this.transport = TransportProvider.forScheme(target.getScheme());
        this.address = transport.address(target);
        this.pool = new FramePool(MAX_MESSAGE_SIZE, 1 << 20, FramePool.LEAK_DETECTION_DEFAULT);
        this.shard = new Shard(0, runtime.backend(0), IdleMode.BLOCKING, 1024, 256, this::onShardFailure,
            runtime.clock());
        runtime.adopt(new Shard[] {shard});
    }

    /** Dial and start the pulse. */
    void start()
    {
        shard.execute(() ->
        {
            dial();
            shard.schedule(shard.nowNs() + PULSE_NS, pulse);
        });
    }

    /** Stop sending new requests (the run is settling); unanswered ones are still retried. */
    void stopGenerating()
    {
        generating = false;
    }

    /** True when every request this client sent has been answered. */
    boolean settled()
    {
        return pending.isEmpty();
    }

    int unanswered()
    {
        return pending.size();
    }

    long connects()
    {
        return connects;
    }

    long resends()
    {
        return resends;
    }

    long requests()
    {
        return nextRequest;
    }

    /** Requests answered (each once). */
    long answered()
    {
        return answered;
    }

    /** The transport's scheme: tcp, ws or quic. */
    String scheme()
    {
        return target.getScheme();
    }

    /** For a failure report: connection state, unanswered requests. */
    String describe()
    {
        return "connects " + connects + ", " + (connection == null ? "no connection" : "connection " +
            connection.state() + (open ? " open" : "")) + ", unanswered " + pending.keySet() + ", sent " + nextRequest;
    }

    SimRuntime runtime()
    {
        return runtime;
    }

    FramePool pool()
    {
        return pool;
    }

    /** Close the connection (gracefully) and stop for good; the world steps the close to its end. */
    void stop()
    {
        shard.execute(() ->
        {
            stopped = true;
            if (connection != null)
            {
                connection.close(CloseReason.LOCAL, "simulation over");
            }
        });
    }

    /** True once stopped and the connection is closed. */
    boolean closed()
    {
        return stopped && (connection == null || connection.state() == Connection.State.CLOSED);
    }

    /** Close the shard itself (after {@link #closed()}). */
    void closeShard()
    {
        shard.closeAsShard();
    }

    private void dial()
    {
        if (stopped)
        {
            return;
        }
        connects++;
        final Connection conn = new Connection(++connectionIds, shard, this, pool, 64 * 1024, MAX_MESSAGE_SIZE,
            clusterHi, clusterLo, 256, 64, CLOSE_GRACE_NS, discard);
        final Carrier carrier = transport.clientCarrier(target, transportSettings, MAX_MESSAGE_SIZE);
        if (carrier != null)
        {
            conn.carrier(carrier, HANDSHAKE_GRACE_NS);
        }
        connection = conn;
        open = false;
        try
        {
            // as BusClient dials: quic brings its own (datagram) socket, the others use the backend's streams
            final IoChannel channel = transport.ownsSockets() ?
                transport.connect(shard, target, address, transportSettings, conn) :
                shard.backend().connect(address, conn);
            conn.connecting(channel, address);
        }
        catch (final IOException | RuntimeException ex)
        {
            conn.abort(CloseReason.CONNECT_FAILED, ex.toString());
        }
    }

    private void pulse()
    {
        if (open && !stopped)
        {
            final long nowNs = shard.nowNs();
            for (final Map.Entry<Long, Long> entry : pending.entrySet())
            {
                if (nowNs - entry.getValue() >= RETRY_NS && !send(entry.getKey()))
                {
                    break;
                }
            }
            while (generating && pending.size() < window)
            {
                final long request = ++nextRequest;
                pending.put(request, Long.MIN_VALUE);
                if (!send(request))
                {
                    break;
                }
            }
        }
        shard.schedule(shard.nowNs() + PULSE_NS, pulse);
    }

    /** Send {@code request} now on the open connection; false if the queue refused it (try later). */
    private boolean send(final long request)
    {
        final int size = FrameHeader.HEADER_SIZE + SimBodies.length(clientLo, request);
        final FrameBuffer frame = pool.acquire(size);
        Frames.header().wrap(frame.buffer(), 0).clear()
            .cluster(clusterHi, clusterLo)
            .size(size)
            .command(Command.REQUEST)
            .replica(FrameHeader.REPLICA_NONE)
            .client(clientHi, clientLo)
            .request(request)
            .timestamp(sendNumber + 1); // the send number on this connection, for the node's order check
        SimBodies.write(frame.buffer(), FrameHeader.HEADER_SIZE, clientLo, request);
        if (!corrupted && request >= 60 && sabotage == Simulation.Sabotage.CORRUPT_BODY && size > FrameHeader.HEADER_SIZE)
        {
            corrupted = true;
            frame.buffer().putByte(size - 1, (byte)~frame.buffer().getByte(size - 1));
        }
        if (request == 50 && sabotage == Simulation.Sabotage.SKIP_SEND_NUMBER)
        {
            Frames.header().wrap(frame.buffer(), 0).timestamp(sendNumber + 2);
            sendNumber++;
        }
        Frames.seal(frame.buffer(), 0);
        frame.frameLength(size);
        final SendResult result = connection.send(frame);
        if (result != SendResult.OK)
        {
            return false;
        }
        sendNumber++;
        if (pending.put(request, shard.nowNs()) != Long.MIN_VALUE)
        {
            resends++;
        }
        return true;
    }

    @Override
    public void onOpen(final Connection conn)
    {
        if (conn != connection)
        {
            return;
        }
        open = true;
        sendNumber = 0;
        // A new connection: every unanswered request goes again, same numbers, in order.
        for (final Map.Entry<Long, Long> entry : pending.entrySet())
        {
            if (!send(entry.getKey()))
            {
                break;
            }
        }
    }

    @Override
    public void onFrame(final Connection conn, final DirectBuffer buffer, final int offset, final int length)
    {
        final int command = FrameHeader.command(buffer, offset);
        final long request = FrameHeader.request(buffer, offset);
        if (command != Command.REPLY.code())
        {
            checks.fail("a reply answers its own request", "client " + index + ": command " + command + " from the node");
            return;
        }
        if (FrameHeader.clientHi(buffer, offset) != clientHi || FrameHeader.clientLo(buffer, offset) != clientLo)
        {
            checks.fail("a reply answers its own request", "client " + index + ": reply to request " + request +
                " carries another client's id");
            return;
        }
        if (request < 1 || request > nextRequest)
        {
            checks.fail("a reply answers its own request", "client " + index + ": reply to request " + request +
                ", never sent (last sent " + nextRequest + ")");
            return;
        }
        final int status = ReplyStatus.of(buffer, offset);
        if (status != ReplyStatus.OK)
        {
            // Session bound elsewhere (a connection the node has not seen close yet) or over a limit: retry soon.
            final Long sent = pending.get(request);
            if (sent != null)
            {
                pending.put(request, shard.nowNs() - RETRY_NS + TimeUnit.MILLISECONDS.toNanos(200));
            }
            return;
        }
        final String bad = SimBodies.check(buffer, offset, length);
        if (bad != null)
        {
            final long other = otherRequestWithThisBody(buffer, offset, length, request);
            if (other != 0)
            {
                checks.fail("a reply answers its own request", "client " + index + ": the reply to request " +
                    request + " carries the body of request " + other);
                return;
            }
            checks.fail("byte for byte", "client " + index + ": reply " + bad);
            return;
        }
        if (pending.remove(request) != null)
        {
            answered++;
            checks.acknowledged(clientHi, clientLo, request);
        }
    }

    /**
     * A reply whose body is not its request's: is it, byte for byte, the body of one of this
     * client's nearby requests (a mixed-up answer, not a corrupted one)? That request, or 0.
     */
    private long otherRequestWithThisBody(final DirectBuffer buffer, final int offset, final int length,
        final long request)
    {
        final long from = Math.max(1, request - NEARBY_REQUESTS);
        final long to = Math.min(nextRequest, request + NEARBY_REQUESTS);
        for (long other = from; other <= to; other++)
        {
            if (other != request && SimBodies.check(buffer, offset, length, other) == null)
            {
                return other;
            }
        }
        return 0;
    }

    @Override
    public void onClosed(final Connection conn)
    {
        if (conn != connection)
        {
            return;
        }
        open = false;
        for (final Map.Entry<Long, Long> entry : pending.entrySet())
        {
            entry.setValue(Long.MIN_VALUE);
        }
        if (!stopped)
        {
            final long backoffNs = TimeUnit.MILLISECONDS.toNanos(20 + random.nextInt(480));
            shard.schedule(shard.nowNs() + backoffNs, dial);
        }
    }

    private void onShardFailure(final Shard failed, final Throwable ex)
    {
        checks.fail("the bus never throws out of a shard", "client " + index + ": " + ex);
    }
}
