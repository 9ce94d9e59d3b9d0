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
 * {@code ringbus serve} as a process: TLS listeners (tls, wss, quic) with a generated or a given
 * certificate, that clients reach by trusting the printed certificate file; ws and wss listeners;
 * the backend line; io_uring asked for where it is unavailable (simulated with Netty's
 * {@code io.netty.transport.noNative}).
 */
class ServeProcessTest
{
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final Duration REPLY = Duration.ofSeconds(20);
    private static final Pattern CERTIFICATE_LINE =
        Pattern.compile("tls certificate (.+) sha256 ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})");
    /** The result line of {@code ringbus load} with a non-zero rate: replies came back. */
    private static final Pattern REPLIES_LINE = Pattern.compile("(?m)^messages/s [1-9][0-9]*  MB/s ");
    private static final Pattern LISTENING_LINE = Pattern.compile("listening (\\w+) 127\\.0\\.0\\.1:(\\d+)");
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
        return port(process, "tls");
    }

    /** The port of the {@code listening <scheme> 127.0.0.1:PORT} line seen so far. */
    private static int port(final ServeProcess process, final String scheme) throws IOException
    {
        final Matcher matcher = LISTENING_LINE.matcher(process.seenStartingWith("listening " + scheme + " "));
        assertTrue(matcher.matches(), process.describe());
        assertEquals(scheme, matcher.group(1), process.describe());
        return Integer.parseInt(matcher.group(2));
    }

    /** Connect over tls trusting {@code trust}, send one request, return its reply. */
    private static Reply echoOverTls(final int port, final TlsSettings trust, final String text) throws Exception
    {
        return echo(URI.create("tls://127.0.0.1:" + port), trust, text);
    }

    /**
     * Connect to {@code uri}, trusting {@code trust} for its scheme (null for none), send one
     * request, check that the reply carries the same body and return it.
     */
    private static Reply echo(final URI uri, final TlsSettings trust, final String text) throws Exception
    {
        final ClientOptions options = trust == null ? ClientOptions.defaults() :
            ClientOptions.defaults().withTransportSettings(uri.getScheme(), trust);
        try (BusClient client = BusClient.connect(uri, options))
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
            // Beside the node's counters and error log (issue 15), which it keeps there too.
            assertEquals(2, files.filter(file -> !file.getFileName().toString().startsWith("ringbus.")).count(),
                "only cert.pem and key.pem are left in the data dir beside ringbus.stat and ringbus.errors");
        }

        final int port = tlsPort(node);
        echoOverTls(port, TlsSettings.builder().trustPem(certPath).build(), "over tls on " + backend);

        // The client checks the chain: the JDK's trust store does not know a self-signed certificate.
        final IOException untrusted = assertThrows(IOException.class, () -> BusClient.connect(
            URI.create("tls://127.0.0.1:" + port), ClientOptions.defaults()
                .withTransportSettings("tls", TlsSettings.defaults()).withConnectTimeout(Duration.ofSeconds(10))));
        assertFalse(untrusted.getMessage().contains("no answer from"), untrusted.toString());

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
            "--wss", "127.0.0.1:0", "--cert", certPath.toString(), "--key", keyPath.toString(),
            "--data-dir", dataDir.toString(), "--shards", "1");
        node.awaitLine("ready", STARTUP);
        assertEquals("tls certificate " + certPath.toAbsolutePath() + " sha256 " + generated.sha256Fingerprint(),
            node.seenStartingWith("tls certificate "));
        assertFalse(Files.exists(dataDir.resolve("cert.pem")) || Files.exists(dataDir.resolve("key.pem")),
            "no certificate is generated when --cert and --key are given");
        assertTrue(Files.isRegularFile(dataDir.resolve("ringbus.stat")), "the node counts into its data dir");
        echoOverTls(tlsPort(node), generated.clientSettings().build(), "with the given certificate");
        echo(URI.create("wss://127.0.0.1:" + port(node, "wss")), generated.clientSettings().build(),
            "wss presents the given certificate too");
    }

    @Test
    void wsAndWssListenersAnswerClientsTrustingThePrintedCertificate() throws Exception
    {
        final Path dataDir = temp.resolve("ws-data");
        final ServeProcess node = serve(List.of(), "--ws", "127.0.0.1:0", "--wss", "127.0.0.1:0",
            "--data-dir", dataDir.toString(), "--shards", "1");
        node.awaitLine("ready", STARTUP);
        final List<String> listening = node.seen.stream().filter(line -> line.startsWith("listening ")).toList();
        assertEquals(2, listening.size(), node.describe());
        assertTrue(listening.get(0).matches("listening ws 127\\.0\\.0\\.1:[1-9][0-9]*"), node.describe());
        assertTrue(listening.get(1).matches("listening wss 127\\.0\\.0\\.1:[1-9][0-9]*"), node.describe());

        // wss alone makes serve generate and print a certificate, as --tls does.
        final Matcher certificate = CERTIFICATE_LINE.matcher(node.seenStartingWith("tls certificate "));
        assertTrue(certificate.matches(), node.describe());
        final Path certPath = Path.of(certificate.group(1));
        assertEquals(dataDir.resolve("cert.pem").toAbsolutePath(), certPath);

        final int wsPort = port(node, "ws");
        final int wssPort = port(node, "wss");
        final TlsSettings trust = TlsSettings.builder().trustPem(certPath).build();
        echo(URI.create("ws://127.0.0.1:" + wsPort), null, "over ws");
        echo(URI.create("ws://127.0.0.1:" + wsPort + "/any/path?q=1"), null, "over ws with a path");
        final Reply overWss = echo(URI.create("wss://127.0.0.1:" + wssPort), trust, "over wss");
        assertEquals(1, overWss.operation());
        echo(URI.create("wss://localhost:" + wssPort), trust, "over wss by name");

        // The wss client checks the chain: without trusting cert.pem the handshake fails.
        final IOException untrusted = assertThrows(IOException.class, () -> BusClient.connect(
            URI.create("wss://127.0.0.1:" + wssPort), ClientOptions.defaults()
                .withTransportSettings("wss", TlsSettings.defaults()).withConnectTimeout(Duration.ofSeconds(10))));
        assertFalse(untrusted.getMessage().contains("no answer from"), untrusted.toString());

        // ringbus load drives both, trusting the same file for wss.
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Main.run(new String[] {"load", "ws://127.0.0.1:" + wsPort, "wss://127.0.0.1:" + wssPort,
            "--trust", certPath.toString(), "--connections", "2", "--window", "4", "--duration-ms", "300"},
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        final String loadOut = out.toString(StandardCharsets.UTF_8);
        assertEquals(Main.EXIT_OK, code, () -> loadOut + err.toString(StandardCharsets.UTF_8));
        assertTrue(loadOut.contains("errors 0  unanswered 0"), loadOut);
    }

    @ParameterizedTest(name = "backend {0}")
    @ValueSource(strings = {"nio", "io_uring"})
    void quicListenerAnswersLoadTrustingThePrintedCertificateAndRefusesAnotherOne(final String backend)
        throws Exception
    {
        assumeTrue(!"io_uring".equals(backend) || IoUring.isAvailable(),
            () -> "io_uring is not available here: " + IoUring.unavailabilityCause());
        final Path dataDir = temp.resolve("quic-data");
        final ServeProcess node = serve(List.of(), "--quic", "127.0.0.1:0", "--data-dir", dataDir.toString(),
            "--shards", "1", "--backend", backend);
        node.awaitLine("ready", STARTUP);
        assertEquals("backend " + backend, node.seen.get(0), node.describe());

        // quic alone makes serve generate and print a certificate, as --tls does.
        final Matcher certificate = CERTIFICATE_LINE.matcher(node.seenStartingWith("tls certificate "));
        assertTrue(certificate.matches(), node.describe());
        final Path certPath = Path.of(certificate.group(1));
        assertEquals(dataDir.resolve("cert.pem").toAbsolutePath(), certPath);
        final int port = port(node, "quic");
        final String target = "quic://127.0.0.1:" + port;

        // --trust naming another certificate, as a process: bus-quic logs the handshake's reason on
        // its stderr. Started first so that its JVM starts while this one runs the other checks.
        final Path otherCert = SelfSignedCertificate.generate().writeTo(temp.resolve("other-pki"));
        final ServeProcess wrongTrust = ServeProcess.startCommand(temp, "load-wrong-trust", List.of(), "load",
            List.of(target, "--trust", otherCert.toString(), "--connections", "1", "--duration-ms", "300"));
        processes.add(wrongTrust);

        final TlsSettings trust = TlsSettings.builder().trustPem(certPath).build();
        assertEquals(1, echo(URI.create(target), trust, "over quic on " + backend).operation());
        echo(URI.create("quic://localhost:" + port), trust, "over quic by name");

        // ringbus load --trust: replies come back, none lost.
        final Outcome trusted = load(target, "--trust", certPath.toString());
        assertEquals(Main.EXIT_OK, trusted.code(), trusted::describe);
        assertTrue(trusted.out().contains("errors 0  unanswered 0"), trusted::describe);
        assertTrue(REPLIES_LINE.matcher(trusted.out()).find(), trusted::describe);

        // --insecure: the same, with its warning.
        final Outcome insecure = load(target, "--insecure");
        assertEquals(Main.EXIT_OK, insecure.code(), insecure::describe);
        assertTrue(insecure.out().contains("errors 0  unanswered 0"), insecure::describe);
        assertTrue(REPLIES_LINE.matcher(insecure.out()).find(), insecure::describe);
        assertTrue(insecure.err().contains("WARNING: --insecure"), insecure::describe);

        // Without --trust the JDK's trust store does not know the self-signed certificate.
        final IOException untrusted = assertThrows(IOException.class, () -> BusClient.connect(
            URI.create(target), ClientOptions.defaults()
                .withTransportSettings("quic", TlsSettings.defaults()).withConnectTimeout(Duration.ofSeconds(10))));
        assertFalse(untrusted.getMessage().contains("no answer from"), untrusted.toString());

        // The wrong --trust: the handshake fails, and the error line itself says why.
        assertEquals(Main.EXIT_FAILURE, wrongTrust.awaitExit(STARTUP), wrongTrust.describe());
        final String stderr = wrongTrust.stderrText();
        final String summary = stderr.lines().filter(line -> line.startsWith("ringbus load: connect to " + target + " failed"))
            .findFirst().orElseThrow(() -> new AssertionError("no error line: " + stderr));
        assertTrue(summary.contains("certificate_unknown: certificate of CN=localhost is not trusted"), summary);
        assertFalse(summary.contains("connection refused"), summary);
        assertFalse(stderr.contains("no answer from"), stderr);
    }

    /** One short {@code ringbus load} run in this JVM. */
    private static Outcome load(final String target, final String... trustFlags)
    {
        final List<String> args = new ArrayList<>(List.of("load", target, "--connections", "2", "--window", "4",
            "--duration-ms", "300"));
        args.addAll(List.of(trustFlags));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Main.run(args.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** What a {@code ringbus load} run returned and printed. */
    private record Outcome(int code, String out, String err)
    {
        String describe()
        {
            return "exit code " + code + "; stdout: " + out + "; stderr: " + err;
        }
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
