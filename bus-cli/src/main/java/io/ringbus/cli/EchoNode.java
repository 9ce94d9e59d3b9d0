package io.ringbus.cli;

import io.ringbus.core.MessageBus;
import io.ringbus.core.config.BusConfig;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;

/**
 * One running echo node: a {@link MessageBus} with an {@link EchoReplica} as its handler. Used by
 * {@code ringbus serve} (one per process) and {@code ringbus demo} (three in one process).
 *
 * <p>{@link #start} binds the replica listener and dials the higher replicas (when the config
 * names replicas) and the listeners in {@code config.listen()}; {@link #listen} adds client
 * listeners afterwards and reports the bound address. Any thread but a shard's.
 */
public final class EchoNode implements AutoCloseable
{
    private final MessageBus bus;
    private final EchoReplica echo;

    private EchoNode(final MessageBus bus, final EchoReplica echo)
    {
        this.bus = bus;
        this.echo = echo;
    }

    /** Start a node with the default pending timeout. */
    public static EchoNode start(final BusConfig config)
    {
        return start(config, EchoReplica.DEFAULT_PENDING_TIMEOUT);
    }

    /** Start a node whose ops wait at most {@code pendingTimeout} for a majority. */
    public static EchoNode start(final BusConfig config, final Duration pendingTimeout)
    {
        return start(config, EchoReplica.Options.defaults().withPendingTimeout(pendingTimeout));
    }

    /**
     * Start a node whose echo is built as {@code options} say (with
     * {@link EchoReplica.Options#withSteppedSequencer}, the caller steps it: {@link EchoReplica#stepSequencer}).
     */
    public static EchoNode start(final BusConfig config, final EchoReplica.Options options)
    {
        final EchoReplica echo = new EchoReplica(config, options);
        final MessageBus bus;
        try
        {
            bus = MessageBus.start(config, echo);
        }
        catch (final RuntimeException ex)
        {
            echo.close();
            throw ex;
        }
        echo.start(bus);
        return new EchoNode(bus, echo);
    }

    /**
     * Listen for clients on {@code uri} ({@code scheme://host:port}, port 0 for any free port).
     *
     * @return the bound address
     * @throws TransportUnavailableException if bus-core has no transport for the scheme
     */
    public InetSocketAddress listen(final URI uri) throws TransportUnavailableException
    {
        Transports.require(uri.getScheme());
        return bus.listen(uri);
    }

    /** The bus. */
    public MessageBus bus()
    {
        return bus;
    }

    /** The echo state machine. */
    public EchoReplica echo()
    {
        return echo;
    }

    /** The bound replica listener, or null when the node is not a replica. */
    public InetSocketAddress replicaAddress()
    {
        return bus.replicaAddress();
    }

    /** Close the bus gracefully (within close_grace), then release the echo's buffers. Idempotent. */
    @Override
    public void close()
    {
        try
        {
            bus.close();
        }
        finally
        {
            echo.close();
        }
    }
}
