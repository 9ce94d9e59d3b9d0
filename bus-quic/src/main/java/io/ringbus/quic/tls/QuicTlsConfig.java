package io.ringbus.quic.tls;

import io.ringbus.quic.packet.CipherSuite;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.EnumSet;

/**
 * The TLS settings of QUIC endpoints (RFC 9001): a server's certificate chain and key, a client's
 * trust anchors and hostname check, and the cipher suites, groups and ALPN protocol both offer;
 * for mutual TLS, the authorities a server requires a client certificate to chain to, and the
 * chain and key a client presents when asked.
 * Built once with {@link #builder()}; immutable and shared by any number of engines on any thread.
 */
public final class QuicTlsConfig
{
    /** The ALPN protocol Ringbus speaks over QUIC (RFC 9001 8.1 requires one). */
    public static final String DEFAULT_APPLICATION_PROTOCOL = "ringbus";

    private final X509Certificate[] certificateChain;
    private final PrivateKey privateKey;
    private final SignatureScheme[] signatureSchemes;
    private final X509Certificate[] trustAnchors;
    private final X509Certificate[] clientCertificateAuthorities;
    private final boolean hostnameVerification;
    private final boolean insecure;
    private final CipherSuite[] cipherSuites;
    private final NamedGroup[] groups;
    private final String applicationProtocol;
    private final byte[] applicationProtocolBytes;
    private final SecureRandom random;

    private QuicTlsConfig(final Builder builder, final SignatureScheme[] signatureSchemes)
    {
        this.certificateChain = builder.certificateChain;
        this.privateKey = builder.privateKey;
        this.signatureSchemes = signatureSchemes;
        this.trustAnchors = builder.trustAnchors;
        this.clientCertificateAuthorities = builder.clientCertificateAuthorities;
        this.hostnameVerification = builder.hostnameVerification;
        this.insecure = builder.insecure;
        this.cipherSuites = builder.cipherSuites;
        this.groups = builder.groups;
        this.applicationProtocol = builder.applicationProtocol;
        this.applicationProtocolBytes = builder.applicationProtocol.getBytes(StandardCharsets.US_ASCII);
        this.random = builder.random != null ? builder.random : new SecureRandom();
    }

    /** A builder with the defaults: both cipher suites, X25519 then secp256r1, ALPN "ringbus", hostname check on. */
    public static Builder builder()
    {
        return new Builder();
    }

    /** True if a server can be built from this configuration (it has key material). */
    public boolean hasKeyMaterial()
    {
        return privateKey != null;
    }

    /** True if a server requires a client certificate chained to one of its client certificate authorities. */
    public boolean requiresClientCertificate()
    {
        return clientCertificateAuthorities.length > 0;
    }

    /** True if a client can be built from this configuration (trust anchors, or insecure). */
    public boolean canVerifyServers()
    {
        return insecure || trustAnchors.length > 0;
    }

    /** The cipher suites, most preferred first. */
    public CipherSuite[] cipherSuites()
    {
        return cipherSuites.clone();
    }

    /** The key exchange groups, most preferred first. */
    public NamedGroup[] groups()
    {
        return groups.clone();
    }

    /** The ALPN protocol offered and required. */
    public String applicationProtocol()
    {
        return applicationProtocol;
    }

    /** True if a client checks the server's certificate against the server name. */
    public boolean hostnameVerification()
    {
        return hostnameVerification;
    }

    /** True if a client accepts any server certificate (tests only). */
    public boolean isInsecure()
    {
        return insecure;
    }

    X509Certificate[] certificateChain()
    {
        return certificateChain;
    }

    PrivateKey privateKey()
    {
        return privateKey;
    }

    SignatureScheme[] signatureSchemes()
    {
        return signatureSchemes;
    }

    X509Certificate[] trustAnchors()
    {
        return trustAnchors;
    }

    X509Certificate[] clientCertificateAuthorities()
    {
        return clientCertificateAuthorities;
    }

    byte[] applicationProtocolBytes()
    {
        return applicationProtocolBytes;
    }

    SecureRandom random()
    {
        return random;
    }

    /**
     * Collects the settings of a {@link QuicTlsConfig}; {@link #build()} validates them. Not
     * thread-safe.
     */
    public static final class Builder
    {
        private X509Certificate[] certificateChain;
        private PrivateKey privateKey;
        private X509Certificate[] trustAnchors = new X509Certificate[0];
        private X509Certificate[] clientCertificateAuthorities = new X509Certificate[0];
        private boolean hostnameVerification = true;
        private boolean insecure;
        private CipherSuite[] cipherSuites = {CipherSuite.AES_128_GCM_SHA256, CipherSuite.CHACHA20_POLY1305_SHA256};
        private NamedGroup[] groups = {NamedGroup.X25519, NamedGroup.SECP256R1};
        private String applicationProtocol = DEFAULT_APPLICATION_PROTOCOL;
        private SecureRandom random;

        private Builder()
        {
        }

        /**
         * The random source of the handshakes (hello randoms, key shares, CertificateVerify
         * signatures); by default a new {@link SecureRandom}. A simulator gives a seeded one so
         * that a seed replays the same handshakes, byte for byte.
         */
        public Builder random(final SecureRandom random)
        {
            if (random == null)
            {
                throw new IllegalArgumentException("random: null");
            }
            this.random = random;
            return this;
        }

        /**
         * The certificate chain, leaf first, and the leaf's private key (EC P-256/P-384, RSA or
         * Ed25519): what a server presents, or what a client presents when a server asks.
         */
        public Builder keyMaterial(final X509Certificate[] chain, final PrivateKey key)
        {
            if (chain == null || chain.length == 0)
            {
                throw new IllegalArgumentException("keyMaterial: the certificate chain is empty");
            }
            for (int i = 0; i < chain.length; i++)
            {
                if (chain[i] == null)
                {
                    throw new IllegalArgumentException("keyMaterial: certificate " + i + " of the chain is null");
                }
            }
            if (key == null)
            {
                throw new IllegalArgumentException("keyMaterial: the private key is null");
            }
            this.certificateChain = chain.clone();
            this.privateKey = key;
            return this;
        }

        /** The certificates a client trusts as roots (or pinned leaves) of a server's chain. */
        public Builder trust(final X509Certificate... anchors)
        {
            if (anchors == null)
            {
                throw new IllegalArgumentException("trust: the anchors are null");
            }
            for (int i = 0; i < anchors.length; i++)
            {
                if (anchors[i] == null)
                {
                    throw new IllegalArgumentException("trust: anchor " + i + " is null");
                }
            }
            this.trustAnchors = anchors.clone();
            return this;
        }

        /**
         * A server requires every client to present a certificate chained to one of these
         * (RFC 8446 4.3.2 CertificateRequest); none, the default, asks for no certificate.
         */
        public Builder clientCertificateAuthorities(final X509Certificate... authorities)
        {
            if (authorities == null)
            {
                throw new IllegalArgumentException("clientCertificateAuthorities: the authorities are null");
            }
            for (int i = 0; i < authorities.length; i++)
            {
                if (authorities[i] == null)
                {
                    throw new IllegalArgumentException("clientCertificateAuthorities: authority " + i + " is null");
                }
            }
            this.clientCertificateAuthorities = authorities.clone();
            return this;
        }

        /** Whether a client checks the server certificate's subjectAltName against the server name (default true). */
        public Builder hostnameVerification(final boolean enabled)
        {
            this.hostnameVerification = enabled;
            return this;
        }

        /**
         * A client accepts any server certificate, checking only that the CertificateVerify
         * signature matches it. For tests only: each handshake that relies on it logs a WARNING.
         */
        public Builder insecureForTestsOnly()
        {
            this.insecure = true;
            return this;
        }

        /** The cipher suites to offer or accept, most preferred first. */
        public Builder cipherSuites(final CipherSuite... suites)
        {
            if (suites == null || suites.length == 0)
            {
                throw new IllegalArgumentException("cipherSuites: at least one suite is needed");
            }
            final EnumSet<CipherSuite> seen = EnumSet.noneOf(CipherSuite.class);
            for (int i = 0; i < suites.length; i++)
            {
                if (suites[i] == null)
                {
                    throw new IllegalArgumentException("cipherSuites: suite " + i + " is null");
                }
                if (!seen.add(suites[i]))
                {
                    throw new IllegalArgumentException("cipherSuites: " + suites[i] + " appears twice");
                }
            }
            this.cipherSuites = suites.clone();
            return this;
        }

        /** The key exchange groups, most preferred first; a client sends a key_share for the first only. */
        public Builder groups(final NamedGroup... groups)
        {
            if (groups == null || groups.length == 0)
            {
                throw new IllegalArgumentException("groups: at least one group is needed");
            }
            final EnumSet<NamedGroup> seen = EnumSet.noneOf(NamedGroup.class);
            for (int i = 0; i < groups.length; i++)
            {
                if (groups[i] == null)
                {
                    throw new IllegalArgumentException("groups: group " + i + " is null");
                }
                if (!seen.add(groups[i]))
                {
                    throw new IllegalArgumentException("groups: " + groups[i] + " appears twice");
                }
            }
            this.groups = groups.clone();
            return this;
        }

        /** The ALPN protocol (default "ringbus"); settable so that tests can force a mismatch. */
        public Builder applicationProtocol(final String protocol)
        {
            if (protocol == null || protocol.isEmpty() || protocol.length() > 255)
            {
                throw new IllegalArgumentException("applicationProtocol: must be 1 to 255 characters, was " +
                    (protocol == null ? "null" : protocol.length() + " characters"));
            }
            for (int i = 0; i < protocol.length(); i++)
            {
                final char c = protocol.charAt(i);
                if (c < 0x21 || c > 0x7E)
                {
                    throw new IllegalArgumentException("applicationProtocol: '" + protocol +
                        "' has a character outside printable ASCII at index " + i);
                }
            }
            this.applicationProtocol = protocol;
            return this;
        }

        /** Validate and build; the key material, if any, is checked to sign and verify with the leaf certificate. */
        public QuicTlsConfig build()
        {
            SignatureScheme[] schemes = new SignatureScheme[0];
            if (privateKey != null)
            {
                schemes = SignatureScheme.forKey(privateKey);
                if (schemes.length == 0)
                {
                    throw new IllegalArgumentException("keyMaterial: a " + privateKey.getAlgorithm() +
                        " private key is not supported (use EC P-256/P-384, RSA, RSASSA-PSS or Ed25519)");
                }
                if (!schemes[0].fits(certificateChain[0].getPublicKey()))
                {
                    throw new IllegalArgumentException("keyMaterial: the private key (" + privateKey.getAlgorithm() +
                        ") is not of the type of the leaf certificate's key (" +
                        certificateChain[0].getPublicKey().getAlgorithm() + ")");
                }
                checkKeyPair(schemes[0]);
            }
            return new QuicTlsConfig(this, schemes);
        }

        private boolean signsForLeaf(final SignatureScheme scheme, final byte[] probe)
        {
            try
            {
                final byte[] signed = scheme.sign(privateKey, probe, random != null ? random : new SecureRandom());
                return scheme.verify(certificateChain[0].getPublicKey(), probe, signed);
            }
            catch (final GeneralSecurityException ex)
            {
                throw new IllegalArgumentException("keyMaterial: cannot sign with the private key: " + ex.getMessage(), ex);
            }
        }

        private void checkKeyPair(final SignatureScheme scheme)
        {
            final byte[] probe = "ringbus key material check".getBytes(StandardCharsets.US_ASCII);
            if (!signsForLeaf(scheme, probe))
            {
                throw new IllegalArgumentException("keyMaterial: the private key does not match the public key of " +
                    certificateChain[0].getSubjectX500Principal().getName());
            }
        }
    }
}
