package io.ringbus.tls;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The close_notify observer can fail: against a JDK TLS server that ends with a bare FIN it reports
 * no close_notify (and the engine's complaint), against one that sends close_notify first it
 * reports it. Without this, a passing close_notify test could be an observer that always passes.
 */
class TlsWireObserverTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);

    @Test
    void aBareFinIsReportedAsATruncation() throws Exception
    {
        final TlsWireObserver.Ending ending = observeServerThatEnds(false);
        assertFalse(ending.closeNotify, ending.toString());
        assertNull(ending.alert, ending.toString());
        assertNotNull(ending.truncation, ending.toString());
        assertTrue(ending.truncation.contains("close_notify"), ending.truncation);
    }

    @Test
    void closeNotifyThenFinIsReportedAsOrderly() throws Exception
    {
        final TlsWireObserver.Ending ending = observeServerThatEnds(true);
        assertTrue(ending.closeNotify, ending.toString());
        assertNull(ending.truncation, ending.toString());
        assertNull(ending.alert, ending.toString());
    }

    /** A JDK TLS 1.3 server writes HELLO and ends with or without close_notify before its FIN. */
    private static TlsWireObserver.Ending observeServerThatEnds(final boolean closeNotify) throws Exception
    {
        final SelfSignedCertificate certificate = TlsTransportTest.CERTIFICATE;
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            final CompletableFuture<Void> served = CompletableFuture.runAsync(() ->
            {
                try (Socket plain = server.accept())
                {
                    plain.setSoTimeout((int)TIMEOUT.toMillis());
                    final SSLSocket tls = (SSLSocket)serverContext(certificate).getSocketFactory()
                        .createSocket(plain, null, plain.getPort(), false);
                    tls.setUseClientMode(false);
                    tls.setEnabledProtocols(new String[] {"TLSv1.3"});
                    tls.startHandshake();
                    tls.getOutputStream().write(HELLO);
                    tls.getOutputStream().flush();
                    if (closeNotify)
                    {
                        tls.shutdownOutput(); // TLS 1.3 half-close: close_notify, the plain socket stays open
                    }
                    plain.shutdownOutput(); // FIN
                    plain.getInputStream().readAllBytes(); // until the observer's FIN
                }
                catch (final Exception ex)
                {
                    throw new IllegalStateException(ex);
                }
            });
            try (TlsWireObserver observer = TlsWireObserver.connect(
                new InetSocketAddress(server.getInetAddress(), server.getLocalPort()), certificate.certificate(), TIMEOUT))
            {
                assertArrayEquals(HELLO, observer.read(HELLO.length));
                final TlsWireObserver.Ending ending = observer.readToEndOfStream();
                observer.close();
                served.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                return ending;
            }
        }
    }

    private static SSLContext serverContext(final SelfSignedCertificate certificate) throws Exception
    {
        final char[] password = "test".toCharArray();
        final KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("ringbus", certificate.privateKey(), password, new Certificate[] {certificate.certificate()});
        final KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, password);
        final SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(keys.getKeyManagers(), null, null);
        return context;
    }
}
