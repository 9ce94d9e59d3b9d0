package io.ringbus.cli;

import io.ringbus.core.config.BusConfig;
import io.ringbus.core.config.InvalidConfigException;

import sun.misc.Signal;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code ringbus serve}: one replicated echo node (DESIGN.md, "The ringbus CLI"). Starts the bus
 * and prints the backend it runs on ({@code backend nio} or {@code backend io_uring}); with a TLS
 * listener ({@code --tls}, {@code --wss} or {@code --quic}, which share one certificate), prints the
 * certificate it presents ({@code tls certificate <path> sha256 <fingerprint>}, see
 * {@link ServeCertificate}); binds its listeners, prints {@code listening <scheme> <host:port>}
 * for each (client listeners, then the replica listener as {@code listening replica HOST:PORT}) and
 * {@code ready} once they are bound (it does not wait for peers), then runs until SIGINT/SIGTERM,
 * whose shutdown hook closes the bus gracefully within close_grace and prints {@code stopped}.
 * SIGHUP reloads the certificate, key and {@code --client-ca} from their files (new handshakes use
 * them; open connections continue) and prints one line saying what was loaded or why not.
 * Runs on the calling thread.
 */
public final class ServeCommand
{
    private ServeCommand()
    {
    }

    /**
     * Run a node; returns only after the JVM began to shut down and the node is closed (exit code
     * {@link Main#EXIT_OK}), or at once with {@link Main#EXIT_FAILURE} if it cannot start.
     *
     * @throws UsageException for bad flags, a transport this build lacks, or a --cert/--key pair
     *                        that cannot be loaded
     */
    public static int run(final List<String> args, final PrintStream out, final PrintStream err) throws UsageException
    {
        final ServeOptions options = ServeOptions.parse(args);
        for (final URI uri : options.listeners())
        {
            if (!Transports.isAvailable(uri.getScheme()))
            {
                throw new UsageException("ringbus serve: --" + uri.getScheme() + ": transport " + uri.getScheme() +
                    " is not available in this build");
            }
        }
        ServeCertificate certificate = null;
        if (options.needsCertificate())
        {
            if (options.cert() != null)
            {
                certificate = ServeCertificate.load(options.cert(), options.key(), options.clientCa());
            }
            else
            {
                try
                {
                    certificate = ServeCertificate.selfSigned(options.dataDir(), options.clientCa());
                }
                catch (final IOException | RuntimeException ex)
                {
                    err.println("ringbus serve: cannot write a self-signed certificate to --data-dir " +
                        options.dataDir().toAbsolutePath() + ": " + ex);
                    return Main.EXIT_FAILURE;
                }
            }
        }
        // One certificate for every TLS listener: registered for tls, wss and quic (each reads its own first).
        final BusConfig config = withDataDirectory(options, options.config(certificate == null ? Map.of() :
            Map.of("tls", certificate.settings(), "wss", certificate.settings(), "quic",
                options.quicSettings(certificate.settings()))));
        final EchoNode node;
        try
        {
            node = EchoNode.start(config);
        }
        catch (final RuntimeException ex)
        {
            // e.g. "backend = io_uring: not available on this machine: ..." from bus-core
            err.println("ringbus serve: cannot start: " + ex.getMessage());
            return Main.EXIT_FAILURE;
        }
        out.println("backend " + node.bus().backendName());
        if (certificate != null)
        {
            out.println(certificate.describe());
            if (certificate.note() != null)
            {
                out.println("self-signed certificate: " + certificate.note());
            }
            if (options.clientCa() != null)
            {
                out.println(describeClientCa(options.clientCa(), certificate));
            }
        }
        try
        {
            for (final URI uri : options.listeners())
            {
                final InetSocketAddress bound = node.listen(uri);
                out.println("listening " + uri.getScheme() + " " + Flags.format(bound));
            }
        }
        catch (final TransportUnavailableException ex)
        {
            node.close();
            throw new UsageException("ringbus serve: --" + ex.scheme() + ": " + ex.getMessage(), ex);
        }
        catch (final RuntimeException ex)
        {
            node.close();
            err.println("ringbus serve: cannot listen: " + ex.getMessage());
            return Main.EXIT_FAILURE;
        }
        if (node.replicaAddress() != null)
        {
            out.println("listening replica " + Flags.format(node.replicaAddress()));
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            try
            {
                node.close();
                out.println("stopped");
                out.flush();
            }
            finally
            {
                stopped.countDown();
            }
        }, "ringbus-serve-shutdown"));
        if (certificate != null)
        {
            reloadOnSighup(options, certificate, node, out, err);
        }
        out.println("ready");
        out.flush();
        boolean interrupted = false;
        while (stopped.getCount() > 0)
        {
            try
            {
                stopped.await();
            }
            catch (final InterruptedException ex)
            {
                interrupted = true; // only the shutdown hook ends a node
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
        return Main.EXIT_OK;
    }

    /** {@code config} counting into the node's data dir (ringbus.stat, ringbus.errors), for 'ringbus stat'. */
    static BusConfig withDataDirectory(final ServeOptions options, final BusConfig config) throws UsageException
    {
        try
        {
            return config.toBuilder().dataDirectory(options.dataDir()).build();
        }
        catch (final InvalidConfigException ex)
        {
            throw new UsageException("ringbus serve: --data-dir: " + ex.getMessage(), ex);
        }
    }

    /** The line naming the client certificate authorities the TLS listeners require. */
    private static String describeClientCa(final Path clientCa, final ServeCertificate certificate)
    {
        final List<X509Certificate> authorities = certificate.settings().clientCertificateAuthorities();
        final StringBuilder line = new StringBuilder("tls client-ca ").append(clientCa.toAbsolutePath().normalize())
            .append(": ").append(authorities.size()).append(" authorit").append(authorities.size() == 1 ? "y" : "ies");
        for (final X509Certificate authority : authorities)
        {
            line.append(", ").append(authority.getSubjectX500Principal().getName());
        }
        return line.toString();
    }

    /**
     * SIGHUP reloads the certificate, key and client CAs from their files (sun.misc.Signal; it
     * replaces the JVM's default SIGHUP handling, a shutdown). The reload runs on its own daemon
     * thread, not the signal's, one at a time; it prints one line: {@code tls reloaded ...} on
     * stdout, or why it was refused on stderr (the certificate in use then stays).
     */
    private static void reloadOnSighup(final ServeOptions options, final ServeCertificate initial, final EchoNode node,
        final PrintStream out, final PrintStream err)
    {
        final ExecutorService reloader = Executors.newSingleThreadExecutor(task ->
        {
            final Thread thread = new Thread(task, "ringbus-serve-reload");
            thread.setDaemon(true);
            return thread;
        });
        final AtomicReference<ServeCertificate> current = new AtomicReference<>(initial);
        final Runnable reload = () -> reload(options, current, node, out, err);
        try
        {
            Signal.handle(new Signal("HUP"), signal -> reloader.execute(reload));
        }
        catch (final IllegalArgumentException ex)
        {
            // No SIGHUP here (Windows), or the JVM runs with -Xrs.
            err.println("ringbus serve: certificate reload on SIGHUP unavailable: " + ex.getMessage());
        }
    }

    private static void reload(final ServeOptions options, final AtomicReference<ServeCertificate> current,
        final EchoNode node, final PrintStream out, final PrintStream err)
    {
        final ServeCertificate previous = current.get();
        final Path cert = options.cert() != null ? options.cert() : previous.path();
        final Path key = options.key() != null ? options.key() : previous.path().resolveSibling(ServeCertificate.KEY_FILE);
        try
        {
            final ServeCertificate next = ServeCertificate.reread(cert, key, options.clientCa());
            // One TlsSettings object serves tls, wss and quic: reloading it reaches every TLS listener.
            node.bus().reloadTransportSettings("tls", next.settings());
            current.set(next);
            out.println("tls reloaded: " + next.describe() +
                (options.clientCa() != null ? "; " + describeClientCa(options.clientCa(), next) : ""));
            out.flush();
        }
        catch (final UsageException | RuntimeException ex)
        {
            err.println("ringbus serve: SIGHUP: reload refused, still serving sha256 " + previous.fingerprint() + ": " +
                ex.getMessage());
            err.flush();
        }
    }
}
