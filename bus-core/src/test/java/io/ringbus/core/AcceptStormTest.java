package io.ringbus.core;

import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.Reply;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 11, point 2: accepting never waits on a mailbox. Shard 0 accepts for every shard; with a
 * tiny mailbox an accept storm used to make it spin on a full mailbox (its own, which only it
 * drains: forever) and every connection it owned stopped being answered.
 */
public class AcceptStormTest
{
    /** Adjust the configuration (a subclass per backend). */
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return builder;
    }

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final byte[] PING = TestFrames.frame(Command.PING_CLIENT, 0, 1);

    private final GateHandler handler = new GateHandler();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private MessageBus bus;
    private InetSocketAddress address;

    private enum Outcome
    {
        SERVED, REFUSED, UNANSWERED
    }

    @AfterEach
    void tearDown() throws Exception
    {
        handler.release();
        for (final AutoCloseable closeable : toClose)
        {
            closeable.close();
        }
        if (bus != null)
        {
            closeWithin(bus, TIMEOUT);
            assertEquals(0, bus.stats().openConnections(), "every connection closed");
            assertEquals(0, bus.stats().limitedConnections(), "every place in the connection limits given back");
            bus.pool().assertNoLeaks();
        }
    }

    /** bus.close() on its own thread, bounded: a bus whose shard is stuck must fail the test, not hang it. */
    static void closeWithin(final MessageBus bus, final Duration timeout) throws InterruptedException
    {
        final Thread closer = new Thread(bus::close, "test-bus-close");
        closer.setDaemon(true);
        closer.start();
        closer.join(timeout.toMillis());
        if (closer.isAlive())
        {
            fail("bus.close() did not return within " + timeout.toMillis() + " ms");
        }
    }

    private void start(final int shards, final int mailboxCapacity)
    {
        bus = MessageBus.start(configure(BusConfig.builder().shards(shards).mailboxCapacity(mailboxCapacity)).build(),
            handler);
        address = bus.listen(URI.create("tcp://127.0.0.1:0"));
    }

    private BusClient client() throws IOException
    {
        final BusClient client = BusClient.connect(URI.create("tcp://127.0.0.1:" + address.getPort()));
        toClose.add(client);
        return client;
    }

    private static void assertEchoes(final BusClient client, final int i) throws Exception
    {
        final byte[] body = ("request " + i).getBytes();
        final Reply reply = client.request(1, body, TIMEOUT);
        assertArrayEquals(body, reply.body(), "reply " + i);
    }

    private Socket openAndPing() throws IOException
    {
        final Socket socket = new Socket();
        socket.connect(address, (int)TIMEOUT.toMillis());
        socket.setTcpNoDelay(true);
        socket.getOutputStream().write(PING);
        return socket;
    }

    /** Served: a pong came back. Refused: the bus closed the connection without answering. */
    private static Outcome outcome(final Socket socket, final Duration timeout) throws IOException
    {
        try (socket)
        {
            socket.setSoTimeout((int)timeout.toMillis());
            final InputStream in = socket.getInputStream();
            int read = 0;
            while (read < FrameHeader.HEADER_SIZE)
            {
                final int n = in.read(new byte[FrameHeader.HEADER_SIZE - read]);
                if (n < 0)
                {
                    return Outcome.REFUSED;
                }
                read += n;
            }
            return Outcome.SERVED;
        }
        catch (final SocketTimeoutException ex)
        {
            return Outcome.UNANSWERED;
        }
        catch (final SocketException ex)
        {
            return Outcome.REFUSED; // reset: closed with our ping unread
        }
    }

    @Test
    void anAcceptStormWithATinyMailboxKeepsExistingConnectionsAnswered() throws Exception
    {
        start(2, 2);
        final BusClient onShard0 = client();
        final BusClient onShard1 = client();
        assertEchoes(onShard0, 0);
        assertEchoes(onShard1, 0);

        // Hold shard 0 while a backlog of connections builds up in the kernel, so that one accept
        // round then hands hundreds of sockets to the shards at once (half of them to shard 0 itself).
        final CompletableFuture<Reply> stall = onShard0.requestAsync(GateHandler.STALL, new byte[0]);
        assertTrue(handler.stalled.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "shard 0 stalled");
        final int backlog = 600;
        final List<Socket> queued = new ArrayList<>(backlog);
        for (int i = 0; i < backlog; i++)
        {
            queued.add(openAndPing());
        }
        handler.release();
        stall.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);

        // Then a storm from four threads while the existing clients keep asking.
        final int stormThreads = 4;
        final int perThread = 400;
        final AtomicInteger served = new AtomicInteger();
        final AtomicInteger refused = new AtomicInteger();
        final AtomicInteger unanswered = new AtomicInteger();
        final List<Thread> threads = new ArrayList<>();
        final List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int t = 0; t < stormThreads; t++)
        {
            final Thread thread = new Thread(() ->
            {
                try
                {
                    for (int i = 0; i < perThread; i++)
                    {
                        count(outcome(openAndPing(), TIMEOUT), served, refused, unanswered);
                    }
                }
                catch (final Throwable ex)
                {
                    errors.add(ex);
                }
            }, "storm-" + t);
            thread.setDaemon(true);
            thread.start();
            threads.add(thread);
        }
        int asked = 1;
        while (threads.stream().anyMatch(Thread::isAlive))
        {
            assertEchoes(onShard0, asked);
            assertEchoes(onShard1, asked);
            asked++;
        }
        for (final Thread thread : threads)
        {
            thread.join(TIMEOUT.toMillis());
        }
        assertEquals(List.of(), errors, "storm threads");
        for (final Socket socket : queued)
        {
            count(outcome(socket, TIMEOUT), served, refused, unanswered);
        }

        final int total = backlog + stormThreads * perThread;
        assertEquals(0, unanswered.get(), "every storm connection was served or refused");
        assertEquals(total, served.get() + refused.get());
        assertEquals(refused.get(), bus.refusedConnections(), "every refusal counted");
        assertEchoes(onShard0, asked);
        assertEchoes(onShard1, asked);
        Await.until(TIMEOUT, () -> bus.stats().openConnections() == 2,
            "only the two clients remain open (storm connections all closed): " + bus.stats());
    }

    @Test
    void aFullMailboxOnAnotherShardRefusesTheConnectionWhileShardZeroKeepsServing() throws Exception
    {
        final RefusalLog log = new RefusalLog();
        Logger.getLogger(MessageBus.class.getName()).addHandler(log);
        toClose.add(() -> Logger.getLogger(MessageBus.class.getName()).removeHandler(log));
        start(2, 2);
        final BusClient onShard0 = client();
        final BusClient onShard1 = client();
        final CompletableFuture<Reply> stall = onShard1.requestAsync(GateHandler.STALL, new byte[0]);
        assertTrue(handler.stalled.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "shard 1 stalled");

        // Accepts alternate between the shards: the odd ones go to the stalled shard 1, whose
        // mailbox takes two; the rest must be refused without holding up shard 0.
        final int storm = 40;
        final List<Socket> sockets = new ArrayList<>(storm);
        for (int i = 0; i < storm; i++)
        {
            sockets.add(openAndPing());
        }
        assertEchoes(onShard0, 1);
        int served = 0;
        int refused = 0;
        for (int i = 0; i < storm; i += 2)
        {
            assertEquals(Outcome.SERVED, outcome(sockets.get(i), TIMEOUT), "connection " + i + " (shard 0)");
            served++;
        }
        for (int i = 5; i < storm; i += 2)
        {
            assertEquals(Outcome.REFUSED, outcome(sockets.get(i), TIMEOUT), "connection " + i + " (shard 1, mailbox full)");
            refused++;
        }
        handler.release();
        stall.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(Outcome.SERVED, outcome(sockets.get(1), TIMEOUT), "connection 1 waited in shard 1's mailbox");
        assertEquals(Outcome.SERVED, outcome(sockets.get(3), TIMEOUT), "connection 3 waited in shard 1's mailbox");
        assertEquals(storm / 2, served);
        assertEquals(storm / 2 - 2, refused);
        assertEquals(refused, bus.refusedConnections(), "every refusal counted");
        Await.until(TIMEOUT, () -> log.refusalsReported() == storm / 2 - 2, "the log reports every refusal: " + log.lines);
        assertTrue(log.lines.size() < refused, "a burst of refusals is reported in fewer lines than refusals: " + log.lines);
        assertEchoes(onShard1, 1);
        Await.until(TIMEOUT, () -> bus.stats().openConnections() == 2, "only the two clients remain open");
    }

    /** The bus's refusal log lines, and how many refusals they add up to. */
    private static final class RefusalLog extends Handler
    {
        private static final Pattern COUNTED = Pattern.compile("refused (\\d+) more connection");
        final List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void publish(final LogRecord record)
        {
            if (record.getMessage() != null && record.getMessage().contains("refused"))
            {
                lines.add(record.getMessage());
            }
        }

        int refusalsReported()
        {
            int sum = 0;
            for (final String line : lines)
            {
                final Matcher counted = COUNTED.matcher(line);
                sum += counted.find() ? Integer.parseInt(counted.group(1)) : 1;
            }
            return sum;
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

    private static void count(final Outcome outcome, final AtomicInteger served, final AtomicInteger refused,
        final AtomicInteger unanswered)
    {
        (outcome == Outcome.SERVED ? served : outcome == Outcome.REFUSED ? refused : unanswered).incrementAndGet();
    }
}
