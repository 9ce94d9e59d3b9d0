package io.ringbus.cli;

import io.ringbus.tls.Pem;
import io.ringbus.tls.SelfSignedCertificate;
import io.ringbus.tls.TlsSettings;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The certificate the TLS listeners of {@code ringbus serve} ({@code --tls}, {@code --wss} and
 * {@code --quic}) present: the PEM files given with {@code --cert}/{@code --key}, or a self-signed
 * certificate for localhost generated at start and written to the data directory, so that clients
 * can trust it ({@code ringbus load --trust}).
 * Immutable; any thread.
 *
 * @param settings    server TLS settings presenting the certificate
 * @param path        the PEM file holding the certificate (absolute)
 * @param fingerprint SHA-256 of the leaf certificate, colon-separated upper-case hex
 * @param generated   true for a self-signed certificate generated at this start
 */
public record ServeCertificate(TlsSettings settings, Path path, String fingerprint, boolean generated)
{
    /** The certificate file written to the data directory. */
    public static final String CERT_FILE = "cert.pem";
    /** The key file written to the data directory. */
    public static final String KEY_FILE = "key.pem";

    /** The line {@code serve} prints: {@code tls certificate <path> sha256 <fingerprint>}. */
    public String describe()
    {
        return "tls certificate " + path + " sha256 " + fingerprint;
    }

    /**
     * Load a chain and its key from PEM files, and check that the key belongs to the leaf.
     *
     * @throws UsageException if a file cannot be read or parsed, or the key does not match
     */
    public static ServeCertificate load(final Path cert, final Path key) throws UsageException
    {
        final List<X509Certificate> chain;
        final PrivateKey privateKey;
        try
        {
            chain = Pem.certificates(cert);
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new UsageException("ringbus serve: --cert = " + cert + ": cannot load a PEM certificate: " +
                ex.getMessage(), ex);
        }
        try
        {
            privateKey = Pem.privateKey(key);
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new UsageException("ringbus serve: --key = " + key + ": cannot load a PEM private key: " +
                ex.getMessage(), ex);
        }
        final X509Certificate leaf = chain.get(0);
        if (!matches(privateKey, leaf.getPublicKey()))
        {
            throw new UsageException("ringbus serve: --key = " + key + " does not belong to the first certificate " +
                "of --cert = " + cert + " (" + leaf.getSubjectX500Principal() + ")");
        }
        final TlsSettings settings = TlsSettings.builder()
            .keyMaterial(chain.toArray(new X509Certificate[0]), privateKey)
            .build();
        return new ServeCertificate(settings, cert.toAbsolutePath().normalize(),
            SelfSignedCertificate.fingerprint(leaf), false);
    }

    /**
     * Generate a self-signed certificate for localhost and write {@value #CERT_FILE} and
     * {@value #KEY_FILE} (owner-only where the file system has POSIX permissions) into
     * {@code dataDir}, creating it. Both files are replaced atomically where the file system
     * allows, so a client never reads half a file.
     *
     * @throws IOException if the directory or the files cannot be written
     */
    public static ServeCertificate generate(final Path dataDir) throws IOException
    {
        final SelfSignedCertificate certificate = SelfSignedCertificate.generate();
        final Path directory = dataDir.toAbsolutePath().normalize();
        Files.createDirectories(directory);
        final Path staging = Files.createTempDirectory(directory, ".cert-");
        try
        {
            certificate.writeTo(staging);
            restrictToOwner(staging.resolve(KEY_FILE));
            move(staging.resolve(KEY_FILE), directory.resolve(KEY_FILE));
            move(staging.resolve(CERT_FILE), directory.resolve(CERT_FILE));
        }
        finally
        {
            Files.deleteIfExists(staging.resolve(KEY_FILE));
            Files.deleteIfExists(staging.resolve(CERT_FILE));
            Files.deleteIfExists(staging);
        }
        return new ServeCertificate(certificate.serverSettings().build(), directory.resolve(CERT_FILE),
            certificate.sha256Fingerprint(), true);
    }

    private static void restrictToOwner(final Path file) throws IOException
    {
        try
        {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
        catch (final UnsupportedOperationException ex)
        {
            // Not a POSIX file system: the directory's own permissions apply.
        }
    }

    private static void move(final Path from, final Path to) throws IOException
    {
        try
        {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final AtomicMoveNotSupportedException ex)
        {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** True if {@code key} signs what {@code publicKey} verifies (RSA, EC or EdDSA). */
    private static boolean matches(final PrivateKey key, final PublicKey publicKey)
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
                return true; // an algorithm we cannot probe: the handshake will tell
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
}
