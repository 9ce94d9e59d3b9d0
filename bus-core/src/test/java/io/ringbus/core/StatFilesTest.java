package io.ringbus.core;

import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.config.InvalidConfigException;
import io.ringbus.core.stat.BusCounters;
import io.ringbus.core.stat.StatLayout;
import io.ringbus.core.stat.StatReader;
import io.ringbus.core.transport.Await;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15, points 1 and 4: the counters file and the error log of a bus with a data directory:
 * who may own the directory, what a reader refuses, what the error log keeps.
 */
class StatFilesTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception
    {
        for (int i = toClose.size() - 1; i >= 0; i--)
        {
            toClose.get(i).close();
        }
    }

    private MessageBus start(final Path dataDir, final BusHandler handler)
    {
        final MessageBus bus = MessageBus.start(BusConfig.builder().shards(2).dataDirectory(dataDir).build(), handler);
        toClose.add(bus);
        return bus;
    }

    @Test
    void aDataDirectoryOfARunningBusIsRefusedAndFreeAgainOnceItClosed(@TempDir final Path dataDir)
    {
        final MessageBus first = start(dataDir, new BusHandler() { });
        final IllegalStateException refused = assertThrows(IllegalStateException.class,
            () -> start(dataDir, new BusHandler() { }));
        final String expectedStart = "data_directory = " + dataDir + ": ringbus.stat belongs to a running bus (pid " +
            ProcessHandle.current().pid() + ", started ";
        assertTrue(refused.getMessage().startsWith(expectedStart), refused.getMessage());
        assertTrue(refused.getMessage().endsWith("); each bus needs a data directory of its own"),
            refused.getMessage());
        first.close();
        final MessageBus second = start(dataDir, new BusHandler() { });
        assertTrue(second.isRunning(), "the file of a bus that closed is replaced");
    }

    @Test
    void aStaleFileOfADeadProcessIsReplaced(@TempDir final Path dataDir) throws Exception
    {
        final Process gone = new ProcessBuilder("true").start();
        assertTrue(gone.waitFor(20, TimeUnit.SECONDS));
        writeHeader(dataDir, StatLayout.MAGIC, StatLayout.LAYOUT_VERSION, gone.pid());
        final StatReader stale = StatReader.open(dataDir);
        assertFalse(stale.alive(), "the file of a dead process is not alive though it never closed");
        assertFalse(stale.closedCleanly());

        start(dataDir, new BusHandler() { });
        final StatReader live = StatReader.open(dataDir);
        assertEquals(ProcessHandle.current().pid(), live.pid());
        assertTrue(live.alive());
    }

    @Test
    void theReaderRefusesWithAClearMessage(@TempDir final Path dataDir) throws Exception
    {
        final Path missing = dataDir.resolve("nowhere");
        assertEquals("no data directory " + missing,
            assertThrows(StatReader.StatFileException.class, () -> StatReader.open(missing)).getMessage());
        assertEquals("no counters file in " + dataDir + " (ringbus.stat): is it the data directory of a bus?",
            assertThrows(StatReader.StatFileException.class, () -> StatReader.open(dataDir)).getMessage());
        assertEquals("no error log in " + dataDir + " (ringbus.errors): is it the data directory of a bus?",
            assertThrows(StatReader.StatFileException.class,
                () -> StatReader.readErrors(dataDir, (count, first, last, text) -> { })).getMessage());

        writeHeader(dataDir, StatLayout.MAGIC, 99, 1);
        assertEquals(dataDir.resolve("ringbus.stat") + " has counters layout 99; this ringbus reads layout 1",
            assertThrows(StatReader.StatFileException.class, () -> StatReader.open(dataDir)).getMessage());

        writeHeader(dataDir, 0x12345678, 1, 1);
        assertEquals(dataDir.resolve("ringbus.stat") + " is not a ringbus counters file (magic 12345678)",
            assertThrows(StatReader.StatFileException.class, () -> StatReader.open(dataDir)).getMessage());

        Files.write(dataDir.resolve("ringbus.stat"), new byte[10]);
        assertEquals(dataDir.resolve("ringbus.stat") + " is not a ringbus counters file (10 bytes)",
            assertThrows(StatReader.StatFileException.class, () -> StatReader.open(dataDir)).getMessage());
    }

    @Test
    void theDataDirectoryIsValidatedByBuild(@TempDir final Path dataDir) throws IOException
    {
        final Path file = Files.createFile(dataDir.resolve("a-file"));
        final InvalidConfigException notDirectory = assertThrows(InvalidConfigException.class,
            () -> BusConfig.builder().dataDirectory(file).build());
        assertEquals("data_directory", notDirectory.field());
        assertEquals("data_directory = " + file + ": is not a directory", notDirectory.getMessage());
        final Path under = file.resolve("sub");
        assertEquals("data_directory = " + under + ": cannot be created: " + file + " is not a directory",
            assertThrows(InvalidConfigException.class, () -> BusConfig.builder().dataDirectory(under).build())
                .getMessage());
        final Path toCreate = dataDir.resolve("new/deeper");
        assertEquals(toCreate, BusConfig.builder().dataDirectory(toCreate).build().dataDirectory());
        assertEquals(null, BusConfig.builder().build().dataDirectory(), "none by default");
    }

    @Test
    void aFailingHandlerIsRecordedOnceWithItsCountInTheErrorLog(@TempDir final Path dataDir) throws Exception
    {
        final AtomicLong failures = new AtomicLong();
        final MessageBus bus = start(dataDir, new BusHandler()
        {
            @Override
            public void onClientRequest(final MessageBus bus, final ClientConnMeta client, final DirectBuffer buffer,
                final int offset, final int length)
            {
                failures.incrementAndGet();
                throw new IllegalStateException("application bug under test");
            }
        });
        final InetSocketAddress address = bus.listen(URI.create("tcp://127.0.0.1:0"));
        for (int i = 0; i < 2; i++)
        {
            try (BusClient client = BusClient.connect(URI.create("tcp://127.0.0.1:" + address.getPort())))
            {
                assertThrows(ExecutionException.class,
                    () -> client.requestAsync(1, new byte[1]).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
            }
        }
        assertEquals(2, failures.get());
        final List<String> texts = new ArrayList<>();
        final AtomicLong observations = new AtomicLong();
        final int distinct = StatReader.readErrors(dataDir, (count, firstMs, lastMs, text) ->
        {
            texts.add(text);
            observations.addAndGet(count);
            assertTrue(firstMs <= lastMs);
        });
        // The same failure reached through another dispatch path (a completion from the blocking
        // poll or from the duty cycle's poll) has another stack, so it may be a second entry.
        assertTrue(distinct >= 1 && distinct <= 2, texts::toString);
        assertEquals(2, observations.get(), "each failure counted once");
        for (final String text : texts)
        {
            assertTrue(text.contains("IllegalStateException: application bug under test"), text);
        }
    }

    @Test
    void theErrorLogKeepsEachDistinctErrorOnceWithItsCountAndTimes(@TempDir final Path dataDir) throws Exception
    {
        final MessageBus bus = start(dataDir, new BusHandler() { });
        final IllegalStateException same = new IllegalStateException("seen twice");
        bus.counters().recordError(same);
        bus.counters().recordError(same);
        bus.counters().recordError(new IllegalArgumentException("seen once"));
        bus.close();
        final List<String> texts = new ArrayList<>();
        final List<Integer> counts = new ArrayList<>();
        final int distinct = StatReader.readErrors(dataDir, (count, firstMs, lastMs, text) ->
        {
            assertTrue(firstMs <= lastMs);
            counts.add(count);
            texts.add(text);
        });
        assertEquals(2, distinct, texts::toString);
        assertEquals(List.of(2, 1), counts);
        assertTrue(texts.get(0).startsWith("java.lang.IllegalStateException: seen twice"), texts.get(0));
        assertTrue(texts.get(1).startsWith("java.lang.IllegalArgumentException: seen once"), texts.get(1));
    }

    @Test
    void aShardFailureIsRecordedInTheErrorLog(@TempDir final Path dataDir) throws Exception
    {
        final MessageBus bus = start(dataDir, new GateHandler());
        final InetSocketAddress address = bus.listen(URI.create("tcp://127.0.0.1:0"));
        final BusClient client = BusClient.connect(URI.create("tcp://127.0.0.1:" + address.getPort()));
        toClose.add(client);
        client.requestAsync(GateHandler.BOOM, new byte[0]);
        Await.until(TIMEOUT, () -> bus.failure() != null, "the shard failed");
        bus.close();
        final List<String> texts = new ArrayList<>();
        StatReader.readErrors(dataDir, (count, firstMs, lastMs, text) -> texts.add(text));
        assertTrue(texts.stream().anyMatch(text -> text.contains("injected shard failure")), texts.toString());
        assertFalse(StatReader.open(dataDir).alive(), "a failed bus that closed is not alive");
    }

    @Test
    void withoutADataDirectoryTheCountersLiveInMemory()
    {
        final MessageBus bus = MessageBus.start(BusConfig.builder().shards(1).build(), new BusHandler() { });
        toClose.add(bus);
        final BusCounters counters = bus.counters();
        assertEquals(null, counters.directory());
        assertTrue(counters.snapshot().containsKey("client.tcp.frames_in"));
        Await.until(TIMEOUT, () -> counters.value("shard.0.duty_cycles") > 0, "the gauges are sampled");
    }

    /** A counters file holding only a header (magic, layout, pid), zero counters. */
    private static void writeHeader(final Path dataDir, final int magic, final int version, final long pid)
        throws IOException
    {
        final ByteBuffer header = ByteBuffer.allocate(StatLayout.HEADER_LENGTH).order(ByteOrder.nativeOrder());
        header.putInt(0, magic).putInt(4, version).putLong(8, pid).putLong(16, 0);
        Files.write(dataDir.resolve(StatLayout.STAT_FILE), header.array());
    }
}
