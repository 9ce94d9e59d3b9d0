package io.ringbus.bench.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A server's CPU time, read from Linux's {@code /proc/<pid>/task/<tid>/schedstat} (its first
 * field: nanoseconds on CPU, kept by the scheduler, so precise and free to read) before and after
 * a run, to give CPU per request beside throughput: on a 2-core machine CPU per request is the
 * steadier figure of the two (issue 16).
 *
 * <p>Two sums: the server's I/O threads, recognised by their name's prefix (the kernel's
 * {@code comm}: the first 15 characters of the Java thread's name), and its whole process. A server
 * in the harness's own JVM shares its process with the load client; for it {@link #inProcess}
 * tracks only the threads that existed once the server had started, except the calling thread
 * (the harness's, which runs the client), so threads the client starts later are left out, and the
 * JVM's GC and JIT threads, which work for both, are counted. A server in a process of its own (the
 * C floor) is tracked whole.
 *
 * <p>Without {@code schedstat} (a kernel without CONFIG_SCHED_INFO) it falls back to
 * {@code /proc/.../stat}'s utime + stime, in clock ticks of 10 ms: coarse, but not wrong on runs
 * of seconds. Without {@code /proc} at all (not Linux) {@link #snapshot()} returns null and the
 * tables print "-". One instance per server; the harness's thread only.
 */
final class ServerCpu
{
    /** Length of a Linux thread name ({@code comm}); longer names are cut. */
    static final int COMM_LENGTH = 15;
    /** Clock ticks per second of {@code /proc/.../stat} times (USER_HZ, 100 on every Linux ABI). */
    static final long USER_HZ = 100;

    private static final Path PROC = Path.of("/proc");

    private final Path taskDirectory;
    private final String ioThreadPrefix;
    private final long[] trackedTids;

    /**
     * @param taskDirectory  {@code /proc/<pid>/task} (or a copy of its layout, for tests).
     * @param ioThreadPrefix prefix of the I/O threads' names, or null if the server does not say.
     * @param trackedTids    the threads that count, or null for every thread of the process.
     */
    ServerCpu(final Path taskDirectory, final String ioThreadPrefix, final long[] trackedTids)
    {
        this.taskDirectory = taskDirectory;
        this.ioThreadPrefix = ioThreadPrefix == null ? null :
            ioThreadPrefix.substring(0, Math.min(COMM_LENGTH, ioThreadPrefix.length()));
        this.trackedTids = trackedTids == null ? null : trackedTids.clone();
        if (this.trackedTids != null)
        {
            Arrays.sort(this.trackedTids);
        }
    }

    /**
     * The CPU of {@code server}, which has started: its own process if it runs in one (every
     * thread counts), else this JVM's threads as they are now but the calling thread.
     */
    static ServerCpu of(final EchoServer server)
    {
        final long self = ProcessHandle.current().pid();
        final long pid = server.processId();
        final Path tasks = PROC.resolve(Long.toString(pid)).resolve("task");
        if (pid != self)
        {
            return new ServerCpu(tasks, server.ioThreadNamePrefix(), null);
        }
        return inProcess(tasks, server.ioThreadNamePrefix(), currentTid());
    }

    /** The threads listed in {@code taskDirectory} now, except {@code callerTid}. */
    static ServerCpu inProcess(final Path taskDirectory, final String ioThreadPrefix, final long callerTid)
    {
        final long[] tids = listTids(taskDirectory);
        if (tids == null)
        {
            return new ServerCpu(taskDirectory, ioThreadPrefix, new long[0]);
        }
        return new ServerCpu(taskDirectory, ioThreadPrefix,
            Arrays.stream(tids).filter(tid -> tid != callerTid).toArray());
    }

    /** The kernel's id of the calling thread (from {@code /proc/thread-self}), or -1 if unknown. */
    static long currentTid()
    {
        try
        {
            return Long.parseLong(Files.readSymbolicLink(PROC.resolve("thread-self")).getFileName().toString());
        }
        catch (final IOException | UnsupportedOperationException | NumberFormatException ex)
        {
            return -1;
        }
    }

    /** True if {@code threadName} (as the kernel has it) is one of the server's I/O threads. */
    boolean isIoThread(final String threadName)
    {
        return ioThreadPrefix != null && threadName.startsWith(ioThreadPrefix);
    }

    /** CPU time of the tracked threads now, or null if it cannot be read here. */
    Snapshot snapshot()
    {
        final long[] tids = trackedTids != null ? trackedTids : listTids(taskDirectory);
        if (tids == null)
        {
            return null;
        }
        final long[] ns = new long[tids.length];
        final boolean[] io = new boolean[tids.length];
        for (int i = 0; i < tids.length; i++)
        {
            final Path task = taskDirectory.resolve(Long.toString(tids[i]));
            ns[i] = cpuNs(task);
            io[i] = ns[i] >= 0 && isIoThread(comm(task));
        }
        return new Snapshot(tids, ns, io);
    }

    /** Nanoseconds on CPU of one thread, or -1 if it is gone (or unreadable). */
    static long cpuNs(final Path task)
    {
        try
        {
            final String schedstat = Files.readString(task.resolve("schedstat"), StandardCharsets.US_ASCII).trim();
            final int space = schedstat.indexOf(' ');
            return Long.parseLong(space < 0 ? schedstat : schedstat.substring(0, space));
        }
        catch (final IOException | NumberFormatException ex)
        {
            return statCpuNs(task);
        }
    }

    /** utime + stime of {@code task/stat} in ns, or -1. Fields after the name, which may hold spaces. */
    private static long statCpuNs(final Path task)
    {
        try
        {
            final String stat = Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII);
            final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            // After "pid (comm) ": state is field 3 of proc(5), utime 14 and stime 15, so indexes 11 and 12 here.
            final long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            return ticks * (1_000_000_000L / USER_HZ);
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
    }

    private static String comm(final Path task)
    {
        try
        {
            return Files.readString(task.resolve("comm"), StandardCharsets.UTF_8).trim();
        }
        catch (final IOException ex)
        {
            return "";
        }
    }

    private static long[] listTids(final Path taskDirectory)
    {
        if (!Files.isDirectory(taskDirectory))
        {
            return null;
        }
        long[] tids = new long[64];
        int count = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(taskDirectory))
        {
            for (final Path task : tasks)
            {
                final long tid;
                try
                {
                    tid = Long.parseLong(task.getFileName().toString());
                }
                catch (final NumberFormatException ex)
                {
                    continue;
                }
                if (count == tids.length)
                {
                    tids = Arrays.copyOf(tids, 2 * count);
                }
                tids[count++] = tid;
            }
        }
        catch (final IOException ex)
        {
            return null;
        }
        return Arrays.copyOf(tids, count);
    }

    /**
     * CPU per request between two snapshots of the same server: the time its threads spent on CPU
     * between them, divided by {@code requests}. A thread counts if both snapshots read it (one
     * that started or ended in between is left out: the runs are short and the servers' threads
     * live as long as the server). NaN where it cannot be told: no snapshot, no requests, or no
     * I/O thread recognised.
     */
    static CpuPerRequest perRequest(final Snapshot before, final Snapshot after, final long requests)
    {
        if (before == null || after == null || requests <= 0)
        {
            return CpuPerRequest.UNKNOWN;
        }
        long processNs = 0;
        long ioNs = 0;
        int ioThreads = 0;
        for (int i = 0; i < after.tids.length; i++)
        {
            final int j = before.indexOf(after.tids[i]);
            if (j < 0 || before.ns[j] < 0 || after.ns[i] < 0)
            {
                continue;
            }
            final long delta = Math.max(0, after.ns[i] - before.ns[j]);
            processNs += delta;
            if (after.io[i])
            {
                ioNs += delta;
                ioThreads++;
            }
        }
        return new CpuPerRequest(
            ioThreads == 0 ? Double.NaN : (double)ioNs / requests,
            (double)processNs / requests);
    }

    /** CPU time per thread at one moment: tids, ns on CPU (-1 = unreadable), whether an I/O thread. */
    record Snapshot(long[] tids, long[] ns, boolean[] io)
    {
        int indexOf(final long tid)
        {
            for (int i = 0; i < tids.length; i++)
            {
                if (tids[i] == tid)
                {
                    return i;
                }
            }
            return -1;
        }
    }

    /**
     * A server's CPU time per request over a run, in ns: its I/O threads' and its whole process's
     * (see {@link ServerCpu}); NaN when unknown.
     */
    record CpuPerRequest(double ioNs, double processNs)
    {
        static final CpuPerRequest UNKNOWN = new CpuPerRequest(Double.NaN, Double.NaN);
    }
}
