package io.ringbus.tls;

import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.Await;
import io.ringbus.core.transport.PermutedTransportSuite;
import io.ringbus.core.transport.RawPeer;
import io.ringbus.core.transport.TcpTransportTest;
import io.ringbus.core.transport.TransportPermutation;
import io.ringbus.core.transport.TransportPermutations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.stream.Stream;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The shared suite over tls on every backend with every TLS provider (on the bus and the SDK
 * client); the raw peer is the JDK's SSLSocket.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("permutations")
public class TlsTransportTest extends PermutedTransportSuite
{
    /** One certificate for every TLS test of the build (bus-ws's wss tests use it too). */
    public static final SelfSignedCertificate CERTIFICATE = SelfSignedCertificate.generate();

    public TlsTransportTest(final TransportPermutation permutation)
    {
        super(permutation);
    }

    static Stream<TransportPermutation> permutations()
    {
        return TransportPermutations.of(TransportPermutation.Scheme.TLS);
    }

    /** The provider under test, on both ends. */
    protected TlsProvider provider()
    {
        return provider(permutation);
    }

    /** The bus's TLS provider for a permutation of a TLS scheme. */
    public static TlsProvider provider(final TransportPermutation permutation)
    {
        switch (permutation.tls())
        {
            case JDK:
                return TlsProvider.JDK;
            case BOUNCY_CASTLE:
                return TlsProvider.BOUNCY_CASTLE;
            default:
                throw new IllegalArgumentException("no TLS in " + permutation);
        }
    }

    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return super.configure(builder)
            .transportSettings("tls", CERTIFICATE.serverSettings().provider(provider()).build());
    }

    @Override
    protected ClientOptions clientOptions(final ClientOptions options)
    {
        return options.withTransportSettings("tls", CERTIFICATE.clientSettings().provider(provider()).build());
    }

    @Override
    protected RawPeer openRaw(final InetSocketAddress address) throws IOException
    {
        final SSLSocket socket = (SSLSocket)jdkClientContext(CERTIFICATE.certificate()).getSocketFactory()
            .createSocket(address.getAddress(), address.getPort());
        socket.setEnabledProtocols(new String[] {"TLSv1.3"});
        socket.startHandshake();
        return new TcpTransportTest.SocketPeer(socket);
    }

    /** An SSLContext of the JDK's provider trusting exactly {@code trusted}. */
    public static SSLContext jdkClientContext(final X509Certificate trusted)
    {
        try
        {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("ringbus", trusted);
            final TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            final SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** A plain socket, for tests that speak below TLS. */
    static Socket plain(final InetSocketAddress address) throws IOException
    {
        final Socket socket = new Socket(address.getAddress(), address.getPort());
        socket.setTcpNoDelay(true);
        return socket;
    }

    @Test
    void plaintextToATlsListenerCountsAFailedHandshakeAndATlsProtocolError() throws Exception
    {
        startBus(BusConfig.builder().shards(1));
        try (Socket socket = new Socket(address.getAddress(), address.getPort()))
        {
            socket.getOutputStream().write(TestFrames.frame(Command.REQUEST, 100, 1)); // a frame, not a TLS record
            socket.setSoTimeout((int)TIMEOUT.toMillis());
            try
            {
                socket.getInputStream().readAllBytes(); // the alert, if any, then the close
            }
            catch (final IOException reset)
            {
                // closed with a reset: closed all the same
            }
        }
        Await.until(TIMEOUT, () -> counter("connections_closed") == 1, "the server closed the connection");
        assertEquals(1, counter("closed.protocol_error"));
        assertEquals(1, counter("protocol_errors"));
        assertEquals(1, counter("protocol_errors.tls"));
        assertEquals(1, counter("handshakes_failed"));
        assertEquals(0, counter("frames_in"));
    }

    @Test
    void aClientSilentThroughHandshakeGraceCountsAGraceExpiry() throws Exception
    {
        startBus(BusConfig.builder().shards(1).handshakeGrace(java.time.Duration.ofMillis(200)));
        try (Socket silent = new Socket(address.getAddress(), address.getPort()))
        {
            Await.until(TIMEOUT, () -> counter("connections_closed") == 1, "handshake_grace closed the silent client");
        }
        assertEquals(1, counter("connections_opened"));
        assertEquals(1, counter("closed.handshake_timeout"));
        assertEquals(1, counter("handshake_grace_expired"));
        assertEquals(1, counter("handshakes_failed"));
        assertEquals(0, counter("protocol_errors"));
    }
}
