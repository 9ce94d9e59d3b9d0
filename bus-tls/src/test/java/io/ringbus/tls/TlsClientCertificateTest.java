package io.ringbus.tls;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.CloseReason;
import io.ringbus.core.transport.TransportPermutation;
import io.ringbus.core.transport.TransportPermutations;
import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;

import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Mutual TLS on the tls transport (issue 13, point 2): a listener whose TlsSettings name client
 * certificate authorities requires a client certificate chained to them. Real peers: the JDK's
 * SSLSocket with a certificate, without one and with one from another CA; {@code openssl s_client}
 * with and without {@code -cert/-key}; the SDK's BusClient presenting one. The client's subject and
 * names reach ClientConnMeta before its first request. For every tls permutation (both backends,
 * both JSSE providers on the bus).
 */
@ParameterizedClass(name = "{0}")
@MethodSource("permutations")
public class TlsClientCertificateTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final TestPki SERVER_CA = TestPki.ca("Ringbus Test Server CA");
    private static final TestPki CLIENT_CA = TestPki.ca("Ringbus Test Client CA");
    private static final TestPki OTHER_CA = TestPki.ca("Some Other CA");
    private static final TestPki.Issued SERVER = SERVER_CA.issueServer("CN=localhost");
    private static final TestPki.Issued CLIENT = CLIENT_CA.issue("O=Ringbus Test,CN=client-7", // DER order; RFC 2253 prints it reversed
        new GeneralName(GeneralName.dNSName, "client-7.example"), new GeneralName(GeneralName.iPAddress, "10.0.0.7"),
        new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://ringbus/client-7"),
        new GeneralName(GeneralName.rfc822Name, "c7@example.com"));
    private static final TestPki.Issued STRANGER = OTHER_CA.issue("CN=stranger",
        new GeneralName(GeneralName.dNSName, "stranger.example"));
    private static final List<String> CLIENT_NAMES = List.of("DNS:client-7.example", "IP:10.0.0.7",
        "URI:spiffe://ringbus/client-7", "email:c7@example.com");
    private static final boolean OPENSSL = opensslAvailable();

    private final TransportPermutation permutation;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final TlsSpecificTest.Recorder handler = new TlsSpecificTest.Recorder();
    private MessageBus bus;
    private InetSocketAddress address;

    TlsClientCertificateTest(final TransportPermutation permutation)
    {
        this.permutation = permutation;
    }

    static Stream<TransportPermutation> permutations()
    {
        return TransportPermutations.of(TransportPermutation.Scheme.TLS);
    }

    @BeforeEach
    void start()
    {
        permutation.assumeRunnable();
        final TlsSettings server = SERVER.settings().clientCertificateAuthorities(CLIENT_CA.certificate())
            .provider(TlsTransportTest.provider(permutation)).build();
        bus = MessageBus.start(permutation.configure(BusConfig.builder().shards(1)).transportSettings("tls", server)
            .build(), handler);
        address = bus.listen(URI.create("tls://127.0.0.1:0"));
    }

    @AfterEach
    void tearDown() throws Exception
    {
        Collections.reverse(toClose);
        for (final AutoCloseable closeable : toClose)
        {
            closeable.close();
        }
        if (bus != null)
        {
            bus.close();
            assertEquals(0, bus.stats().openConnections(), "every connection closed");
            if (bus.pool().isLeakDetectionEnabled())
            {
                bus.pool().assertNoLeaks();
            }
        }
    }

    @Test
    void jdkClientWithACertificateOfTheClientCaIsServedAndNamedInTheMeta() throws Exception
    {
        final SSLSocket socket = jdkSocket(CLIENT);
        socket.startHandshake();
        final byte[] request = TestFrames.frame(Command.REQUEST, 100, 31);
        socket.getOutputStream().write(request);
        final byte[] reply = socket.getInputStream().readNBytes(request.length);
        assertEquals(request.length, reply.length);
        assertEquals(Command.REPLY.code(), reply[FrameHeader.COMMAND_OFFSET]);
        final ClientConnMeta meta = handler.awaitRequestMeta();
        assertEquals("CN=client-7,O=Ringbus Test", meta.peerSubject(), meta.toString());
        assertEquals(CLIENT_NAMES, meta.peerNames(), meta.toString());
    }

    @Test
    void jdkClientWithoutACertificateIsRefusedAndLogged() throws Exception
    {
        final LogCapture log = LogCapture.start();
        final long heldBefore = TlsCarrier.LOG_LIMITER.held("tls_client_certificate");
        final ClientConnMeta meta;
        try
        {
            assertRefused(jdkSocket(null));
            meta = handler.awaitClose();
        }
        finally
        {
            log.stop();
        }
        assertEquals(CloseReason.PROTOCOL_ERROR, meta.closeReason(), meta.closeDetail());
        assertTrue(meta.closeDetail().startsWith("TLS handshake failed"), meta.closeDetail());
        assertEquals(0, handler.requests.get(), "nothing reached the application");
        assertNull(meta.peerSubject());
        // Logged through the limiter: a line, or (another test's line within the interval) one held back.
        assertTrue(log.contains("client certificate is required") ||
            TlsCarrier.LOG_LIMITER.held("tls_client_certificate") > heldBefore, log.toString());
    }

    @Test
    void jdkClientWithACertificateOfAnotherCaIsRefused() throws Exception
    {
        assertRefused(jdkSocket(STRANGER));
        final ClientConnMeta meta = handler.awaitClose();
        assertEquals(CloseReason.PROTOCOL_ERROR, meta.closeReason(), meta.closeDetail());
        assertTrue(meta.closeDetail().startsWith("TLS handshake failed"), meta.closeDetail());
        assertEquals(0, handler.requests.get(), "nothing reached the application");
    }

    @Test
    void aRefusedClientDoesNotDisturbAnAcceptedOne() throws Exception
    {
        final SSLSocket good = jdkSocket(CLIENT);
        good.startHandshake();
        assertRefused(jdkSocket(null));
        handler.awaitClose();
        final byte[] request = TestFrames.frame(Command.REQUEST, 100, 32);
        good.getOutputStream().write(request);
        assertEquals(request.length, good.getInputStream().readNBytes(request.length).length);
    }

    @Test
    void busClientPresentsTheCertificateOfItsSettings() throws Exception
    {
        final TlsSettings settings = CLIENT.settings().trust(SERVER_CA.certificate())
            .provider(TlsTransportTest.provider(permutation)).build();
        try (BusClient client = BusClient.connect(URI.create("tls://localhost:" + address.getPort()),
            ClientOptions.defaults().withTransportSettings("tls", settings)))
        {
            final byte[] body = "mutual".getBytes(StandardCharsets.US_ASCII);
            assertArrayEquals(body, client.request(2, body, TIMEOUT).body());
        }
        final ClientConnMeta meta = handler.awaitRequestMeta();
        assertEquals("CN=client-7,O=Ringbus Test", meta.peerSubject());
        assertEquals(CLIENT_NAMES, meta.peerNames());
    }

    @Test
    void busClientWithoutACertificateFailsToConnectOrIsClosed() throws Exception
    {
        final TlsSettings settings = TlsSettings.builder().trust(SERVER_CA.certificate())
            .provider(TlsTransportTest.provider(permutation)).build();
        // TLS 1.3: the client's handshake ends before the server judges its (empty) certificate, so
        // the refusal shows as a failed connect or a failed first request.
        assertThrows(Exception.class, () ->
        {
            try (BusClient client = BusClient.connect(URI.create("tls://localhost:" + address.getPort()),
                ClientOptions.defaults().withTransportSettings("tls", settings)))
            {
                client.request(2, new byte[] {1}, TIMEOUT);
            }
        });
        final ClientConnMeta meta = handler.awaitClose();
        assertTrue(meta.closeDetail().startsWith("TLS handshake failed"), meta.closeDetail());
        assertEquals(0, handler.requests.get());
    }

    @Test
    void opensslSClientWithACertificateIsServedAndWithoutOneIsRefused(@TempDir final Path dir) throws Exception
    {
        assumeTrue(OPENSSL, "no openssl binary on the PATH");
        final Path[] client = CLIENT.writeTo(dir, "client");
        final byte[] request = TestFrames.frame(Command.REQUEST, 300, 33);
        final byte[] reply = sClient(dir, request, "-cert", client[0].toString(), "-key", client[1].toString());
        assertEquals(request.length, reply.length, "a reply to openssl s_client -cert/-key");
        assertEquals(Command.REPLY.code(), reply[FrameHeader.COMMAND_OFFSET]);
        assertEquals("CN=client-7,O=Ringbus Test", handler.awaitRequestMeta().peerSubject());

        final byte[] none = sClient(dir, request);
        assertEquals(0, none.length, "no reply without a client certificate");
        final ClientConnMeta meta = handler.awaitClose();
        assertEquals(CloseReason.PROTOCOL_ERROR, meta.closeReason(), meta.closeDetail());
        assertEquals(1, handler.requests.get(), "only the client with a certificate was served");
    }

    /** Run {@code openssl s_client} with {@code extra} flags, send {@code request}, return what came back until it ended. */
    private byte[] sClient(final Path dir, final byte[] request, final String... extra) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-tls1_3", "-connect",
            "127.0.0.1:" + address.getPort(), "-quiet"));
        command.addAll(List.of(extra));
        final Path stderr = Files.createTempFile(dir, "s_client", ".err");
        final Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        toClose.add(() -> destroy(process));
        final OutputStream stdin = process.getOutputStream();
        stdin.write(request);
        stdin.flush();
        final CompletableFuture<byte[]> reply = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                return process.getInputStream().readNBytes(request.length);
            }
            catch (final IOException ex)
            {
                return new byte[0];
            }
        });
        try
        {
            return reply.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final java.util.concurrent.TimeoutException ex)
        {
            throw new AssertionError("openssl s_client neither answered nor ended within " + TIMEOUT.toMillis() +
                " ms; stderr: " + Files.readString(stderr), ex);
        }
    }

    private SSLSocket jdkSocket(final TestPki.Issued client) throws IOException
    {
        final SSLSocket socket = (SSLSocket)TestPki.jdkClientContext(SERVER_CA.certificate(), client)
            .getSocketFactory().createSocket(address.getAddress(), address.getPort());
        toClose.add(socket);
        socket.setEnabledProtocols(new String[] {"TLSv1.3"});
        socket.setSoTimeout((int)TIMEOUT.toMillis());
        return socket;
    }

    /**
     * The server refuses: in TLS 1.3 the client may finish its side of the handshake first, so the
     * refusal (certificate_required, bad_certificate, unknown_ca) can surface on the handshake, the
     * write or the read; no reply ever comes.
     */
    private static void assertRefused(final SSLSocket socket)
    {
        assertThrows(IOException.class, () ->
        {
            socket.startHandshake();
            socket.getOutputStream().write(TestFrames.frame(Command.REQUEST, 100, 34));
            final InputStream in = socket.getInputStream();
            if (in.read() < 0)
            {
                throw new IOException("closed without a reply");
            }
        });
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

    private static void destroy(final Process process) throws InterruptedException
    {
        process.destroy();
        if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
        {
            process.destroyForcibly();
        }
    }

    /** Warnings of TlsCarrier's logger while it runs. */
    static final class LogCapture extends Handler
    {
        private final Logger logger = Logger.getLogger(TlsCarrier.class.getName());
        private final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();

        static LogCapture start()
        {
            final LogCapture capture = new LogCapture();
            capture.logger.addHandler(capture);
            return capture;
        }

        void stop()
        {
            logger.removeHandler(this);
        }

        boolean contains(final String text)
        {
            return lines.stream().anyMatch(line -> line.contains(text));
        }

        @Override
        public void publish(final LogRecord record)
        {
            if (record.getLevel().intValue() >= Level.WARNING.intValue())
            {
                lines.add(record.getMessage());
            }
        }

        @Override
        public void flush()
        {
        }

        @Override
        public void close()
        {
        }

        @Override
        public String toString()
        {
            return "warnings: " + lines;
        }
    }
}
