package io.ringbus.ws;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.Await;
import io.ringbus.tls.TestPki;
import io.ringbus.tls.TlsProvider;
import io.ringbus.tls.TlsSettings;
import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutual TLS on wss (issue 13, point 2) with real peers: the JDK's HttpClient WebSocket with an
 * SSLContext carrying a client key is served and its certificate's subject and names reach
 * ClientConnMeta; without a certificate it is refused before any request; the SDK's BusClient
 * presents one; a reload through "wss" reaches a wss listener sharing the "tls" settings. On both
 * JSSE providers.
 */
class WssClientCertificateTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final TestPki SERVER_CA = TestPki.ca("Ringbus WSS Server CA");
    private static final TestPki CLIENT_CA = TestPki.ca("Ringbus WSS Client CA");
    private static final TestPki.Issued SERVER = SERVER_CA.issueServer("CN=localhost");
    private static final TestPki.Issued CLIENT = CLIENT_CA.issue("O=Ringbus Test,CN=wss-client",
        new GeneralName(GeneralName.dNSName, "wss-client.example"));

    private final RecordingHandler handler = new RecordingHandler();
    private MessageBus bus;

    @AfterEach
    void tearDown()
    {
        if (bus != null)
        {
            bus.close();
            assertEquals(0, bus.stats().openConnections());
        }
    }

    private InetSocketAddress startBus(final TlsProvider provider)
    {
        // Registered under "tls" only: the wss listener falls back to them.
        bus = MessageBus.start(BusConfig.builder().shards(1).backend(Backend.NIO).transportSettings("tls",
            SERVER.settings().clientCertificateAuthorities(CLIENT_CA.certificate()).provider(provider).build()).build(),
            handler);
        return bus.listen(URI.create("wss://127.0.0.1:0"));
    }

    @ParameterizedTest
    @EnumSource(TlsProvider.class)
    void jdkWebSocketClientWithACertificateIsServedAndNamed(final TlsProvider provider) throws Exception
    {
        final InetSocketAddress address = startBus(provider);
        final CompletableFuture<byte[]> reply = new CompletableFuture<>();
        final java.net.http.WebSocket socket = webSocket(address, TestPki.jdkClientContext(SERVER_CA.certificate(),
            CLIENT), reply).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        final byte[] request = TestFrames.frame(Command.REQUEST, 100, 51);
        socket.sendBinary(ByteBuffer.wrap(request), true).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        final byte[] received = reply.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(request.length, received.length);
        assertEquals(Command.REPLY.code(), received[FrameHeader.COMMAND_OFFSET]);
        final ClientConnMeta meta = handler.requesters.peek();
        assertEquals("wss", meta.transport());
        assertEquals("CN=wss-client,O=Ringbus Test", meta.peerSubject(), meta.toString());
        assertEquals(List.of("DNS:wss-client.example"), meta.peerNames(), meta.toString());
        socket.abort();
    }

    @ParameterizedTest
    @EnumSource(TlsProvider.class)
    void jdkWebSocketClientWithoutACertificateIsRefused(final TlsProvider provider) throws Exception
    {
        final InetSocketAddress address = startBus(provider);
        final CompletableFuture<byte[]> reply = new CompletableFuture<>();
        assertThrows(ExecutionException.class, () -> webSocket(address,
            TestPki.jdkClientContext(SERVER_CA.certificate(), null), reply).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        Await.until(TIMEOUT, () -> !handler.closed.isEmpty(), "the bus closed the connection");
        final ClientConnMeta meta = handler.closed.peek();
        assertTrue(meta.closeDetail().startsWith("TLS handshake failed"), meta.closeDetail());
        assertTrue(handler.requesters.isEmpty(), "nothing reached the application");
    }

    @ParameterizedTest
    @EnumSource(TlsProvider.class)
    void busClientOverWssPresentsItsCertificate(final TlsProvider provider) throws Exception
    {
        final InetSocketAddress address = startBus(provider);
        final TlsSettings settings = CLIENT.settings().trust(SERVER_CA.certificate()).provider(provider).build();
        try (BusClient client = BusClient.connect(URI.create("wss://localhost:" + address.getPort() + "/bus"),
            ClientOptions.defaults().withTransportSettings("wss", settings)))
        {
            final byte[] body = "wss mutual".getBytes(StandardCharsets.US_ASCII);
            assertArrayEquals(body, client.request(3, body, TIMEOUT).body());
        }
        assertEquals("CN=wss-client,O=Ringbus Test", handler.requesters.peek().peerSubject());
    }

    @ParameterizedTest
    @EnumSource(TlsProvider.class)
    void aReloadThroughWssReachesAListenerSharingTheTlsSettings(final TlsProvider provider) throws Exception
    {
        final InetSocketAddress address = startBus(provider);
        final TestPki.Issued renewed = SERVER_CA.issueServer("CN=renewed");
        bus.reloadTransportSettings("wss", renewed.settings().clientCertificateAuthorities(CLIENT_CA.certificate())
            .provider(provider).build());
        final SSLSocket socket = (SSLSocket)TestPki.jdkClientContext(SERVER_CA.certificate(), CLIENT).getSocketFactory()
            .createSocket(address.getAddress(), address.getPort());
        try (socket)
        {
            socket.setEnabledProtocols(new String[] {"TLSv1.3"});
            socket.setSoTimeout((int)TIMEOUT.toMillis());
            socket.startHandshake();
            assertEquals(renewed.certificate(), (X509Certificate)socket.getSession().getPeerCertificates()[0]);
        }
    }

    @ParameterizedTest
    @EnumSource(TlsProvider.class)
    void aTls12ClientHelloToAWssListenerGetsAProtocolVersionAlert(final TlsProvider provider) throws Exception
    {
        final InetSocketAddress address = startBus(provider);
        final SSLContext tls12 = SSLContext.getInstance("TLSv1.2");
        tls12.init(null, null, null);
        final SSLSocket socket = (SSLSocket)tls12.getSocketFactory().createSocket(address.getAddress(), address.getPort());
        try (socket)
        {
            socket.setEnabledProtocols(new String[] {"TLSv1.2"});
            socket.setSoTimeout((int)TIMEOUT.toMillis());
            final javax.net.ssl.SSLException refused = assertThrows(javax.net.ssl.SSLException.class,
                socket::startHandshake);
            assertTrue(String.valueOf(refused.getMessage()).contains("protocol_version"), refused.toString());
        }
        Await.until(TIMEOUT, () -> !handler.closed.isEmpty(), "the bus closed the connection");
        assertTrue(handler.requesters.isEmpty());
    }

    private static CompletableFuture<java.net.http.WebSocket> webSocket(final InetSocketAddress address,
        final SSLContext context, final CompletableFuture<byte[]> reply)
    {
        final java.net.http.WebSocket.Listener listener = new java.net.http.WebSocket.Listener()
        {
            private final ByteArrayOutputStream message = new ByteArrayOutputStream();

            @Override
            public CompletionStage<?> onBinary(final java.net.http.WebSocket webSocket, final ByteBuffer data,
                final boolean last)
            {
                final byte[] bytes = new byte[data.remaining()];
                data.get(bytes);
                message.writeBytes(bytes);
                if (last)
                {
                    reply.complete(message.toByteArray());
                }
                webSocket.request(1);
                return null;
            }
        };
        final HttpClient http = HttpClient.newBuilder().sslContext(context).connectTimeout(TIMEOUT).build();
        return http.newWebSocketBuilder().buildAsync(URI.create("wss://localhost:" + address.getPort() + "/mtls"),
            listener);
    }
}
