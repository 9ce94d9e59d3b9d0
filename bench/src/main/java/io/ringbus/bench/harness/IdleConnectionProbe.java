package io.ringbus.bench.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Memory per idle connection of a running node ({@code ringbus serve}): opens N connections per
 * scheme to it on loopback, completes each one's handshake (TLS, WebSocket upgrade) so the node
 * holds it open and idle, and reads the node's resident set ({@code VmRSS} of
 * {@code /proc/PID/status}) and its direct memory (NMT's "Other" category: start the node with
 * {@code -XX:NativeMemoryTracking=summary}) before, with all open, and after all closed.
 *
 * <p>Only the JDK is needed, so it also runs as a single source file against any node:
 * <pre>
 * java bench/src/main/java/io/ringbus/bench/harness/IdleConnectionProbe.java --pid PID \
 *     --tcp 127.0.0.1:7001 --tls 127.0.0.1:7002 --ws 127.0.0.1:7003 --wss 127.0.0.1:7004 \
 *     [--tcp-count 10000] [--count 2000] [--warmup 200] [--settle-ms 5000] [--histogram 25]
 * </pre>
 * Before each reading the node is asked for a full GC ({@code jcmd PID GC.run}), so garbage of
 * the handshakes does not count as memory held; the reading after close is taken three times:
 * without that GC, with it, and after {@code jcmd PID System.trim_native_heap} (glibc keeps freed
 * native memory, freed direct buffers among it, in its arenas until trimmed). Client sockets bind to 127.0.0.1..127.0.0.8 in turn so as not to run out
 * of ephemeral ports. Before the reading "before", one round of {@code --warmup} connections is
 * opened and closed, so one-time costs (classes, compiled code, a TLS provider's set-up) do not
 * count per connection. Besides RSS, the live heap per connection is read from a class histogram
 * (after a full GC), and NMT's committed memory per category is printed per connection too.
 * {@code --histogram N} prints the node's N largest classes on the heap while
 * every connection is open. Raise {@code ulimit -n} in the shell first. Single-threaded tool.
 */
public final class IdleConnectionProbe
{
    private static final int SOURCE_ADDRESSES = 8;
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(120);

    private final long pid;
    private final long settleMs;
    private int histogramLines;
    private int warmup;
    private final SSLContext tls;

    private IdleConnectionProbe(final long pid, final long settleMs) throws Exception
    {
        this.pid = pid;
        this.settleMs = settleMs;
        this.tls = SSLContext.getInstance("TLSv1.3");
        tls.init(null, new TrustManager[] {new TrustAll()}, new SecureRandom());
    }

    public static void main(final String[] args) throws Exception
    {
        long pid = -1;
        int tcpCount = 10_000;
        int count = 2_000;
        long settleMs = 5_000;
        int histogram = 0;
        int warmup = 200;
        final Map<String, InetSocketAddress> targets = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i += 2)
        {
            final String flag = args[i];
            final String value = args[i + 1];
            switch (flag)
            {
                case "--pid":
                    pid = Long.parseLong(value);
                    break;
                case "--tcp-count":
                    tcpCount = Integer.parseInt(value);
                    break;
                case "--count":
                    count = Integer.parseInt(value);
                    break;
                case "--settle-ms":
                    settleMs = Long.parseLong(value);
                    break;
                case "--warmup":
                    warmup = Integer.parseInt(value);
                    break;
                case "--histogram":
                    histogram = Integer.parseInt(value);
                    break;
                case "--tcp":
                case "--tls":
                case "--ws":
                case "--wss":
                    final int colon = value.lastIndexOf(':');
                    targets.put(flag.substring(2),
                        new InetSocketAddress(value.substring(0, colon), Integer.parseInt(value.substring(colon + 1))));
                    break;
                default:
                    throw new IllegalArgumentException("unknown flag " + flag);
            }
        }
        if (pid < 0 || targets.isEmpty())
        {
            throw new IllegalArgumentException("usage: --pid PID [--tcp|--tls|--ws|--wss HOST:PORT]... " +
                "[--tcp-count N] [--count N] [--warmup N] [--settle-ms MS] [--histogram TOP_N]");
        }
        final IdleConnectionProbe probe = new IdleConnectionProbe(pid, settleMs);
        probe.histogramLines = histogram;
        probe.warmup = warmup;
        final Reading start = probe.read(true);
        System.out.printf("start: rss %d KiB, direct %d KiB%n", start.rssKiB, start.directKiB);
        System.out.println("| scheme | connections | RSS before (MiB) | RSS open (MiB) | KiB/conn RSS |" +
            " KiB/conn live heap | KiB/conn direct |" +
            " RSS after close (MiB) | after close + GC (MiB) | + native trim (MiB) | direct after close (MiB) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (final Map.Entry<String, InetSocketAddress> target : targets.entrySet())
        {
            final String scheme = target.getKey();
            probe.measure(scheme, target.getValue(), "tcp".equals(scheme) ? tcpCount : count);
        }
        final Reading end = probe.read(true);
        System.out.printf("end: rss %d KiB, direct %d KiB%n", end.rssKiB, end.directKiB);
    }

    private void measure(final String scheme, final InetSocketAddress target, final int count) throws Exception
    {
        final int fdsBefore = fds();
        // One round first, so what the first connections of a scheme load once (classes, compiled
        // code, a TLS provider, the shards' scratch buffers) is not counted per connection.
        final List<Socket> warm = new ArrayList<>(warmup);
        for (int i = 0; i < warmup; i++)
        {
            warm.add(open(scheme, target, i));
        }
        awaitFds(fdsBefore + warmup, true);
        for (final Socket socket : warm)
        {
            socket.close();
        }
        awaitFds(fdsBefore, false);
        Thread.sleep(settleMs);
        final Reading before = read(true).withLiveHeap(liveHeapBytes());
        final List<Socket> sockets = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            sockets.add(open(scheme, target, i));
        }
        awaitFds(fdsBefore + count, true);
        final Reading open = read(true).withLiveHeap(liveHeapBytes());
        if (histogramLines > 0)
        {
            final String[] lines = jcmd("GC.class_histogram").split("\n");
            for (int i = 0; i < Math.min(lines.length, histogramLines + 3); i++)
            {
                System.out.println(lines[i]);
            }
        }
        for (final Socket socket : sockets)
        {
            socket.close();
        }
        sockets.clear();
        awaitFds(fdsBefore, false);
        Thread.sleep(settleMs);
        final Reading closed = read(false);
        final Reading closedGc = read(true);
        jcmd("System.trim_native_heap"); // glibc keeps freed memory in its arenas until trimmed
        final Reading trimmed = read(false);
        System.out.printf("| %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |%n", scheme, count,
            before.rssKiB / 1024.0, open.rssKiB / 1024.0, (open.rssKiB - before.rssKiB) / (double)count,
            (open.liveHeapBytes - before.liveHeapBytes) / 1024.0 / count, (open.directKiB - before.directKiB) / (double)count,
            closed.rssKiB / 1024.0, closedGc.rssKiB / 1024.0, trimmed.rssKiB / 1024.0, closedGc.directKiB / 1024.0);
        final StringBuilder categories = new StringBuilder("  NMT committed KiB/conn while open:");
        for (final Map.Entry<String, Long> category : open.nmtKiB.entrySet())
        {
            final long delta = category.getValue() - before.nmtKiB.getOrDefault(category.getKey(), 0L);
            if (Math.abs(delta) >= count / 2)
            {
                categories.append(String.format(" %s %.1f;", category.getKey(), delta / (double)count));
            }
        }
        System.out.println(categories);
    }

    private Socket open(final String scheme, final InetSocketAddress target, final int index) throws IOException
    {
        final InetAddress source = InetAddress.getByAddress(new byte[] {127, 0, 0, (byte)(1 + index % SOURCE_ADDRESSES)});
        final Socket plain = new Socket();
        plain.bind(new InetSocketAddress(source, 0));
        plain.connect(target, 10_000);
        plain.setSoTimeout(30_000);
        Socket socket = plain;
        if ("tls".equals(scheme) || "wss".equals(scheme))
        {
            final SSLSocket secure = (SSLSocket)tls.getSocketFactory().createSocket(plain, "localhost", target.getPort(), true);
            secure.setUseClientMode(true);
            secure.startHandshake();
            // TLS 1.3: the server's handshake ends with our Finished; a round trip of
            // application bytes (the upgrade below) or a read of the session tickets confirms it.
            socket = secure;
        }
        if ("ws".equals(scheme) || "wss".equals(scheme))
        {
            upgrade(socket, target);
        }
        return socket;
    }

    private static void upgrade(final Socket socket, final InetSocketAddress target) throws IOException
    {
        final byte[] nonce = new byte[16];
        new SecureRandom().nextBytes(nonce);
        final String request = "GET / HTTP/1.1\r\nHost: " + target.getHostString() + ":" + target.getPort() +
            "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
            Base64.getEncoder().encodeToString(nonce) + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
        final OutputStream out = socket.getOutputStream();
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        final InputStream in = socket.getInputStream();
        final StringBuilder head = new StringBuilder();
        while (head.length() < 4096 && (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")))
        {
            final int b = in.read();
            if (b < 0)
            {
                throw new IOException("upgrade: end of stream after " + head);
            }
            head.append((char)b);
        }
        if (!head.toString().startsWith("HTTP/1.1 101"))
        {
            throw new IOException("upgrade refused: " + head);
        }
    }

    /** Wait until the node holds {@code target} descriptors (at least when opening, at most when closing). */
    private void awaitFds(final int target, final boolean atLeast) throws Exception
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        while (System.nanoTime() < deadline)
        {
            final int fds = fds();
            if (atLeast ? fds >= target : fds <= target)
            {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the node holds " + fds() + " descriptors, expected " +
            (atLeast ? ">= " : "<= ") + target);
    }

    private int fds() throws IOException
    {
        try (var list = Files.list(Path.of("/proc", Long.toString(pid), "fd")))
        {
            return (int)list.count();
        }
    }

    private Reading read(final boolean gc) throws Exception
    {
        if (gc)
        {
            jcmd("GC.run");
            Thread.sleep(1_000);
        }
        long rss = -1;
        for (final String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")))
        {
            if (line.startsWith("VmRSS:"))
            {
                rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        long direct = -1;
        final Map<String, Long> nmt = new LinkedHashMap<>();
        for (final String line : jcmd("VM.native_memory", "summary").split("\n"))
        {
            // "-  Other (reserved=123KB, committed=123KB)"
            final int open = line.indexOf(" (reserved=");
            if (line.trim().startsWith("-") && open > 0 && line.contains("committed="))
            {
                final String name = line.substring(line.indexOf('-') + 1, open).trim();
                final int at = line.indexOf("committed=") + "committed=".length();
                final long committed = Long.parseLong(line.substring(at, line.indexOf("KB", at)));
                nmt.put(name, committed);
                if ("Other".equals(name))
                {
                    direct = committed;
                }
            }
        }
        return new Reading(rss, direct, nmt);
    }

    /** Bytes of live objects on the node's heap: the "Total" of a class histogram (taken after a full GC). */
    private long liveHeapBytes() throws Exception
    {
        final String[] lines = jcmd("GC.class_histogram").split("\n");
        for (int i = lines.length - 1; i >= 0; i--)
        {
            final String line = lines[i].trim();
            if (line.startsWith("Total"))
            {
                final String[] fields = line.split("\\s+");
                return Long.parseLong(fields[2]);
            }
        }
        return 0;
    }

    private String jcmd(final String... command) throws Exception
    {
        final List<String> args = new ArrayList<>();
        args.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
        args.add(Long.toString(pid));
        args.addAll(List.of(command));
        final Process process = new ProcessBuilder(args).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            throw new IllegalStateException("jcmd " + String.join(" ", command) + " did not finish");
        }
        return output;
    }

    private static final class Reading
    {
        final long rssKiB;
        final long directKiB;
        final Map<String, Long> nmtKiB;
        long liveHeapBytes;

        Reading(final long rssKiB, final long directKiB, final Map<String, Long> nmtKiB)
        {
            this.rssKiB = rssKiB;
            this.directKiB = directKiB;
            this.nmtKiB = nmtKiB;
        }

        Reading withLiveHeap(final long bytes)
        {
            liveHeapBytes = bytes;
            return this;
        }
    }

    /** The node presents a self-signed certificate; this probe only measures memory. */
    private static final class TrustAll implements X509TrustManager
    {
        @Override
        public void checkClientTrusted(final X509Certificate[] chain, final String authType)
        {
        }

        @Override
        public void checkServerTrusted(final X509Certificate[] chain, final String authType)
        {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers()
        {
            return new X509Certificate[0];
        }
    }
}
