package io.ringbus.cli;

import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.tls.Pem;
import io.ringbus.tls.SelfSignedCertificate;
import io.ringbus.tls.TlsSettings;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code ringbus serve}'s certificates as a process (issue 13, points 2 and 3): the self-signed
 * certificate kept in the data dir and reused by the next start; SIGHUP ({@code kill -HUP}) reloading
 * --cert/--key from their files while an open connection continues, and refusing a bad pair;
 * {@code --client-ca} (made with openssl as the README says) with {@code ringbus load --cert/--key}.
 */
class ServeTlsProcessTest
{
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final Duration REPLY = Duration.ofSeconds(20);
    private static final Pattern CERTIFICATE_LINE =
        Pattern.compile("tls certificate (.+) sha256 ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})");
    private static final Pattern LISTENING_LINE = Pattern.compile("listening (\\w+) 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path temp;

    private final List<ServeProcess> processes = new ArrayList<>();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void killEverything() throws Exception
    {
        for (final AutoCloseable closeable : toClose)
        {
            closeable.close();
        }
        for (final ServeProcess process : processes)
        {
            process.kill();
        }
    }

    private ServeProcess serve(final String... args) throws IOException
    {
        final ServeProcess process = ServeProcess.start(temp, "serve", List.of(), List.of(args));
        processes.add(process);
        return process;
    }

    private static int port(final ServeProcess process, final String scheme) throws IOException
    {
        final Matcher matcher = LISTENING_LINE.matcher(process.seenStartingWith("listening " + scheme + " "));
        assertTrue(matcher.matches(), process.describe());
        return Integer.parseInt(matcher.group(2));
    }

    private static String fingerprint(final ServeProcess process) throws IOException
    {
        final Matcher matcher = CERTIFICATE_LINE.matcher(process.seenStartingWith("tls certificate "));
        assertTrue(matcher.matches(), process.describe());
        return matcher.group(2);
    }

    private BusClient client(final int port, final TlsSettings settings) throws IOException
    {
        final BusClient client = BusClient.connect(URI.create("tls://127.0.0.1:" + port),
            ClientOptions.defaults().withTransportSettings("tls", settings).withConnectTimeout(Duration.ofSeconds(10)));
        toClose.add(client);
        return client;
    }

    private static void echo(final BusClient client, final String text) throws Exception
    {
        final byte[] body = text.getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(body, client.requestAsync(1, body).get(REPLY.toMillis(), TimeUnit.MILLISECONDS).body());
    }

    @Test
    void theSelfSignedCertificateIsKeptInTheDataDirAndReusedByTheNextStart() throws Exception
    {
        final Path dataDir = temp.resolve("data");
        final ServeProcess first = serve("--tls", "127.0.0.1:0", "--data-dir", dataDir.toString(), "--shards", "1");
        first.awaitLine("ready", STARTUP);
        final String generated = fingerprint(first);
        assertTrue(first.seenStartingWith("self-signed certificate: ").contains("generated a new self-signed " +
            "certificate: no cert.pem in " + dataDir.toAbsolutePath()), first.describe());
        final TlsSettings trust = TlsSettings.builder().trustPem(dataDir.resolve("cert.pem")).build();
        first.kill();

        final ServeProcess second = serve("--tls", "127.0.0.1:0", "--data-dir", dataDir.toString(), "--shards", "1");
        second.awaitLine("ready", STARTUP);
        assertEquals(generated, fingerprint(second), "the same certificate: " + second.describe());
        assertTrue(second.seenStartingWith("self-signed certificate: ").contains("reused the self-signed certificate in " +
            dataDir.toAbsolutePath()), second.describe());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir.resolve("key.pem"))));
        // The --trust file a client took from the first start still works.
        echo(client(port(second, "tls"), trust), "trusted across a restart");
    }

    @Test
    void anExpiredOrUnreadableKeptCertificateIsReplacedSayingWhy() throws Exception
    {
        final Path dataDir = temp.resolve("expired-data");
        writeExpired(dataDir);
        final ServeCertificate replaced = ServeCertificate.selfSigned(dataDir, null);
        assertTrue(replaced.generated());
        assertTrue(replaced.note().startsWith("generated a new self-signed certificate: ") &&
            replaced.note().contains("not valid now"), replaced.note());
        final ServeCertificate reused = ServeCertificate.selfSigned(dataDir, null);
        assertFalse(reused.generated(), reused.note());
        assertEquals(replaced.fingerprint(), reused.fingerprint());

        Files.writeString(dataDir.resolve("key.pem"), "garbage\n");
        final ServeCertificate afterGarbage = ServeCertificate.selfSigned(dataDir, null);
        assertTrue(afterGarbage.generated());
        assertTrue(afterGarbage.note().contains("key.pem"), afterGarbage.note());
        assertNotEquals(reused.fingerprint(), afterGarbage.fingerprint());
    }

    @Test
    void sighupReloadsCertAndKeyWhileAnOpenConnectionContinuesAndRefusesABadPair() throws Exception
    {
        final Path pki = temp.resolve("pki");
        final SelfSignedCertificate first = SelfSignedCertificate.generate();
        final Path cert = first.writeTo(pki);
        final Path key = pki.resolve("key.pem");
        final ServeProcess node = serve("--tls", "127.0.0.1:0", "--cert", cert.toString(), "--key", key.toString(),
            "--data-dir", temp.resolve("unused").toString(), "--shards", "1");
        node.awaitLine("ready", STARTUP);
        final int port = port(node, "tls");
        final BusClient before = client(port, first.clientSettings().build());
        echo(before, "before the reload");

        final SelfSignedCertificate second = SelfSignedCertificate.generate();
        second.writeTo(pki);
        hangUp(node);
        assertEquals("tls reloaded: tls certificate " + cert.toAbsolutePath().normalize() + " sha256 " +
            second.sha256Fingerprint(), node.awaitLineStartingWith("tls reloaded: ", false, STARTUP));
        echo(client(port, second.clientSettings().build()), "a new client sees the new certificate");
        assertThrows(IOException.class, () -> client(port, first.clientSettings().build()),
            "the old certificate is no longer presented");
        echo(before, "the connection opened before the reload still works");

        // A key that is not the certificate's: refused, the second certificate keeps serving.
        Files.writeString(cert, Pem.write(SelfSignedCertificate.generate().certificate()), StandardCharsets.US_ASCII);
        hangUp(node);
        Await.until("the refusal on stderr", STARTUP, () -> stderr(node).contains("reload refused"));
        final String refusal = stderr(node).lines().filter(line -> line.contains("reload refused")).findFirst().orElseThrow();
        assertTrue(refusal.contains("still serving sha256 " + second.sha256Fingerprint()) &&
            refusal.contains("does not belong"), refusal);
        assertTrue(node.process.isAlive(), "SIGHUP does not stop serve");
        echo(client(port, second.clientSettings().build()), "the old pair still serves after a refused reload");
        echo(before, "and the first connection still works");
    }

    @Test
    void clientCaRequiresLoadToPresentACertificateMadeWithOpenssl() throws Exception
    {
        assumeTrue(opensslAvailable(), "no openssl binary on the PATH");
        final Path pki = Files.createDirectories(temp.resolve("client-pki"));
        // The README's recipe: a client CA, and a client certificate it signs.
        openssl(pki, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "365", "-subj", "/CN=Ringbus Client CA");
        openssl(pki, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=load-client");
        Files.writeString(pki.resolve("client.ext"), "extendedKeyUsage = clientAuth\n");
        openssl(pki, "x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "client.pem", "-days", "30", "-extfile", "client.ext");

        final Path dataDir = temp.resolve("mtls-data");
        final ServeProcess node = serve("--tls", "127.0.0.1:0", "--wss", "127.0.0.1:0", "--client-ca",
            pki.resolve("ca.pem").toString(), "--data-dir", dataDir.toString(), "--shards", "1");
        node.awaitLine("ready", STARTUP);
        assertTrue(node.seenStartingWith("tls client-ca ").endsWith(": 1 authority, CN=Ringbus Client CA"),
            node.describe());
        final String trust = dataDir.resolve("cert.pem").toString();
        final String tls = "tls://127.0.0.1:" + port(node, "tls");
        final String wss = "wss://127.0.0.1:" + port(node, "wss");

        final Outcome with = load(tls, wss, "--trust", trust, "--cert", pki.resolve("client.pem").toString(),
            "--key", pki.resolve("client.key").toString());
        assertEquals(Main.EXIT_OK, with.code(), with::describe);
        assertTrue(with.out().contains("errors 0  unanswered 0"), with::describe);

        final Outcome without = load(tls, "--trust", trust);
        assertEquals(Main.EXIT_FAILURE, without.code(), without::describe);
    }

    /** Send SIGHUP to the serve process, as an operator does: {@code kill -HUP PID}. */
    private static void hangUp(final ServeProcess node) throws Exception
    {
        final Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(node.process.pid()))
            .redirectErrorStream(true).start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS), "kill -HUP ended");
        assertEquals(0, kill.exitValue(), new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private static String stderr(final ServeProcess node)
    {
        try
        {
            return node.stderrText();
        }
        catch (final IOException ex)
        {
            return "";
        }
    }

    /** One short {@code ringbus load} run in this JVM. */
    private static Outcome load(final String... targetsAndFlags)
    {
        final List<String> args = new ArrayList<>(List.of("load"));
        args.addAll(List.of(targetsAndFlags));
        args.addAll(List.of("--connections", "2", "--window", "4", "--duration-ms", "300"));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Main.run(args.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private record Outcome(int code, String out, String err)
    {
        String describe()
        {
            return "exit code " + code + "; stdout: " + out + "; stderr: " + err;
        }
    }

    /** An expired self-signed pair as cert.pem and key.pem in {@code dir}. */
    private static void writeExpired(final Path dir) throws Exception
    {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        final KeyPair keys = generator.generateKeyPair();
        final X500Name subject = new X500Name("CN=localhost");
        final X509Certificate expired = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
            subject, new BigInteger(64, new SecureRandom()), Date.from(Instant.now().minus(Duration.ofDays(30))),
            Date.from(Instant.now().minus(Duration.ofDays(1))), subject, keys.getPublic())
            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("cert.pem"), Pem.write(expired), StandardCharsets.US_ASCII);
        Files.writeString(dir.resolve("key.pem"), Pem.write(new JcaPKCS8Generator(keys.getPrivate(), null)),
            StandardCharsets.US_ASCII);
    }

    private static void openssl(final Path dir, final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "openssl ended");
        assertEquals(0, process.exitValue(), String.join(" ", command) + ": " + output);
    }

    private static boolean opensslAvailable()
    {
        try
        {
            final Process process = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
            process.getInputStream().readAllBytes();
            return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0;
        }
        catch (final IOException ex)
        {
            return false;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
