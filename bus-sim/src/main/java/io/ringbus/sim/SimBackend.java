package io.ringbus.sim;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.function.Consumer;

import io.ringbus.core.backend.AcceptedSocket;
import io.ringbus.core.backend.IoBackend;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.IoChannelHandler;
import io.ringbus.core.backend.IoDatagramSocket;
import io.ringbus.core.backend.IoListener;

/**
 * One shard's backend on a {@link SimNetwork}: the shard's channels, listeners and datagram
 * sockets on one simulated host. {@link #poll(long)} never blocks (it ignores the timeout) and
 * delivers whatever is ready, in an order the network's PRNG picks. Once its host crashes the
 * backend is dead: it delivers nothing and every call on it or its objects is a silent no-op.
 * Simulation thread only (the simulation steps every shard of every node on one thread).
 */
public final class SimBackend implements IoBackend
{
    final SimNetwork network;
    final SimHost host;
    final int shardIndex;
    /** Unique per network, for the trace. */
    final int id;
    private final ArrayList<SimChannel> channels = new ArrayList<>();
    private final ArrayList<SimListener> listeners = new ArrayList<>();
    private final ArrayList<SimDatagramSocket> datagramSockets = new ArrayList<>();
    private boolean dead;
    private boolean closed;

    SimBackend(final SimNetwork network, final SimHost host, final int shardIndex, final int id)
    {
        this.network = network;
        this.host = host;
        this.shardIndex = shardIndex;
        this.id = id;
    }

    @Override
    public String name()
    {
        return "sim";
    }

    /** The simulated host this backend runs on. */
    public InetAddress host()
    {
        return host.address;
    }

    public int shardIndex()
    {
        return shardIndex;
    }

    /** True once its host crashed: nothing is delivered any more. */
    public boolean isDead()
    {
        return dead;
    }

    /** True if a {@link #poll(long)} now would deliver at least one completion or callback. */
    public boolean hasReady()
    {
        if (dead || closed)
        {
            return false;
        }
        for (int i = 0; i < listeners.size(); i++)
        {
            final SimListener listener = listeners.get(i);
            if (!listener.closed && !listener.pending.isEmpty())
            {
                return true;
            }
        }
        for (int i = 0; i < channels.size(); i++)
        {
            final SimChannel channel = channels.get(i);
            if (!channel.closed && (channel.connectReady() || channel.writeReady() || channel.readReady()))
            {
                return true;
            }
        }
        for (int i = 0; i < datagramSockets.size(); i++)
        {
            final SimDatagramSocket socket = datagramSockets.get(i);
            if (!socket.closed && !socket.queue.isEmpty())
            {
                return true;
            }
        }
        return false;
    }

    /** Open channels (not yet closed by their owner) on this backend. */
    public int channelCount()
    {
        int open = 0;
        for (int i = 0; i < channels.size(); i++)
        {
            if (!channels.get(i).closed)
            {
                open++;
            }
        }
        return open;
    }

    @Override
    public int poll(final long timeoutNs)
    {
        if (dead || closed)
        {
            return 0;
        }
        int work = 0;
        final int listenerCount = listeners.size();
        for (int i = 0; i < listenerCount && !dead && !closed; i++)
        {
            work += listeners.get(i).deliverAccepts();
        }
        // Channels added by the handlers called below go after index n and wait for the next poll.
        final int n = channels.size();
        final int start = n > 1 ? network.random().nextInt(n) : 0;
        for (int k = 0; k < n && !dead && !closed; k++)
        {
            work += dispatch(channels.get((start + k) % n));
        }
        final int socketCount = datagramSockets.size();
        for (int i = 0; i < socketCount && !dead && !closed; i++)
        {
            final SimDatagramSocket socket = datagramSockets.get(i);
            if (!socket.closed && !socket.queue.isEmpty())
            {
                network.trace().record("dgram-readable", socket.id, socket.queue.size(), 0);
                socket.onReadable.run();
                work++;
            }
        }
        compact();
        return work;
    }

    private int dispatch(final SimChannel channel)
    {
        int work = 0;
        if (!channel.closed && channel.connectReady())
        {
            channel.connectReported = true;
            final int result = channel.endpoint.connectResult;
            network.trace().record("on-connect", channel.endpoint.stream.id(), result, id);
            work++;
            channel.handler.onConnect(result);
        }
        if (!channel.closed && !dead && channel.writeReady())
        {
            final long result = channel.writeResult;
            channel.writePending = false;
            channel.writeResult = 0;
            channel.writeWaitsForRoom = false;
            network.trace().record("on-write", channel.endpoint.stream.id(), channel.endpoint.side, result);
            work++;
            channel.handler.onWrite(result);
        }
        if (!channel.closed && !dead && channel.readReady())
        {
            final int result = network.read(channel);
            work++;
            channel.handler.onRead(result);
        }
        return work;
    }

    private void compact()
    {
        int j = 0;
        for (int i = 0; i < channels.size(); i++)
        {
            final SimChannel channel = channels.get(i);
            if (!channel.closed)
            {
                channels.set(j++, channel);
            }
        }
        while (channels.size() > j)
        {
            channels.remove(channels.size() - 1);
        }
        listeners.removeIf(listener -> listener.closed);
        datagramSockets.removeIf(socket -> socket.closed);
    }

    @Override
    public void wakeup()
    {
        // Nothing ever blocks.
    }

    @Override
    public IoListener listen(final InetSocketAddress address, final Consumer<AcceptedSocket> onAccept) throws IOException
    {
        final SimListener listener = network.listen(this, address, onAccept);
        listeners.add(listener);
        return listener;
    }

    @Override
    public IoChannel register(final AcceptedSocket socket, final IoChannelHandler handler) throws IOException
    {
        final SimChannel channel = network.register(this, socket, handler);
        channels.add(channel);
        return channel;
    }

    @Override
    public IoChannel connect(final InetSocketAddress address, final IoChannelHandler handler) throws IOException
    {
        final SimChannel channel = network.connect(this, address, handler);
        channels.add(channel);
        return channel;
    }

    @Override
    public IoDatagramSocket openDatagram(final InetSocketAddress address, final InetSocketAddress connectTo,
        final Runnable onReadable) throws IOException
    {
        final SimDatagramSocket socket = network.openDatagram(this, address, connectTo, onReadable);
        datagramSockets.add(socket);
        return socket;
    }

    /** Closes what is still open on it, as NioBackend does; a dead backend has nothing left to close. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        for (int i = 0; i < channels.size(); i++)
        {
            channels.get(i).close();
        }
        for (int i = 0; i < listeners.size(); i++)
        {
            listeners.get(i).close();
        }
        for (int i = 0; i < datagramSockets.size(); i++)
        {
            datagramSockets.get(i).close();
        }
        closed = true;
        channels.clear();
        listeners.clear();
        datagramSockets.clear();
        network.backendClosed(this);
    }

    /** The host crashed: everything on this backend vanished without a word. */
    void die()
    {
        dead = true;
        channels.clear();
        listeners.clear();
        datagramSockets.clear();
    }

    @Override
    public String toString()
    {
        return "SimBackend[" + host.address.getHostAddress() + " shard " + shardIndex + (dead ? " dead" : "") + "]";
    }
}
