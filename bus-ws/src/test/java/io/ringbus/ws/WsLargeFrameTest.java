package io.ringbus.ws;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.SendResult;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.Await;
import io.ringbus.core.transport.CloseReason;
import io.ringbus.core.transport.TransportPermutation;
import io.ringbus.core.transport.TransportPermutations;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static io.ringbus.ws.WebSocketCodec.OPCODE_BINARY;
import static io.ringbus.ws.WebSocketCodec.OPCODE_CLOSE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Large frames through the ws server's outbound path and a real bus: bytes exact (up to 4 MiB,
 * around 4 KiB and the 64 KiB WebSocket length boundary), order kept among small and large frames,
 * partial writes resumed against slow readers, one frame broadcast to several connections of one
 * shard, and every close path releasing every frame (the pool is checked for leaks after each test;
 * several tests overwrite freed pool buffers so a frame released too early shows as garbled bytes).
 * Run for ws and wss (where the TLS carrier re-frames every byte into records) on every backend
 * (NIO writes at submission and moves the views' positions; io_uring captures the views' addresses
 * at submission) and (wss) every TLS provider.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("permutations")
class WsLargeFrameTest
{
    static final Duration TIMEOUT = Duration.ofSeconds(20);
    /** A size a carrier might switch strategies at (copy below, pass by reference above): test both sides. */
    static final int PASS_THROUGH_MIN_BYTES = 4096;
    /** Body lengths giving frames on both sides of that size. */
    static final int SMALL_BODY = 64;
    static final int AT_THRESHOLD_BODY = PASS_THROUGH_MIN_BYTES - FrameHeader.HEADER_SIZE;
    static final int BELOW_THRESHOLD_BODY = AT_THRESHOLD_BODY - 1;
    /** Small socket receive buffers make the server's writes complete partially. */
    static final int SMALL_RECEIVE_BUFFER = 8 * 1024;

    final ScriptedHandler handler = new ScriptedHandler();
    MessageBus bus;
    InetSocketAddress address;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    final TransportPermutation permutation;

    WsLargeFrameTest(final TransportPermutation permutation)
    {
        this.permutation = permutation;
    }

    static Stream<TransportPermutation> permutations()
    {
        return TransportPermutations.of(TransportPermutation.Scheme.WS, TransportPermutation.Scheme.WSS);
    }

    @BeforeEach
    void assumeRunnable()
    {
        permutation.assumeRunnable();
    }

    private boolean secure()
    {
        return permutation.scheme() == TransportPermutation.Scheme.WSS;
    }

    void start(final BusConfig.Builder builder)
    {
        permutation.configure(builder.shards(1).maxMessageSize(4 << 20).peerQueueCapacity(1024)
            .peerQueueMaxBytes(64L << 20)); // up to 60 frames of 256 KiB (in 512 KiB buffers) queued at once
        if (secure())
        {
            builder.transportSettings("wss", TestTls.serverSettings(permutation));
        }
        bus = MessageBus.start(builder.build(), handler);
        address = bus.listen(URI.create(permutation.scheme().uri() + "://127.0.0.1:0"));
    }

    void start()
    {
        start(BusConfig.builder());
    }

    /** A raw WebSocket peer; {@code slowReader}: a small receive buffer, so the server's writes complete partially. */
    WsTestPeer peer(final boolean slowReader) throws IOException
    {
        final Socket socket = new Socket();
        if (slowReader)
        {
            socket.setReceiveBufferSize(SMALL_RECEIVE_BUFFER); // before connect, so the window is small from the start
        }
        socket.connect(address);
        final WsTestPeer peer = WsTestPeer.upgrade(secure() ? TestTls.over(socket) : socket);
        toClose.add(peer);
        return peer;
    }

    @AfterEach
    void tearDown() throws Exception
    {
        for (final AutoCloseable closeable : toClose)
        {
            closeable.close();
        }
        if (bus != null)
        {
            bus.close();
            assertEquals(0, bus.stats().openConnections(), "every connection closed");
            assertTrue(bus.pool().isLeakDetectionEnabled(), "tests run with -Dringbus.leakDetection=true");
            bus.pool().assertNoLeaks();
        }
    }

    /** Ask for the scripted replies: one small request; the handler answers with {@link ScriptedHandler#bodies}. */
    static void trigger(final WsTestPeer peer, final long seed) throws IOException
    {
        peer.send(true, OPCODE_BINARY, TestFrames.frame(Command.REQUEST, 16, seed));
    }

    /** Read {@code expected.size()} binary messages and compare each with the frame sent, byte for byte. */
    static void expectFrames(final WsTestPeer peer, final List<byte[]> expected) throws IOException
    {
        for (int i = 0; i < expected.size(); i++)
        {
            final WsTestPeer.Frame frame = peer.read(TIMEOUT);
            assertNotNull(frame, "message " + i + " of " + expected.size() + " before end of stream");
            assertEquals(OPCODE_BINARY, frame.opcode, "message " + i);
            assertTrue(frame.fin, "one frame per message");
            assertFalse(frame.masked, "server frames are not masked");
            assertArrayEquals(expected.get(i), frame.payload, "message " + i + " (" + expected.get(i).length + " bytes)");
        }
    }

    /**
     * Take free buffers of the size class of {@code frameLength} from the pool, overwrite them and
     * give them back: a frame released while it was still to be written (by reference, say) would
     * reach its peer garbled.
     */
    void scribbleOnFreeBuffers(final int frameLength, final int count)
    {
        final List<FrameBuffer> taken = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            final FrameBuffer buffer = bus.pool().acquire(frameLength);
            buffer.buffer().setMemory(0, buffer.capacity(), (byte)0xEE);
            taken.add(buffer);
        }
        for (final FrameBuffer buffer : taken)
        {
            buffer.release();
        }
    }

    static int[] bodies(final int... lengths)
    {
        return lengths;
    }

    @Test
    void largeFramesArriveByteForByte() throws Exception
    {
        start();
        // Around the threshold and the 16-bit WebSocket length (0xFFFF payload: 4-byte header; 0x10000: 10).
        handler.bodies = bodies(AT_THRESHOLD_BODY, BELOW_THRESHOLD_BODY, 0xFFFF - FrameHeader.HEADER_SIZE,
            0x10000 - FrameHeader.HEADER_SIZE, 64 * 1024, 1 << 20, (4 << 20) - FrameHeader.HEADER_SIZE);
        final WsTestPeer peer = peer(false);
        trigger(peer, 1);
        handler.awaitQueued();
        expectFrames(peer, handler.sent);
        assertEquals(SendResult.OK, handler.worstResult());
    }

    @Test
    void ourClientEchoesLargeBodies() throws Exception
    {
        start();
        handler.bodies = null; // echo
        final ClientOptions options = ClientOptions.defaults().withMaxMessageSize(4 << 20);
        final BusClient client = BusClient.connect(URI.create(permutation.scheme().uri() + "://127.0.0.1:" +
            address.getPort()), secure() ? options.withTransportSettings("wss", TestTls.clientSettings(permutation)) :
            options);
        toClose.add(client);
        final Random random = new Random(2);
        for (final int length : new int[] {AT_THRESHOLD_BODY, 100_000, 3 << 20, 10, 70_000})
        {
            final byte[] body = new byte[length];
            random.nextBytes(body);
            assertArrayEquals(body, client.request(1, body, TIMEOUT).body(), "echo of " + length + " bytes");
        }
    }

    @Test
    void smallAndLargeFramesKeepTheirOrder() throws Exception
    {
        start();
        final int[] choices = {SMALL_BODY, 0, BELOW_THRESHOLD_BODY, AT_THRESHOLD_BODY, 10_000, 70_000, 1000};
        final Random random = new Random(3);
        final int[] lengths = new int[600];
        for (int i = 0; i < lengths.length; i++)
        {
            lengths[i] = choices[random.nextInt(choices.length)];
        }
        handler.bodies = lengths;
        final WsTestPeer peer = peer(false);
        trigger(peer, 3);
        handler.awaitQueued();
        scribbleOnFreeBuffers(70_000 + FrameHeader.HEADER_SIZE, 256);
        scribbleOnFreeBuffers(10_000 + FrameHeader.HEADER_SIZE, 1024);
        expectFrames(peer, handler.sent);
        assertEquals(SendResult.OK, handler.worstResult());
    }

    @Test
    void aSlowReaderGetsEveryByteThroughPartialWrites() throws Exception
    {
        start();
        final int frames = 100; // more than one write's worth of held frames 
        final int[] lengths = new int[frames];
        for (int i = 0; i < frames; i++)
        {
            lengths[i] = i % 5 == 4 ? SMALL_BODY : 96 * 1024 + i;
        }
        handler.bodies = lengths;
        final WsTestPeer peer = peer(true);
        trigger(peer, 4);
        handler.awaitQueued(); // about 8 MB queued before the peer reads a byte: the socket cannot take it at once
        scribbleOnFreeBuffers(96 * 1024 + FrameHeader.HEADER_SIZE, 128);
        final long writesBefore = bus.stats().writeCalls();
        expectFrames(peer, handler.sent);
        Await.until(TIMEOUT, () -> bus.stats().framesWritten() == frames, "every frame accounted as written, once: " +
            bus.stats());
        assertTrue(bus.stats().writeCalls() - writesBefore > 1, "the writes completed partially and resumed: " +
            bus.stats());
    }

    @Test
    void oneFrameBroadcastToSeveralConnectionsOfOneShardArrivesIntactEverywhere() throws Exception
    {
        start();
        final int peers = 4;
        final int[] lengths = new int[24];
        for (int i = 0; i < lengths.length; i++)
        {
            lengths[i] = i % 6 == 5 ? SMALL_BODY : 128 * 1024 + 7 * i;
        }
        handler.bodies = lengths;
        handler.broadcastTo = peers;
        final List<WsTestPeer> all = new ArrayList<>();
        for (int i = 0; i < peers; i++)
        {
            // Slow readers: the writes of the connections interleave, each partial, over the shared views.
            final WsTestPeer peer = peer(true);
            all.add(peer);
            trigger(peer, 10 + i);
        }
        handler.awaitQueued();
        assertEquals(SendResult.OK, handler.worstResult());
        scribbleOnFreeBuffers(128 * 1024 + FrameHeader.HEADER_SIZE, 128);
        final List<CompletableFuture<Void>> reads = new ArrayList<>();
        for (final WsTestPeer peer : all)
        {
            reads.add(CompletableFuture.runAsync(() ->
            {
                try
                {
                    expectFrames(peer, handler.sent);
                }
                catch (final IOException ex)
                {
                    throw new IllegalStateException(ex);
                }
            }));
        }
        CompletableFuture.allOf(reads.toArray(new CompletableFuture<?>[0])).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Test
    void shutdownSendsTheQueuedLargeFramesThenTheCloseFrame() throws Exception
    {
        start();
        final int[] lengths = new int[40];
        for (int i = 0; i < lengths.length; i++)
        {
            lengths[i] = i % 3 == 2 ? SMALL_BODY : 200 * 1024;
        }
        handler.bodies = lengths;
        final WsTestPeer peer = peer(true);
        trigger(peer, 5);
        handler.awaitQueued();
        final CompletableFuture<Integer> closeCode = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                expectFrames(peer, handler.sent);
                final WsTestPeer.Frame close = peer.read(TIMEOUT);
                assertNotNull(close, "a close frame after the data");
                assertEquals(OPCODE_CLOSE, close.opcode);
                peer.send(true, OPCODE_CLOSE, new byte[] {close.payload[0], close.payload[1]});
                return close.closeCode();
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException(ex);
            }
        });
        bus.close(); // graceful: flush what is queued, then the close frame
        assertEquals(WebSocketCodec.CLOSE_GOING_AWAY, closeCode.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        bus.pool().assertNoLeaks();
    }

    @Test
    void shutdownWhileLargeFramesWaitForAPeerThatNeverReadsReleasesEveryFrame() throws Exception
    {
        start(BusConfig.builder().closeGrace(Duration.ofMillis(300)));
        final int[] lengths = new int[60];
        java.util.Arrays.fill(lengths, 256 * 1024);
        handler.bodies = lengths;
        final WsTestPeer peer = peer(true);
        trigger(peer, 6);
        handler.awaitQueued();
        // The peer never reads: frames are held by the carrier mid-write and queued behind; close_grace
        // runs out and the connection closes with them.
        bus.close();
        assertEquals(0, bus.stats().openConnections());
        bus.pool().assertNoLeaks();
        assertEquals(CloseReason.SHUTDOWN, handler.closed.get(0).closeReason());
    }

    @Test
    void aPeerVanishingWhileLargeFramesAreWrittenLeaksNothing() throws Exception
    {
        start();
        final int[] lengths = new int[60];
        java.util.Arrays.fill(lengths, 256 * 1024);
        handler.bodies = lengths;
        final WsTestPeer peer = peer(true);
        trigger(peer, 7);
        handler.awaitQueued();
        expectFrames(peer, handler.sent.subList(0, 2)); // a write is under way, partially done
        peer.socket().setSoLinger(true, 0);
        peer.close(); // reset: the server's write fails and the connection aborts
        Await.until(TIMEOUT, () -> !handler.closed.isEmpty(), "the server closed the connection");
        Await.until(TIMEOUT, () -> bus.pool().outstanding() == 0, "every frame released, while the bus runs");
        bus.pool().assertNoLeaks();
    }

    @Test
    void aProtocolViolationWhileLargeFramesAreQueuedClosesAfterThemAndLeaksNothing() throws Exception
    {
        start();
        final int[] lengths = new int[30];
        java.util.Arrays.fill(lengths, 150 * 1024);
        handler.bodies = lengths;
        final WsTestPeer peer = peer(true);
        trigger(peer, 8);
        handler.awaitQueued();
        peer.send(true, WebSocketCodec.OPCODE_TEXT, new byte[] {'x'}); // WIRE.md: 1003, after what is queued
        expectFrames(peer, handler.sent);
        assertEquals(WebSocketCodec.CLOSE_UNSUPPORTED_DATA, peer.awaitClose(TIMEOUT));
        Await.until(TIMEOUT, () -> !handler.closed.isEmpty(), "the server closed the connection");
        Await.until(TIMEOUT, () -> bus.pool().outstanding() == 0, "every frame released");
    }

    /**
     * Answers a request with one frame per entry of {@link #bodies} (bodies from a fixed random
     * pattern), each sent to the first {@link #broadcastTo} requesters as one shared buffer; keeps a
     * copy of each frame sent. With no bodies, echoes.
     */
    static final class ScriptedHandler implements BusHandler
    {
        private static final UnsafeBuffer PATTERN = new UnsafeBuffer(new byte[5 << 20]);

        static
        {
            final byte[] bytes = PATTERN.byteArray();
            new Random(99).nextBytes(bytes);
        }

        volatile int[] bodies;
        volatile int broadcastTo = 1;
        final List<byte[]> sent = new CopyOnWriteArrayList<>();
        final List<ClientConnMeta> closed = new CopyOnWriteArrayList<>();
        private final List<Long> requesters = new ArrayList<>(); // the shard thread only
        private final CountDownLatch queued = new CountDownLatch(1);
        private final AtomicInteger worst = new AtomicInteger(SendResult.OK.ordinal());

        @Override
        public void onClientRequest(final MessageBus bus, final ClientConnMeta client, final DirectBuffer buffer,
            final int offset, final int length)
        {
            final int[] lengths = bodies;
            if (lengths == null)
            {
                record(bus.sendToClient(client.clientId(), Frames.reply(bus.pool(), buffer, offset, buffer,
                    offset + FrameHeader.HEADER_SIZE, length - FrameHeader.HEADER_SIZE, FrameHeader.REPLICA_NONE)));
                return;
            }
            requesters.add(client.clientId());
            if (requesters.size() < broadcastTo)
            {
                return;
            }
            final List<byte[]> copies = new ArrayList<>(lengths.length);
            for (int i = 0; i < lengths.length; i++)
            {
                final FrameBuffer frame = Frames.reply(bus.pool(), buffer, offset, PATTERN, (i * 7919) % 4096,
                    lengths[i], FrameHeader.REPLICA_NONE);
                final byte[] copy = new byte[frame.frameLength()];
                frame.buffer().getBytes(0, copy);
                copies.add(copy);
                for (int c = 1; c < requesters.size(); c++)
                {
                    frame.retain(); // one holder per connection: the same buffer goes to every one
                }
                for (final long clientId : requesters)
                {
                    record(bus.sendToClient(clientId, frame));
                }
            }
            sent.addAll(copies);
            queued.countDown();
        }

        private void record(final SendResult result)
        {
            worst.accumulateAndGet(result.ordinal(), Math::max);
        }

        SendResult worstResult()
        {
            return SendResult.values()[worst.get()];
        }

        void awaitQueued() throws InterruptedException
        {
            assertTrue(queued.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "the handler queued its frames");
            assertEquals(SendResult.OK, worstResult(), "every frame was queued");
        }

        @Override
        public void onClientClosed(final MessageBus bus, final ClientConnMeta client)
        {
            closed.add(client);
        }
    }
}
