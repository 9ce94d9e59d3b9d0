package io.ringbus.tls;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameCodec;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.Await;
import io.ringbus.core.transport.CloseReason;
import io.ringbus.core.transport.TransportPermutation;
import io.ringbus.core.transport.TransportPermutations;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What only the tls transport has to show, beyond the shared suite: foreign clients (the JDK's
 * SSLSocket, {@code openssl s_client}), refusals (TLS 1.2, plaintext, a stalled handshake), the
 * close sequence as seen on the wire (close_notify before FIN, truncation), record boundaries,
 * the connection's TLS details, certificates and hostname checks. Run for every tls combination of
 * {@link TransportPermutations}: each backend, with the JDK's provider and with BouncyCastle JSSE on
 * the bus (and the SDK client). close_notify on the bus's own close is {@link TlsCloseNotifyTest}'s.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("permutations")
public class TlsSpecificTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final SelfSignedCertificate CERTIFICATE = SelfSignedCertificate.generate();
    private static final String[] TLS13 = {"TLSv1.3"};
    private static final boolean OPENSSL = opensslAvailable();

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<MessageBus> buses = new ArrayList<>();
    private final Recorder handler = new Recorder();
    private MessageBus bus;
    private InetSocketAddress address;

    private final TransportPermutation permutation;

    TlsSpecificTest(final TransportPermutation permutation)
    {
        this.permutation = permutation;
    }

    static Stream<TransportPermutation> permutations()
    {
        return TransportPermutations.of(TransportPermutation.Scheme.TLS);
    }

    @BeforeEach
    void assumeRunnable()
    {
        permutation.assumeRunnable();
    }

    /** The provider the bus (and the SDK client) run on. */
    private TlsProvider provider()
    {
        return TlsTransportTest.provider(permutation);
    }

    @AfterEach
    void tearDown() throws Exception
    {
        Collections.reverse(toClose);
        for (final AutoCloseable closeable : toClose)
        {
            closeable.close();
        }
        for (final MessageBus started : buses)
        {
            started.close();
            assertEquals(0, started.stats().openConnections(), "every connection closed");
            if (started.pool().isLeakDetectionEnabled())
            {
                started.pool().assertNoLeaks();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Foreign clients

    @Test
    void jdkSslSocketClientGetsItsReplyByteForByte() throws Exception
    {
        startBus(BusConfig.builder().shards(1));
        final SSLSocket socket = jdkSocket();
        final byte[] request = TestFrames.frame(Command.REQUEST, 1000, 11);
        socket.getOutputStream().write(request);
        assertArrayEquals(expectedReply(request), readExactly(socket.getInputStream(), request.length));
        final ClientConnMeta meta = handler.awaitRequestMeta();
        assertEquals("TLSv1.3", meta.detail("tls.protocol"));
        assertNull(meta.detail("tls.sni"), "the JDK sends no SNI to an IP address: " + meta);
    }

    @Test
    void opensslSClientGetsItsReply(@TempDir final Path dir) throws Exception
    {
        assumeTrue(OPENSSL, "no openssl binary on the PATH");
        startBus(BusConfig.builder().shards(1));
        final Path stderr = dir.resolve("s_client.err");
        final Process process = new ProcessBuilder("openssl", "s_client", "-tls1_3", "-connect",
            "127.0.0.1:" + address.getPort(), "-quiet")
            .redirectError(stderr.toFile())
            .start();
        toClose.add(() -> destroy(process));
        final byte[] request = TestFrames.frame(Command.REQUEST, 5000, 12);
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
                throw new IllegalStateException(ex);
            }
        });
        final byte[] received;
        try
        {
            received = reply.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final java.util.concurrent.TimeoutException ex)
        {
            throw new AssertionError("no reply from openssl s_client within " + TIMEOUT.toMillis() + " ms; stderr: " +
                Files.readString(stderr), ex);
        }
        assertEquals(request.length, received.length, "reply length; stderr: " + Files.readString(stderr));
        assertEquals(Command.REPLY.code(), received[FrameHeader.COMMAND_OFFSET]);
        assertArrayEquals(Arrays.copyOfRange(request, FrameHeader.HEADER_SIZE, request.length),
            Arrays.copyOfRange(received, FrameHeader.HEADER_SIZE, received.length), "reply body");
        assertArrayEquals(expectedReply(request), received, "the whole reply");
        assertEquals("TLSv1.3", handler.awaitRequestMeta().detail("tls.protocol"));
    }

    // ---------------------------------------------------------------------------------------------
    // Refusals

    @Test
    void tls12OnlyClientIsRefused() throws Exception
    {
        startBus(BusConfig.builder().shards(1));
        final SSLContext context = SSLContext.getInstance("TLSv1.2");
        context.init(null, trustOnly(CERTIFICATE.certificate()), null);
        final SSLSocket socket = (SSLSocket)context.getSocketFactory().createSocket(address.getAddress(),
            address.getPort());
        toClose.add(socket);
        socket.setEnabledProtocols(new String[] {"TLSv1.2"});
        socket.setSoTimeout((int)TIMEOUT.toMillis());
        final SSLException refused = assertThrows(SSLException.class, socket::startHandshake,
            "a TLS 1.2 handshake fails");
        assertTrue(String.valueOf(refused.getMessage()).contains("protocol_version"),
            "the bus answers with a protocol_version alert: " + refused);
        final ClientConnMeta meta = handler.awaitClose();
        assertEquals(CloseReason.PROTOCOL_ERROR, meta.closeReason(), meta.closeDetail());
        assertTrue(meta.closeDetail() != null && meta.closeDetail().startsWith("TLS handshake failed"),
            meta.closeDetail());
        assertEquals(0, handler.requests.get());
    }

    @Test
    void opensslSClientLimitedToTls12GetsAProtocolVersionAlert() throws Exception
    {
        assumeTrue(OPENSSL, "no openssl binary on the PATH");
        startBus(BusConfig.builder().shards(1));
        final Process process = new ProcessBuilder("openssl", "s_client", "-tls1_2", "-connect",
            "127.0.0.1:" + address.getPort()).redirectErrorStream(true).start();
        toClose.add(() -> destroy(process));
        process.getOutputStream().close();
        final CompletableFuture<String> output = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            }
            catch (final IOException ex)
            {
                return "<output failed: " + ex + ">";
            }
        });
        assertTrue(process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "openssl s_client -tls1_2 ended");
        final String text = output.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertTrue(process.exitValue() != 0, text);
        // RFC 8446 D.2 / 6.2: alert 70, protocol_version; OpenSSL prints "alert protocol version ... alert number 70".
        assertTrue(text.contains("alert protocol version") && text.contains("alert number 70"), text);
        final ClientConnMeta meta = handler.awaitClose();
        assertEquals(CloseReason.PROTOCOL_ERROR, meta.closeReason(), meta.closeDetail());
        assertEquals(0, handler.requests.get());
    }

    @Test
    void plaintextToTheTlsPortIsClosedWithAReasonNamingTls() throws Exception
    {
        startBus(BusConfig.builder().shards(1));
        final Socket socket = plainSocket();
        socket.getOutputStream().write(TestFrames.frame(Command.REQUEST, 100, 13));
        readUntilClosed(socket);
        final ClientConnMeta meta = handler.awaitClose();
        assertEquals(CloseReason.PROTOCOL_ERROR, meta.closeReason(), meta.closeDetail());
        assertTrue(meta.closeDetail() != null && meta.closeDetail().contains("TLS"), meta.closeDetail());
        assertEquals(0, handler.requests.get(), "nothing reached the application");
    }

    @Test
    void silentClientIsClosedAtHandshakeGrace() throws Exception
    {
        startBus(BusConfig.builder().shards(1).handshakeGrace(Duration.ofMillis(300)));
        final Socket socket = plainSocket();
        readUntilClosed(socket);
        final ClientConnMeta meta = handler.awaitClose();
        assertEquals(CloseReason.HANDSHAKE_TIMEOUT, meta.closeReason(), meta.closeDetail());
        assertTrue(meta.closeDetail().contains("handshake_grace"), meta.closeDetail());
    }

    @Test
    void clientStoppingMidClientHelloIsClosedAtHandshakeGrace() throws Exception
    {
        startBus(BusConfig.builder().shards(1).handshakeGrace(Duration.ofMillis(300)));
        final byte[] clientHello = clientHello();
        assertTrue(clientHello.length > 100, "a whole ClientHello: " + clientHello.length + " bytes");
        final Socket socket = plainSocket();
        socket.getOutputStream().write(clientHello, 0, 40);
        readUntilClosed(socket);
        final ClientConnMeta meta = handler.awaitClose();
        assertEquals(CloseReason.HANDSHAKE_TIMEOUT, meta.closeReason(), meta.closeDetail());
    }

    // ---------------------------------------------------------------------------------------------
    // Close

    @Test
    void endOfStreamWithoutCloseNotifyIsRecordedAsTruncation() throws Exception
    {
        startBus(BusConfig.builder().shards(1));
        final Socket plain = plainSocket();
        final SSLSocket tls = (SSLSocket)TlsTransportTest.jdkClientContext(CERTIFICATE.certificate()).getSocketFactory()
            .createSocket(plain, "127.0.0.1", address.getPort(), false);
        tls.setEnabledProtocols(TLS13);
        tls.startHandshake();
        final byte[] request = TestFrames.frame(Command.REQUEST, 200, 17);
        tls.getOutputStream().write(request);
        assertArrayEquals(expectedReply(request), readExactly(tls.getInputStream(), request.length));
        // FIN below TLS: no close_notify was sent (the TLS socket is never closed).
        plain.shutdownOutput();
        readUntilClosed(plain);
        final ClientConnMeta meta = handler.awaitClose();
        assertEquals(CloseReason.PEER_CLOSED, meta.closeReason(), meta.closeDetail());
        assertTrue(meta.closeDetail() != null && meta.closeDetail().contains("truncation"), meta.closeDetail());
    }

    @Test
    void bytesAfterThePeersCloseNotifyAreIgnoredAndItsFinStillSeen() throws Exception
    {
        // A close_grace beyond the wait below: the close must complete on the peer's FIN, not at the
        // grace. On NIO, because there a read into a full buffer returns 0 and waits again (the
        // io_uring backend reports such a read as EOF, which would hide the bug this guards against).
        assumeTrue(permutation.backend() == Backend.NIO, "guards a NIO-only read behaviour");
        startBus(BusConfig.builder().shards(1).closeGrace(Duration.ofSeconds(20)));
        final TlsWireObserver client = engineClient();
        final byte[] request = TestFrames.frame(Command.REQUEST, 200, 25);
        client.write(request);
        assertArrayEquals(expectedReply(request), client.read(request.length));
        client.sendCloseNotify();
        final byte[] junk = new byte[64 * 1024];
        new Random(3).nextBytes(junk);
        for (int i = 0; i < 40; i++)
        {
            client.writeRaw(junk); // 2.5 MiB that RFC 8446 6.1 says to ignore
        }
        client.finWithoutCloseNotify();
        final TlsWireObserver.Ending ending = client.readToEndOfStream();
        assertTrue(ending.closeNotify, "the bus answered with close_notify: " + ending);
        final ClientConnMeta meta = handler.awaitClose();
        assertEquals(CloseReason.PEER_CLOSED, meta.closeReason(), meta.closeDetail());
        assertTrue(meta.closeDetail().contains("close_notify"), meta.closeDetail());
    }

    @Test
    void closeNotifyThenFinIsAnOrderlyCloseNotATruncation() throws Exception
    {
        startBus(BusConfig.builder().shards(1));
        final SSLSocket socket = jdkSocket();
        final byte[] request = TestFrames.frame(Command.REQUEST, 200, 18);
        socket.getOutputStream().write(request);
        assertArrayEquals(expectedReply(request), readExactly(socket.getInputStream(), request.length));
        socket.close();
        final ClientConnMeta meta = handler.awaitClose();
        assertEquals(CloseReason.PEER_CLOSED, meta.closeReason(), meta.closeDetail());
        assertTrue(meta.closeDetail() != null && meta.closeDetail().contains("close_notify") &&
            !meta.closeDetail().contains("truncation"), meta.closeDetail());
    }

    // ---------------------------------------------------------------------------------------------
    // Records

    @Test
    void frameOfSeveralRecordsInOneWriteGetsItsReply() throws Exception
    {
        startBus(BusConfig.builder().shards(1));
        final SSLSocket socket = jdkSocket();
        final byte[] request = TestFrames.frame(Command.REQUEST, 100 * 1024, 19);
        socket.getOutputStream().write(request);
        assertArrayEquals(expectedReply(request), readExactly(socket.getInputStream(), request.length));
    }

    @Test
    void frameWrittenOneByteARecordGetsItsReply() throws Exception
    {
        startBus(BusConfig.builder().shards(1));
        final SSLSocket socket = jdkSocket();
        final byte[] request = TestFrames.frame(Command.REQUEST, 300, 20);
        final OutputStream out = socket.getOutputStream();
        for (final byte b : request)
        {
            out.write(b); // one SSLSocket write, one record
        }
        out.flush();
        assertArrayEquals(expectedReply(request), readExactly(socket.getInputStream(), request.length));
        // And a second frame right behind it, still one byte a record, on the same connection.
        final byte[] second = TestFrames.frame(Command.REQUEST, 0, 21);
        for (final byte b : second)
        {
            out.write(b);
        }
        assertArrayEquals(expectedReply(second), readExactly(socket.getInputStream(), second.length));
    }

    @Test
    void maxMessageSizeNotAMultipleOfTheRecordSizeIsEnforcedExactly() throws Exception
    {
        final int max = 3 * 16 * 1024 + 1000 + 7; // ends 1007 bytes into a fourth record
        startBus(BusConfig.builder().shards(1).maxMessageSize(max));
        final BusClient client = busClient("127.0.0.1", CERTIFICATE.clientSettings().provider(provider()).build());
        final byte[] atLimit = new byte[max - FrameHeader.HEADER_SIZE];
        new Random(2).nextBytes(atLimit);
        assertArrayEquals(atLimit, client.request(1, atLimit, TIMEOUT).body());

        final SSLSocket socket = jdkSocket();
        final byte[] atLimitRaw = TestFrames.frame(Command.REQUEST, max - FrameHeader.HEADER_SIZE, 22);
        socket.getOutputStream().write(atLimitRaw);
        assertArrayEquals(expectedReply(atLimitRaw), readExactly(socket.getInputStream(), atLimitRaw.length));
        socket.getOutputStream().write(TestFrames.frame(Command.REQUEST, max - FrameHeader.HEADER_SIZE + 1, 23));
        readUntilClosed(socket);
        final ClientConnMeta meta = handler.awaitClose();
        assertEquals(CloseReason.PROTOCOL_ERROR, meta.closeReason(), meta.closeDetail());
        assertTrue(meta.closeDetail().contains("SIZE_TOO_LARGE") && meta.closeDetail().contains("size = " + (max + 1)),
            meta.closeDetail());
        assertEquals(1, handler.closed.size(), "only the raw peer closed");
        assertTrue(client.isConnected(), "the SDK client is still connected");
    }

    // ---------------------------------------------------------------------------------------------
    // ClientConnMeta

    @Test
    void clientMetaCarriesProtocolCipherSuiteAndSni() throws Exception
    {
        startBus(BusConfig.builder().shards(1));
        final TlsSettings settings = CERTIFICATE.clientSettings().provider(provider()).build();
        busClient("localhost", settings).request(1, new byte[] {1}, TIMEOUT);
        final ClientConnMeta byName = handler.awaitRequestMeta();
        assertEquals("tls", byName.transport());
        assertEquals("TLSv1.3", byName.detail("tls.protocol"), byName.toString());
        final String suite = byName.detail("tls.cipher_suite");
        assertTrue(suite != null && suite.startsWith("TLS_") && !suite.contains("_WITH_"),
            "a TLS 1.3 cipher suite: " + byName);
        assertEquals("localhost", byName.detail("tls.sni"), byName.toString());
        assertNull(byName.detail("tls.alpn"), "no ALPN is negotiated");

        busClient("127.0.0.1", settings).request(1, new byte[] {2}, TIMEOUT);
        final ClientConnMeta byAddress = handler.awaitRequestMeta();
        assertEquals("TLSv1.3", byAddress.detail("tls.protocol"));
        assertNull(byAddress.detail("tls.sni"), "no SNI for an IP address: " + byAddress);
    }

    // ---------------------------------------------------------------------------------------------
    // Certificates

    @Test
    void pemRoundTripsRsaKeysInPkcs1AndPkcs8(@TempDir final Path dir) throws Exception
    {
        final KeyPair keys = rsaKeys();
        final String pkcs1 = Pem.write(keys.getPrivate());
        assertTrue(pkcs1.startsWith("-----BEGIN RSA PRIVATE KEY-----"), pkcs1);
        final String pkcs8 = Pem.write(new JcaPKCS8Generator(keys.getPrivate(), null));
        assertTrue(pkcs8.startsWith("-----BEGIN PRIVATE KEY-----"), pkcs8);
        for (final String pem : new String[] {pkcs1, pkcs8})
        {
            final PrivateKey read = Pem.privateKey(pem, "test");
            assertTrue(read instanceof RSAPrivateKey, read.getClass().getName());
            assertEquals(((RSAPrivateKey)keys.getPrivate()).getModulus(), ((RSAPrivateKey)read).getModulus());
            assertEquals(((RSAPrivateKey)keys.getPrivate()).getPrivateExponent(),
                ((RSAPrivateKey)read).getPrivateExponent());
            assertSignsFor(keys.getPublic(), read, "SHA256withRSA");
            assertOpensslReadsKey(dir, pem);
        }
    }

    @Test
    void pemRoundTripsEcKeysInSec1AndPkcs8(@TempDir final Path dir) throws Exception
    {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        final KeyPair keys = generator.generateKeyPair();
        final String sec1 = Pem.write(keys.getPrivate());
        assertTrue(sec1.startsWith("-----BEGIN EC PRIVATE KEY-----"), sec1);
        final String pkcs8 = Pem.write(new JcaPKCS8Generator(keys.getPrivate(), null));
        assertTrue(pkcs8.startsWith("-----BEGIN PRIVATE KEY-----"), pkcs8);
        for (final String pem : new String[] {sec1, pkcs8})
        {
            final PrivateKey read = Pem.privateKey(pem, "test");
            assertTrue(read instanceof ECPrivateKey, read.getClass().getName());
            assertEquals(((ECPrivateKey)keys.getPrivate()).getS(), ((ECPrivateKey)read).getS());
            assertSignsFor(keys.getPublic(), read, "SHA256withECDSA");
            assertOpensslReadsKey(dir, pem);
        }
    }

    @Test
    void pemRoundTripsEd25519KeysInPkcs8AndCertificates(@TempDir final Path dir) throws Exception
    {
        final KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        final String pkcs8 = Pem.write(new JcaPKCS8Generator(keys.getPrivate(), null));
        assertTrue(pkcs8.startsWith("-----BEGIN PRIVATE KEY-----"), pkcs8);
        final PrivateKey read = Pem.privateKey(pkcs8, "test");
        assertTrue(read.getAlgorithm().equals("Ed25519") || read.getAlgorithm().equals("EdDSA"), read.getAlgorithm());
        assertSignsFor(keys.getPublic(), read, "Ed25519");
        assertOpensslReadsKey(dir, pkcs8);

        final X509Certificate certificate = certificate(keys, "Ed25519", "localhost");
        final X509Certificate other = CERTIFICATE.certificate();
        final List<X509Certificate> chain = Pem.certificates(Pem.write(certificate, other), "test");
        assertEquals(List.of(certificate, other), chain, "a chain keeps its order");
        final IOException none = assertThrows(IOException.class, () -> Pem.privateKey(Pem.write(other), "cert.pem"));
        assertTrue(none.getMessage().startsWith("cert.pem"), none.getMessage());
    }

    @Test
    void busHandshakeAndRequestWithAnRsaCertificate(@TempDir final Path dir) throws Exception
    {
        final KeyPair keys = rsaKeys();
        final Path cert = dir.resolve("rsa.pem");
        final Path key = dir.resolve("rsa.key");
        Files.writeString(cert, Pem.write(certificate(keys, "SHA256withRSA", "localhost")), StandardCharsets.US_ASCII);
        Files.writeString(key, Pem.write(keys.getPrivate()), StandardCharsets.US_ASCII); // PKCS#1
        requestAndReplyWith(TlsSettings.builder().pem(cert, key).provider(provider()).build(),
            TlsSettings.builder().trustPem(cert).provider(provider()).build());
    }

    @Test
    void busHandshakeAndRequestWithAnEd25519Certificate(@TempDir final Path dir) throws Exception
    {
        final KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        final Path cert = dir.resolve("ed25519.pem");
        final Path key = dir.resolve("ed25519.key");
        Files.writeString(cert, Pem.write(certificate(keys, "Ed25519", "localhost")), StandardCharsets.US_ASCII);
        Files.writeString(key, Pem.write(new JcaPKCS8Generator(keys.getPrivate(), null)), StandardCharsets.US_ASCII);
        requestAndReplyWith(TlsSettings.builder().pem(cert, key).provider(provider()).build(),
            TlsSettings.builder().trustPem(cert).provider(provider()).build());
    }

    @Test
    void serverCertificateForAnotherNameFailsTheHostnameCheck() throws Exception
    {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        final KeyPair keys = generator.generateKeyPair();
        final X509Certificate other = certificateFor(keys, "SHA256withECDSA",
            new GeneralName(GeneralName.dNSName, "example.invalid"));
        startBus(BusConfig.builder().shards(1), TlsSettings.builder()
            .keyMaterial(new X509Certificate[] {other}, keys.getPrivate()).provider(provider()).build());
        final IOException refused = assertThrows(IOException.class, () -> busClient("localhost",
            TlsSettings.builder().trust(other).provider(provider()).build()));
        final String message = String.valueOf(refused.getMessage()).toLowerCase();
        assertTrue(message.contains("certificate") || message.contains("name"),
            "the failure names the certificate or name: " + refused.getMessage());
        assertEquals(0, handler.requests.get());
    }

    @Test
    void insecureClientConnectsToAnyNameAndLogsAWarning() throws Exception
    {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        final KeyPair keys = generator.generateKeyPair();
        final X509Certificate other = certificateFor(keys, "SHA256withECDSA",
            new GeneralName(GeneralName.dNSName, "example.invalid"));
        startBus(BusConfig.builder().shards(1), TlsSettings.builder()
            .keyMaterial(new X509Certificate[] {other}, keys.getPrivate()).provider(provider()).build());
        final Queue<LogRecord> warnings = new ConcurrentLinkedQueue<>();
        final Logger logger = Logger.getLogger(TlsTransportProvider.class.getName());
        final Handler capture = new Handler()
        {
            @Override
            public void publish(final LogRecord record)
            {
                if (record.getLevel().intValue() >= Level.WARNING.intValue())
                {
                    warnings.add(record);
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
        };
        logger.addHandler(capture);
        try
        {
            final TlsSettings insecure = TlsSettings.builder().insecureForTestsOnly().provider(provider()).build();
            final BusClient client = busClient("localhost", insecure);
            assertArrayEquals(new byte[] {7}, client.request(1, new byte[] {7}, TIMEOUT).body());
            busClient("127.0.0.1", insecure);
        }
        finally
        {
            logger.removeHandler(capture);
        }
        assertEquals(2, warnings.size(), "one warning per insecure connection: " + warnings);
        for (final LogRecord record : warnings)
        {
            assertTrue(record.getMessage().contains("insecure"), record.getMessage());
        }
    }

    @Test
    void selfSignedFingerprintMatchesOpenssl(@TempDir final Path dir) throws Exception
    {
        final String fingerprint = CERTIFICATE.sha256Fingerprint();
        assertTrue(fingerprint.matches("([0-9A-F]{2}:){31}[0-9A-F]{2}"), fingerprint);
        final Path cert = CERTIFICATE.writeTo(dir);
        assertEquals(CERTIFICATE.certificate(), Pem.certificates(cert).get(0));
        assertArrayEquals(CERTIFICATE.privateKey().getEncoded(), Pem.privateKey(dir.resolve("key.pem")).getEncoded());
        assumeTrue(OPENSSL, "no openssl binary on the PATH");
        final Process process = new ProcessBuilder("openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in",
            cert.toString()).redirectErrorStream(true).start();
        toClose.add(() -> destroy(process));
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertTrue(process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "openssl x509 exited");
        assertEquals(0, process.exitValue(), output);
        // OpenSSL 3 prints "sha256 Fingerprint=AB:...", 1.1 "SHA256 Fingerprint=AB:...".
        assertTrue(output.toLowerCase().startsWith("sha256 fingerprint="), output);
        assertEquals(output.substring(output.indexOf('=') + 1), fingerprint);
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers

    private void startBus(final BusConfig.Builder builder)
    {
        startBus(builder, CERTIFICATE.serverSettings().provider(provider()).build());
    }

    private void startBus(final BusConfig.Builder builder, final TlsSettings server)
    {
        bus = MessageBus.start(permutation.configure(builder).transportSettings("tls", server).build(), handler);
        buses.add(bus);
        address = bus.listen(URI.create("tls://127.0.0.1:0"));
    }

    private BusClient busClient(final String host, final TlsSettings settings) throws IOException
    {
        final BusClient client = BusClient.connect(URI.create("tls://" + host + ":" + address.getPort()),
            ClientOptions.defaults().withTransportSettings("tls", settings));
        toClose.add(client);
        return client;
    }

    private void requestAndReplyWith(final TlsSettings server, final TlsSettings client) throws Exception
    {
        startBus(BusConfig.builder().shards(1), server);
        final byte[] body = "certificate".getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(body, busClient("127.0.0.1", client).request(3, body, TIMEOUT).body());
        assertArrayEquals(body, busClient("localhost", client).request(3, body, TIMEOUT).body());
        assertEquals("TLSv1.3", handler.awaitRequestMeta().detail("tls.protocol"));
    }

    private SSLSocket jdkSocket() throws IOException
    {
        final SSLSocket socket = (SSLSocket)TlsTransportTest.jdkClientContext(CERTIFICATE.certificate())
            .getSocketFactory().createSocket(address.getAddress(), address.getPort());
        toClose.add(socket);
        socket.setEnabledProtocols(TLS13);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout((int)TIMEOUT.toMillis());
        socket.startHandshake();
        return socket;
    }

    private Socket plainSocket() throws IOException
    {
        final Socket socket = TlsTransportTest.plain(address);
        toClose.add(socket);
        socket.setSoTimeout((int)TIMEOUT.toMillis());
        return socket;
    }

    private TlsWireObserver engineClient() throws IOException
    {
        final TlsWireObserver client = TlsWireObserver.connect(address, CERTIFICATE.certificate(), TIMEOUT);
        toClose.add(client);
        return client;
    }

    /** The echo handler's reply to {@code request}: the same bytes as a sealed reply. */
    private static byte[] expectedReply(final byte[] request)
    {
        final byte[] reply = request.clone();
        reply[FrameHeader.COMMAND_OFFSET] = Command.REPLY.code();
        new FrameCodec().seal(new UnsafeBuffer(reply), 0);
        return reply;
    }

    private static byte[] readExactly(final InputStream in, final int length) throws IOException
    {
        final byte[] bytes = in.readNBytes(length);
        if (bytes.length != length)
        {
            throw new EOFException("end of stream after " + bytes.length + " of " + length + " bytes");
        }
        return bytes;
    }

    /**
     * Read and drop until the server closes (FIN, a fatal alert or a reset), within the socket's
     * timeout; then close this side too, as a well-behaved peer does (the bus waits for our FIN).
     */
    private static void readUntilClosed(final Socket socket) throws IOException
    {
        final byte[] chunk = new byte[64 * 1024];
        final InputStream in = socket.getInputStream();
        try
        {
            while (in.read(chunk) >= 0)
            {
                // the server's bytes up to its FIN (alerts, close_notify, replies) are not checked here
            }
        }
        catch (final SocketTimeoutException ex)
        {
            throw new AssertionError("the server did not close the connection", ex);
        }
        catch (final SSLException | java.net.SocketException ex)
        {
            // closed by a fatal alert or a reset: closed too
        }
        finally
        {
            socket.close();
        }
    }

    /** The first flight of a JDK TLS 1.3 client. */
    private static byte[] clientHello() throws IOException
    {
        final SSLEngine engine = TlsTransportTest.jdkClientContext(CERTIFICATE.certificate())
            .createSSLEngine("localhost", 1);
        engine.setUseClientMode(true);
        engine.setEnabledProtocols(TLS13);
        final ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        return Arrays.copyOf(out.array(), out.position());
    }

    private static javax.net.ssl.TrustManager[] trustOnly(final X509Certificate certificate)
        throws GeneralSecurityException, IOException
    {
        final java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("trusted", certificate);
        final TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        return factory.getTrustManagers();
    }

    private static KeyPair rsaKeys() throws GeneralSecurityException
    {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    /** A self-signed certificate for {@code dnsName} and 127.0.0.1. */
    private static X509Certificate certificate(final KeyPair keys, final String signer, final String dnsName)
        throws Exception
    {
        return certificateFor(keys, signer, new GeneralName(GeneralName.dNSName, dnsName),
            new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
    }

    private static X509Certificate certificateFor(final KeyPair keys, final String signer, final GeneralName... names)
        throws Exception
    {
        final X500Name subject = new X500Name("CN=ringbus test");
        final Instant now = Instant.now();
        final JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
            new BigInteger(64, new SecureRandom()), Date.from(now.minus(Duration.ofMinutes(5))),
            Date.from(now.plus(Duration.ofDays(1))), subject, keys.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
        return new JcaX509CertificateConverter().getCertificate(
            builder.build(new JcaContentSignerBuilder(signer).build(keys.getPrivate())));
    }

    private static void assertSignsFor(final PublicKey expected, final PrivateKey read, final String algorithm)
        throws GeneralSecurityException
    {
        final byte[] data = "ringbus".getBytes(StandardCharsets.US_ASCII);
        final Signature signer = Signature.getInstance(algorithm);
        signer.initSign(read);
        signer.update(data);
        final byte[] signature = signer.sign();
        final Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(expected);
        verifier.update(data);
        assertTrue(verifier.verify(signature), "the key read back signs for the original public key");
    }

    /** If openssl is there: it reads the key too (the PEM is not only readable by us). */
    private void assertOpensslReadsKey(final Path dir, final String pem) throws Exception
    {
        if (!OPENSSL)
        {
            return;
        }
        final Path file = Files.createTempFile(dir, "key", ".pem");
        Files.writeString(file, pem, StandardCharsets.US_ASCII);
        final Process process = new ProcessBuilder("openssl", "pkey", "-in", file.toString(), "-noout")
            .redirectErrorStream(true).start();
        toClose.add(() -> destroy(process));
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertTrue(process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "openssl pkey exited");
        assertEquals(0, process.exitValue(), "openssl pkey reads " + pem + output);
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

    /** Echoes requests; records each connection that sent one and each close. */
    static final class Recorder implements BusHandler
    {
        final Queue<ClientConnMeta> requested = new ConcurrentLinkedQueue<>();
        final Queue<ClientConnMeta> closed = new ConcurrentLinkedQueue<>();
        final AtomicLong requests = new AtomicLong();

        @Override
        public void onClientRequest(final MessageBus bus, final ClientConnMeta client, final DirectBuffer buffer,
            final int offset, final int length)
        {
            requests.incrementAndGet();
            final FrameBuffer reply = Frames.reply(bus.pool(), buffer, offset, buffer, offset + FrameHeader.HEADER_SIZE,
                length - FrameHeader.HEADER_SIZE, FrameHeader.REPLICA_NONE);
            bus.sendToClient(client.clientId(), reply);
            requested.add(client);
        }

        @Override
        public void onClientClosed(final MessageBus bus, final ClientConnMeta client)
        {
            closed.add(client);
        }

        /** The connection of the next request not yet taken. */
        ClientConnMeta awaitRequestMeta()
        {
            Await.until(TIMEOUT, () -> !requested.isEmpty(), "a request reached the handler");
            return requested.poll();
        }

        /** The first connection the bus closed. */
        ClientConnMeta awaitClose()
        {
            Await.until(TIMEOUT, () -> !closed.isEmpty(), "the bus closed a connection");
            return closed.peek();
        }
    }
}
