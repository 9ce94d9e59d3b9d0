package io.ringbus.cli;

import io.ringbus.core.config.BusConfig;
import io.ringbus.core.config.InvalidConfigException;

import sun.misc.Signal;
import sun.misc.SignalHandler;

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
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * {@code ringbus serve}: one replicated echo node (DESIGN.md, "The ringbus CLI"). Starts the bus
 * and prints the backend it runs on ({@code backend nio} or {@code backend io_uring}); with a TLS
 * listener ({@code --tls}, {@code --wss} or {@code --quic}, which share one certificate), prints the
 * certificate it presents ({@code tls certificate <path> sha256 <fingerprint>}, see
 * {@link ServeCertificate}); binds its listeners, prints {@code listening <scheme> <host:port>}
 * for each (client listeners, then the replica listener as {@code listening replica HOST:PORT}) and
 * {@code ready} once they are bound (it does not wait for peers), then runs until SIGINT/SIGTERM,
 * on which it closes the bus gracefully within close_grace, prints {@code stopped} and returns
 * {@link Main#EXIT_OK} (so the process exits 0, not 143).
 * SIGHUP reloads the certificate, key and {@code --client-ca} from their files (new handshakes use
 * them; open connections continue) and prints one line saying what was loaded, or logs (WARN) why not.
 * Runs on the calling thread.
 *
 * <p>Each fact is said once: the lines above go to stdout, and the library's INFO records of the same
 * facts (the backend chosen, each listener bound, transport settings reloaded) are left out of the log
 * on stderr ({@link #printsItself}); everything else the node logs goes to stderr, one line per
 * record ({@link CliLogging}).
 */
public final class ServeCommand
{
    /** Notices of a running node that are not facts of its stdout (a refused reload): WARN records. */
    private static final System.Logger LOG = System.getLogger(ServeCommand.class.getName());
    private static final String MESSAGE_BUS_LOGGER = "io.ringbus.core.MessageBus";
    private static final String LISTENERS_LOGGER = "io.ringbus.core.Listeners";

    private ServeCommand()
    {
    }

    /**
     * True for a log record of a fact this command prints on stdout: bus-core's INFO records (on
     * MessageBus's logger, which its Listeners share) {@code ringbus: backend ...},
     * {@code listening ...} and {@code transport settings of ... reloaded}. Any thread (called by
     * the log handler).
     */
    static boolean printsItself(final LogRecord record)
    {
        final String message = record.getMessage();
        if (record.getLevel() != Level.INFO || message == null || !(MESSAGE_BUS_LOGGER.equals(record.getLoggerName()) ||
            LISTENERS_LOGGER.equals(record.getLoggerName())))
        {
            return false;
        }
        return message.startsWith("ringbus: backend ") || message.startsWith("listening ") ||
            message.startsWith("transport settings of ") && message.endsWith(" reloaded");
    }

    /**
     * Run a node; returns only after SIGTERM/SIGINT and the node is closed (exit code
     * {@link Main#EXIT_OK}), or at once with {@link Main#EXIT_FAILURE} if it cannot start.
     *
     * @throws UsageException for bad flags, a transport this build lacks, or a --cert/--key pair
     *                        that cannot be loaded
     */
    public static int run(final List<String> args, final PrintStream out, final PrintStream err) throws UsageException
    {
        return run(args, System.getenv(), out, err);
    }

    /**
     * As {@link #run(List, PrintStream, PrintStream)}, with the environment whose {@code RINGBUS_*}
     * variables set flags ({@link ConfigSources}).
     */
    public static int run(final List<String> args, final Map<String, String> env, final PrintStream out,
        final PrintStream err) throws UsageException
    {
        final ServeOptions options = ServeOptions.parse(args, env);
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
        for (final URI uri : options.listeners())
        {
            try
            {
                final InetSocketAddress bound = node.listen(uri);
                out.println("listening " + uri.getScheme() + " " + Flags.format(bound));
            }
            catch (final TransportUnavailableException ex)
            {
                node.close();
                throw new UsageException("ringbus serve: --" + ex.scheme() + ": " + ex.getMessage(), ex);
            }
            catch (final RuntimeException ex)
            {
                node.close();
                // The environment refused (the port is taken, the address is not this host's): not a usage error.
                err.println("ringbus serve: cannot listen on " + uri.getScheme() + " " + uri.getAuthority() + ": " +
                    SocketErrors.describe(ex));
                return Main.EXIT_FAILURE;
            }
        }
        if (node.replicaAddress() != null)
        {
            out.println("listening replica " + Flags.format(node.replicaAddress()));
        }
        // SIGTERM and SIGINT ask the main thread to stop the node, which then returns EXIT_OK: a JVM
        // ended by the signal itself exits 143 (130), whatever its shutdown hooks do, and a service
        // manager would take that for a failure.
        final CountDownLatch stopRequested = new CountDownLatch(1);
        final CountDownLatch stopped = new CountDownLatch(1);
        final SignalHandler[] previousHandlers = stopOnSignals(stopRequested);
        final boolean onSignals = previousHandlers != null;
        if (!onSignals)
        {
            // No signal handling here (-Xrs, or no such signal): the JVM's shutdown closes the node.
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
        }
        if (certificate != null)
        {
            reloadOnSighup(options, certificate, node, out);
        }
        out.println("ready");
        out.flush();
        final boolean interrupted = awaitUninterruptibly(onSignals ? stopRequested : stopped);
        if (onSignals)
        {
            node.close(); // gracefully, within close_grace
            out.println("stopped");
            out.flush();
            restoreSignals(previousHandlers);
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
        return Main.EXIT_OK;
    }

    /** Wait for {@code latch}; returns whether the thread was interrupted meanwhile (only a signal ends a node). */
    private static boolean awaitUninterruptibly(final CountDownLatch latch)
    {
        boolean interrupted = false;
        while (latch.getCount() > 0)
        {
            try
            {
                latch.await();
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        return interrupted;
    }

    /**
     * Handle SIGTERM and SIGINT (sun.misc.Signal, replacing the JVM's default: a shutdown with exit
     * status 128 + signal) by counting {@code stopRequested} down. Returns the handlers replaced, to
     * put back once the node stopped (so a JVM that runs serve in-process, a test's, keeps its own
     * handling afterwards); null if the signals cannot be handled here (-Xrs, or a platform without
     * them), and nothing is changed then.
     */
    private static SignalHandler[] stopOnSignals(final CountDownLatch stopRequested)
    {
        final Signal term;
        final Signal interrupt;
        try
        {
            term = new Signal("TERM");
            interrupt = new Signal("INT");
        }
        catch (final IllegalArgumentException ex)
        {
            LOG.log(System.Logger.Level.DEBUG, "stop on SIGTERM/SIGINT by the JVM's shutdown: " + ex.getMessage());
            return null;
        }
        final SignalHandler stop = signal -> stopRequested.countDown();
        final SignalHandler previousTerm;
        try
        {
            previousTerm = Signal.handle(term, stop);
        }
        catch (final IllegalArgumentException ex)
        {
            LOG.log(System.Logger.Level.DEBUG, "stop on SIGTERM/SIGINT by the JVM's shutdown: " + ex.getMessage());
            return null;
        }
        try
        {
            return new SignalHandler[] {previousTerm, Signal.handle(interrupt, stop)};
        }
        catch (final IllegalArgumentException ex)
        {
            Signal.handle(term, previousTerm);
            LOG.log(System.Logger.Level.DEBUG, "stop on SIGTERM/SIGINT by the JVM's shutdown: " + ex.getMessage());
            return null;
        }
    }

    /** Put back the handlers {@link #stopOnSignals} replaced. */
    private static void restoreSignals(final SignalHandler[] previous)
    {
        Signal.handle(new Signal("TERM"), previous[0]);
        Signal.handle(new Signal("INT"), previous[1]);
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
     * stdout, or why it was refused as a WARN log record (the certificate in use then stays).
     */
    private static void reloadOnSighup(final ServeOptions options, final ServeCertificate initial, final EchoNode node,
        final PrintStream out)
    {
        final ExecutorService reloader = Executors.newSingleThreadExecutor(task ->
        {
            final Thread thread = new Thread(task, "ringbus-serve-reload");
            thread.setDaemon(true);
            return thread;
        });
        final AtomicReference<ServeCertificate> current = new AtomicReference<>(initial);
        final Runnable reload = () -> reload(options, current, node, out);
        try
        {
            Signal.handle(new Signal("HUP"), signal -> reloader.execute(reload));
        }
        catch (final IllegalArgumentException ex)
        {
            // No SIGHUP here (Windows), or the JVM runs with -Xrs.
            LOG.log(System.Logger.Level.WARNING, "certificate reload on SIGHUP unavailable: " + ex.getMessage());
        }
    }

    private static void reload(final ServeOptions options, final AtomicReference<ServeCertificate> current,
        final EchoNode node, final PrintStream out)
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
            LOG.log(System.Logger.Level.WARNING, "SIGHUP: reload refused, still serving sha256 " +
                previous.fingerprint() + ": " + ex.getMessage());
        }
    }
}
