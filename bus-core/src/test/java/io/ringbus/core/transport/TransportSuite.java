package io.ringbus.core.transport;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.client.Reply;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameCodec;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.stat.StatReader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client-plane behaviour every transport and backend must show. A subclass names the scheme,
 * how to open a raw byte-level peer, and may adjust the configuration (backend, certificates).
 */
public abstract class TransportSuite
{
    protected static final Duration TIMEOUT = Duration.ofSeconds(20);

    protected MessageBus bus;
    protected EchoHandler handler = new EchoHandler();
    protected InetSocketAddress address;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    /** The scheme under test: tcp, tls, ws, wss, quic. */
    protected abstract String scheme();

    /** A raw peer speaking this transport's carrier to {@code address}. */
    protected abstract RawPeer openRaw(InetSocketAddress address) throws IOException;

    /** Adjust the bus configuration (backend, limits). */
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return builder;
    }

    protected void startBus(final BusConfig.Builder builder)
    {
        bus = MessageBus.start(configure(builder).build(), handler);
        address = bus.listen(URI.create(scheme() + "://127.0.0.1:0"));
    }

    protected BusClient client() throws IOException
    {
        return client(ClientOptions.defaults());
    }

    /** Adjust the SDK client's options (trust for tls, ...). */
    protected ClientOptions clientOptions(final ClientOptions options)
    {
        return options;
    }

    protected BusClient client(final ClientOptions options) throws IOException
    {
        final BusClient client = BusClient.connect(URI.create(scheme() + "://127.0.0.1:" + address.getPort()),
            clientOptions(options));
        toClose.add(client);
        return client;
    }

    protected RawPeer raw() throws IOException
    {
        final RawPeer peer = openRaw(address);
        toClose.add(peer);
        return peer;
    }

    @AfterEach
    void tearDown() throws Exception
    {
        Collections.reverse(toClose);
        for (final AutoCloseable closeable : toClose)
        {
            closeable.close();
        }
        if (bus != null)
        {
            bus.close();
            assertEquals(0, bus.stats().openConnections(), "every connection closed");
            assertEquals(0, bus.stats().limitedConnections(), "every place in the connection limits given back");
            if (bus.pool().isLeakDetectionEnabled())
            {
                bus.pool().assertNoLeaks();
            }
        }
    }

    /** Counter {@code client.<scheme>.<name>} of the running bus (issue 15), its shards summed. */
    protected long counter(final String name)
    {
        return bus.counters().value("client." + scheme() + "." + name);
    }

    @Test
    void countersMoveExactlyForAKnownExchangeAndStayInTheFileAfterTheStop(@TempDir final Path dataDir)
        throws Exception
    {
        startBus(BusConfig.builder().shards(2).dataDirectory(dataDir));
        final BusClient client = client();
        final int requests = 10;
        final int body = 100;
        for (int i = 0; i < requests; i++)
        {
            assertEquals(body, client.request(1, new byte[body], TIMEOUT).body().length);
        }
        final long frameBytes = (long)requests * (FrameHeader.HEADER_SIZE + body);
        // The client may hold a reply before the server's write completion was counted.
        Await.until(TIMEOUT, () -> counter("frames_out") == requests, "every reply counted as written");
        assertEquals(1, counter("connections_opened"));
        assertEquals(0, counter("connections_closed"));
        assertEquals(requests, counter("frames_in"));
        assertEquals(frameBytes, counter("bytes_in"));
        assertEquals(frameBytes, counter("bytes_out"));

        final StatReader live = StatReader.open(dataDir);
        assertTrue(live.alive(), "a running bus's file is alive");
        assertEquals(ProcessHandle.current().pid(), live.pid());
        assertEquals(requests, live.counters().get("client." + scheme() + ".frames_in"));

        client.close();
        Await.until(TIMEOUT, () -> !handler.closed.isEmpty(), "the server saw the client go");
        final CloseReason reason = handler.closed.peek().closeReason();
        assertEquals(1, counter("connections_closed"));
        assertEquals(1, counter("closed." + reason.name().toLowerCase(Locale.ROOT)), "closed by " + reason);
        assertEquals(0, counter("protocol_errors"));
        assertEquals(0, counter("handshakes_failed"));
        long openedAnywhere = 0;
        for (final Map.Entry<String, Long> entry : bus.counters().snapshot().entrySet())
        {
            if (entry.getKey().startsWith("client.") && entry.getKey().endsWith(".connections_opened"))
            {
                openedAnywhere += entry.getValue();
            }
        }
        assertEquals(1, openedAnywhere, "no other scheme counted the connection");

        final Map<String, Long> before = bus.counters().snapshot();
        bus.close();
        assertTrue(!live.alive(), "a bus that closed cleanly leaves a file that is not alive");
        final StatReader stopped = StatReader.open(dataDir);
        assertTrue(!stopped.alive());
        final Map<String, Long> after = stopped.counters();
        for (final String name : List.of("connections_opened", "connections_closed", "frames_in", "frames_out",
            "bytes_in", "bytes_out"))
        {
            final String key = "client." + scheme() + "." + name;
            assertEquals(before.get(key), after.get(key), key + " in the stopped node's file");
        }
    }

    @Test
    void requestAndReply() throws Exception
    {
        startBus(BusConfig.builder().shards(2));
        final BusClient client = client();
        final byte[] body = "hello, ringbus".getBytes();
        final Reply reply = client.request(42, body, TIMEOUT);
        assertArrayEquals(body, reply.body());
        assertEquals(42, reply.operation());
        assertEquals(1, reply.request());
        assertEquals(FrameHeader.REPLICA_NONE, reply.replica());
    }

    @Test
    void clientMetaNamesTransportAndPeer() throws Exception
    {
        final java.util.concurrent.atomic.AtomicReference<ClientConnMeta> seen = new java.util.concurrent.atomic.AtomicReference<>();
        handler = new EchoHandler()
        {
            @Override
            protected void afterRequest(final MessageBus bus, final ClientConnMeta client)
            {
                seen.set(client);
            }
        };
        startBus(BusConfig.builder().shards(2));
        client().request(1, new byte[0], TIMEOUT);
        final ClientConnMeta meta = seen.get();
        assertEquals(scheme(), meta.transport());
        assertEquals("127.0.0.1", meta.peerAddress().getAddress().getHostAddress());
        assertTrue(meta.clientId() >>> 56 < 2, "the id carries the owning shard");
    }

    @Test
    void pingClientIsAnsweredWithPongClient() throws Exception
    {
        startBus(BusConfig.builder().shards(1));
        final Reply pong = client().ping().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(0, pong.body().length);
    }

    @Test
    void tenThousandPipelinedFramesArriveInOrderInBatches() throws Exception
    {
        final int count = 10_000;
        // Queues deep enough for the whole burst, in frames and in bytes: this test is about order and
        // batching, not back-pressure. Each reply holds a pool buffer of at least 4 KiB, so 10,000 of
        // them take 40 MiB, above the default peer_queue_max_bytes (16 MiB, 4,096 such replies): where
        // writes lag behind reads (quic on a loaded machine) replies beyond it were refused.
        startBus(BusConfig.builder().shards(2).peerQueueCapacity(16_384).peerQueueMaxBytes(64L << 20));
        final BusClient client = client(ClientOptions.defaults().withQueueCapacity(16_384));
        final List<Long> order = Collections.synchronizedList(new ArrayList<>(count));
        final List<CompletableFuture<Reply>> futures = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            final byte[] body = new byte[64];
            new UnsafeBuffer(body).putInt(0, i);
            futures.add(client.requestAsync(1, body).whenComplete((reply, error) ->
            {
                if (reply != null)
                {
                    order.add(reply.request());
                }
            }));
        }
        final CompletableFuture<Void> all = CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]));
        // A reply refused with BACKPRESSURE never arrives: say so at once instead of at the timeout.
        Await.until(TIMEOUT, () -> all.isDone() || handler.backpressured.get() > 0, "every reply, or a refused one");
        assertEquals(0, handler.backpressured.get(), "replies refused with BACKPRESSURE: the queue was not deep enough");
        all.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        for (int i = 0; i < count; i++)
        {
            final Reply reply = futures.get(i).get();
            assertEquals(i, new UnsafeBuffer(reply.body()).getInt(0), "body of reply " + i);
            assertEquals(i + 1, order.get(i), "replies arrive in the order sent");
        }
        assertTrue(bus.stats().maxFramesPerWrite() > 1,
            "at least one gathering write carried several frames: " + bus.stats());
    }

    @Test
    void fullQueueAnswersBackpressureAtOnceAgainstAPeerThatNeverReads() throws Exception
    {
        // More replies per request than the queue holds: a client connection stops reading once its
        // queue is full (issue 11), so only sends beyond it within one request meet the full queue.
        handler.repliesPerRequest = 16;
        startBus(BusConfig.builder().shards(1).peerQueueCapacity(8));
        final RawPeer stalled = raw();
        final byte[] request = TestFrames.frame(Command.REQUEST, 32 * 1024, 1);
        for (int i = 0; i < 2_000 && handler.backpressured.get() == 0; i++)
        {
            stalled.write(request);
        }
        Await.until(TIMEOUT, () -> handler.backpressured.get() > 0, "a send answered BACKPRESSURE");
        // Every refusal is counted (the sends of this test are the handler's replies only).
        Await.until(TIMEOUT, () -> bus.counters().value("client.backpressure_rejected") == handler.backpressured.get(),
            "client.backpressure_rejected counts every BACKPRESSURE");
    }

    @Test
    void aStalledPeerDoesNotHoldUpAHealthyOne() throws Exception
    {
        handler.repliesPerRequest = 16; // as above: the stalled peer's queue overflows within one request
        startBus(BusConfig.builder().shards(1).peerQueueCapacity(8));
        final RawPeer stalled = raw();
        final byte[] request = TestFrames.frame(Command.REQUEST, 32 * 1024, 1);
        for (int i = 0; i < 2_000 && handler.backpressured.get() == 0; i++)
        {
            stalled.write(request);
        }
        Await.until(TIMEOUT, () -> handler.backpressured.get() > 0, "the stalled peer's queue is full");
        handler.repliesPerRequest = 1;
        final BusClient healthy = client();
        for (int i = 0; i < 1_000; i++)
        {
            final byte[] body = {(byte)i};
            assertArrayEquals(body, healthy.request(1, body, TIMEOUT).body());
        }
    }

    @Test
    void gracefulShutdownDrainsQueuedFrames() throws Exception
    {
        final CountDownLatch queued = new CountDownLatch(1);
        handler = new EchoHandler()
        {
            @Override
            protected void afterRequest(final MessageBus bus, final ClientConnMeta client)
            {
                queued.countDown();
            }
        };
        handler.repliesPerRequest = 200;
        startBus(BusConfig.builder().shards(1).peerQueueCapacity(256));
        final RawPeer peer = raw();
        final byte[] request = TestFrames.frame(Command.REQUEST, 1000, 5);
        peer.write(request);
        assertTrue(queued.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        final CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                return peer.readUntilClosed(TIMEOUT);
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException(ex);
            }
        });
        bus.close();
        final byte[] stream = received.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(200 * request.length, stream.length, "every queued reply was flushed before FIN");
        assertEquals(0, handler.backpressured.get());
    }

    /** The bad inputs every transport must answer by closing only that connection. */
    protected enum BadInput
    {
        OVERSIZED_SIZE_FIELD, BAD_HEADER_CHECKSUM, BAD_BODY_CHECKSUM, INVALID_COMMAND, FOREIGN_CLUSTER,
        CLIENT_SENDS_PREPARE, RANDOM_GARBAGE, VANISHES_MID_FRAME
    }

    @ParameterizedTest
    @EnumSource(BadInput.class)
    void badInputClosesOnlyThatConnectionWithALoggedReason(final BadInput input) throws Exception
    {
        startBus(BusConfig.builder().shards(1).maxMessageSize(1 << 20));
        final BusClient healthy = client();
        assertNotNull(healthy.request(1, new byte[] {1}, TIMEOUT));

        final RawPeer peer = raw();
        final byte[] frame = TestFrames.frame(Command.REQUEST, 100, 3);
        final UnsafeBuffer view = new UnsafeBuffer(frame);
        final FrameCodec codec = new FrameCodec();
        CloseReason expected = CloseReason.PROTOCOL_ERROR;
        String field;
        switch (input)
        {
            case OVERSIZED_SIZE_FIELD:
                view.putInt(FrameHeader.SIZE_OFFSET, (1 << 20) + 1, FrameHeader.ORDER);
                view.putInt(FrameHeader.CHECKSUM_OFFSET, codec.computeHeaderChecksum(view, 0), FrameHeader.ORDER);
                field = "size = ";
                break;
            case BAD_HEADER_CHECKSUM:
                frame[FrameHeader.VIEW_OFFSET] ^= 1;
                field = "checksum = ";
                break;
            case BAD_BODY_CHECKSUM:
                frame[frame.length - 1] ^= 1;
                field = "checksum_body = ";
                break;
            case INVALID_COMMAND:
                frame[FrameHeader.COMMAND_OFFSET] = 13;
                view.putInt(FrameHeader.CHECKSUM_OFFSET, codec.computeHeaderChecksum(view, 0), FrameHeader.ORDER);
                field = "command = 13";
                break;
            case FOREIGN_CLUSTER:
                view.putLong(FrameHeader.CLUSTER_OFFSET, 99, FrameHeader.ORDER);
                codec.seal(view, 0);
                field = "cluster = 0x63";
                break;
            case CLIENT_SENDS_PREPARE:
                frame[FrameHeader.COMMAND_OFFSET] = Command.PREPARE.code();
                codec.seal(view, 0);
                field = "command = prepare";
                break;
            case RANDOM_GARBAGE:
                new Random(7).nextBytes(frame);
                field = "";
                break;
            case VANISHES_MID_FRAME:
                expected = CloseReason.PEER_VANISHED_MID_FRAME;
                field = "incomplete frame";
                break;
            default:
                throw new IllegalStateException();
        }
        if (input == BadInput.VANISHES_MID_FRAME)
        {
            peer.write(java.util.Arrays.copyOf(frame, 300));
            Await.until(TIMEOUT, () -> handler.requests.get() == 1 && bus.stats().openConnections() == 2,
                "the raw peer is connected");
            peer.close();
        }
        else
        {
            peer.write(frame);
            peer.readUntilClosed(TIMEOUT);
        }
        Await.until(TIMEOUT, () -> !handler.closed.isEmpty(), "the server closed the bad connection");
        final ClientConnMeta meta = handler.closed.peek();
        assertEquals(expected, meta.closeReason(), "close reason");
        assertTrue(meta.closeDetail() != null && meta.closeDetail().contains(field), "detail names the field: " +
            meta.closeDetail());
        assertEquals(1, handler.closed.size(), "only the bad connection closed");
        assertEquals(1, counter("closed." + expected.name().toLowerCase(Locale.ROOT)), "counted by reason");
        assertEquals(expected == CloseReason.PROTOCOL_ERROR ? 1 : 0, counter("protocol_errors"));
        final String kind = protocolErrorKind(input);
        if (kind != null)
        {
            assertEquals(1, counter("protocol_errors." + kind), () -> "counted as a protocol error of kind " + kind +
                ": " + bus.counters().snapshot());
        }
        assertArrayEquals(new byte[] {2}, healthy.request(1, new byte[] {2}, TIMEOUT).body(),
            "the healthy connection still works");
    }

    /** The kind of protocol error {@code input} is counted as, or null (none, or any kind). */
    private static String protocolErrorKind(final BadInput input)
    {
        switch (input)
        {
            case OVERSIZED_SIZE_FIELD:
                return "size";
            case BAD_HEADER_CHECKSUM:
            case BAD_BODY_CHECKSUM:
                return "checksum";
            case INVALID_COMMAND:
            case CLIENT_SENDS_PREPARE:
                return "command";
            case FOREIGN_CLUSTER:
                return "cluster";
            default:
                return null;
        }
    }

    @Test
    void maxMessageSizeIsEnforcedExactly() throws Exception
    {
        final int max = 64 * 1024;
        startBus(BusConfig.builder().shards(1).maxMessageSize(max));
        final BusClient client = client();
        final byte[] atLimit = new byte[max - FrameHeader.HEADER_SIZE];
        new Random(1).nextBytes(atLimit);
        assertArrayEquals(atLimit, client.request(1, atLimit, TIMEOUT).body());

        final RawPeer peer = raw();
        peer.write(TestFrames.frame(Command.REQUEST, max - FrameHeader.HEADER_SIZE + 1, 9));
        peer.readUntilClosed(TIMEOUT);
        Await.until(TIMEOUT, () -> !handler.closed.isEmpty(), "the oversized frame closed its connection");
        assertTrue(handler.closed.peek().closeDetail().contains("size = " + (max + 1)), handler.closed.peek().closeDetail());
    }
}
