package io.ringbus.uring;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.client.Reply;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.Await;
import io.ringbus.core.transport.CloseReason;
import io.ringbus.core.transport.EchoHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 11, correctness 1, under churn on io_uring: connections are reset by their peers while the
 * bus has a RECV into a pooled large-frame buffer in flight (mid-read) or a WRITEV of pooled reply
 * frames waiting for room (mid-write), while other connections check every reply byte for byte.
 * Every buffer lent to the kernel must come back to the pool, once, after its completion: the pool
 * shows no leak at the end, and no reply is corrupted by memory a closed connection gave back early.
 */
class UringChurnTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int RECEIVE_BUFFER_SIZE = 4096; // frames above it are assembled in pooled buffers
    private static final int MAX_MESSAGE_SIZE = 1 << 20;
    private static final int VERIFIERS = 3;
    private static final int CHURNERS = 2;
    private static final int CHURN_ROUNDS = 40; // per churner; each round resets one mid-read and one mid-write
    private static final int PIPELINE = 8;
    private static final int MAX_VERIFIED_REQUESTS = 4_000; // per verifier

    private final AtomicLong resets = new AtomicLong();
    private final AtomicLong closes = new AtomicLong();
    private final ExecutorService threads = Executors.newFixedThreadPool(VERIFIERS + CHURNERS);
    private MessageBus bus;
    private int port;

    @BeforeEach
    void setUp()
    {
        assumeTrue(IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
        final EchoHandler handler = new EchoHandler()
        {
            @Override
            public void onClientClosed(final MessageBus bus, final ClientConnMeta client)
            {
                super.onClientClosed(bus, client);
                closes.incrementAndGet();
                if (client.closeReason() == CloseReason.PEER_RESET)
                {
                    resets.incrementAndGet();
                }
            }
        };
        bus = MessageBus.start(BusConfig.builder().shards(2).backend(Backend.IO_URING)
            .receiveBufferSize(RECEIVE_BUFFER_SIZE).maxMessageSize(MAX_MESSAGE_SIZE).peerQueueCapacity(64).build(),
            handler);
        final InetSocketAddress address = bus.listen(URI.create("tcp://127.0.0.1:0"));
        port = address.getPort();
    }

    @AfterEach
    void tearDown()
    {
        threads.shutdownNow();
        if (bus != null)
        {
            bus.close();
        }
    }

    @Test
    void resetsMidReadAndMidWriteLeakNothingAndCorruptNoOtherConnectionsReplies() throws Exception
    {
        assertTrue(bus.pool().isLeakDetectionEnabled(), "run with -Dringbus.leakDetection=true (the surefire argLine)");
        final AtomicBoolean churning = new AtomicBoolean(true);
        final List<BusClient> clients = new ArrayList<>();
        final List<Future<Long>> verifiers = new ArrayList<>();
        for (int i = 0; i < VERIFIERS; i++)
        {
            final BusClient client = BusClient.connect(URI.create("tcp://127.0.0.1:" + port),
                ClientOptions.defaults().withMaxMessageSize(MAX_MESSAGE_SIZE).withQueueCapacity(256));
            clients.add(client);
            final long seed = i;
            verifiers.add(threads.submit(() -> verify(client, seed, churning)));
        }
        final List<Future<?>> churners = new ArrayList<>();
        for (int i = 0; i < CHURNERS; i++)
        {
            final long seed = 1000 + i;
            churners.add(threads.submit(() ->
            {
                churn(seed);
                return null;
            }));
        }
        try
        {
            for (final Future<?> churner : churners)
            {
                churner.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        finally
        {
            churning.set(false);
        }
        long verified = 0;
        for (final Future<Long> verifier : verifiers)
        {
            verified += verifier.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        assertTrue(verified >= VERIFIERS * PIPELINE, "replies checked while churning: " + verified);

        final int churned = CHURNERS * CHURN_ROUNDS * 2;
        Await.until(TIMEOUT, () -> closes.get() == churned, "every churned connection closed on the bus");
        assertTrue(resets.get() > 0, "some churned connections were seen to reset: " + resets.get() + " of " + churned);
        assertEquals(VERIFIERS, bus.stats().openConnections(), "the verifiers' connections are untouched");
        for (final BusClient client : clients)
        {
            client.close();
        }
        bus.close();
        assertEquals(0, bus.stats().openConnections());
        bus.pool().assertNoLeaks();
    }

    /** Pipelines requests with random bodies (many larger than the receive buffer) and compares each reply. */
    private static long verify(final BusClient client, final long seed, final AtomicBoolean churning) throws Exception
    {
        final Random random = new Random(seed);
        final List<byte[]> bodies = new ArrayList<>(PIPELINE);
        final List<CompletableFuture<Reply>> replies = new ArrayList<>(PIPELINE);
        long verified = 0;
        while ((churning.get() || verified == 0) && verified < MAX_VERIFIED_REQUESTS)
        {
            bodies.clear();
            replies.clear();
            for (int i = 0; i < PIPELINE; i++)
            {
                final byte[] body = new byte[random.nextInt(4) == 0 ? random.nextInt(200_000) : random.nextInt(3_000)];
                random.nextBytes(body);
                bodies.add(body);
                replies.add(client.requestAsync(7, body));
            }
            for (int i = 0; i < PIPELINE; i++)
            {
                final Reply reply = replies.get(i).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                if (!Arrays.equals(bodies.get(i), reply.body()))
                {
                    throw new AssertionError("reply " + (verified + i) + " of a verifier differs from its request's body (" +
                        bodies.get(i).length + " bytes sent, " + reply.body().length + " received, first difference at " +
                        Arrays.mismatch(bodies.get(i), reply.body()) + ")");
                }
            }
            verified += PIPELINE;
        }
        return verified;
    }

    /** Each round: one peer resets mid-frame (a RECV into a pooled buffer out), one while its replies wait for room. */
    private void churn(final long seed) throws IOException
    {
        final byte[] large = TestFrames.frame(Command.REQUEST, 200_000, seed);
        final byte[] request = TestFrames.frame(Command.REQUEST, 120_000, seed + 1);
        for (int round = 0; round < CHURN_ROUNDS; round++)
        {
            try (Socket midRead = new Socket("127.0.0.1", port))
            {
                // The header and a third of the body: the bus assembles the rest in a pooled buffer.
                midRead.getOutputStream().write(large, 0, FrameHeader.HEADER_SIZE + large.length / 3);
                midRead.setSoLinger(true, 0); // close() sends RST
            }
            try (Socket midWrite = new Socket())
            {
                midWrite.setReceiveBufferSize(8 * 1024);
                midWrite.connect(new InetSocketAddress("127.0.0.1", port));
                midWrite.setSoTimeout((int)TIMEOUT.toMillis());
                for (int i = 0; i < 8; i++)
                {
                    midWrite.getOutputStream().write(request); // ~1 MiB of replies the peer will not read
                }
                if (midWrite.getInputStream().read() < 0) // the replies have started: a WRITEV waits for room
                {
                    throw new AssertionError("the bus closed a well-behaved peer");
                }
                midWrite.setSoLinger(true, 0);
            }
        }
    }
}
