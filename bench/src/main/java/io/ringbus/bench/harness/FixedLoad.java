package io.ringbus.bench.harness;

import io.ringbus.cli.LoadDriver;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * A fixed amount of load: a count of requests, not a duration, so that a cost counted over the
 * run (syscalls, see {@code bench/syscalls.sh}; a profile) can be divided by frames. Either against
 * a server already running on 127.0.0.1 ({@code --port}, usually an {@link EchoServerMain} in
 * another JVM; add {@code --tls} for a TLS server, with both JVMs given the same
 * {@code -Dringbus.bench.tls.dir}, see {@link BenchTls}, and {@code --ws} for a WebSocket server,
 * ws or with {@code --tls} wss), or against a registered server started
 * in this JVM ({@code --server NAME}, which speaks TLS by itself when the server does).
 *
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp bench/target/benchmarks.jar \
 *     io.ringbus.bench.harness.FixedLoad (--port P [--tls] [--ws] [--byte-echo] | --server NAME) [--count N]
 *     [--body B] [--window W] [--mode pipelined|roundtrip] [--repeat R] [--spin]
 * </pre>
 *
 * {@code --byte-echo}: the server at {@code --port} sends each request back unchanged (a byte
 * echo, the client's own ceiling), so the echoed request counts as the reply. {@code --spin}: the
 * fast engine (plain TCP pipelined runs) busy-polls instead of blocking in a selector.
 *
 * {@code pipelined} (the default): {@link LoadClient#pipelinedCount}, N requests over one
 * connection with up to W in flight, then the closing ping. {@code roundtrip}: N requests one at a
 * time ({@link LoadClient#latency}, no warm-up). Each of the R repetitions prints one summary line
 * on stdout.
 */
public final class FixedLoad
{
    private static final long DEFAULT_COUNT = 200_000;

    private FixedLoad()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        int port = -1;
        long count = DEFAULT_COUNT;
        int body = LoadClient.SMALL_BODY_SIZE;
        int window = LoadClient.SMALL_WINDOW;
        String mode = "pipelined";
        String serverName = null;
        int repeat = 1;
        boolean tls = false;
        boolean webSocket = false;
        boolean byteEcho = false;
        LoadDriver.Idle idle = LoadClient.idleFromProperty();
        for (int i = 0; i < args.length; i++)
        {
            if ("--tls".equals(args[i]))
            {
                tls = true;
                continue;
            }
            if ("--byte-echo".equals(args[i]))
            {
                byteEcho = true;
                continue;
            }
            if ("--spin".equals(args[i]))
            {
                idle = LoadDriver.Idle.SPIN;
                continue;
            }
            if ("--ws".equals(args[i]))
            {
                webSocket = true;
                continue;
            }
            if (i + 1 >= args.length)
            {
                throw new IllegalArgumentException("missing value after " + args[i]);
            }
            final String option = args[i];
            final String value = args[++i];
            switch (option)
            {
                case "--port" -> port = Integer.parseInt(value);
                case "--count" -> count = Long.parseLong(value);
                case "--body" -> body = Integer.parseInt(value);
                case "--window" -> window = Integer.parseInt(value);
                case "--mode" -> mode = value;
                case "--server" -> serverName = value;
                case "--repeat" -> repeat = Integer.parseInt(value);
                default -> throw new IllegalArgumentException("unknown option " + option);
            }
        }
        if ((port < 1) == (serverName == null) || ((tls || webSocket || byteEcho) && serverName != null) ||
            (serverName != null && !Harness.SERVERS.containsKey(serverName)))
        {
            throw new IllegalArgumentException("usage: FixedLoad (--port P [--tls] [--ws] [--byte-echo] | --server NAME) [--count N] [--body B]" +
                " [--window W] [--mode pipelined|roundtrip] [--repeat R] [--spin]; servers: " + Harness.SERVERS.keySet());
        }
        if (serverName == null)
        {
            final InetSocketAddress address =
                new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port);
            final LoadClient client = new LoadClient(
                tls ? BenchTls.clientContext() : null, webSocket ? Framing.WEBSOCKET : Framing.STREAM, byteEcho, idle);
            run(client, address, mode, body, count, window, repeat);
            return;
        }
        try (EchoServer server = Harness.SERVERS.get(serverName).get())
        {
            final InetSocketAddress address = server.start();
            run(LoadClient.forServer(server).withIdle(idle), address, mode, body, count, window, repeat);
        }
    }

    private static void run(
        final LoadClient client,
        final InetSocketAddress address,
        final String mode,
        final int body,
        final long count,
        final int window,
        final int repeat)
        throws Exception
    {
        for (int i = 0; i < repeat; i++)
        {
            runOnce(client, address, mode, body, count, window);
        }
    }

    private static void runOnce(
        final LoadClient client,
        final InetSocketAddress address,
        final String mode,
        final int body,
        final long count,
        final int window)
        throws Exception
    {
        if ("roundtrip".equals(mode))
        {
            final LatencyResult latency = client.latency(address, body, 0, (int)count);
            System.out.printf(Locale.ROOT, "roundtrip %d B x %d: p50 %.1f us, p99 %.1f us%n",
                body, latency.samples(), latency.p50Us(), latency.p99Us());
        }
        else if ("pipelined".equals(mode))
        {
            final ThroughputResult result = client.pipelinedCount(address, body, count, window);
            System.out.printf(Locale.ROOT, "pipelined %d B x %d (window %d): %,.0f msg/s%n",
                body, result.messages(), window, result.messagesPerSecond());
        }
        else
        {
            throw new IllegalArgumentException("mode " + mode + ": pipelined or roundtrip");
        }
    }
}
