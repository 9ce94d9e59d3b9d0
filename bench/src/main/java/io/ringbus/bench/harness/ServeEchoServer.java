package io.ringbus.bench.harness;

import io.ringbus.cli.EchoNode;
import io.ringbus.cli.ServeOptions;
import io.ringbus.cli.TransportUnavailableException;
import io.ringbus.cli.UsageException;
import io.ringbus.core.config.BusConfig;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;

/**
 * {@code ringbus serve} with one node, in process: the node the CLI starts for
 * {@code ringbus serve --tcp 127.0.0.1:0 --shards 1 --backend nio} (its {@link ServeOptions}
 * config, an {@link EchoNode} with the {@link io.ringbus.cli.EchoReplica} state machine: dedup
 * claim and cached reply per request), so that the harness measures it side by side with the bare
 * bus with a stateless echo handler ({@code ringbus-nio}, {@link RingbusEchoServer}) under the same
 * load client. The only differences from the bare bus are what serve adds per request, and serve's
 * default max_message_size (64 MiB, above the harness's largest frame).
 *
 * <p>{@link #start()} and {@link #close()} from the harness thread.
 */
public final class ServeEchoServer implements EchoServer
{
    /** The name in the harness's tables. */
    public static final String NAME = "ringbus-serve";

    private EchoNode node;

    @Override
    public InetSocketAddress start() throws UsageException, TransportUnavailableException
    {
        if (node != null)
        {
            throw new IllegalStateException(NAME + " already started");
        }
        final ServeOptions options = ServeOptions.parse(
            List.of("--tcp", "127.0.0.1:0", "--shards", "1", "--backend", "nio"));
        final BusConfig config = options.config();
        if (config.clusterHi() != CLUSTER_HI || config.clusterLo() != CLUSTER_LO)
        {
            throw new IllegalStateException("ringbus serve's default cluster is not the harness's");
        }
        node = EchoNode.start(config);
        try
        {
            InetSocketAddress bound = null;
            for (final URI uri : options.listeners())
            {
                bound = node.listen(uri);
            }
            return bound;
        }
        catch (final RuntimeException | TransportUnavailableException ex)
        {
            close();
            throw ex;
        }
    }

    @Override
    public void close()
    {
        if (node != null)
        {
            final long dropped = node.echo().droppedRequests();
            node.close();
            node = null;
            if (dropped > 0)
            {
                System.err.println(NAME + ": " + dropped + " requests dropped");
            }
        }
    }

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public String ioThreadNamePrefix()
    {
        return RingbusEchoServer.SHARD_THREAD_PREFIX;
    }
}
