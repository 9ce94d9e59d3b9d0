package io.ringbus.cli;

import io.ringbus.tls.Pem;
import io.ringbus.tls.SelfSignedCertificate;
import io.ringbus.tls.TlsSettings;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The certificate the TLS listeners of {@code ringbus serve} ({@code --tls}, {@code --wss} and
 * {@code --quic}) present: the PEM files given with {@code --cert}/{@code --key}, or a self-signed
 * certificate for localhost kept in the data directory ({@link #selfSigned}: generated on the first
 * start, reused on the next ones, so the file a client trusts with {@code ringbus load --trust}
 * survives restarts). With {@code --client-ca} the settings also require client certificates
 * chained to that PEM bundle. {@link #reread} builds the same from the files again, for a reload
 * on SIGHUP. Immutable; any thread.
 *
 * @param settings    server TLS settings presenting the certificate
 * @param path        the PEM file holding the certificate (absolute)
 * @param fingerprint SHA-256 of the leaf certificate, colon-separated upper-case hex
 * @param generated   true for a self-signed certificate generated at this start
 * @param note        how it came about, for the log ("reused ...", "generated ...: no cert.pem"), or null
 */
public record ServeCertificate(TlsSettings settings, Path path, String fingerprint, boolean generated, String note)
{
    /** A certificate without a note. */
    public ServeCertificate(final TlsSettings settings, final Path path, final String fingerprint,
        final boolean generated)
    {
        this(settings, path, fingerprint, generated, null);
    }

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
        return load(cert, key, null);
    }

    /**
     * As {@link #load(Path, Path)}, requiring client certificates chained to the PEM bundle
     * {@code clientCa} when it is not null.
     *
     * @throws UsageException if a file cannot be read or parsed, the key does not match, or the
     *                        bundle holds no certificate
     */
    public static ServeCertificate load(final Path cert, final Path key, final Path clientCa) throws UsageException
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
        if (!TlsSettings.keyMatches(privateKey, leaf.getPublicKey()))
        {
            throw new UsageException("ringbus serve: --key = " + key + " does not belong to the first certificate " +
                "of --cert = " + cert + " (" + leaf.getSubjectX500Principal() + ")");
        }
        final TlsSettings.Builder settings = TlsSettings.builder()
            .keyMaterial(chain.toArray(new X509Certificate[0]), privateKey);
        withClientCa(settings, clientCa);
        return new ServeCertificate(build(settings, cert), cert.toAbsolutePath().normalize(),
            SelfSignedCertificate.fingerprint(leaf), false);
    }

    /** Require client certificates chained to {@code clientCa} (a PEM bundle), if given. */
    private static void withClientCa(final TlsSettings.Builder settings, final Path clientCa) throws UsageException
    {
        if (clientCa == null)
        {
            return;
        }
        try
        {
            settings.clientCertificateAuthoritiesPem(clientCa);
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new UsageException("ringbus serve: --client-ca = " + clientCa + ": cannot load a PEM certificate " +
                "bundle: " + ex.getMessage(), ex);
        }
    }

    private static TlsSettings build(final TlsSettings.Builder settings, final Path cert) throws UsageException
    {
        try
        {
            return settings.build();
        }
        catch (final RuntimeException ex)
        {
            throw new UsageException("ringbus serve: --cert = " + cert + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * The same certificate built again from its files (this one's {@link #path} and the key
     * beside it, or the given {@code --cert}/{@code --key}), with {@code clientCa}: what a SIGHUP
     * reloads. A self-signed certificate is re-read from the data directory, never regenerated.
     *
     * @throws UsageException naming the file and the problem; nothing changes then
     */
    public static ServeCertificate reread(final Path cert, final Path key, final Path clientCa) throws UsageException
    {
        final ServeCertificate loaded = load(cert, key, clientCa);
        final X509Certificate leaf = loaded.settings().certificate();
        try
        {
            leaf.checkValidity();
        }
        catch (final java.security.cert.CertificateException ex)
        {
            throw new UsageException("ringbus serve: --cert = " + cert + ": certificate " +
                leaf.getSubjectX500Principal().getName() + " is not valid now (" + leaf.getNotBefore() + " to " +
                leaf.getNotAfter() + ")", ex);
        }
        return loaded;
    }

    /**
     * The self-signed certificate kept in {@code dataDir}: the {@value #CERT_FILE} and
     * {@value #KEY_FILE} written by an earlier start when they are there, readable, belong together
     * and are valid now; else a new one is generated and written ({@link #generate}), the note
     * saying why. With {@code clientCa}, client certificates chained to it are required.
     *
     * @throws IOException if a new certificate cannot be written
     * @throws UsageException if {@code clientCa} cannot be loaded
     */
    public static ServeCertificate selfSigned(final Path dataDir, final Path clientCa) throws IOException, UsageException
    {
        final Path directory = dataDir.toAbsolutePath().normalize();
        final Path cert = directory.resolve(CERT_FILE);
        final Path key = directory.resolve(KEY_FILE);
        ServeCertificate kept = null;
        String reason = null;
        if (!Files.exists(cert) || !Files.exists(key))
        {
            reason = "no " + (Files.exists(cert) ? KEY_FILE : CERT_FILE) + " in " + directory;
        }
        else
        {
            try
            {
                kept = reread(cert, key, null);
            }
            catch (final UsageException ex)
            {
                reason = ex.getMessage().substring(ex.getMessage().indexOf(": ") + 2); // without "ringbus serve: "
            }
        }
        if (kept != null)
        {
            try
            {
                restrictToOwner(key);
            }
            catch (final IOException ex)
            {
                // Not ours to change (another owner): it was written owner-only by the start that made it.
            }
            final TlsSettings.Builder settings = TlsSettings.builder()
                .keyMaterial(kept.settings().certificateChain(), kept.settings().privateKey());
            withClientCa(settings, clientCa);
            return new ServeCertificate(build(settings, cert), cert, kept.fingerprint(), false,
                "reused the self-signed certificate in " + directory + " (valid until " +
                kept.settings().certificate().getNotAfter().toInstant() + ")");
        }
        final ServeCertificate fresh = generate(directory);
        final TlsSettings.Builder settings = TlsSettings.builder()
            .keyMaterial(fresh.settings().certificateChain(), fresh.settings().privateKey());
        withClientCa(settings, clientCa);
        return new ServeCertificate(build(settings, fresh.path()), fresh.path(), fresh.fingerprint(), true,
            "generated a new self-signed certificate: " + reason);
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
}
