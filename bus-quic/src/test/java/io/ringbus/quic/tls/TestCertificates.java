package io.ringbus.quic.tls;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Certificates for the handshake tests, made with BouncyCastle: a test CA (EC P-256) and leaves it
 * signs with EC P-256, RSA and Ed25519 keys, made once per JVM.
 */
public final class TestCertificates
{
    private static final AtomicLong SERIAL = new AtomicLong(1);

    /** A certificate chain (leaf first) and the leaf's key. */
    public static final class Identity
    {
        public final X509Certificate[] chain;
        public final PrivateKey key;

        Identity(final X509Certificate[] chain, final PrivateKey key)
        {
            this.chain = chain;
            this.key = key;
        }

        public X509Certificate leaf()
        {
            return chain[0];
        }
    }

    public static final Identity CA = selfSigned("CN=Ringbus Test CA", ecKey(), true);
    public static final Identity OTHER_CA = selfSigned("CN=Somebody Else's CA", ecKey(), true);
    public static final Identity EC_LEAF = leaf(CA, "CN=localhost", ecKey(), false, "localhost", "127.0.0.1", "::1");
    /** A client's certificate (clientAuth, digitalSignature), signed by {@link #CA}. */
    public static final Identity CLIENT_LEAF = leaf(CA, "CN=client-7,O=Ringbus Tests", ecKey(), KeyPurposeId.id_kp_clientAuth,
        KeyUsage.digitalSignature, Instant.now().plus(Duration.ofDays(30)), false, "client-7.example", "10.0.0.7");
    /** A client's certificate signed by {@link #OTHER_CA}. */
    public static final Identity STRANGER_LEAF = leaf(OTHER_CA, "CN=stranger", ecKey(), KeyPurposeId.id_kp_clientAuth,
        KeyUsage.digitalSignature, Instant.now().plus(Duration.ofDays(30)), false, "stranger.example");

    private static Identity rsaLeaf;
    private static Identity ed25519Leaf;

    private TestCertificates()
    {
    }

    static synchronized Identity rsaLeaf()
    {
        if (rsaLeaf == null)
        {
            rsaLeaf = leaf(CA, "CN=rsa.localhost", keyPair("RSA", 2048), false, "localhost");
        }
        return rsaLeaf;
    }

    static synchronized Identity ed25519Leaf()
    {
        if (ed25519Leaf == null)
        {
            ed25519Leaf = leaf(CA, "CN=ed25519.localhost", keyPair("Ed25519", 0), false, "localhost");
        }
        return ed25519Leaf;
    }

    public static KeyPair ecKey()
    {
        try
        {
            final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    public static KeyPair keyPair(final String algorithm, final int size)
    {
        try
        {
            final KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
            if (size > 0)
            {
                generator.initialize(size);
            }
            return generator.generateKeyPair();
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    public static Identity selfSigned(final String subject, final KeyPair keys, final boolean ca)
    {
        final X509Certificate certificate = build(subject, keys, subject, keys.getPrivate(), ca,
            ca ? null : KeyPurposeId.id_kp_serverAuth, -1, Instant.now().minus(Duration.ofMinutes(5)), Instant.now().plus(Duration.ofDays(30)), "localhost");
        return new Identity(new X509Certificate[] {certificate}, keys.getPrivate());
    }

    /** An intermediate CA (EC P-256) signed by {@code issuer}. */
    public static Identity intermediate(final Identity issuer, final String subject)
    {
        final KeyPair keys = ecKey();
        final X509Certificate certificate = build(subject, keys, issuer.leaf().getSubjectX500Principal().getName(),
            issuer.key, true, null, -1, Instant.now().minus(Duration.ofMinutes(5)), Instant.now().plus(Duration.ofDays(30)),
            "unused.invalid");
        return new Identity(new X509Certificate[] {certificate}, keys.getPrivate());
    }

    /** A leaf signed by {@code issuer}, valid now, for TLS servers, naming {@code names}. */
    public static Identity leaf(final Identity issuer, final String subject, final KeyPair keys, final boolean withIssuer,
        final String... names)
    {
        return leaf(issuer, subject, keys, KeyPurposeId.id_kp_serverAuth, Instant.now().plus(Duration.ofDays(30)),
            withIssuer, names);
    }

    public static Identity leaf(final Identity issuer, final String subject, final KeyPair keys, final KeyPurposeId purpose,
        final Instant notAfter, final boolean withIssuer, final String... names)
    {
        return leaf(issuer, subject, keys, purpose, -1, notAfter, withIssuer, names);
    }

    /** A leaf for {@code purpose} with the keyUsage bits {@code keyUsage} (BouncyCastle KeyUsage flags), or none if negative. */
    public static Identity leaf(final Identity issuer, final String subject, final KeyPair keys, final KeyPurposeId purpose,
        final int keyUsage, final Instant notAfter, final boolean withIssuer, final String... names)
    {
        final X509Certificate certificate = build(subject, keys, issuer.leaf().getSubjectX500Principal().getName(),
            issuer.key, false, purpose, keyUsage, notAfter.minus(Duration.ofDays(60)), notAfter, names);
        final X509Certificate[] chain = withIssuer ?
            new X509Certificate[] {certificate, issuer.leaf()} : new X509Certificate[] {certificate};
        return new Identity(chain, keys.getPrivate());
    }

    private static X509Certificate build(final String subject, final KeyPair keys, final String issuer,
        final PrivateKey issuerKey, final boolean ca, final KeyPurposeId purpose, final int keyUsage, final Instant notBefore,
        final Instant notAfter, final String... names)
    {
        try
        {
            final JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer),
                BigInteger.valueOf(SERIAL.getAndIncrement()), Date.from(notBefore), Date.from(notAfter),
                new X500Name(subject), keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            if (ca)
            {
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            }
            else
            {
                if (purpose != null)
                {
                    builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
                }
                if (keyUsage >= 0)
                {
                    builder.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
                }
            }
            final GeneralName[] sans = new GeneralName[names.length];
            for (int i = 0; i < names.length; i++)
            {
                sans[i] = new GeneralName(CertificateChecks.isIpLiteral(names[i]) ? GeneralName.iPAddress :
                    GeneralName.dNSName, names[i]);
            }
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
            final String algorithm = "Ed25519".equals(issuerKey.getAlgorithm()) || "EdDSA".equals(issuerKey.getAlgorithm()) ?
                "Ed25519" : "RSA".equals(issuerKey.getAlgorithm()) ? "SHA256withRSA" : "SHA256withECDSA";
            return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder(algorithm).build(issuerKey)));
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("cannot make a test certificate for " + subject, ex);
        }
    }
}
