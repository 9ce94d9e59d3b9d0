package io.ringbus.bench.harness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The floor (issue 16): {@code bench/native/floor.c}, a single-threaded epoll server in C doing per
 * frame what a Ringbus server does (size range, both CRC32C checks, command and cluster, the reply
 * made in place and its header resealed, the replies of one read written at once), run as a child
 * process so that every table can say how far each server is from it ("x of floor"). Modes:
 * {@code c-floor} (epoll_wait blocks when idle), {@code c-floor-poll} (epoll_wait with timeout 0
 * in a loop: it spins, a core at 100%), and {@code byte-echo}, which returns the bytes it reads
 * unchanged and parses nothing: the ceiling of the load client.
 *
 * <p>The binary is {@code bench/target/native/ringbus-floor}; when it is missing or older than its
 * source, {@link #start()} builds it with {@code bench/native/build.sh} (gcc). Both paths are found
 * from where this class was loaded (benchmarks.jar or target/classes, both in bench/target), or
 * from {@code -Dringbus.bench.native=DIR} naming the {@code bench/native} directory.
 *
 * <p>The child dies with this JVM: it exits when its standard input, a pipe from here, closes.
 * {@link #start()} and {@link #close()} from the harness thread.
 */
public final class NativeFloorServer implements EchoServer
{
    /** System property naming the {@code bench/native} source directory, if not found by itself. */
    public static final String NATIVE_DIR_PROPERTY = "ringbus.bench.native";
    /** The binary's name, and its threads' name ({@code comm}). */
    public static final String BINARY_NAME = "ringbus-floor";
    /** Exit status of build.sh when gcc is missing. */
    static final int NO_COMPILER_EXIT = 3;

    private static final long BUILD_TIMEOUT_S = 300;
    private static final long START_TIMEOUT_MS = 10_000;
    private static final long STOP_TIMEOUT_MS = 2_000;
    private static final long POLL_INTERVAL_MS = 5;

    /** What the C server does with a frame, and whether it blocks when idle. */
    public enum Mode
    {
        /** The replicated echo, epoll_wait blocking when idle. */
        BLOCKING("c-floor", "floor", "block"),
        /** The replicated echo, epoll_wait(0) in a busy loop. */
        POLLING("c-floor-poll", "floor", "poll"),
        /** The bytes read written back unchanged: no parsing, no checks (the load client's ceiling). */
        BYTE_ECHO("byte-echo", "echo", "block");

        private final String serverName;
        private final String mode;
        private final String idle;

        Mode(final String serverName, final String mode, final String idle)
        {
            this.serverName = serverName;
            this.mode = mode;
            this.idle = idle;
        }

        /** The harness's name for a server in this mode. */
        public String serverName()
        {
            return serverName;
        }
    }

    private static String buildProblem;
    private static boolean built;

    private final Mode mode;
    private final List<String> extraArguments;
    private Process process;

    public NativeFloorServer(final Mode mode)
    {
        this(mode, List.of());
    }

    /** @param extraArguments more ringbus-floor options (tests: {@code --crc table}, {@code --max-frame N}). */
    NativeFloorServer(final Mode mode, final List<String> extraArguments)
    {
        this.mode = mode;
        this.extraArguments = List.copyOf(extraArguments);
    }

    @Override
    public InetSocketAddress start() throws IOException, InterruptedException
    {
        if (process != null)
        {
            throw new IllegalStateException(name() + " already started");
        }
        final String problem = ensureBuilt();
        if (problem != null)
        {
            throw new IllegalStateException(problem);
        }
        final List<String> command = new ArrayList<>(List.of(
            binary().toString(),
            "--mode", mode.mode,
            "--idle", mode.idle,
            "--port", "0",
            "--name", name(),
            "--max-frame", Integer.toString(EchoResponder.MAX_FRAME_SIZE),
            "--cluster-lo", Long.toUnsignedString(CLUSTER_LO),
            "--cluster-hi", Long.toUnsignedString(CLUSTER_HI)));
        command.addAll(extraArguments);
        process = new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.PIPE)
            .redirectOutput(ProcessBuilder.Redirect.PIPE)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
        try
        {
            final int port = readPort(process);
            return new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port);
        }
        catch (final IOException | RuntimeException ex)
        {
            close();
            throw ex;
        }
    }

    /** The "port N" line the child prints once it listens, waited for at most START_TIMEOUT_MS. */
    private static int readPort(final Process process) throws IOException, InterruptedException
    {
        final BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (System.nanoTime() < deadlineNs)
        {
            if (out.ready())
            {
                final String line = out.readLine();
                if (line != null && line.startsWith("port "))
                {
                    return Integer.parseInt(line.substring("port ".length()).trim());
                }
                throw new IOException(BINARY_NAME + " printed " + line + " instead of its port");
            }
            if (!process.isAlive())
            {
                throw new IOException(BINARY_NAME + " exited with status " + process.exitValue() + " before listening");
            }
            Thread.sleep(POLL_INTERVAL_MS);
        }
        throw new IOException(BINARY_NAME + " did not print its port within " + START_TIMEOUT_MS + " ms");
    }

    @Override
    public void close()
    {
        final Process child = process;
        process = null;
        if (child == null)
        {
            return;
        }
        try
        {
            child.getOutputStream().close(); // end of file on its stdin: it stops
            if (!child.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                child.destroy();
                if (!child.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS))
                {
                    child.destroyForcibly().waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                }
            }
        }
        catch (final IOException ex)
        {
            child.destroyForcibly();
        }
        catch (final InterruptedException ex)
        {
            child.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String name()
    {
        return mode.serverName;
    }

    @Override
    public boolean spinsWhenIdle()
    {
        return mode == Mode.POLLING;
    }

    @Override
    public long processId()
    {
        final Process child = process;
        if (child == null)
        {
            throw new IllegalStateException(name() + " is not running");
        }
        return child.pid();
    }

    @Override
    public String ioThreadNamePrefix()
    {
        return BINARY_NAME;
    }

    /**
     * True for byte-echo: its answers are the requests, byte for byte (command request, not reply),
     * which the load client accepts from such a server only. (The load client's side adds this
     * method to {@link EchoServer} with a default of false.)
     */
    public boolean echoesRequests()
    {
        return mode == Mode.BYTE_ECHO;
    }

    /**
     * Build the binary if it is missing or stale, once per JVM. Returns null when it is ready, else
     * why not (gcc missing, the source not found, the build failed); any thread.
     */
    public static synchronized String ensureBuilt()
    {
        if (built || buildProblem != null)
        {
            return buildProblem;
        }
        final Path nativeDir = nativeDirectory();
        final Path script = nativeDir == null ? null : nativeDir.resolve("build.sh");
        if (script == null || !Files.isRegularFile(script))
        {
            if (Files.isExecutable(binary()))
            {
                built = true;
                return null;
            }
            buildProblem = "no " + binary() + " and no bench/native/build.sh to build it" +
                " (run from a checkout, or give -D" + NATIVE_DIR_PROPERTY + "=DIR)";
            return buildProblem;
        }
        try
        {
            final Process build = new ProcessBuilder("bash", script.toString(), binary().getParent().toString())
                .redirectErrorStream(true)
                .start();
            final String output = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!build.waitFor(BUILD_TIMEOUT_S, TimeUnit.SECONDS))
            {
                build.destroyForcibly();
                buildProblem = script + " did not finish within " + BUILD_TIMEOUT_S + " s";
            }
            else if (build.exitValue() == NO_COMPILER_EXIT)
            {
                buildProblem = "cannot build the C floor server: " + output;
            }
            else if (build.exitValue() != 0)
            {
                buildProblem = script + " failed (" + build.exitValue() + "): " + output;
            }
            else
            {
                if (!output.isEmpty())
                {
                    System.err.println(output);
                }
                built = true;
            }
        }
        catch (final IOException ex)
        {
            buildProblem = "cannot run " + script + ": " + ex;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return "interrupted while building " + binary();
        }
        return buildProblem;
    }

    /** {@code bench/target/native/ringbus-floor}. */
    static Path binary()
    {
        return targetDirectory().resolve("native").resolve(BINARY_NAME);
    }

    /** bench/target: the directory holding benchmarks.jar or classes/, where this class was loaded from. */
    private static Path targetDirectory()
    {
        final String nativeDir = System.getProperty(NATIVE_DIR_PROPERTY);
        if (nativeDir != null)
        {
            return Path.of(nativeDir).toAbsolutePath().getParent().resolve("target");
        }
        try
        {
            final Path loadedFrom = Path.of(NativeFloorServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return loadedFrom.toAbsolutePath().getParent();
        }
        catch (final URISyntaxException | RuntimeException ex)
        {
            return Path.of("bench", "target").toAbsolutePath();
        }
    }

    /** bench/native, or null if not found. */
    private static Path nativeDirectory()
    {
        final String nativeDir = System.getProperty(NATIVE_DIR_PROPERTY);
        final Path candidate = nativeDir != null ? Path.of(nativeDir) : targetDirectory().getParent().resolve("native");
        return Files.isDirectory(candidate) ? candidate : null;
    }
}
