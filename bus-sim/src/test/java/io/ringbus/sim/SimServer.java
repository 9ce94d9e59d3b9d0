package io.ringbus.sim;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import io.ringbus.core.backend.IoBackend;
import io.ringbus.core.backend.IoListener;

/** A listener for the tests whose accepted sockets are registered on another backend (fd delegation) as Peers. */
final class SimServer
{
    final List<Peer> peers = new ArrayList<>();
    final IoListener listener;
    boolean echo;
    boolean reading = true;

    SimServer(final IoBackend acceptor, final IoBackend owner, final InetSocketAddress address) throws Exception
    {
        listener = acceptor.listen(address, socket ->
        {
            try
            {
                final Peer peer = new Peer();
                peer.echo = echo;
                peer.reading = reading;
                peer.channel = owner.register(socket, peer);
                peer.connected = true;
                peer.armRead();
                peers.add(peer);
            }
            catch (final Exception ex)
            {
                throw new AssertionError(ex);
            }
        });
    }

    Peer peer()
    {
        return peers.isEmpty() ? null : peers.get(0);
    }
}
