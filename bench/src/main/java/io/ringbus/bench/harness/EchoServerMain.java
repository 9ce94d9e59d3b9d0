package io.ringbus.bench.harness;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * One registered echo server alone in its own JVM, so that another tool can watch exactly that
 * process (syscall counts with {@code perf stat -p} or {@code strace -c -f -p}, see
 * {@code bench/syscalls.sh}):
 *
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp bench/target/benchmarks.jar \
 *     io.ringbus.bench.harness.EchoServerMain NAME PORTFILE
 * </pre>
 *
 * It starts server {@code NAME} from {@link Harness#SERVERS} on 127.0.0.1, writes the bound port
 * (decimal, one line) to {@code PORTFILE} atomically (a temporary file, then a rename), and serves
 * until the JVM is asked to stop (SIGTERM, SIGINT), when it closes the server. For a TLS server,
 * give this JVM and the client's the same {@code -Dringbus.bench.tls.dir=DIR} so that they share
 * the certificate ({@link BenchTls}); otherwise no other process trusts it.
 *
 * <p>Unlike {@link Harness} it does not relaunch itself to add the Agrona export, because a child
 * JVM would leave the wrong process id to watch; it refuses to start without the flag.
 */
public final class EchoServerMain
{
    private static final String AGRONA_PACKAGE = "jdk.internal.misc";

    private EchoServerMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        if (args.length != 2 || !Harness.SERVERS.containsKey(args[0]))
        {
            System.err.println("usage: java --add-exports java.base/" + AGRONA_PACKAGE + "=ALL-UNNAMED" +
                " -cp benchmarks.jar " + EchoServerMain.class.getName() + " NAME PORTFILE");
            System.err.println("  NAME: one of " + String.join(", ", Harness.SERVERS.keySet()));
            System.exit(2);
            return;
        }
        if (!Object.class.getModule().isExported(AGRONA_PACKAGE, EchoServerMain.class.getModule()))
        {
            System.err.println("add --add-exports java.base/" + AGRONA_PACKAGE + "=ALL-UNNAMED (Agrona needs it)");
            System.exit(2);
            return;
        }
        final String name = args[0];
        final Path portFile = Path.of(args[1]);
        final Supplier<EchoServer> supplier = Harness.SERVERS.get(name);
        final EchoServer server = supplier.get();
        final InetSocketAddress address = server.start();

        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            server.close();
            stopped.countDown();
        }, "echo-server-stop"));

        writePort(portFile, address.getPort());
        // The server's own process where it has one (the C floor: watch that pid, not this JVM's).
        System.err.println(name + " listening on " + address + ", pid " + server.processId());
        stopped.await();
    }

    private static void writePort(final Path portFile, final int port) throws IOException
    {
        final Path parent = portFile.toAbsolutePath().getParent();
        final Path temporary = Files.createTempFile(parent, "port", ".tmp");
        Files.writeString(temporary, port + System.lineSeparator(), StandardCharsets.US_ASCII);
        Files.move(temporary, portFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
