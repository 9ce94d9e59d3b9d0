package io.ringbus.sim;

import java.net.InetSocketAddress;

/**
 * A simulated TCP connection as the network sees it, for the world's fault picking and for
 * invariants: both endpoints and both directions. Listed by {@link SimNetwork#streams()} until
 * both sides are closed or gone and nothing is in flight. Simulation thread only.
 */
public final class SimStream
{
    private final long id;
    final Endpoint client;
    final Pipe toServer;
    final Pipe toClient;
    final InetSocketAddress serverAddress;
    Endpoint server;

    SimStream(final long id, final SimHost clientHost, final InetSocketAddress clientAddress, final SimHost serverHost,
        final InetSocketAddress serverAddress)
    {
        this.id = id;
        this.serverAddress = serverAddress;
        this.client = new Endpoint(this, 0, clientHost, clientAddress, serverAddress, Endpoint.State.CONNECTING);
        this.toServer = new Pipe(this, 0, clientHost, serverHost);
        this.toClient = new Pipe(this, 1, serverHost, clientHost);
        toServer.from = client;
        toClient.to = client;
        client.out = toServer;
        client.in = toClient;
    }

    /** Unique per network, in order of the connects. */
    public long id()
    {
        return id;
    }

    /** The dialer's address (its host and ephemeral port). */
    public InetSocketAddress clientAddress()
    {
        return client.local;
    }

    /** The address dialed. */
    public InetSocketAddress serverAddress()
    {
        return serverAddress;
    }

    /** The SYN reached a listener. */
    public boolean isAccepted()
    {
        return server != null;
    }

    /** Either side is connecting or established (not closed, reset or crashed). */
    public boolean isLive()
    {
        return !client.isDone() || (server != null && !server.isDone());
    }

    /** The kernel state of a side (0 client, 1 server): CONNECTING, OPEN, CLOSED, GONE, or NONE before the accept. */
    public String state(final int side)
    {
        final Endpoint e = side == 0 ? client : server;
        return e == null ? "NONE" : e.state.name();
    }

    /** Bytes a side (0 client, 1 server) has written that are not yet in its peer's receive buffer. */
    public long sendQueuedBytes(final int side)
    {
        return side == 0 ? toServer.queuedBytes : toClient.queuedBytes;
    }

    /** Bytes in a side's receive buffer not yet read. */
    public long receiveQueuedBytes(final int side)
    {
        final Endpoint e = side == 0 ? client : server;
        return e == null ? 0 : e.receivedBytes;
    }

    boolean isFinished()
    {
        return client.isDone() && (server == null || server.isDone()) && toServer.isEmpty() && toClient.isEmpty();
    }

    @Override
    public String toString()
    {
        return "SimStream#" + id + "[" + client.local + " " + client.state + " -> " + serverAddress + " " +
            state(1) + ", in flight " + toServer.queuedBytes + "/" + toClient.queuedBytes + " B]";
    }
}
