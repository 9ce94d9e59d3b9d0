package io.ringbus.core.transport;

import io.ringbus.core.MessageBus;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.frame.TestFrames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a connection costs in memory, for every transport and backend (issue 11, memory B): an idle
 * connection holds at most a small buffer, every buffer comes back when connections close and the
 * bus trims its pool back toward its floor, and frames much larger than the first receive buffer
 * still arrive intact across many reads. A concrete class per module takes its combinations from
 * {@link TransportPermutations} and adds the raw peer and its scheme's settings.
 *
 * <p>Direct memory is read from the JVM's "direct" buffer pool, which counts every direct
 * ByteBuffer (pooled frames, carrier buffers, a backend's bounce buffers) until it is freed.
 */
public abstract class ConnectionMemorySuite
{
    protected static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int IDLE_CONNECTIONS = 100;

    protected MessageBus bus;
    protected final EchoHandler handler = new EchoHandler();
    protected InetSocketAddress address;
    private final List<RawPeer> peers = new ArrayList<>();

    /** The scheme, backend and TLS provider under test. */
    protected final TransportPermutation permutation;

    protected ConnectionMemorySuite(final TransportPermutation permutation)
    {
        this.permutation = permutation;
    }

    /** A raw peer speaking this transport's carrier to {@code address}. */
    protected abstract RawPeer openRaw(InetSocketAddress address) throws IOException;

    /** The permutation's backend and idle mode; a subclass adds its scheme's settings (certificates). */
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return permutation.configure(builder);
    }

    /** Most direct memory one idle connection may hold: the goals of issue 11 (16 KiB tcp, 64 KiB tls, ws, wss). */
    protected long idleBytesLimit()
    {
        return permutation.scheme() == TransportPermutation.Scheme.TCP ? 16 * 1024 : 64 * 1024;
    }

    private String scheme()
    {
        return permutation.scheme().uri();
    }

    @BeforeEach
    void assumeRunnable()
    {
        permutation.assumeRunnable();
    }

    @AfterEach
    void tearDown() throws Exception
    {
        Collections.reverse(peers);
        for (final RawPeer peer : peers)
        {
            peer.close();
        }
        if (bus != null)
        {
            bus.close();
            if (bus.pool().isLeakDetectionEnabled())
            {
                bus.pool().assertNoLeaks();
            }
        }
    }

    private void startBus()
    {
        bus = MessageBus.start(configure(BusConfig.builder().shards(1)).build(), handler);
        address = bus.listen(URI.create(scheme() + "://127.0.0.1:0"));
    }

    private RawPeer exchange(final byte[] request) throws IOException
    {
        final RawPeer peer = openRaw(address);
        peers.add(peer);
        peer.write(request);
        final byte[] reply = peer.readFully(request.length, TIMEOUT);
        assertArrayEquals(Arrays.copyOfRange(request, FrameHeader.HEADER_SIZE, request.length),
            Arrays.copyOfRange(reply, FrameHeader.HEADER_SIZE, reply.length), "the reply carries the request's body");
        return peer;
    }

    @Test
    void idleConnectionsHoldLittleAndGiveEverythingBackWhenTheyClose() throws Exception
    {
        startBus();
        final byte[] request = TestFrames.frame(Command.REQUEST, 100, 1);
        exchange(request).close(); // the first connection makes what every later one shares (the shard's scratch)
        peers.clear();
        Await.until(TIMEOUT, () -> bus.stats().openConnections() == 0, "the first connection closed");

        final long before = directBytes();
        for (int i = 0; i < IDLE_CONNECTIONS; i++)
        {
            exchange(request);
        }
        final long perConnection = (directBytes() - before) / IDLE_CONNECTIONS;
        assertTrue(perConnection <= idleBytesLimit(), scheme() + ": an idle connection holds " + perConnection +
            " bytes of direct memory, more than " + idleBytesLimit());

        for (final RawPeer peer : peers)
        {
            peer.close();
        }
        peers.clear();
        Await.until(TIMEOUT, () -> bus.stats().openConnections() == 0, "every connection closed");
        final FramePool pool = bus.pool();
        if (pool.isLeakDetectionEnabled())
        {
            Await.until(TIMEOUT, () -> pool.outstanding() == 0, "every pooled buffer came back");
        }
        // The bus trims its pool every second: what no connection needs any more is freed.
        final int floor = (int)(FramePool.DEFAULT_TRIM_FLOOR_BYTES_PER_CLASS / FramePool.MIN_CLASS_SIZE);
        Await.until(TIMEOUT, () -> pool.idleBuffers(FramePool.MIN_CLASS_SIZE) <= floor,
            "the pool trimmed back to its floor of " + floor + " small buffers (idle: " +
            pool.idleBuffers(FramePool.MIN_CLASS_SIZE) + ")");
        final long kept = directBytes() - before;
        assertTrue(kept <= FramePool.DEFAULT_TRIM_FLOOR_BYTES_PER_CLASS * 4,
            scheme() + ": " + kept + " bytes of direct memory still held after every connection closed");
    }

    @Test
    void framesLargerThanTheFirstBufferArriveIntactAcrossManyReads() throws Exception
    {
        startBus();
        final RawPeer peer = openRaw(address);
        peers.add(peer);
        final byte[][] requests = {
            TestFrames.frame(Command.REQUEST, 40_000, 1), // grows the receive buffer
            TestFrames.frame(Command.REQUEST, 1_000_000, 2), // a buffer of its own
            TestFrames.frame(Command.REQUEST, 10, 3),
            TestFrames.frame(Command.REQUEST, 100_000, 4),
        };
        for (final byte[] request : requests)
        {
            // Small writes: many small segments (and, over TLS, many small records) on the wire.
            for (int offset = 0; offset < request.length; offset += 1_000)
            {
                peer.write(Arrays.copyOfRange(request, offset, Math.min(request.length, offset + 1_000)));
            }
        }
        final byte[] whole = TestFrames.frame(Command.REQUEST, 300_000, 5);
        peer.write(whole); // one write: full-size records (over TLS) that arrive in pieces
        final byte[][] all = Arrays.copyOf(requests, requests.length + 1);
        all[requests.length] = whole;
        for (final byte[] request : all)
        {
            final byte[] reply = peer.readFully(request.length, TIMEOUT);
            assertEquals(request.length, reply.length);
            assertArrayEquals(Arrays.copyOfRange(request, FrameHeader.HEADER_SIZE, request.length),
                Arrays.copyOfRange(reply, FrameHeader.HEADER_SIZE, reply.length), "reply to a " + request.length +
                " byte request");
        }
    }

    private static long directBytes()
    {
        for (final BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class))
        {
            if ("direct".equals(pool.getName()))
            {
                return pool.getMemoryUsed();
            }
        }
        throw new IllegalStateException("no direct buffer pool bean");
    }
}
