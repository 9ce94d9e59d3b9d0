package io.ringbus.sim;

import java.net.InetSocketAddress;

import io.ringbus.core.backend.AcceptedSocket;

/**
 * A simulated accepted connection on its way from the accepting shard to its owner; any
 * {@link SimBackend} of the same network and host may register it. Simulation thread only.
 */
final class SimAcceptedSocket implements AcceptedSocket
{
    final SimNetwork network;
    final Endpoint endpoint;
    boolean registered;
    boolean closed;

    SimAcceptedSocket(final SimNetwork network, final Endpoint endpoint)
    {
        this.network = network;
        this.endpoint = endpoint;
    }

    @Override
    public InetSocketAddress remoteAddress()
    {
        return endpoint.remote;
    }

    @Override
    public void close()
    {
        if (registered || closed)
        {
            return;
        }
        closed = true;
        network.appClose(endpoint);
    }
}
