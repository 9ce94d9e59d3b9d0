package io.ringbus.tls;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes PEM: certificate chains, and private keys as PKCS#8 ({@code PRIVATE KEY}, which
 * covers RSA, EC and Ed25519), SEC1 EC ({@code EC PRIVATE KEY}) and PKCS#1 RSA
 * ({@code RSA PRIVATE KEY}). Keys come out as JDK key objects, usable by either TLS provider.
 * Stateless; any thread.
 */
public final class Pem
{
    private Pem()
    {
    }

    /** Every certificate in a PEM file, in file order (leaf first for a chain). */
    public static List<X509Certificate> certificates(final Path file) throws IOException
    {
        return certificates(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
    }

    /** Every certificate in PEM text; {@code source} names it in errors. */
    public static List<X509Certificate> certificates(final String pem, final String source) throws IOException
    {
        final List<X509Certificate> chain = new ArrayList<>();
        final JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        try (PEMParser parser = new PEMParser(new StringReader(pem)))
        {
            Object object;
            while ((object = parser.readObject()) != null)
            {
                if (object instanceof X509CertificateHolder)
                {
                    chain.add(converter.getCertificate((X509CertificateHolder)object));
                }
            }
        }
        catch (final CertificateException ex)
        {
            throw new IOException(source + ": bad certificate: " + ex.getMessage(), ex);
        }
        if (chain.isEmpty())
        {
            throw new IOException(source + ": no CERTIFICATE block found");
        }
        return chain;
    }

    /** The private key in a PEM file (PKCS#8, SEC1 EC or PKCS#1 RSA). */
    public static PrivateKey privateKey(final Path file) throws IOException
    {
        return privateKey(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
    }

    /** The private key in PEM text; {@code source} names it in errors. */
    public static PrivateKey privateKey(final String pem, final String source) throws IOException
    {
        final JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try (Reader reader = new StringReader(pem); PEMParser parser = new PEMParser(reader))
        {
            Object object;
            while ((object = parser.readObject()) != null)
            {
                if (object instanceof PEMKeyPair)
                {
                    // Not getKeyPair(): the public key of a SEC1 EC key is optional (RFC 5915, and
                    // the JDK leaves it out), and getKeyPair() fails without it.
                    return converter.getPrivateKey(((PEMKeyPair)object).getPrivateKeyInfo());
                }
                if (object instanceof PrivateKeyInfo)
                {
                    return converter.getPrivateKey((PrivateKeyInfo)object);
                }
            }
        }
        throw new IOException(source + ": no PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY block found " +
            "(encrypted keys are not supported)");
    }

    /**
     * PEM text of certificates and/or keys. A {@link PrivateKey} is written in its traditional form
     * (PKCS#1 for RSA, SEC1 for EC, PKCS#8 for the rest); wrap it in a
     * {@code JcaPKCS8Generator} for PKCS#8.
     */
    public static String write(final Object... objects) throws IOException
    {
        final StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out))
        {
            for (final Object object : objects)
            {
                writer.writeObject(object instanceof ECPrivateKey ? withCurve((ECPrivateKey)object) : object);
            }
        }
        return out.toString();
    }

    /**
     * The JDK's EC keys name their curve only in the PKCS#8 wrapper, not in the inner SEC1
     * structure, so a SEC1 block written from one has no curve and nobody (openssl, nor
     * {@link #privateKey}) can read it back. BouncyCastle's key objects carry it inside.
     */
    private static PrivateKey withCurve(final ECPrivateKey key) throws IOException
    {
        return TlsSettings.BouncyCastle.key(key);
    }
}
