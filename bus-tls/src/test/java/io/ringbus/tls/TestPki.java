package io.ringbus.tls;

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
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A small certificate authority for mutual-TLS tests: a self-signed CA (EC P-256) that issues leaf
 * certificates for servers and clients, and JDK SSL contexts presenting them. Any thread.
 */
public final class TestPki
{
    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate certificate;
    private final PrivateKey key;

    private TestPki(final X509Certificate certificate, final PrivateKey key)
    {
        this.certificate = certificate;
        this.key = key;
    }

    /** A leaf certificate and its key. */
    public record Issued(X509Certificate certificate, PrivateKey key, X509Certificate issuer)
    {
        /** Chain leaf first, then the CA. */
        public X509Certificate[] chain()
        {
            return new X509Certificate[] {certificate, issuer};
        }

        /** Write {@code NAME.pem} (chain) and {@code NAME.key} (PKCS#8) into {@code dir}; returns {cert, key}. */
        public Path[] writeTo(final Path dir, final String name) throws IOException
        {
            Files.createDirectories(dir);
            final Path cert = dir.resolve(name + ".pem");
            final Path keyFile = dir.resolve(name + ".key");
            Files.writeString(cert, Pem.write(certificate, issuer), StandardCharsets.US_ASCII);
            Files.writeString(keyFile, Pem.write(new JcaPKCS8Generator(key, null)), StandardCharsets.US_ASCII);
            return new Path[] {cert, keyFile};
        }

        /** Server or client TLS settings presenting this certificate. */
        public TlsSettings.Builder settings()
        {
            return TlsSettings.builder().keyMaterial(chain(), key);
        }
    }

    /** A new CA named {@code CN=name}. */
    public static TestPki ca(final String name)
    {
        try
        {
            final KeyPair keys = ecKeys();
            final X500Name subject = new X500Name("CN=" + name);
            final JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(),
                Date.from(Instant.now().minus(Duration.ofMinutes(5))), Date.from(Instant.now().plus(Duration.ofDays(2))),
                subject, keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            return new TestPki(sign(builder, keys.getPrivate()), keys.getPrivate());
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** The CA certificate. */
    public X509Certificate certificate()
    {
        return certificate;
    }

    /** Write the CA certificate as PEM to {@code file}. */
    public Path writeCertificate(final Path file) throws IOException
    {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, Pem.write(certificate), StandardCharsets.US_ASCII);
        return file;
    }

    /**
     * A leaf for {@code subject} (an X.500 name such as {@code CN=client-7,O=Ringbus Test}) with the
     * given subject alternative names, usable by servers and clients, valid from
     * {@code notBefore} to {@code notAfter}.
     */
    public Issued issue(final String subject, final Instant notBefore, final Instant notAfter,
        final GeneralName... names)
    {
        try
        {
            final KeyPair keys = ecKeys();
            final JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                new X500Name(certificate.getSubjectX500Principal().getName()), serial(), Date.from(notBefore),
                Date.from(notAfter), new X500Name(subject), keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            if (names.length > 0)
            {
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            return new Issued(sign(builder, key), keys.getPrivate(), certificate);
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** A leaf valid from five minutes ago for a day. */
    public Issued issue(final String subject, final GeneralName... names)
    {
        return issue(subject, Instant.now().minus(Duration.ofMinutes(5)), Instant.now().plus(Duration.ofDays(1)), names);
    }

    /** A server leaf for localhost and 127.0.0.1. */
    public Issued issueServer(final String subject)
    {
        return issue(subject, new GeneralName(GeneralName.dNSName, "localhost"),
            new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
    }

    /**
     * A JDK TLS 1.3 client context trusting {@code trusted} and presenting {@code client} (null: no
     * certificate) whenever the server asks, whichever authorities the server names, so a server
     * gets to judge a certificate from another CA.
     */
    public static SSLContext jdkClientContext(final X509Certificate trusted, final Issued client)
    {
        try
        {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("trusted", trusted);
            final TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            final SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(client == null ? null : new KeyManager[] {new AlwaysPresent(client)}, factory.getTrustManagers(),
                null);
            return context;
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static KeyPair ecKeys() throws Exception
    {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return generator.generateKeyPair();
    }

    private static BigInteger serial()
    {
        return new BigInteger(64, RANDOM);
    }

    private static X509Certificate sign(final JcaX509v3CertificateBuilder builder, final PrivateKey signer)
        throws Exception
    {
        return new JcaX509CertificateConverter().getCertificate(
            builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    }

    /** Presents one certificate to any server that asks. */
    private static final class AlwaysPresent extends X509ExtendedKeyManager
    {
        private final Issued client;

        AlwaysPresent(final Issued client)
        {
            this.client = client;
        }

        @Override
        public String[] getClientAliases(final String keyType, final Principal[] issuers)
        {
            return new String[] {"client"};
        }

        @Override
        public String chooseClientAlias(final String[] keyType, final Principal[] issuers, final Socket socket)
        {
            return "client";
        }

        @Override
        public String chooseEngineClientAlias(final String[] keyType, final Principal[] issuers, final SSLEngine engine)
        {
            return "client";
        }

        @Override
        public String[] getServerAliases(final String keyType, final Principal[] issuers)
        {
            return null;
        }

        @Override
        public String chooseServerAlias(final String keyType, final Principal[] issuers, final Socket socket)
        {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(final String alias)
        {
            return client.chain();
        }

        @Override
        public PrivateKey getPrivateKey(final String alias)
        {
            return client.key();
        }
    }
}
