package io.ringbus.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * One {@code ringbus serve} process (or another command's) started from the test class path, and
 * the lines it printed: stdout is read line by line on a daemon thread, stderr goes to a file that
 * failure messages quote. Used by one test thread.
 */
final class ServeProcess
{
    final Process process;
    final Path stderr;
    /** Every stdout line consumed by the await methods so far, in order. */
    final List<String> seen = new ArrayList<>();
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private ServeProcess(final Process process, final Path stderr)
    {
        this.process = process;
        this.stderr = stderr;
        final Thread reader = new Thread(() ->
        {
            try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = in.readLine()) != null)
                {
                    lines.add(line);
                }
            }
            catch (final IOException ex)
            {
                lines.add("<stdout failed: " + ex + ">");
            }
        }, "serve-stdout-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Start {@code java [jvmArgs] io.ringbus.cli.Main serve [serveArgs]}, stderr to a new file in
     * {@code logs} named after {@code name}.
     */
    static ServeProcess start(final Path logs, final String name, final List<String> jvmArgs,
        final List<String> serveArgs) throws IOException
    {
        return startCommand(logs, name, jvmArgs, "serve", serveArgs);
    }

    /**
     * Start {@code java [jvmArgs] io.ringbus.cli.Main COMMAND [args]} (e.g. a {@code load} whose
     * stderr, log lines included, a test reads), stderr to a new file in {@code logs} named after
     * {@code name}.
     */
    static ServeProcess startCommand(final Path logs, final String name, final List<String> jvmArgs,
        final String commandName, final List<String> args) throws IOException
    {
        final Path stderr = logs.resolve(name + "-" + System.nanoTime() + ".err");
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-Xmx256m", "-XX:TieredStopAtLevel=1"));
        command.addAll(jvmArgs);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), commandName));
        command.addAll(args);
        if ("serve".equals(commandName) && !args.contains("--data-dir"))
        {
            // A node counts into its data dir and refuses one a live node holds: nodes of one test run side by side.
            command.addAll(List.of("--data-dir", logs.resolve(name + "-" + System.nanoTime() + "-data").toString()));
        }
        final Process process = new ProcessBuilder(command)
            .redirectErrorStream(false)
            .redirectError(stderr.toFile())
            .start();
        process.getOutputStream().close();
        return new ServeProcess(process, stderr);
    }

    /** Read stdout until the line {@code expected}, within {@code timeout}; fail with what was seen. */
    void awaitLine(final String expected, final Duration timeout) throws InterruptedException, IOException
    {
        awaitLineStartingWith(expected, true, timeout);
    }

    /**
     * Read stdout until a line that starts with {@code prefix} (or equals it, if {@code exact}),
     * within {@code timeout}; returns it, or fails with what was seen.
     */
    String awaitLineStartingWith(final String prefix, final boolean exact, final Duration timeout)
        throws InterruptedException, IOException
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (true)
        {
            final long leftNs = deadlineNs - System.nanoTime();
            final String line = leftNs > 0 ? lines.poll(leftNs, TimeUnit.NANOSECONDS) : null;
            if (line == null)
            {
                fail("no '" + prefix + "' line within " + timeout.toSeconds() + " s; " + describe());
            }
            seen.add(line);
            if (exact ? line.equals(prefix) : line.startsWith(prefix))
            {
                return line;
            }
        }
    }

    /** The first line already seen that starts with {@code prefix}; fails if there is none. */
    String seenStartingWith(final String prefix) throws IOException
    {
        for (final String line : seen)
        {
            if (line.startsWith(prefix))
            {
                return line;
            }
        }
        fail("no line starting with '" + prefix + "'; " + describe());
        return null;
    }

    /** Wait for the process to exit within {@code timeout}; returns its exit code, or fails. */
    int awaitExit(final Duration timeout) throws InterruptedException, IOException
    {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
        {
            fail("the process did not exit within " + timeout.toSeconds() + " s; " + describe());
        }
        return process.exitValue();
    }

    /** The stderr written so far. */
    String stderrText() throws IOException
    {
        return Files.readString(stderr);
    }

    /** What the process printed, and its exit code if it ended: for failure messages. */
    String describe() throws IOException
    {
        return "stdout: " + seen + (process.isAlive() ? "" : ", exit code " + process.exitValue()) + "; stderr: " +
            stderrText();
    }

    /** Kill it (SIGKILL) and wait up to 10 s for it to go. */
    void kill() throws InterruptedException
    {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Ports on loopback that were free a moment ago. */
    static int[] freePorts(final int count) throws IOException
    {
        final InetAddress loopback = InetAddress.getLoopbackAddress();
        final List<ServerSocket> sockets = new ArrayList<>();
        final int[] ports = new int[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                final ServerSocket socket = new ServerSocket(0, 1, loopback);
                sockets.add(socket);
                ports[i] = socket.getLocalPort();
            }
        }
        finally
        {
            for (final ServerSocket socket : sockets)
            {
                socket.close();
            }
        }
        return ports;
    }
}
