package io.ringbus.sim;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;

import io.ringbus.core.backend.IoDatagramSocket;

/**
 * A simulated UDP socket: sends copy into the network, arrivals queue here until received. Its
 * backend's poll runs the readable callback while datagrams wait. After its host crashed it
 * sends nothing and receives nothing, silently. Simulation thread only.
 */
final class SimDatagramSocket implements IoDatagramSocket
{
    final SimBackend backend;
    final int id;
    final InetSocketAddress local;
    final InetSocketAddress connectedTo;
    final Runnable onReadable;
    final boolean bound;
    final ArrayDeque<SimNetwork.Datagram> queue = new ArrayDeque<>();
    long queuedBytes;
    long lastDeliverAtNs;
    boolean closed;

    SimDatagramSocket(final SimBackend backend, final int id, final InetSocketAddress local,
        final InetSocketAddress connectedTo, final Runnable onReadable, final boolean bound)
    {
        this.backend = backend;
        this.id = id;
        this.local = local;
        this.connectedTo = connectedTo;
        this.onReadable = onReadable;
        this.bound = bound;
    }

    @Override
    public InetSocketAddress receive(final ByteBuffer dst) throws IOException
    {
        if (closed)
        {
            throw new ClosedChannelException();
        }
        final SimNetwork.Datagram datagram = queue.poll();
        if (datagram == null)
        {
            return null;
        }
        queuedBytes -= datagram.data.length;
        final int n = Math.min(dst.remaining(), datagram.data.length);
        dst.put(datagram.data, 0, n); // the rest is lost, as UDP truncates to the room given
        backend.network.trace().record("dgram-recv", id, datagram.seq, n);
        return datagram.from;
    }

    @Override
    public boolean send(final ByteBuffer src, final InetSocketAddress target) throws IOException
    {
        if (closed)
        {
            throw new ClosedChannelException();
        }
        if (backend.isDead() || !bound)
        {
            src.position(src.limit()); // into the void: the host is gone
            return true;
        }
        backend.network.sendDatagram(this, src, connectedTo != null ? connectedTo : target);
        return true;
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
        queue.clear();
        queuedBytes = 0;
        if (!backend.isDead())
        {
            backend.network.closeDatagramSocket(this);
        }
    }
}
