package io.ringbus.cli;

import io.ringbus.core.backend.IoBackendProvider;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.tls.Pem;
import io.ringbus.tls.SelfSignedCertificate;
import io.ringbus.tls.TlsSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArgumentParsingTest
{
    @TempDir
    Path temp;

    /** What one {@link Main#run} printed and returned. */
    private record Outcome(int code, String out, String err)
    {
    }

    private static Outcome run(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "[{index}] ringbus {0}")
    @CsvSource(delimiter = '|', value = {
        "''                                                    | usage: ringbus COMMAND",
        "frobnicate                                            | unknown command 'frobnicate'",
        "serve --bogus 1                                       | unknown flag --bogus",
        "serve --tcp                                           | flag --tcp needs a value",
        "serve --tcp localhost                                 | --tcp = localhost: must be HOST:PORT",
        "serve --tcp 127.0.0.1:70000                           | port must be within 0..65535",
        "serve --tcp ::1:7000                                  | write an IPv6 host in brackets",
        "serve --tcp 127.0.0.1:0 --shards abc                  | --shards = abc: not a whole number",
        "serve --tcp 127.0.0.1:0 --shards 0                    | --shards = 0: must be within 1..1024",
        "serve --tcp 127.0.0.1:0 --shards 2 --shards 3         | flag --shards given more than once",
        "serve --tcp 127.0.0.1:0 --max-message-size 100        | --max-message-size = 100: must be within 256..",
        "serve --tcp 127.0.0.1:0 --close-grace -5              | --close-grace = -5: must be within 1..",
        "serve --tcp 127.0.0.1:0 --backend fast                | --backend = fast: must be auto, nio or io_uring",
        "serve --tcp 127.0.0.1:0 --cluster -1                  | --cluster = -1: must be within 0..2^128-1",
        "serve --tcp 127.0.0.1:0 --cluster 340282366920938463463374607431768211456 | must be within 0..2^128-1",
        "serve --tcp 127.0.0.1:0 --cluster 12ab                | --cluster = 12ab: not a decimal number",
        "serve --ws                                            | flag --ws needs a value",
        "serve --wss                                           | flag --wss needs a value",
        "serve --ws localhost                                  | --ws = localhost: must be HOST:PORT",
        "serve --wss 127.0.0.1:70000                           | --wss = 127.0.0.1:70000: port must be within 0..65535",
        "serve --wss ::1:7000                                  | --wss = ::1:7000: write an IPv6 host in brackets",
        "serve --ws=                                           | --ws = : must be HOST:PORT",
        "serve --wss 127.0.0.1:0 --key a.pem                   | --cert and --key go together",
        "serve --wss 127.0.0.1:0 --cert /nonexistent/c.pem --key /nonexistent/k.pem | --cert = /nonexistent/c.pem: no such file",
        "serve --tcp 127.0.0.1:0 --cert a.pem                  | --cert and --key go together",
        "serve --tls 127.0.0.1:0 --key a.pem                   | --cert and --key go together",
        "serve --tls 127.0.0.1:0 --cert /nonexistent/c.pem --key /nonexistent/k.pem | --cert = /nonexistent/c.pem: no such file",
        "serve --tls 127.0.0.1:0 --cert /tmp --key /tmp        | --cert = /tmp: not a readable file",
        "serve --tcp 127.0.0.1:0 --backend IO-URING            | --backend = IO-URING: must be auto, nio or io_uring",
        "serve --tcp 127.0.0.1:0 --backend                     | flag --backend needs a value",
        "serve --tcp 127.0.0.1:0 --data-dir                    | flag --data-dir needs a value",
        "serve --replica-id 0                                  | --replica-id and --replicas go together",
        "serve --replicas 0=127.0.0.1:1,1=127.0.0.1:2          | --replica-id and --replicas go together",
        "serve --replica-id 0 --replicas 0=127.0.0.1:1,2=127.0.0.1:2 | ids must be exactly 0..1",
        "serve --replica-id 3 --replicas 0=127.0.0.1:1,1=127.0.0.1:2 | --replica-id = 3: not one of the --replicas ids",
        "serve --replica-id 0 --replicas 0=127.0.0.1:1,0=127.0.0.1:2 | replica 0 given twice",
        "serve --replica-id 0 --replicas 0:127.0.0.1:1         | must be ID=HOST:PORT",
        "serve                                                 | nothing to serve",
        "serve stray                                           | unexpected argument 'stray'",
        "load                                                  | give at least one URI",
        "load http://127.0.0.1:1                               | scheme must be one of tcp, tls, ws, wss, quic",
        "load tcp://127.0.0.1                                  | must be scheme://host:port",
        "load tcp://127.0.0.1:1 --window 0                     | --window = 0: must be within 1..256",
        "load tcp://127.0.0.1:1 --connections many             | --connections = many: not a whole number",
        "load tcp://127.0.0.1:1 --size -1                      | --size = -1: must be within 0..",
        "load tcp://127.0.0.1:1 --duration-ms 0                | --duration-ms = 0: must be within 1..",
        "load tls://127.0.0.1:1 --trust /nonexistent/ca.pem    | --trust = /nonexistent/ca.pem: no such file",
        "load tls://127.0.0.1:1 --trust /tmp                   | --trust = /tmp: not a readable file",
        "load tls://127.0.0.1:1 --trust ca.pem --insecure      | --trust and --insecure exclude each other",
        "load tcp://127.0.0.1:1 --insecure                     | --insecure is for tls://, wss:// and quic:// URIs; none was given",
        "load tcp://127.0.0.1:1 --trust ca.pem                 | --trust is for tls://, wss:// and quic:// URIs; none was given",
        "load ws://127.0.0.1:1 --insecure                      | --insecure is for tls://, wss:// and quic:// URIs; none was given",
        "load ws://127.0.0.1:1 --trust ca.pem                  | --trust is for tls://, wss:// and quic:// URIs; none was given",
        "load ws://127.0.0.1                                   | URI ws://127.0.0.1: must be scheme://host:port",
        "load wss:///path                                      | URI wss:///path: must be scheme://host:port",
        "load wss://127.0.0.1:1 --trust /nonexistent/ca.pem    | --trust = /nonexistent/ca.pem: no such file",
        "load wss://127.0.0.1:1 --trust ca.pem --insecure      | --trust and --insecure exclude each other",
        "load https://127.0.0.1:1                              | scheme must be one of tcp, tls, ws, wss, quic",
        "load tls://127.0.0.1:1 --insecure=yes                 | flag --insecure takes no value",
        "load tls://127.0.0.1:1 --trust                        | flag --trust needs a value",
        "demo --duration-ms soon                               | --duration-ms = soon: not a whole number",
        "demo --duration-ms 10                                 | --duration-ms = 10: must be within 2000..",
        "demo --connections 3                                  | unknown flag --connections",
    })
    void badCommandLinesExitWithTwoAndSayWhy(final String line, final String expected)
    {
        final String[] args = line.isBlank() ? new String[0] : line.trim().split("\\s+");
        final Outcome outcome = run(args);
        assertEquals(Main.EXIT_USAGE, outcome.code(), () -> "exit code of '" + line + "'; err: " + outcome.err());
        assertTrue(outcome.err().contains(expected), () -> "'" + line + "' should say '" + expected + "', said: " +
            outcome.err());
    }

    @Test
    void helpPrintsUsageAndSucceeds()
    {
        final Outcome top = run("--help");
        assertEquals(Main.EXIT_OK, top.code());
        assertTrue(top.out().contains("usage: ringbus COMMAND"));
        final Outcome serve = run("serve", "--help");
        assertEquals(Main.EXIT_OK, serve.code());
        assertTrue(serve.out().contains("--replica-id I --replicas 0=HOST:PORT,1=HOST:PORT,..."));
        assertTrue(run("load", "-h").out().contains("usage: ringbus load URI..."));
    }

    @Test
    void serveOptionsCarryEveryFlag() throws Exception
    {
        final Path pki = temp.resolve("pki");
        final Path cert = SelfSignedCertificate.generate().writeTo(pki);
        final Path key = pki.resolve("key.pem");
        final ServeOptions options = ServeOptions.parse(List.of(
            "--tcp", "127.0.0.1:7001", "--ws=[::1]:7002", "--tcp", "0.0.0.0:0", "--tls", "127.0.0.1:7003",
            "--cert", cert.toString(), "--key", key.toString(), "--data-dir", temp.resolve("data").toString(),
            "--max-message-size", "1048576", "--close-grace", "250", "--shards", "3", "--backend", "nio",
            "--cluster", "18446744073709551621", // 2^64 + 5
            "--replica-id", "1", "--replicas", "0=127.0.0.1:8001,1=127.0.0.1:8002,2=localhost:8003"));
        assertEquals(List.of(URI.create("tcp://127.0.0.1:7001"), URI.create("ws://[::1]:7002"),
            URI.create("tcp://0.0.0.0:0"), URI.create("tls://127.0.0.1:7003")), options.listeners());
        assertEquals(cert, options.cert());
        assertEquals(key, options.key());
        assertEquals(temp.resolve("data"), options.dataDir());
        assertTrue(options.needsCertificate());
        assertEquals(1_048_576, options.maxMessageSize());
        assertEquals(Duration.ofMillis(250), options.closeGrace());
        assertEquals(3, options.shards());
        assertEquals(Backend.NIO, options.backend());
        assertEquals(1, options.clusterHi());
        assertEquals(5, options.clusterLo());
        assertEquals(1, options.replicaId());
        assertEquals(3, options.replicas().size());
        assertEquals(new InetSocketAddress("localhost", 8003), options.replicas().get(2));

        final BusConfig config = options.config();
        assertEquals(1, config.replicaId());
        assertEquals(1, config.clusterHi());
        assertEquals(5, config.clusterLo());
        assertEquals(Duration.ofMillis(250), config.closeGrace());
        assertEquals(Backend.NIO, config.backend());
        assertEquals(3, config.shards());
    }

    @Test
    void serveDefaultsFollowTheDesign() throws UsageException
    {
        final ServeOptions options = ServeOptions.parse(List.of("--tcp", "127.0.0.1:0"));
        assertEquals(BusConfig.DEFAULT_MAX_MESSAGE_SIZE, options.maxMessageSize());
        assertEquals(BusConfig.DEFAULT_CLOSE_GRACE, options.closeGrace());
        assertEquals(Runtime.getRuntime().availableProcessors(), options.shards());
        assertEquals(Backend.AUTO, options.backend());
        assertEquals(0, options.clusterHi());
        assertEquals(0, options.clusterLo());
        assertEquals(BusConfig.NO_REPLICA, options.replicaId());
        assertTrue(options.replicas().isEmpty());
        assertNull(options.cert());
        assertEquals(ServeOptions.DEFAULT_DATA_DIR, options.dataDir());
        assertFalse(options.needsCertificate());
        assertTrue(ServeOptions.parse(List.of("--tls", "127.0.0.1:0")).needsCertificate());
    }

    @Test
    void serveRejectsCertificateFilesItCannotUse() throws Exception
    {
        final Path one = SelfSignedCertificate.generate().writeTo(temp.resolve("one"));
        final Path other = SelfSignedCertificate.generate().writeTo(temp.resolve("other"));
        final Path garbage = Files.writeString(temp.resolve("garbage.pem"), "not a certificate\n");
        final String key = temp.resolve("one").resolve("key.pem").toString();

        final Outcome noTlsListener = run("serve", "--tcp", "127.0.0.1:0", "--cert", one.toString(), "--key", key);
        assertEquals(Main.EXIT_USAGE, noTlsListener.code(), noTlsListener.err());
        assertTrue(noTlsListener.err().contains("--cert and --key are for a TLS listener (--tls, --wss or --quic HOST:PORT)"),
            noTlsListener.err());
        final Outcome wsOnly = run("serve", "--ws", "127.0.0.1:0", "--cert", one.toString(), "--key", key);
        assertEquals(Main.EXIT_USAGE, wsOnly.code(), wsOnly.err());
        assertTrue(wsOnly.err().contains("--cert and --key are for a TLS listener (--tls, --wss or --quic HOST:PORT)"),
            "ws is not TLS: " + wsOnly.err());

        final Outcome badCert = run("serve", "--tls", "127.0.0.1:0", "--cert", garbage.toString(), "--key", key);
        assertEquals(Main.EXIT_USAGE, badCert.code(), badCert.err());
        assertTrue(badCert.err().contains("--cert = " + garbage + ": cannot load a PEM certificate: " + garbage +
            ": no CERTIFICATE block found"), badCert.err());

        final Outcome badCertForWss = run("serve", "--wss", "127.0.0.1:0", "--cert", garbage.toString(), "--key", key);
        assertEquals(Main.EXIT_USAGE, badCertForWss.code(), badCertForWss.err());
        assertTrue(badCertForWss.err().contains("--cert = " + garbage + ": cannot load a PEM certificate"),
            badCertForWss.err());

        final Outcome badKey = run("serve", "--tls", "127.0.0.1:0", "--cert", one.toString(), "--key",
            garbage.toString());
        assertEquals(Main.EXIT_USAGE, badKey.code(), badKey.err());
        assertTrue(badKey.err().contains("--key = " + garbage + ": cannot load a PEM private key"), badKey.err());

        final Outcome mismatch = run("serve", "--tls", "127.0.0.1:0", "--cert", other.toString(), "--key", key);
        assertEquals(Main.EXIT_USAGE, mismatch.code(), mismatch.err());
        assertTrue(mismatch.err().contains("--key = " + key + " does not belong to the first certificate of --cert = " +
            other), mismatch.err());

        final Outcome fileAsDataDir = run("serve", "--tls", "127.0.0.1:0", "--data-dir", garbage.toString());
        assertEquals(Main.EXIT_USAGE, fileAsDataDir.code(), fileAsDataDir.err());
        assertTrue(fileAsDataDir.err().contains("--data-dir = " + garbage + ": not a directory"), fileAsDataDir.err());
    }

    @Test
    void serveCertificateLoadsAPemPairAndGeneratesIntoTheDataDir() throws Exception
    {
        final SelfSignedCertificate generated = SelfSignedCertificate.generate();
        final Path cert = generated.writeTo(temp.resolve("pki"));
        final ServeCertificate loaded = ServeCertificate.load(cert, temp.resolve("pki").resolve("key.pem"));
        assertEquals(generated.sha256Fingerprint(), loaded.fingerprint());
        assertTrue(loaded.settings().hasKeyMaterial());
        assertFalse(loaded.generated());
        assertEquals("tls certificate " + cert.toAbsolutePath() + " sha256 " + generated.sha256Fingerprint(),
            loaded.describe());

        final Path dataDir = temp.resolve("data").resolve("nested");
        final ServeCertificate first = ServeCertificate.generate(dataDir);
        final ServeCertificate second = ServeCertificate.generate(dataDir);
        assertTrue(second.generated());
        assertEquals(dataDir.resolve("cert.pem").toAbsolutePath(), second.path());
        assertFalse(first.fingerprint().equals(second.fingerprint()), "a new certificate per start");
        assertEquals(second.fingerprint(), SelfSignedCertificate.fingerprint(Pem.certificates(second.path()).get(0)));
        assertEquals(second.fingerprint(), ServeCertificate.load(second.path(), dataDir.resolve("key.pem"))
            .fingerprint(), "the written key belongs to the written certificate");
    }

    @Test
    void serveTakesWsAndWssListenersAndOnlyWssNeedsACertificate() throws Exception
    {
        final ServeOptions both = ServeOptions.parse(List.of("--wss", "127.0.0.1:7443", "--ws", "0.0.0.0:0",
            "--ws=[::1]:7080", "--wss=localhost:0"));
        assertEquals(List.of(URI.create("wss://127.0.0.1:7443"), URI.create("ws://0.0.0.0:0"),
            URI.create("ws://[::1]:7080"), URI.create("wss://localhost:0")), both.listeners(),
            "every --ws and --wss, in command-line order");
        assertTrue(both.needsCertificate(), "wss runs over TLS");
        assertNull(both.cert(), "no --cert: a self-signed certificate in the data dir");

        assertFalse(ServeOptions.parse(List.of("--ws", "127.0.0.1:0")).needsCertificate(), "ws is plain TCP");
        assertTrue(ServeOptions.parse(List.of("--ws", "127.0.0.1:0", "--wss", "127.0.0.1:0")).needsCertificate());

        final Path pki = temp.resolve("pki");
        final Path cert = SelfSignedCertificate.generate().writeTo(pki);
        final ServeOptions given = ServeOptions.parse(List.of("--wss", "127.0.0.1:0", "--cert", cert.toString(),
            "--key", pki.resolve("key.pem").toString()));
        assertEquals(cert, given.cert(), "--cert and --key serve a wss listener alone");
        assertEquals(pki.resolve("key.pem"), given.key());
    }

    @Test
    void loadTakesWsAndWssUrisWithTrustForWss() throws Exception
    {
        final SelfSignedCertificate certificate = SelfSignedCertificate.generate();
        final Path cert = certificate.writeTo(temp);
        final LoadGenerator.Settings plain = LoadCommand.parse(List.of("ws://127.0.0.1:7080/bus",
            "wss://localhost:7443"));
        assertEquals(List.of(URI.create("ws://127.0.0.1:7080/bus"), URI.create("wss://localhost:7443")),
            plain.targets(), "a ws path is kept for the upgrade request");
        assertTrue(plain.transportSettings().isEmpty(), "wss without --trust: the JDK's trust store");

        final LoadGenerator.Settings wssOnly = LoadCommand.parse(List.of("wss://127.0.0.1:7443", "--trust",
            cert.toString(), "ws://127.0.0.1:7080"));
        assertEquals(java.util.Set.of("wss"), wssOnly.transportSettings().keySet(), "trust for the TLS scheme used");
        final TlsSettings trust = (TlsSettings)wssOnly.transportSettings().get("wss");
        assertFalse(trust.isInsecure());
        assertTrue(trust.hostnameVerification());

        final LoadGenerator.Settings tlsAndWss = LoadCommand.parse(List.of("tls://127.0.0.1:7001",
            "wss://127.0.0.1:7443", "--trust", cert.toString()));
        assertEquals(java.util.Set.of("tls", "wss"), tlsAndWss.transportSettings().keySet());
        assertEquals(tlsAndWss.transportSettings().get("tls"), tlsAndWss.transportSettings().get("wss"),
            "one --trust for both");

        final LoadGenerator.Settings insecure = LoadCommand.parse(List.of("--insecure", "wss://127.0.0.1:7443"));
        assertTrue(((TlsSettings)insecure.transportSettings().get("wss")).isInsecure());
    }

    @Test
    void largestClusterIdIsAccepted() throws UsageException
    {
        final ServeOptions options = ServeOptions.parse(List.of("--tcp", "127.0.0.1:0",
            "--cluster", "340282366920938463463374607431768211455"));
        assertEquals(-1L, options.clusterHi());
        assertEquals(-1L, options.clusterLo());
    }

    @Test
    void loadSettingsCarryEveryFlag() throws UsageException
    {
        final LoadGenerator.Settings settings = LoadCommand.parse(List.of("tcp://127.0.0.1:7001",
            "--connections", "8", "tcp://127.0.0.1:7002", "--window=64", "--size", "0", "--duration-ms", "2500",
            "--cluster", "18446744073709551617")); // 2^64 + 1
        assertEquals(List.of(URI.create("tcp://127.0.0.1:7001"), URI.create("tcp://127.0.0.1:7002")),
            settings.targets());
        assertEquals(8, settings.connections());
        assertEquals(64, settings.window());
        assertEquals(0, settings.size());
        assertEquals(Duration.ofMillis(2500), settings.duration());
        assertEquals(Duration.ofMillis(500), settings.warmup());
        assertEquals(1, settings.clusterHi());
        assertEquals(1, settings.clusterLo());
        assertThrows(UsageException.class, () -> LoadCommand.parse(List.of("tcp://127.0.0.1:1", "--window", "257")));
        assertTrue(settings.transportSettings().isEmpty());
    }

    @Test
    void loadTakesTlsTrustFromAPemFileOrIsInsecure() throws Exception
    {
        final SelfSignedCertificate certificate = SelfSignedCertificate.generate();
        final Path cert = certificate.writeTo(temp);
        final LoadGenerator.Settings trusting = LoadCommand.parse(List.of("tls://127.0.0.1:7001", "--trust",
            cert.toString(), "tcp://127.0.0.1:7002"));
        final TlsSettings trust = (TlsSettings)trusting.transportSettings().get("tls");
        assertFalse(trust.isInsecure());
        assertTrue(trust.hostnameVerification());

        final LoadGenerator.Settings insecure = LoadCommand.parse(List.of("--insecure", "tls://127.0.0.1:7001"));
        assertTrue(((TlsSettings)insecure.transportSettings().get("tls")).isInsecure());
        assertEquals(List.of(URI.create("tls://127.0.0.1:7001")), insecure.targets(), "a switch takes no value");

        final Outcome garbage = run("load", "tls://127.0.0.1:1", "--trust",
            Files.writeString(temp.resolve("garbage.pem"), "junk\n").toString());
        assertEquals(Main.EXIT_USAGE, garbage.code(), garbage.err());
        assertTrue(garbage.err().contains("cannot load PEM certificates"), garbage.err());
    }

    @Test
    void thisBuildHasEveryTransportAndItsServicesAreFound()
    {
        assertTrue(Transports.isAvailable("tcp"));
        assertTrue(Transports.isAvailable("tls"), "bus-tls's TransportProvider");
        assertTrue(Transports.isAvailable("ws"), "bus-ws's ws TransportProvider");
        assertTrue(Transports.isAvailable("wss"), "bus-ws's wss TransportProvider");
        assertTrue(Transports.isAvailable("quic"), "bus-quic's TransportProvider");
        assertEquals("io_uring", IoBackendProvider.find("io_uring").name(), "bus-uring's IoBackendProvider");
    }

    @Test
    void aTransportThisBuildLacksIsNamedInTheError()
    {
        // Every scheme serve and load accept is in this build, so only a scheme no module provides shows it.
        assertFalse(Transports.isAvailable("sctp"));
        final TransportUnavailableException missing =
            assertThrows(TransportUnavailableException.class, () -> Transports.require("sctp"));
        assertEquals("sctp", missing.scheme());
        assertEquals("transport sctp is not available in this build", missing.getMessage());
    }

    @Test
    void demoTableListsEveryTransport()
    {
        final String table = DemoCommand.table(java.util.Map.of(),
            java.util.Map.of("tcp", DemoCommand.NOT_AVAILABLE, "quic", DemoCommand.NOT_AVAILABLE));
        final String[] lines = table.split("\n");
        assertEquals(4, lines.length, table);
        assertTrue(lines[0].startsWith("| transport | "), table);
        assertTrue(lines[0].contains("| p99.9 µs |"), table);
        assertTrue(lines[2].startsWith("| tcp "), table);
        assertTrue(lines[3].startsWith("| quic ") && lines[3].contains(DemoCommand.NOT_AVAILABLE), table);
    }
}
