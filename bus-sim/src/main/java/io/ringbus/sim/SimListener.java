package io.ringbus.sim;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.function.Consumer;

import io.ringbus.core.backend.AcceptedSocket;
import io.ringbus.core.backend.IoListener;

/**
 * A simulated listening socket: SYNs reaching its port become accepted sockets queued here and
 * handed to the callback from its backend's poll. Simulation thread only.
 */
final class SimListener implements IoListener
{
    final SimBackend backend;
    final InetSocketAddress local;
    final Consumer<AcceptedSocket> onAccept;
    final ArrayDeque<SimAcceptedSocket> pending = new ArrayDeque<>();
    /** Bound in its host's port table (false for a listener made by a crashed backend). */
    final boolean bound;
    boolean closed;

    SimListener(final SimBackend backend, final InetSocketAddress local, final Consumer<AcceptedSocket> onAccept,
        final boolean bound)
    {
        this.backend = backend;
        this.local = local;
        this.onAccept = onAccept;
        this.bound = bound;
    }

    int deliverAccepts()
    {
        int accepted = 0;
        SimAcceptedSocket socket;
        while (!closed && (socket = pending.poll()) != null)
        {
            accepted++;
            backend.network.trace().record("accept", socket.endpoint.stream.id(), local.getPort(), backend.id);
            onAccept.accept(socket);
        }
        return accepted;
    }

    @Override
    public InetSocketAddress localAddress()
    {
        return local;
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (!backend.isDead())
        {
            backend.network.closeListener(this);
        }
    }
}
