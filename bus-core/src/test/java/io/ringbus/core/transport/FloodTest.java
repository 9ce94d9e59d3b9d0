package io.ringbus.core.transport;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.frame.TestFrames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11, memory A: clients that pipeline requests and never read a reply must be held by their
 * own bounded outbound queues (frames and bytes), their connections must stop reading, and the
 * pool must stay small, while a well-behaved client on the same shards keeps being served.
 */
public class FloodTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int FLOODERS = 4;
    /** A 100 KB body: the request and its reply each take a 128 KiB pooled buffer. */
    private static final int BODY = 100_000;
    private static final int BUFFER = 128 * 1024;
    /** Requests each flooder tries to write: 30 MB each, far beyond any queue. */
    private static final int REQUESTS_PER_FLOODER = 300;
    private static final long QUEUE_BYTES = 1024 * 1024;

    private final EchoHandler handler = new EchoHandler();
    private final List<Socket> sockets = new ArrayList<>();
    private final List<Thread> writers = new ArrayList<>();
    private MessageBus bus;

    /** The backend under test; bus-uring runs this test on io_uring. */
    protected Backend backend()
    {
        return Backend.NIO;
    }

    @AfterEach
    void tearDown() throws Exception
    {
        for (final Socket socket : sockets)
        {
            socket.close(); // unblocks a writer stuck on a full socket
        }
        for (final Thread writer : writers)
        {
            writer.join(TIMEOUT.toMillis());
        }
        if (bus != null)
        {
            bus.close();
            assertEquals(0, bus.stats().openConnections(), "every connection closed");
            bus.pool().assertNoLeaks();
        }
    }

    @Test
    void pipeliningClientsThatNeverReadAreHeldByTheirOwnQueues() throws Exception
    {
        // As `ringbus serve` runs: deep frame queues (4096), so only a byte bound holds 128 KiB replies.
        bus = MessageBus.start(BusConfig.builder().shards(2).backend(backend()).peerQueueCapacity(4096)
            .peerQueueMaxBytes(QUEUE_BYTES).build(), handler);
        final var address = bus.listen(URI.create("tcp://127.0.0.1:0"));
        final FramePool pool = bus.pool();
        assertTrue(pool.isLeakDetectionEnabled(), "the test counts outstanding buffers (-Dringbus.leakDetection)");

        final AtomicLong written = new AtomicLong();
        for (int i = 0; i < FLOODERS; i++)
        {
            final Socket socket = new Socket(address.getAddress(), address.getPort());
            sockets.add(socket);
            final byte[] request = TestFrames.frame(Command.REQUEST, BODY, 100 + i);
            final Thread writer = new Thread(() -> flood(socket, request, written), "flooder-" + i);
            writer.setDaemon(true);
            writers.add(writer);
            writer.start();
        }

        // Per flooder: its queue's bytes, one request being assembled, one reply being built.
        final long boundBuffers = FLOODERS * (QUEUE_BYTES / BUFFER + 2) + 4;
        final AtomicLong peak = new AtomicLong();
        final Thread sampler = new Thread(() ->
        {
            while (!Thread.currentThread().isInterrupted())
            {
                peak.accumulateAndGet(pool.outstanding(), Math::max);
                Thread.onSpinWait();
            }
        }, "pool-sampler");
        sampler.setDaemon(true);
        sampler.start();
        try
        {
            Await.until(TIMEOUT, () -> handler.requests.get() >= FLOODERS * 10L, "the flooders' requests arrive");
            try (BusClient healthy = BusClient.connect(URI.create("tcp://127.0.0.1:" + address.getPort())))
            {
                for (int i = 0; i < 300; i++)
                {
                    final byte[] body = {(byte)i, (byte)(i >> 8)};
                    assertArrayEquals(body, healthy.request(1, body, TIMEOUT).body(), "healthy request " + i);
                }
            }
        }
        finally
        {
            sampler.interrupt();
            sampler.join();
        }
        assertTrue(peak.get() <= boundBuffers, "pool buffers outstanding peaked at " + peak.get() +
            " (each " + BUFFER + " bytes): above " + boundBuffers + ", the flooders' queue bounds; " +
            written.get() + " requests written, " + handler.requests.get() + " handled");
        assertTrue(pool.outstanding() <= boundBuffers, "outstanding after the flood: " + pool.outstanding());
        assertTrue(pool.heldBytes() <= pool.budgetBytes());
        // The flooders' connections stopped reading: TCP flow control holds back what they write.
        assertTrue(handler.requests.get() < (long)FLOODERS * REQUESTS_PER_FLOODER + 300,
            "not every flood request was read: " + handler.requests.get() + " handled");
    }

    private static void flood(final Socket socket, final byte[] request, final AtomicLong written)
    {
        try
        {
            final OutputStream out = socket.getOutputStream();
            for (int i = 0; i < REQUESTS_PER_FLOODER; i++)
            {
                out.write(request);
                written.incrementAndGet();
            }
        }
        catch (final IOException ex)
        {
            // the test closed the socket (or the bus closed the connection): the flood is over
        }
    }
}
