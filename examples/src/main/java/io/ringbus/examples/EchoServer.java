package io.ringbus.examples;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import org.agrona.DirectBuffer;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * The README's server, as it is printed there: a bus that answers every client request with its own
 * body. Handlers run on the shard that owns the connection and see each frame as a view, valid
 * during the call. {@link #start} from any thread; {@link #main} runs one until the JVM is stopped.
 */
public final class EchoServer
{
    private EchoServer()
    {
    }

    /**
     * Start replica {@code replicaId} of the cluster {@code replicas}, serving clients on {@code listen}.
     *
     * @param replicaId this node's id, one of the keys of {@code replicas}
     * @param replicas  every replica's address, ids 0..n-1
     * @param listen    the client listener, e.g. {@code tcp://0.0.0.0:9000}
     * @return the running bus; close it to stop
     */
    public static MessageBus start(final int replicaId, final Map<Integer, InetSocketAddress> replicas, final URI listen)
    {
        // --- README: a server ---
        BusConfig config = BusConfig.builder()
            .shards(2)
            .replicaId(replicaId)
            .replicas(replicas)
            .listen(List.of(listen))
            .build();                                   // a bad value fails here, naming its field

        MessageBus bus = MessageBus.start(config, new BusHandler() {
            @Override
            public void onClientRequest(MessageBus bus, ClientConnMeta client, DirectBuffer buffer, int offset, int length) {
                FrameBuffer reply = Frames.reply(bus.pool(), buffer, offset,
                    buffer, offset + FrameHeader.HEADER_SIZE, length - FrameHeader.HEADER_SIZE, 0);
                bus.sendToClient(client.clientId(), reply);   // never blocks: OK or BACKPRESSURE at once
            }

            @Override
            public void onReplicaFrame(MessageBus bus, int replica, DirectBuffer buffer, int offset, int length) {
                // prepare, prepare_ok, commit, ... in the order the replica sent them
            }
        });
        // --- end ---
        return bus;
    }

    /**
     * A one-replica cluster whose replica port is 7000, serving clients on {@code tcp://127.0.0.1:9000}
     * (or the URI given as the first argument) until the JVM stops (Ctrl-C, SIGTERM): the shard threads
     * keep it running, and a shutdown hook closes the bus gracefully.
     */
    public static void main(final String[] args)
    {
        final URI listen = URI.create(args.length > 0 ? args[0] : "tcp://127.0.0.1:9000");
        final MessageBus bus = start(0, Map.of(0, new InetSocketAddress("127.0.0.1", 7000)), listen);
        Runtime.getRuntime().addShutdownHook(new Thread(bus::close, "ringbus-example-stop"));
        System.out.println("echo server on " + listen);
    }
}
