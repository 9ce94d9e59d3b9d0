package io.ringbus.bench.harness;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** CPU per request from /proc: the arithmetic on a made-up task directory, then on this JVM's own threads. */
class ServerCpuTest
{
    @TempDir
    Path proc;

    private void task(final long tid, final String comm, final long ns) throws IOException
    {
        final Path task = Files.createDirectories(proc.resolve(Long.toString(tid)));
        Files.writeString(task.resolve("comm"), comm + "\n");
        Files.writeString(task.resolve("schedstat"), ns + " 12345 67\n");
    }

    @Test
    void perRequestIsEachTrackedThreadsCpuDeltaOverTheRequestsWithIoThreadsByNamePrefix() throws IOException
    {
        task(10, "ringbus-shard-0", 1_000);
        task(11, "ringbus-shard-1", 5_000);
        task(12, "GC Thread#0", 100);
        task(13, "gone-later", 50);
        final ServerCpu cpu = new ServerCpu(proc, "ringbus-shard-", null);
        final ServerCpu.Snapshot before = cpu.snapshot();

        task(10, "ringbus-shard-0", 401_000);   // +400,000
        task(11, "ringbus-shard-1", 205_000);   // +200,000
        task(12, "GC Thread#0", 100_100);      // +100,000
        task(14, "born-later", 999_999);       // not in the first snapshot: left out
        deleteTree(proc.resolve("13"));         // ended: left out
        final ServerCpu.CpuPerRequest perRequest = ServerCpu.perRequest(before, cpu.snapshot(), 1_000);

        assertEquals(600.0, perRequest.ioNs(), 1e-9);
        assertEquals(700.0, perRequest.processNs(), 1e-9);
    }

    @Test
    void onlyTheTrackedThreadsCountAndTheCallersIsLeftOut() throws IOException
    {
        task(20, "netty-epoll-2-1", 0);
        task(21, "main", 0);
        task(22, "C2 CompilerThre", 0);
        final ServerCpu cpu = ServerCpu.inProcess(proc, "netty-epoll-", 21);
        final ServerCpu.Snapshot before = cpu.snapshot();
        task(20, "netty-epoll-2-1", 3_000);
        task(21, "main", 1_000_000); // the load client's thread
        task(22, "C2 CompilerThre", 1_000);
        task(23, "load-writer", 1_000_000); // started by the load client during the run

        final ServerCpu.CpuPerRequest perRequest = ServerCpu.perRequest(before, cpu.snapshot(), 10);
        assertEquals(300.0, perRequest.ioNs(), 1e-9);
        assertEquals(400.0, perRequest.processNs(), 1e-9);
    }

    @Test
    void namesAreMatchedAsTheKernelCutsThemToFifteenCharacters() throws IOException
    {
        final ServerCpu cpu = new ServerCpu(proc, "netty-uring-spin-", null);
        assertTrue(cpu.isIoThread("netty-uring-spi"));
        assertTrue(!cpu.isIoThread("netty-uring-1-1"));
        assertTrue(!new ServerCpu(proc, null, null).isIoThread("anything"));
    }

    @Test
    void unknownWhereItCannotBeTold() throws IOException
    {
        task(30, "worker", 0);
        final ServerCpu cpu = new ServerCpu(proc, "ringbus-shard-", null);
        final ServerCpu.Snapshot before = cpu.snapshot();
        task(30, "worker", 5_000);
        final ServerCpu.CpuPerRequest noIoThread = ServerCpu.perRequest(before, cpu.snapshot(), 5);
        assertTrue(Double.isNaN(noIoThread.ioNs()), "no thread named as the I/O threads are");
        assertEquals(1_000.0, noIoThread.processNs(), 1e-9);
        assertEquals(ServerCpu.CpuPerRequest.UNKNOWN, ServerCpu.perRequest(before, cpu.snapshot(), 0));
        assertEquals(ServerCpu.CpuPerRequest.UNKNOWN, ServerCpu.perRequest(null, cpu.snapshot(), 5));
        assertNull(new ServerCpu(proc.resolve("no-such-process"), null, null).snapshot());
    }

    @Test
    void withoutSchedstatTheTicksOfStatAreUsed() throws IOException
    {
        final Path task = Files.createDirectories(proc.resolve("40"));
        Files.writeString(task.resolve("comm"), "ringbus-floor\n");
        // pid (comm) state ppid ... utime=field 14, stime=field 15 (proc(5)); the name holds a space and a ')'.
        Files.writeString(task.resolve("stat"), "40 (ringbus) floor) S 1 40 40 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0\n");
        assertEquals(10 * 10_000_000L, ServerCpu.cpuNs(task));
    }

    @Test
    void aBusyThreadOfThisJvmIsSeenWithAtLeastTheCpuItBurned() throws Exception
    {
        final ServerCpu.Snapshot probe = new ServerCpu(Path.of("/proc/self/task"), null, null).snapshot();
        assumeTrue(probe != null && probe.tids().length > 0, "no /proc here");
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isCurrentThreadCpuTimeSupported(), "no thread CPU time here");

        final long burnNs = TimeUnit.MILLISECONDS.toNanos(50);
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch go = new CountDownLatch(1);
        final CountDownLatch burned = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicLong sink = new AtomicLong();
        final Thread busy = new Thread(() ->
        {
            started.countDown();
            try
            {
                go.await();
                final long startNs = threads.getCurrentThreadCpuTime();
                long x = 0;
                // Bounded by its own CPU time, and by wall time in case the machine starves it.
                final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (threads.getCurrentThreadCpuTime() - startNs < burnNs && System.nanoTime() < deadlineNs)
                {
                    for (int i = 0; i < 10_000; i++)
                    {
                        x = x * 31 + i;
                    }
                }
                sink.set(x);
                burned.countDown();
                release.await();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }, "cpu-test-io-0");
        busy.start();
        try
        {
            assertTrue(started.await(10, TimeUnit.SECONDS));
            final ServerCpu cpu = ServerCpu.of(new IoPrefixOnly("cpu-test-io-"));
            final ServerCpu.Snapshot before = cpu.snapshot();
            assertNotNull(before);
            go.countDown();
            assertTrue(burned.await(60, TimeUnit.SECONDS));
            final ServerCpu.CpuPerRequest perRequest = ServerCpu.perRequest(before, cpu.snapshot(), 1);
            // Blocked on the latch now, so the scheduler has accounted all of its time.
            assertTrue(perRequest.ioNs() >= burnNs, perRequest.toString());
            assertTrue(perRequest.processNs() >= perRequest.ioNs(), perRequest.toString());
        }
        finally
        {
            go.countDown();
            release.countDown();
            busy.join(10_000);
        }
    }

    /** Just what ServerCpu asks of a server: this JVM, and an I/O thread name. */
    private record IoPrefixOnly(String prefix) implements EchoServer
    {
        @Override
        public java.net.InetSocketAddress start()
        {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close()
        {
        }

        @Override
        public String name()
        {
            return "cpu-test";
        }

        @Override
        public String ioThreadNamePrefix()
        {
            return prefix;
        }
    }

    private static void deleteTree(final Path directory) throws IOException
    {
        try (var files = Files.walk(directory))
        {
            for (final Path path : files.sorted(java.util.Comparator.reverseOrder()).toList())
            {
                Files.delete(path);
            }
        }
    }
}
