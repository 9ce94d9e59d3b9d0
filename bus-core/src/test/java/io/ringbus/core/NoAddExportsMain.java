package io.ringbus.core;

import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.BusConfig;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;

/** The child JVM of {@link NoAddExportsTest}: starts a bus (or a client) and says how it went. */
public final class NoAddExportsMain
{
    /** Exit code: the start refused (what the test expects). */
    static final int REFUSED = 3;
    /** Exit code: the start went through. */
    static final int STARTED = 0;

    private NoAddExportsMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        try
        {
            if ("bus".equals(args[0]))
            {
                try (MessageBus bus = MessageBus.start(BusConfig.builder().shards(1).build(), new BusHandler()
                {
                }))
                {
                    final InetSocketAddress address = bus.listen(URI.create("tcp://127.0.0.1:0"));
                    System.out.println("STARTED, listening " + address);
                }
            }
            else
            {
                try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1,
                    java.net.InetAddress.getLoopbackAddress()))
                {
                    try (BusClient client = BusClient.connect(URI.create("tcp://127.0.0.1:" + server.getLocalPort()),
                        ClientOptions.defaults().withConnectTimeout(Duration.ofSeconds(5))))
                    {
                        System.out.println("STARTED, connected " + client.isConnected());
                    }
                }
            }
        }
        catch (final Throwable ex)
        {
            System.out.println("REFUSED: " + ex);
            System.exit(REFUSED);
        }
        System.exit(STARTED);
    }
}
