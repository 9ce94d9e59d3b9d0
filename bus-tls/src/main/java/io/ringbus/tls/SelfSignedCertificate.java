package io.ringbus.tls;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;

/**
 * A self-signed certificate for localhost (EC P-256, SAN {@code localhost}, {@code 127.0.0.1},
 * {@code ::1}), for development: {@code ringbus serve} uses one when given no certificate and
 * prints its SHA-256 fingerprint. Immutable; any thread.
 */
public final class SelfSignedCertificate
{
    private final X509Certificate certificate;
    private final PrivateKey privateKey;

    private SelfSignedCertificate(final X509Certificate certificate, final PrivateKey privateKey)
    {
        this.certificate = certificate;
        this.privateKey = privateKey;
    }

    /** Generate a fresh key pair and a certificate valid for a year. */
    public static SelfSignedCertificate generate()
    {
        return generate(new SecureRandom(), Instant.now(), Duration.ofDays(365));
    }

    /**
     * Generate a key pair, serial and signature from {@code random}, valid from five minutes before
     * {@code from} for {@code validity}: a simulator passes a seeded random and a fixed instant, so
     * that one seed always makes the same certificate (the same bytes, the same length).
     */
    public static SelfSignedCertificate generate(final SecureRandom random, final Instant from, final Duration validity)
    {
        try
        {
            final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), random);
            final KeyPair keys = generator.generateKeyPair();
            final X500Name subject = new X500Name("CN=localhost");
            final JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                new BigInteger(64, random), Date.from(from.minus(Duration.ofMinutes(5))),
                Date.from(from.plus(validity)), subject, keys.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.iPAddress, "::1")}));
            final X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").setSecureRandom(random).build(keys.getPrivate())));
            return new SelfSignedCertificate(certificate, keys.getPrivate());
        }
        catch (final GeneralSecurityException | IOException | OperatorCreationException ex)
        {
            throw new IllegalStateException("cannot generate a self-signed certificate: " + ex.getMessage(), ex);
        }
    }

    /** The certificate. */
    public X509Certificate certificate()
    {
        return certificate;
    }

    /** Its private key. */
    public PrivateKey privateKey()
    {
        return privateKey;
    }

    /** SHA-256 of the DER certificate as colon-separated upper-case hex, as openssl prints it. */
    public String sha256Fingerprint()
    {
        return fingerprint(certificate);
    }

    /** SHA-256 fingerprint of any certificate. */
    public static String fingerprint(final X509Certificate certificate)
    {
        try
        {
            final byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** Write {@code cert.pem} and {@code key.pem} (PKCS#8) into {@code directory}; returns the certificate path. */
    public Path writeTo(final Path directory) throws IOException
    {
        Files.createDirectories(directory);
        final Path cert = directory.resolve("cert.pem");
        Files.writeString(cert, Pem.write(certificate), StandardCharsets.US_ASCII);
        final Path key = directory.resolve("key.pem");
        Files.writeString(key, Pem.write(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(privateKey, null)),
            StandardCharsets.US_ASCII);
        return cert;
    }

    /** Server settings that present this certificate. */
    public TlsSettings.Builder serverSettings()
    {
        return TlsSettings.builder().keyMaterial(new X509Certificate[] {certificate}, privateKey);
    }

    /** Client settings that trust exactly this certificate. */
    public TlsSettings.Builder clientSettings()
    {
        return TlsSettings.builder().trust(certificate);
    }
}
