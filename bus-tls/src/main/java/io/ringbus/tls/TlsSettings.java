package io.ringbus.tls;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.jsse.provider.BouncyCastleJsseProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * TLS settings of a listener or a client: the certificate chain and key a server presents (or a
 * client presents when asked), the certificates a client trusts (the JDK's default trust store when
 * none are given), the certificate authorities a server requires client certificates to chain to
 * (mutual TLS), hostname checking, the JSSE provider. Registered with
 * {@code BusConfig.Builder.transportSettings("tls", s)} (also "wss", "quic") or
 * {@code ClientOptions.withTransportSettings("tls", s)}.
 *
 * <p>Only TLS 1.3 is enabled, with no 0-RTT; a server requires client certificates when
 * {@link Builder#clientCertificateAuthorities client certificate authorities} are given.
 *
 * <p><b>Reload.</b> Every value is read per handshake from one immutable snapshot, which
 * {@link #reload(TlsSettings)} replaces as a whole: the listeners (tls, wss and quic) that hold this
 * object use the new certificate, key and client authorities for every handshake that starts
 * afterwards, while connections already open keep the engine they were made with. The replacement
 * is checked fully first (the key belongs to the leaf certificate, the leaf is within its validity,
 * the SSL context builds); a bad one throws {@link IllegalArgumentException} naming the problem and
 * the current settings stay. {@code MessageBus.reloadTransportSettings(scheme, replacement)} does
 * the same through the bus. Any thread; the {@link SSLContext} of a snapshot is built once, on
 * first use, and shared.
 */
public final class TlsSettings
{
    private final Object reloadLock = new Object();
    private volatile Material material;

    private TlsSettings(final Builder builder)
    {
        this.material = new Material(builder, 0);
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
        return material.chain != null;
    }

    /** The insecure client mode: no certificate or hostname check. Tests only. */
    public boolean isInsecure()
    {
        return material.insecure;
    }

    /** Whether a client checks the server's name against its certificate. */
    public boolean hostnameVerification()
    {
        final Material current = material;
        return current.hostnameVerification && !current.insecure;
    }

    /** The JSSE provider. */
    public TlsProvider provider()
    {
        return material.provider;
    }

    /** The leaf certificate a server presents, or null. */
    public X509Certificate certificate()
    {
        final Material current = material;
        return current.chain != null ? current.chain[0] : null;
    }

    /**
     * The certificate chain a server presents (leaf first), or null. For transports with their own
     * TLS (QUIC); one that reads it together with {@link #privateKey()} checks {@link #generation()}
     * before and after, since a reload may come in between.
     */
    public X509Certificate[] certificateChain()
    {
        final Material current = material;
        return current.chain != null ? current.chain.clone() : null;
    }

    /** The private key of {@link #certificateChain()}, or null. */
    public PrivateKey privateKey()
    {
        return material.key;
    }

    /** The certificates a client trusts; empty for the JDK's default trust store. */
    public List<X509Certificate> trustedCertificates()
    {
        return material.trusted;
    }

    /**
     * The certificate authorities a client certificate must chain to (mutual TLS); empty when a
     * server asks for no client certificate.
     */
    public List<X509Certificate> clientCertificateAuthorities()
    {
        return material.clientAuthorities;
    }

    /** True if a server with these settings requires every client to present a certificate chained to {@link #clientCertificateAuthorities()}. */
    public boolean requiresClientCertificate()
    {
        return !material.clientAuthorities.isEmpty();
    }

    /**
     * How many times these settings were {@link #reload reloaded}: 0 as built. A transport that
     * builds its own TLS configuration from them (QUIC) rebuilds it when this changes.
     */
    public long generation()
    {
        return material.generation;
    }

    /** The random source given to the builder, or null (each user makes a {@link SecureRandom}). */
    public SecureRandom secureRandom()
    {
        return material.secureRandom;
    }

    /** The shared SSL context of the current snapshot, built on first use. */
    public SSLContext sslContext()
    {
        return material.context();
    }

    /** The current snapshot: what one handshake reads, all from the same reload. */
    Material material()
    {
        return material;
    }

    /**
     * Replace every value of these settings with those of {@code replacement} (certificate chain,
     * key, trusted certificates, client certificate authorities, provider, hostname checking):
     * handshakes that start afterwards use them; open connections are untouched. The replacement
     * is checked first and, if anything is wrong, nothing changes.
     *
     * @param replacement the new settings, built as these were (e.g. from the same PEM files)
     * @throws IllegalArgumentException naming the problem: settings with a certificate replaced by
     *                                  ones without, a leaf certificate outside its validity, an
     *                                  SSL context that cannot be built. (A key that does not
     *                                  belong to its certificate, an empty CA bundle, a file that
     *                                  does not parse are refused when the replacement is built.)
     */
    public void reload(final TlsSettings replacement)
    {
        Objects.requireNonNull(replacement, "replacement");
        final Material next = replacement.material;
        synchronized (reloadLock)
        {
            final Material current = material;
            if (current.chain != null && next.chain == null)
            {
                throw new IllegalArgumentException("TLS reload refused: the replacement has no certificate and key, " +
                    "and these settings serve a listener that presents one");
            }
            if (next.chain != null)
            {
                try
                {
                    next.chain[0].checkValidity();
                }
                catch (final CertificateException ex)
                {
                    throw new IllegalArgumentException("TLS reload refused: certificate " +
                        next.chain[0].getSubjectX500Principal().getName() + (next.chainSource != null ?
                        " of " + next.chainSource : "") + " is not valid now (" + next.chain[0].getNotBefore() + " to " +
                        next.chain[0].getNotAfter() + "): " + ex.getMessage(), ex);
                }
            }
            final SSLContext context;
            try
            {
                context = next.context();
            }
            catch (final IllegalStateException ex)
            {
                throw new IllegalArgumentException("TLS reload refused: " + ex.getMessage(), ex);
            }
            material = new Material(next, current.generation + 1, context);
        }
    }

    /** One immutable set of values, with its SSL context built on first use. Any thread. */
    static final class Material
    {
        final X509Certificate[] chain;
        final PrivateKey key;
        final List<X509Certificate> trusted;
        final List<X509Certificate> clientAuthorities;
        final boolean insecure;
        final boolean hostnameVerification;
        final TlsProvider provider;
        final String chainSource;
        final SecureRandom secureRandom;
        final long generation;
        private volatile SSLContext context;

        Material(final Builder builder, final long generation)
        {
            this.chain = builder.chain;
            this.key = builder.key;
            this.trusted = Collections.unmodifiableList(new ArrayList<>(builder.trusted));
            this.clientAuthorities = Collections.unmodifiableList(new ArrayList<>(builder.clientAuthorities));
            this.insecure = builder.insecure;
            this.hostnameVerification = builder.hostnameVerification;
            this.provider = builder.provider;
            this.chainSource = builder.chainSource;
            this.secureRandom = builder.secureRandom;
            this.generation = generation;
        }

        Material(final Material from, final long generation, final SSLContext context)
        {
            this.chain = from.chain;
            this.key = from.key;
            this.trusted = from.trusted;
            this.clientAuthorities = from.clientAuthorities;
            this.insecure = from.insecure;
            this.hostnameVerification = from.hostnameVerification;
            this.provider = from.provider;
            this.chainSource = from.chainSource;
            this.secureRandom = from.secureRandom;
            this.generation = generation;
            this.context = context;
        }

        boolean requiresClientCertificate()
        {
            return !clientAuthorities.isEmpty();
        }

        SSLContext context()
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
                    trustManagers = trustManagers(jsse, trusted);
                }
                if (!clientAuthorities.isEmpty())
                {
                    // One context serves both roles: the server's check of a client certificate goes
                    // to the client authorities only, a client's check of a server to the trust above.
                    trustManagers = new TrustManager[] {new SplitTrustManager(
                        x509(trustManagers(jsse, clientAuthorities)), x509(trustManagers), clientAuthorities)};
                }
                sslContext.init(keyManagers, trustManagers, secureRandom != null ? secureRandom : new SecureRandom());
                return sslContext;
            }
            catch (final GeneralSecurityException | IOException ex)
            {
                throw new IllegalStateException("cannot build the TLS context (" + provider + "): " + ex.getMessage(), ex);
            }
        }

        /** PKIX trust managers for {@code anchors}, or the JDK's default trust store when empty. */
        private static TrustManager[] trustManagers(final Provider jsse, final List<X509Certificate> anchors)
            throws GeneralSecurityException, IOException
        {
            final TrustManagerFactory factory = jsse != null ? TrustManagerFactory.getInstance("PKIX", jsse) :
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (anchors.isEmpty())
            {
                factory.init((KeyStore)null);
            }
            else
            {
                final KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                for (int i = 0; i < anchors.size(); i++)
                {
                    store.setCertificateEntry("trusted-" + i, anchors.get(i));
                }
                factory.init(store);
            }
            return factory.getTrustManagers();
        }

        private static X509TrustManager x509(final TrustManager[] managers)
        {
            for (final TrustManager manager : managers)
            {
                if (manager instanceof X509TrustManager)
                {
                    return (X509TrustManager)manager;
                }
            }
            throw new IllegalStateException("no X.509 trust manager among " + List.of(managers));
        }
    }

    /**
     * Checks client certificates against the client certificate authorities and server
     * certificates against the client-side trust, so one SSL context can play both roles. Its
     * accepted issuers (sent in the CertificateRequest's certificate_authorities, RFC 8446 4.2.4)
     * are the client authorities.
     */
    static final class SplitTrustManager extends X509ExtendedTrustManager
    {
        private final X509TrustManager clients;
        private final X509TrustManager servers;
        private final X509Certificate[] issuers;

        SplitTrustManager(final X509TrustManager clients, final X509TrustManager servers,
            final List<X509Certificate> authorities)
        {
            this.clients = clients;
            this.servers = servers;
            this.issuers = authorities.toArray(new X509Certificate[0]);
        }

        @Override
        public void checkClientTrusted(final X509Certificate[] chain, final String authType, final Socket socket)
            throws CertificateException
        {
            if (clients instanceof X509ExtendedTrustManager)
            {
                ((X509ExtendedTrustManager)clients).checkClientTrusted(chain, authType, socket);
            }
            else
            {
                clients.checkClientTrusted(chain, authType);
            }
        }

        @Override
        public void checkClientTrusted(final X509Certificate[] chain, final String authType, final SSLEngine engine)
            throws CertificateException
        {
            if (clients instanceof X509ExtendedTrustManager)
            {
                ((X509ExtendedTrustManager)clients).checkClientTrusted(chain, authType, engine);
            }
            else
            {
                clients.checkClientTrusted(chain, authType);
            }
        }

        @Override
        public void checkClientTrusted(final X509Certificate[] chain, final String authType) throws CertificateException
        {
            clients.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(final X509Certificate[] chain, final String authType, final Socket socket)
            throws CertificateException
        {
            if (servers instanceof X509ExtendedTrustManager)
            {
                ((X509ExtendedTrustManager)servers).checkServerTrusted(chain, authType, socket);
            }
            else
            {
                servers.checkServerTrusted(chain, authType);
            }
        }

        @Override
        public void checkServerTrusted(final X509Certificate[] chain, final String authType, final SSLEngine engine)
            throws CertificateException
        {
            if (servers instanceof X509ExtendedTrustManager)
            {
                ((X509ExtendedTrustManager)servers).checkServerTrusted(chain, authType, engine);
            }
            else
            {
                servers.checkServerTrusted(chain, authType);
            }
        }

        @Override
        public void checkServerTrusted(final X509Certificate[] chain, final String authType) throws CertificateException
        {
            servers.checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers()
        {
            return issuers.clone();
        }
    }

    /**
     * True if {@code key} signs what {@code publicKey} verifies (RSA, EC, EdDSA); true too for an
     * algorithm this cannot probe (the handshake will tell).
     */
    public static boolean keyMatches(final PrivateKey key, final PublicKey publicKey)
    {
        final String algorithm;
        switch (key.getAlgorithm())
        {
            case "RSA":
                algorithm = "SHA256withRSA";
                break;
            case "EC":
                algorithm = "SHA256withECDSA";
                break;
            case "Ed25519":
            case "Ed448":
            case "EdDSA":
                algorithm = key.getAlgorithm();
                break;
            default:
                return true;
        }
        try
        {
            final byte[] probe = "ringbus key check".getBytes(StandardCharsets.US_ASCII);
            final Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            final byte[] signature = signer.sign();
            final Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            return verifier.verify(signature);
        }
        catch (final GeneralSecurityException ex)
        {
            return false; // e.g. an EC key and an RSA certificate
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
        private String chainSource;
        private String keySource;
        private SecureRandom secureRandom;

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
            this.chainSource = null;
            this.keySource = null;
            return this;
        }

        /** The chain and key from PEM files (PKCS#8, SEC1 EC, PKCS#1 RSA; RSA, EC, Ed25519). */
        public Builder pem(final Path certificateChain, final Path privateKey) throws IOException
        {
            keyMaterial(Pem.certificates(certificateChain).toArray(new X509Certificate[0]), Pem.privateKey(privateKey));
            this.chainSource = certificateChain.toString();
            this.keySource = privateKey.toString();
            return this;
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

        /**
         * The random source of the handshakes (the SSL context's, and a QUIC client's connection
         * ids and handshakes); by default a new {@link SecureRandom}. For a simulator, which gives a
         * seeded one so that a seed replays its handshakes.
         */
        public Builder secureRandom(final SecureRandom random)
        {
            this.secureRandom = Objects.requireNonNull(random, "random");
            return this;
        }

        /** The JSSE provider (default: the JDK's). */
        public Builder provider(final TlsProvider provider)
        {
            this.provider = Objects.requireNonNull(provider, "provider");
            return this;
        }

        /**
         * The settings.
         *
         * @throws IllegalArgumentException if the key does not belong to the leaf certificate
         */
        public TlsSettings build()
        {
            if (chain != null && !keyMatches(key, chain[0].getPublicKey()))
            {
                throw new IllegalArgumentException("the private key" + (keySource != null ? " " + keySource : "") +
                    " does not belong to the leaf certificate " + chain[0].getSubjectX500Principal().getName() +
                    (chainSource != null ? " of " + chainSource : "") + " (" + key.getAlgorithm() + " key, " +
                    chain[0].getPublicKey().getAlgorithm() + " certificate)");
            }
            return new TlsSettings(this);
        }
    }
}
