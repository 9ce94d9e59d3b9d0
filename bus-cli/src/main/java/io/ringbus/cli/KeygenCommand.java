package io.ringbus.cli;

import io.ringbus.core.config.BusConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * {@code ringbus keygen FILE}: writes a new cluster key, {@value #KEY_BYTES} bytes from
 * {@link SecureRandom} as one line of lowercase hex (64 characters and a newline), to a file that
 * is created with owner-only permissions ({@code rw-------}) in the same system call that creates
 * it, so it is never readable by others, and never over an existing file. {@link #read} is the
 * other half: how {@code ringbus serve --cluster-key FILE} reads a key (the hex line keygen writes,
 * or raw bytes), refusing a file group or others may access (as ssh refuses such a private key)
 * or a key shorter than {@link BusConfig#MIN_CLUSTER_KEY_LENGTH} bytes. Runs on the calling thread.
 */
public final class KeygenCommand
{
    /** Random bytes in a key keygen writes. */
    public static final int KEY_BYTES = 32;

    /** The usage text of {@code ringbus keygen}. */
    public static final String USAGE = String.join("\n",
        "usage: ringbus keygen FILE",
        "  Writes a new cluster key (" + KEY_BYTES + " random bytes as a line of hex) to FILE, readable and",
        "  writable by its owner only (mode 0600); refuses to overwrite an existing FILE. Give the same",
        "  key to every replica of a cluster with 'ringbus serve --cluster-key FILE': replicas then",
        "  prove to each other that they hold it before any replica frame is accepted.");

    /** Owner read and write, nothing else. */
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    /** The largest key file read: a key is short; anything longer is the wrong file. */
    private static final int MAX_FILE_BYTES = 4096;

    private KeygenCommand()
    {
    }

    /** Run {@code ringbus keygen} with the arguments after the command. */
    public static int run(final List<String> args, final PrintStream out, final PrintStream err) throws UsageException
    {
        if (args.size() != 1 || args.get(0).startsWith("-"))
        {
            throw new UsageException("ringbus keygen: expected exactly one argument, the FILE to write" +
                (args.isEmpty() ? "" : "; got " + String.join(" ", args)));
        }
        final Path path = Path.of(args.get(0));
        final byte[] key = new byte[KEY_BYTES];
        new SecureRandom().nextBytes(key);
        final byte[] text = (HexFormat.of().formatHex(key) + "\n").getBytes(StandardCharsets.US_ASCII);
        Arrays.fill(key, (byte)0);
        try
        {
            write(path, text);
        }
        catch (final FileAlreadyExistsException ex)
        {
            err.println("ringbus keygen: " + path + " exists: refusing to overwrite it (a cluster's replicas " +
                "share one key; remove the file first to replace the key)");
            return Main.EXIT_USAGE;
        }
        catch (final UnsupportedOperationException ex)
        {
            err.println("ringbus keygen: " + path + ": the file system has no POSIX permissions, so the key " +
                "could not be made readable by its owner only; nothing was written");
            return Main.EXIT_FAILURE;
        }
        catch (final IOException ex)
        {
            err.println("ringbus keygen: cannot write " + path + ": " + ex);
            return Main.EXIT_FAILURE;
        }
        finally
        {
            Arrays.fill(text, (byte)0);
        }
        out.println("cluster key written to " + path + " (" + KEY_BYTES + " random bytes as hex, mode 0600)");
        return Main.EXIT_OK;
    }

    /**
     * Create {@code path} (it must not exist) with mode rw------- (less if the umask says so) in one
     * open call, and write {@code content}; a half-written file is removed.
     */
    private static void write(final Path path, final byte[] content) throws IOException
    {
        // CREATE_NEW with the permissions as an attribute: open(O_CREAT | O_EXCL, 0600), no window
        // in which the file exists with wider permissions, and no following of an existing link.
        // An existing file fails here, before anything could touch it.
        final SeekableByteChannel channel = Files.newByteChannel(path,
            EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        boolean written = false;
        try (channel)
        {
            final ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining())
            {
                channel.write(buffer);
            }
            written = true;
        }
        finally
        {
            if (!written)
            {
                // We created it: remove what we could not finish.
                Files.deleteIfExists(path);
            }
        }
    }

    /**
     * Read a cluster key for {@code --cluster-key}: the file must exist, be a regular file readable
     * by us, grant nothing to group or others (where the file system has POSIX permissions), and
     * hold at least {@link BusConfig#MIN_CLUSTER_KEY_LENGTH} bytes of key: one line of hex (what
     * keygen writes; surrounding whitespace ignored) or else the raw bytes of the file.
     *
     * @param flag the flag that named the file, for the messages ("--cluster-key")
     * @throws UsageException with the reason the key is refused
     */
    public static byte[] read(final String flag, final Path path) throws UsageException
    {
        final String prefix = "ringbus serve: " + flag + " = " + path + ": ";
        if (!Files.exists(path))
        {
            throw new UsageException(prefix + "no such file (write a key with 'ringbus keygen " + path + "')");
        }
        if (!Files.isRegularFile(path))
        {
            throw new UsageException(prefix + "not a regular file");
        }
        try
        {
            final Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path);
            final EnumSet<PosixFilePermission> open = EnumSet.noneOf(PosixFilePermission.class);
            for (final PosixFilePermission permission : permissions)
            {
                if (permission != PosixFilePermission.OWNER_READ && permission != PosixFilePermission.OWNER_WRITE &&
                    permission != PosixFilePermission.OWNER_EXECUTE)
                {
                    open.add(permission);
                }
            }
            if (!open.isEmpty())
            {
                throw new UsageException(prefix + "permissions " + PosixFilePermissions.toString(permissions) +
                    " are too open: a cluster key must be accessible by its owner only (chmod 600 " + path + ")");
            }
        }
        catch (final UnsupportedOperationException ex)
        {
            // no POSIX permissions on this file system: nothing to check
        }
        catch (final IOException ex)
        {
            throw new UsageException(prefix + "cannot read its permissions: " + ex, ex);
        }
        final byte[] content;
        try (InputStream in = Files.newInputStream(path))
        {
            content = in.readNBytes(MAX_FILE_BYTES + 1);
        }
        catch (final AccessDeniedException ex)
        {
            throw new UsageException(prefix + "not readable by this user", ex);
        }
        catch (final NoSuchFileException ex)
        {
            throw new UsageException(prefix + "no such file", ex);
        }
        catch (final IOException ex)
        {
            throw new UsageException(prefix + "cannot read it: " + ex, ex);
        }
        if (content.length > MAX_FILE_BYTES)
        {
            Arrays.fill(content, (byte)0);
            throw new UsageException(prefix + "over " + MAX_FILE_BYTES + " bytes: not a key file");
        }
        final byte[] key = decode(content);
        Arrays.fill(content, (byte)0);
        if (key.length < BusConfig.MIN_CLUSTER_KEY_LENGTH)
        {
            final int length = key.length;
            Arrays.fill(key, (byte)0);
            throw new UsageException(prefix + "the key is too short: " + length + " bytes, at least " +
                BusConfig.MIN_CLUSTER_KEY_LENGTH + " random bytes are needed (write one with 'ringbus keygen FILE')");
        }
        return key;
    }

    /** The hex line keygen writes, decoded; any other content is the key's raw bytes. */
    private static byte[] decode(final byte[] content)
    {
        int from = 0;
        int to = content.length;
        while (from < to && isSpace(content[from]))
        {
            from++;
        }
        while (to > from && isSpace(content[to - 1]))
        {
            to--;
        }
        if (to > from && (to - from) % 2 == 0)
        {
            boolean hex = true;
            for (int i = from; i < to && hex; i++)
            {
                hex = Character.digit(content[i], 16) >= 0;
            }
            if (hex)
            {
                final byte[] key = new byte[(to - from) / 2];
                for (int i = 0; i < key.length; i++)
                {
                    key[i] = (byte)(Character.digit(content[from + 2 * i], 16) << 4 |
                        Character.digit(content[from + 2 * i + 1], 16));
                }
                return key;
            }
        }
        return content.clone();
    }

    private static boolean isSpace(final byte b)
    {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }
}
