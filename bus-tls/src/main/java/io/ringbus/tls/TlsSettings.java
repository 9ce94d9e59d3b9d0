package io.ringbus.tls;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.jsse.provider.BouncyCastleJsseProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS settings of a listener or a client: the certificate chain and key a server presents, the
 * certificates a client trusts (the JDK's default trust store when none are given), hostname
 * checking, the JSSE provider. Registered with {@code BusConfig.Builder.transportSettings("tls", s)}
 * or {@code ClientOptions.withTransportSettings("tls", s)}.
 *
 * <p>Only TLS 1.3 is enabled, with no 0-RTT; a server requires client certificates when
 * {@link Builder#clientCertificateAuthorities client certificate authorities} are given. Immutable; the
 * {@link SSLContext} is built once, on first use, and shared: any thread.
 */
public final class TlsSettings
{
    private final X509Certificate[] chain;
    private final PrivateKey key;
    private final List<X509Certificate> trusted;
    private final List<X509Certificate> clientAuthorities;
    private final boolean insecure;
    private final boolean hostnameVerification;
    private final TlsProvider provider;
    private volatile SSLContext context;

    private TlsSettings(final Builder builder)
    {
        this.chain = builder.chain;
        this.key = builder.key;
        this.trusted = Collections.unmodifiableList(new ArrayList<>(builder.trusted));
        this.clientAuthorities = Collections.unmodifiableList(new ArrayList<>(builder.clientAuthorities));
        this.insecure = builder.insecure;
        this.hostnameVerification = builder.hostnameVerification;
        this.provider = builder.provider;
    }

    /** A new builder: JDK provider, default trust, hostname checking on. */
    public static Builder builder()
    {
        return new Builder();
    }

    /** Client settings with the JDK's default trust store. */
    public static TlsSettings defaults()
    {
        return builder().build();
    }

    /** True if a server may use these settings (they carry a certificate and key). */
    public boolean hasKeyMaterial()
    {
        return chain != null;
    }

    /** The insecure client mode: no certificate or hostname check. Tests only. */
    public boolean isInsecure()
    {
        return insecure;
    }

    /** Whether a client checks the server's name against its certificate. */
    public boolean hostnameVerification()
    {
        return hostnameVerification && !insecure;
    }

    /** The JSSE provider. */
    public TlsProvider provider()
    {
        return provider;
    }

    /** The leaf certificate a server presents, or null. */
    public X509Certificate certificate()
    {
        return chain != null ? chain[0] : null;
    }

    /** The certificate chain a server presents (leaf first), or null. For transports with their own TLS (QUIC). */
    public X509Certificate[] certificateChain()
    {
        return chain != null ? chain.clone() : null;
    }

    /** The private key of {@link #certificateChain()}, or null. */
    public PrivateKey privateKey()
    {
        return key;
    }

    /** The certificates a client trusts; empty for the JDK's default trust store. */
    public List<X509Certificate> trustedCertificates()
    {
        return trusted;
    }

    /**
     * The certificate authorities a client certificate must chain to (mutual TLS); empty when a
     * server asks for no client certificate.
     */
    public List<X509Certificate> clientCertificateAuthorities()
    {
        return clientAuthorities;
    }

    /** True if a server with these settings requires every client to present a certificate chained to {@link #clientCertificateAuthorities()}. */
    public boolean requiresClientCertificate()
    {
        return !clientAuthorities.isEmpty();
    }

    /** The shared SSL context, built on first use. */
    public SSLContext sslContext()
    {
        SSLContext result = context;
        if (result == null)
        {
            synchronized (this)
            {
                result = context;
                if (result == null)
                {
                    result = buildContext();
                    context = result;
                }
            }
        }
        return result;
    }

    private SSLContext buildContext()
    {
        try
        {
            final Provider jsse = provider == TlsProvider.BOUNCY_CASTLE ? BouncyCastle.JSSE : null;
            final SSLContext sslContext = jsse != null ? SSLContext.getInstance("TLSv1.3", jsse) :
                SSLContext.getInstance("TLSv1.3");
            KeyManager[] keyManagers = null;
            if (chain != null)
            {
                // BouncyCastle JSSE picks a server credential by key algorithm name and signs with
                // its own crypto: JDK Ed25519 objects (named "EdDSA") are not selected at all, so it
                // gets BouncyCastle's own certificate and key objects, in its own key store.
                final KeyStore store = jsse != null ? KeyStore.getInstance("PKCS12", BouncyCastle.CRYPTO) :
                    KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setKeyEntry("ringbus", jsse != null ? BouncyCastle.key(key) : key, new char[0],
                    jsse != null ? BouncyCastle.chain(chain) : chain);
                final KeyManagerFactory factory = jsse != null ? KeyManagerFactory.getInstance("PKIX", jsse) :
                    KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                factory.init(store, new char[0]);
                keyManagers = factory.getKeyManagers();
            }
            TrustManager[] trustManagers;
            if (insecure)
            {
                trustManagers = new TrustManager[] {new InsecureTrustManager()};
            }
            else
            {
                final TrustManagerFactory factory = jsse != null ? TrustManagerFactory.getInstance("PKIX", jsse) :
                    TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                if (trusted.isEmpty())
                {
                    factory.init((KeyStore)null);
                }
                else
                {
                    final KeyStore store = KeyStore.getInstance("PKCS12");
                    store.load(null, null);
                    for (int i = 0; i < trusted.size(); i++)
                    {
                        store.setCertificateEntry("trusted-" + i, trusted.get(i));
                    }
                    factory.init(store);
                }
                trustManagers = factory.getTrustManagers();
            }
            sslContext.init(keyManagers, trustManagers, new SecureRandom());
            return sslContext;
        }
        catch (final GeneralSecurityException | IOException ex)
        {
            throw new IllegalStateException("cannot build the TLS context (" + provider + "): " + ex.getMessage(), ex);
        }
    }

    /** BouncyCastle providers, created once. */
    static final class BouncyCastle
    {
        static final Provider CRYPTO = new BouncyCastleProvider();
        static final Provider JSSE = new BouncyCastleJsseProvider(CRYPTO);

        private BouncyCastle()
        {
        }

        /** The same key as a BouncyCastle key object. */
        static PrivateKey key(final PrivateKey key) throws IOException
        {
            return new JcaPEMKeyConverter().setProvider(CRYPTO)
                .getPrivateKey(PrivateKeyInfo.getInstance(key.getEncoded()));
        }

        /** The same certificates as BouncyCastle certificate objects. */
        static X509Certificate[] chain(final X509Certificate[] chain) throws GeneralSecurityException
        {
            final CertificateFactory factory = CertificateFactory.getInstance("X.509", CRYPTO);
            final X509Certificate[] converted = new X509Certificate[chain.length];
            for (int i = 0; i < chain.length; i++)
            {
                converted[i] = (X509Certificate)factory.generateCertificate(
                    new ByteArrayInputStream(chain[i].getEncoded()));
            }
            return converted;
        }
    }

    /** Builds {@link TlsSettings}. Not thread-safe. */
    public static final class Builder
    {
        private X509Certificate[] chain;
        private PrivateKey key;
        private final List<X509Certificate> trusted = new ArrayList<>();
        private final List<X509Certificate> clientAuthorities = new ArrayList<>();
        private boolean insecure;
        private boolean hostnameVerification = true;
        private TlsProvider provider = TlsProvider.JDK;

        private Builder()
        {
        }

        /** The chain (leaf first) and key a server presents, or a client presents when the server asks for one. */
        public Builder keyMaterial(final X509Certificate[] chain, final PrivateKey key)
        {
            Objects.requireNonNull(chain, "chain");
            if (chain.length == 0)
            {
                throw new IllegalArgumentException("chain: at least the leaf certificate is needed");
            }
            this.chain = chain.clone();
            this.key = Objects.requireNonNull(key, "key");
            return this;
        }

        /** The chain and key from PEM files (PKCS#8, SEC1 EC, PKCS#1 RSA; RSA, EC, Ed25519). */
        public Builder pem(final Path certificateChain, final Path privateKey) throws IOException
        {
            return keyMaterial(Pem.certificates(certificateChain).toArray(new X509Certificate[0]),
                Pem.privateKey(privateKey));
        }

        /** Trust these certificates instead of the JDK's default trust store. */
        public Builder trust(final X509Certificate... certificates)
        {
            for (final X509Certificate certificate : certificates)
            {
                trusted.add(Objects.requireNonNull(certificate, "certificate"));
            }
            return this;
        }

        /** Trust the certificates of a PEM file. */
        public Builder trustPem(final Path certificates) throws IOException
        {
            trusted.addAll(Pem.certificates(certificates));
            return this;
        }

        /**
         * Servers: require a client certificate chained to one of these authorities (mutual TLS);
         * a client without one, or with another, fails the handshake.
         */
        public Builder clientCertificateAuthorities(final X509Certificate... authorities)
        {
            for (final X509Certificate authority : authorities)
            {
                clientAuthorities.add(Objects.requireNonNull(authority, "authority"));
            }
            return this;
        }

        /** Servers: require client certificates chained to the authorities of a PEM bundle. */
        public Builder clientCertificateAuthoritiesPem(final Path bundle) throws IOException
        {
            final List<X509Certificate> authorities = Pem.certificates(bundle);
            if (authorities.isEmpty())
            {
                throw new IOException(bundle + ": no certificate in the PEM bundle");
            }
            clientAuthorities.addAll(authorities);
            return this;
        }

        /** Check the server's name against its certificate (clients; default on). */
        public Builder hostnameVerification(final boolean verify)
        {
            this.hostnameVerification = verify;
            return this;
        }

        /**
         * Accept any server certificate and name: for tests only. Every connection made with it logs
         * a warning.
         */
        public Builder insecureForTestsOnly()
        {
            this.insecure = true;
            return this;
        }

        /** The JSSE provider (default: the JDK's). */
        public Builder provider(final TlsProvider provider)
        {
            this.provider = Objects.requireNonNull(provider, "provider");
            return this;
        }

        public TlsSettings build()
        {
            return new TlsSettings(this);
        }
    }
}
