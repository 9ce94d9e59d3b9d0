package io.ringbus.sim;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.IoChannelHandler;

/**
 * A simulated stream socket as the application holds it: at most one read and one write
 * outstanding, completed from {@link SimBackend#poll(long)}, never inside the call that submits
 * them. Copies at the call (writes) and at the completion (reads), so it is quiescent once closed.
 * Simulation thread only.
 */
final class SimChannel implements IoChannel
{
    final SimBackend backend;
    final Endpoint endpoint;
    final IoChannelHandler handler;
    ByteBuffer readBuffer;
    boolean writePending;
    long writeResult;
    /** The write took less than asked: like NIO, it completes once the send buffer has room again. */
    boolean writeWaitsForRoom;
    boolean connectReported;
    boolean closed;
    static final long NO_FIN = Long.MIN_VALUE;
    private long finAtNs = NO_FIN;

    SimChannel(final SimBackend backend, final Endpoint endpoint, final IoChannelHandler handler)
    {
        this.backend = backend;
        this.endpoint = endpoint;
        this.handler = handler;
    }

    @Override
    public void read(final ByteBuffer dst)
    {
        if (readBuffer != null)
        {
            throw new IllegalStateException("a read is already pending");
        }
        if (!dst.hasRemaining())
        {
            throw new IllegalArgumentException("a read needs room in its buffer");
        }
        if (closed || backend.isDead())
        {
            return;
        }
        readBuffer = dst;
    }

    @Override
    public void writev(final ByteBuffer[] srcs, final int count)
    {
        if (writePending)
        {
            throw new IllegalStateException("a write is already pending");
        }
        if (closed || backend.isDead())
        {
            return;
        }
        writePending = true;
        writeResult = backend.network.write(this, srcs, count);
    }

    @Override
    public void shutdownOutput()
    {
        if (closed || backend.isDead())
        {
            return;
        }
        if (finAtNs == NO_FIN)
        {
            finAtNs = backend.network.clock().nanoTime();
            backend.network.finSent(this);
        }
        backend.network.shutdownOutput(endpoint);
    }

    /** When the owner first shut its output (sent FIN), on the virtual clock, or {@link #NO_FIN}. */
    long finAtNs()
    {
        return finAtNs;
    }

    /** True once the backend that owns this channel is dead (its host crashed). */
    boolean ownerDead()
    {
        return backend.isDead();
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (finAtNs != NO_FIN)
        {
            backend.network.closedAfterFin(this, backend.network.clock().nanoTime() - finAtNs);
        }
        readBuffer = null;
        writePending = false;
        if (!backend.isDead())
        {
            backend.network.appClose(endpoint);
        }
    }

    @Override
    public boolean isClosed()
    {
        return closed;
    }

    @Override
    public String failure()
    {
        return endpoint.failure;
    }

    @Override
    public InetSocketAddress remoteAddress()
    {
        return endpoint.remote;
    }

    boolean connectReady()
    {
        return !connectReported && endpoint.connectResult != Endpoint.NO_RESULT;
    }

    boolean writeReady()
    {
        return writePending && (!writeWaitsForRoom || endpoint.state != Endpoint.State.OPEN ||
            endpoint.out.queuedBytes < backend.network.config().sendBufferBytes());
    }

    boolean readReady()
    {
        return readBuffer != null && (endpoint.receivedBytes > 0 || endpoint.pendingError != 0 || endpoint.finReceived);
    }

    @Override
    public String toString()
    {
        return "SimChannel[stream " + endpoint.stream.id() + " side " + endpoint.side + " " + endpoint.local + " -> " +
            endpoint.remote + (closed ? " closed" : "") + "]";
    }
}
