package io.ringbus.tls;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.TransportPermutation;
import io.ringbus.core.transport.TransportPermutations;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Certificate reload without a restart (issue 13, point 3) on the tls transport, through
 * {@link MessageBus#reloadTransportSettings}: new handshakes see the new chain while connections
 * opened before keep working; a bad replacement is refused with a message naming the problem and
 * the old chain keeps serving; client certificate authorities added by a reload apply to new
 * handshakes only. For every tls permutation.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("permutations")
public class TlsReloadTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final TestPki SERVER_CA = TestPki.ca("Ringbus Reload CA");
    private static final TestPki CLIENT_CA = TestPki.ca("Ringbus Reload Client CA");
    private static final TestPki.Issued FIRST = SERVER_CA.issueServer("CN=first");
    private static final TestPki.Issued SECOND = SERVER_CA.issueServer("CN=second");

    private final TransportPermutation permutation;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final TlsSpecificTest.Recorder handler = new TlsSpecificTest.Recorder();
    private TlsSettings registered;
    private MessageBus bus;
    private InetSocketAddress address;

    TlsReloadTest(final TransportPermutation permutation)
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
        registered = FIRST.settings().provider(provider()).build();
        bus = MessageBus.start(permutation.configure(BusConfig.builder().shards(1)).transportSettings("tls", registered)
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

    private TlsProvider provider()
    {
        return TlsTransportTest.provider(permutation);
    }

    @Test
    void newHandshakesPresentTheReloadedChainWhileOpenConnectionsKeepWorking() throws Exception
    {
        final BusClient before = busClient();
        echo(before, "before the reload");
        final SSLSocket openBefore = socket(null);
        assertEquals(FIRST.certificate(), presented(openBefore));

        bus.reloadTransportSettings("tls", SECOND.settings().provider(provider()).build());

        assertEquals(SECOND.certificate(), presented(socket(null)), "a new handshake sees the new certificate");
        assertEquals(1, registered.generation());
        // Both connections opened before the reload carry frames afterwards.
        echo(before, "after the reload, on the SDK client opened before");
        echoRaw(openBefore, 41);
        assertEquals(FIRST.certificate(), presented(openBefore), "its session is the one it made");
        echo(busClient(), "a new SDK client after the reload");
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefusedNamingBothFiles(@TempDir final Path dir) throws Exception
    {
        final Path[] first = FIRST.writeTo(dir, "first");
        final Path[] second = SECOND.writeTo(dir, "second");
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> TlsSettings.builder().pem(second[0], first[1]).build());
        assertTrue(refused.getMessage().contains(first[1].toString()) &&
            refused.getMessage().contains(second[0].toString()) && refused.getMessage().contains("CN=second") &&
            refused.getMessage().contains("does not belong"), refused.getMessage());
        assertEquals(FIRST.certificate(), presented(socket(null)), "the old chain still serves");
    }

    @Test
    void anExpiredCertificateIsRefusedAndTheOldChainKeepsServing() throws Exception
    {
        final TestPki.Issued expired = SERVER_CA.issue("CN=expired", Instant.now().minus(Duration.ofDays(3)),
            Instant.now().minus(Duration.ofDays(1)));
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> bus.reloadTransportSettings("tls", expired.settings().provider(provider()).build()));
        assertTrue(refused.getMessage().contains("CN=expired") && refused.getMessage().contains("not valid now"),
            refused.getMessage());
        assertEquals(0, registered.generation(), "nothing was swapped");
        assertEquals(FIRST.certificate(), presented(socket(null)), "the old chain still serves");
    }

    @Test
    void settingsWithoutACertificateCannotReplaceAListenersSettings() throws Exception
    {
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> bus.reloadTransportSettings("tls", TlsSettings.builder().trust(SERVER_CA.certificate()).build()));
        assertTrue(refused.getMessage().contains("no certificate and key"), refused.getMessage());
        assertThrows(IllegalArgumentException.class, () -> bus.reloadTransportSettings("tls", "not settings"));
        assertEquals(FIRST.certificate(), presented(socket(null)));
    }

    @Test
    void anEmptyClientAuthorityBundleIsRefusedNamingTheFile(@TempDir final Path dir) throws Exception
    {
        final Path empty = Files.writeString(dir.resolve("empty-ca.pem"), "no PEM here\n");
        final IOException refused = assertThrows(IOException.class,
            () -> FIRST.settings().clientCertificateAuthoritiesPem(empty));
        assertTrue(refused.getMessage().contains(empty.toString()), refused.getMessage());
    }

    @Test
    void clientAuthoritiesAddedByAReloadApplyToNewHandshakesOnly() throws Exception
    {
        final SSLSocket openBefore = socket(null);
        echoRaw(openBefore, 42);

        bus.reloadTransportSettings("tls", FIRST.settings().clientCertificateAuthorities(CLIENT_CA.certificate())
            .provider(provider()).build());

        final SSLSocket without = socket(null);
        assertThrows(IOException.class, () -> echoRaw(without, 43), "a new client without a certificate is refused");
        final SSLSocket with = socket(CLIENT_CA.issue("O=Ringbus Test,CN=reloaded-client"));
        echoRaw(with, 44);
        echoRaw(openBefore, 45); // the connection from before asks nothing new
        assertEquals("CN=reloaded-client,O=Ringbus Test", handler.requested.stream()
            .filter(meta -> meta.peerSubject() != null).findFirst().orElseThrow().peerSubject());
    }

    private BusClient busClient() throws IOException
    {
        final BusClient client = BusClient.connect(URI.create("tls://localhost:" + address.getPort()),
            ClientOptions.defaults().withTransportSettings("tls",
                TlsSettings.builder().trust(SERVER_CA.certificate()).provider(provider()).build()));
        toClose.add(client);
        return client;
    }

    private static void echo(final BusClient client, final String text) throws Exception
    {
        final byte[] body = text.getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(body, client.request(7, body, TIMEOUT).body());
    }

    /** One request and its reply on a raw TLS socket. */
    private static void echoRaw(final SSLSocket socket, final long requestNumber) throws IOException
    {
        final byte[] request = TestFrames.frame(Command.REQUEST, 64, requestNumber);
        socket.getOutputStream().write(request);
        final byte[] reply = socket.getInputStream().readNBytes(request.length);
        if (reply.length != request.length)
        {
            throw new IOException("closed after " + reply.length + " of " + request.length + " reply bytes");
        }
    }

    private SSLSocket socket(final TestPki.Issued client) throws IOException
    {
        final SSLSocket socket = (SSLSocket)TestPki.jdkClientContext(SERVER_CA.certificate(), client)
            .getSocketFactory().createSocket(address.getAddress(), address.getPort());
        toClose.add(socket);
        socket.setEnabledProtocols(new String[] {"TLSv1.3"});
        socket.setSoTimeout((int)TIMEOUT.toMillis());
        return socket;
    }

    /** The leaf the server presented on {@code socket} (handshaking first if needed). */
    private static X509Certificate presented(final SSLSocket socket) throws IOException
    {
        socket.startHandshake();
        return (X509Certificate)socket.getSession().getPeerCertificates()[0];
    }
}
