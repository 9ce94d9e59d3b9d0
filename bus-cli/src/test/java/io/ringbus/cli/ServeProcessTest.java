package io.ringbus.cli;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.client.Reply;
import io.ringbus.tls.Pem;
import io.ringbus.tls.SelfSignedCertificate;
import io.ringbus.tls.TlsSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code ringbus serve} as a process: TLS listeners with a generated or a given certificate, that
 * clients reach by trusting the printed certificate file; the backend line; io_uring asked for
 * where it is unavailable (simulated with Netty's {@code io.netty.transport.noNative}).
 */
class ServeProcessTest
{
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final Duration REPLY = Duration.ofSeconds(20);
    private static final Pattern CERTIFICATE_LINE =
        Pattern.compile("tls certificate (.+) sha256 ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})");
    private static final Pattern TLS_LINE = Pattern.compile("listening tls 127\\.0\\.0\\.1:(\\d+)");
    /** Makes Netty's io_uring unavailable in a child JVM, as on a kernel without it. */
    private static final String NO_NATIVE = "-Dio.netty.transport.noNative=true";

    @TempDir
    Path temp;

    private final List<ServeProcess> processes = new ArrayList<>();

    @AfterEach
    void killEverything() throws InterruptedException
    {
        for (final ServeProcess process : processes)
        {
            process.kill();
        }
    }

    private ServeProcess serve(final List<String> jvmArgs, final String... args) throws IOException
    {
        final ServeProcess process = ServeProcess.start(temp, "serve", jvmArgs, List.of(args));
        processes.add(process);
        return process;
    }

    /** The port of the {@code listening tls} line seen so far. */
    private static int tlsPort(final ServeProcess process) throws IOException
    {
        final Matcher matcher = TLS_LINE.matcher(process.seenStartingWith("listening tls "));
        assertTrue(matcher.matches(), process.describe());
        return Integer.parseInt(matcher.group(1));
    }

    /** Connect over tls trusting {@code trust}, send one request, return its reply. */
    private static Reply echoOverTls(final int port, final TlsSettings trust, final String text) throws Exception
    {
        try (BusClient client = BusClient.connect(URI.create("tls://127.0.0.1:" + port),
            ClientOptions.defaults().withTransportSettings("tls", trust)))
        {
            final byte[] body = text.getBytes(StandardCharsets.UTF_8);
            final Reply reply = client.requestAsync(1, body).get(REPLY.toMillis(), TimeUnit.MILLISECONDS);
            assertArrayEquals(body, reply.body());
            return reply;
        }
    }

    @ParameterizedTest(name = "backend {0}")
    @ValueSource(strings = {"nio", "io_uring"})
    void tlsWithoutACertificateWritesASelfSignedOneThatClientsTrust(final String backend) throws Exception
    {
        assumeTrue(!"io_uring".equals(backend) || IoUring.isAvailable(),
            () -> "io_uring is not available here: " + IoUring.unavailabilityCause());
        final Path dataDir = temp.resolve("data");
        final ServeProcess node = serve(List.of(), "--tls", "127.0.0.1:0", "--data-dir", dataDir.toString(),
            "--shards", "1", "--backend", backend);
        node.awaitLine("ready", STARTUP);
        assertEquals("backend " + backend, node.seen.get(0), node.describe());

        // The printed path is the data dir's cert.pem, and the fingerprint is that file's.
        final Matcher certificate = CERTIFICATE_LINE.matcher(node.seenStartingWith("tls certificate "));
        assertTrue(certificate.matches(), node.describe());
        final Path certPath = Path.of(certificate.group(1));
        assertEquals(dataDir.resolve("cert.pem").toAbsolutePath(), certPath);
        assertEquals(SelfSignedCertificate.fingerprint(Pem.certificates(certPath).get(0)), certificate.group(2));
        final Path keyPath = dataDir.resolve("key.pem");
        assertTrue(Files.isRegularFile(keyPath));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyPath)));
        try (var files = Files.list(dataDir))
        {
            assertEquals(2, files.count(), "only cert.pem and key.pem are left in the data dir");
        }

        final int port = tlsPort(node);
        echoOverTls(port, TlsSettings.builder().trustPem(certPath).build(), "over tls on " + backend);

        // The client checks the chain: the JDK's trust store does not know a self-signed certificate.
        final IOException untrusted = assertThrows(IOException.class, () -> BusClient.connect(
            URI.create("tls://127.0.0.1:" + port), ClientOptions.defaults()
                .withTransportSettings("tls", TlsSettings.defaults()).withConnectTimeout(Duration.ofSeconds(10))));
        assertFalse(untrusted.getMessage().contains("timed out"), untrusted.toString());

        // ringbus load with --trust drives it through the same file.
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Main.run(new String[] {"load", "tls://127.0.0.1:" + port, "--trust", certPath.toString(),
            "--connections", "1", "--window", "4", "--duration-ms", "300"},
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        final String loadOut = out.toString(StandardCharsets.UTF_8);
        assertEquals(Main.EXIT_OK, code, () -> loadOut + err.toString(StandardCharsets.UTF_8));
        assertTrue(loadOut.contains("errors 0  unanswered 0"), loadOut);
    }

    @Test
    void tlsPresentsTheGivenPemCertificateAndKey() throws Exception
    {
        final SelfSignedCertificate generated = SelfSignedCertificate.generate();
        final Path certPath = generated.writeTo(temp.resolve("pki"));
        final Path keyPath = temp.resolve("pki").resolve("key.pem");
        final Path dataDir = temp.resolve("unused-data");
        final ServeProcess node = serve(List.of(), "--tls", "127.0.0.1:0", "--tcp", "127.0.0.1:0",
            "--cert", certPath.toString(), "--key", keyPath.toString(), "--data-dir", dataDir.toString(),
            "--shards", "1");
        node.awaitLine("ready", STARTUP);
        assertEquals("tls certificate " + certPath.toAbsolutePath() + " sha256 " + generated.sha256Fingerprint(),
            node.seenStartingWith("tls certificate "));
        assertFalse(Files.exists(dataDir), "nothing is generated when --cert and --key are given");
        echoOverTls(tlsPort(node), generated.clientSettings().build(), "with the given certificate");
    }

    @Test
    void ioUringWhereItIsUnavailableFailsAtStartWithBusCoresMessage() throws Exception
    {
        final ServeProcess node = serve(List.of(NO_NATIVE), "--tcp", "127.0.0.1:0", "--shards", "1",
            "--backend", "io_uring");
        final int code = node.awaitExit(STARTUP);
        assertEquals(Main.EXIT_FAILURE, code, node.describe());
        final String stderr = node.stderrText();
        assertTrue(stderr.contains("ringbus serve: cannot start: backend = io_uring: not available on this machine"),
            stderr);
        assertTrue(stderr.contains("noNative"), "the reason is Netty's: " + stderr);
    }

    @Test
    void autoRunsOnNioWhereIoUringIsUnavailable() throws Exception
    {
        final ServeProcess node = serve(List.of(NO_NATIVE), "--tcp", "127.0.0.1:0", "--shards", "1");
        node.awaitLine("ready", STARTUP);
        assertEquals("backend nio", node.seen.get(0), node.describe());
    }
}
