package io.ringbus.bench.harness;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.ringbus.tls.SelfSignedCertificate;
import io.ringbus.tls.TlsProvider;
import io.ringbus.tls.TlsSettings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * The TLS material the harness's TLS servers and its load client share: one self-signed
 * certificate for localhost (bus-tls's {@link SelfSignedCertificate}, EC P-256), presented by
 * every TLS server and trusted, alone, by the client. Everything is TLS 1.3 on the JDK's own
 * provider (SunJSSE), so that the TLS servers are compared on the same engine. The QUIC servers
 * present the same certificate through their own TLS 1.3 engines (bus-quic's, BoringSSL, Agent15).
 *
 * <p>By default the certificate is generated in memory, once per JVM. With the system property
 * {@value #DIRECTORY_PROPERTY} set to a directory, it is read from {@code cert.pem} and
 * {@code key.pem} there, and generated and written there first if they are missing: that is how
 * a server JVM ({@link EchoServerMain}) and a client JVM ({@link FixedLoad}) share it.
 *
 * <p>Built on first use; any thread.
 */
final class BenchTls
{
    /** The only protocol any side enables. */
    static final String PROTOCOL = "TLSv1.3";
    /**
     * The only cipher suite the load client offers, so that every TLS server runs the same one:
     * left to themselves, bus-tls picks the JDK's first choice (TLS_AES_256_GCM_SHA384) while
     * Netty's SslContext, with its own suite order, picks TLS_AES_128_GCM_SHA256. This one is the
     * suite every TLS 1.3 implementation must support (RFC 8446 9.1).
     */
    static final String CIPHER_SUITE = "TLS_AES_128_GCM_SHA256";
    /** System property naming a directory that holds (or will hold) the shared cert.pem and key.pem. */
    static final String DIRECTORY_PROPERTY = "ringbus.bench.tls.dir";

    private static final String CERTIFICATE_FILE = "cert.pem";
    private static final String KEY_FILE = "key.pem";

    /** The certificate files, or the in-memory certificate when no directory is configured. */
    private static final class Holder
    {
        static final Path DIRECTORY = directory();
        static final SelfSignedCertificate GENERATED = DIRECTORY == null ? SelfSignedCertificate.generate() : null;
        static final TlsSettings CLIENT = clientSettings();

        private static Path directory()
        {
            final String property = System.getProperty(DIRECTORY_PROPERTY);
            if (property == null || property.isEmpty())
            {
                return null;
            }
            final Path directory = Path.of(property);
            if (!Files.exists(directory.resolve(CERTIFICATE_FILE)))
            {
                try
                {
                    SelfSignedCertificate.generate().writeTo(directory);
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException("cannot write the bench certificate to " + directory, ex);
                }
            }
            return directory;
        }

        private static TlsSettings clientSettings()
        {
            if (GENERATED != null)
            {
                return GENERATED.clientSettings().provider(TlsProvider.JDK).build();
            }
            try
            {
                return TlsSettings.builder().trustPem(DIRECTORY.resolve(CERTIFICATE_FILE)).provider(TlsProvider.JDK).build();
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
    }

    private BenchTls()
    {
    }

    /** bus-tls settings for a ringbus tls:// listener: the shared certificate, JDK provider. */
    static TlsSettings ringbusServerSettings()
    {
        if (Holder.GENERATED != null)
        {
            return Holder.GENERATED.serverSettings().provider(TlsProvider.JDK).build();
        }
        try
        {
            return TlsSettings.builder()
                .pem(Holder.DIRECTORY.resolve(CERTIFICATE_FILE), Holder.DIRECTORY.resolve(KEY_FILE))
                .provider(TlsProvider.JDK)
                .build();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** The shared certificate chain (leaf first), for the QUIC servers that take it as is (netty-quic, kwik-quic). */
    static X509Certificate[] certificateChain()
    {
        return ringbusServerSettings().certificateChain();
    }

    /** The shared certificate's private key (EC P-256). */
    static PrivateKey privateKey()
    {
        return ringbusServerSettings().privateKey();
    }

    /** The one certificate clients trust: the QUIC load client's trust anchor. */
    static X509Certificate trustedCertificate()
    {
        return Holder.CLIENT.trustedCertificates().get(0);
    }

    /** A client context (TLS 1.3, JDK provider) that trusts exactly the shared certificate. */
    static SSLContext clientContext()
    {
        return Holder.CLIENT.sslContext();
    }

    /** Netty's server context for its SslHandler: the shared certificate, JDK provider, TLS 1.3 only. */
    static SslContext nettyServerContext() throws SSLException
    {
        final SslContextBuilder builder = Holder.GENERATED != null ?
            SslContextBuilder.forServer(Holder.GENERATED.privateKey(), Holder.GENERATED.certificate()) :
            SslContextBuilder.forServer(
                Holder.DIRECTORY.resolve(CERTIFICATE_FILE).toFile(), Holder.DIRECTORY.resolve(KEY_FILE).toFile());
        return builder.sslProvider(SslProvider.JDK).protocols(PROTOCOL).build();
    }
}
