package io.ringbus.quic;

import io.ringbus.core.backend.IoDatagramSocket;
import io.ringbus.core.shard.Shard;
import org.agrona.concurrent.NanoClock;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * The UDP socket of a QUIC endpoint ({@link QuicClientEndpoint}, {@link QuicServerEndpoint}) and
 * its receive loop: when the socket is readable, up to {@value #MAX_DATAGRAMS_PER_WAKEUP}
 * datagrams are read into one direct buffer and handed to the endpoint one by one, then the
 * endpoint services what they touched. Past that bound the loop lets the shard serve others and
 * remembers there is more: the endpoint {@link #resume resumes} it from its next flush, since a
 * readiness that fires only on new arrivals (io_uring's multishot poll) would not call again for
 * datagrams already queued. The datagrams an endpoint sends during a pass are flushed together
 * at its end ({@link #flushSends()}), for backends that batch them. Shard thread only, like the
 * endpoint that owns it.
 */
final class DatagramLoop
{
    private static final System.Logger LOG = System.getLogger(DatagramLoop.class.getName());

    /** What the loop hands its endpoint, on the shard thread. */
    interface Handler
    {
        /** A datagram from {@code sender} (position to limit, valid during the call only). */
        void onDatagram(ByteBuffer datagram, InetSocketAddress sender, long nowNs);

        /** Receiving failed; the pass ends (its {@link #afterPass} follows). */
        void onReceiveFailed(IOException ex);

        /**
         * A pass ended: service what the datagrams touched. {@code more}: the bound was reached and
         * datagrams may remain; request a flush that calls {@link #resume()}.
         */
        void afterPass(long nowNs, boolean more);
    }

    /** The largest UDP payload (RFC 9000 18.2 max_udp_payload_size bound). */
    static final int MAX_DATAGRAM = 65_527;
    static final int MAX_DATAGRAMS_PER_WAKEUP = 256;

    private final ByteBuffer receiveBuffer = ByteBuffer.allocateDirect(MAX_DATAGRAM);
    private final Handler handler;
    private final NanoClock clock;
    private final IoDatagramSocket socket;
    private boolean moreToRead;
    private boolean closed;
    private int sentSinceFlush;
    private long datagramsSent;
    private long flushes;

    /**
     * Open the socket on {@code shard}'s backend, bound to {@code local} and, for a client,
     * connected to {@code remote} (null for a server); a pass's time is read from {@code clock}
     * (the endpoint's: a simulator's is virtual).
     */
    DatagramLoop(final Shard shard, final NanoClock clock, final InetSocketAddress local,
        final InetSocketAddress remote, final Handler handler) throws IOException
    {
        this.handler = handler;
        this.clock = clock;
        this.socket = shard.backend().openDatagram(local, remote, this::onReadable);
    }

    InetSocketAddress localAddress()
    {
        return socket.localAddress();
    }

    /** True once {@link #close()} was called. */
    boolean isClosed()
    {
        return closed;
    }

    /** If the last pass stopped at its bound, run another now. @return true if it ran one. */
    boolean resume()
    {
        if (!moreToRead)
        {
            return false;
        }
        onReadable();
        return true;
    }

    /** Send one datagram, to {@code target} (null on a connected socket). */
    void send(final ByteBuffer datagram, final InetSocketAddress target) throws IOException
    {
        datagramsSent++;
        sentSinceFlush++;
        socket.send(datagram, target);
    }

    /**
     * The end of a service pass: the datagrams sent during it go to the kernel now if the backend
     * batches them ({@link IoDatagramSocket#flush()}); counted per pass for
     * {@link #datagramsPerFlush()}.
     */
    void flushSends()
    {
        if (closed || sentSinceFlush == 0)
        {
            return;
        }
        flushes++;
        sentSinceFlush = 0;
        try
        {
            socket.flush();
        }
        catch (final IOException ex)
        {
            // as a failed send: the datagrams are lost, and loss recovery resends
            LOG.log(System.Logger.Level.DEBUG, () -> "quic: flushing sends failed: " + ex);
        }
    }

    /** Datagrams sent per {@link #flushSends()} that had any, on average since the loop opened; for tests and tuning. */
    double datagramsPerFlush()
    {
        return flushes == 0 ? 0 : (double)datagramsSent / flushes;
    }

    /** Datagrams handed to the socket since the loop opened. */
    long datagramsSent()
    {
        return datagramsSent;
    }

    /** Close the socket; no datagram is handed on after this. */
    void close()
    {
        if (!closed)
        {
            flushSends(); // what a batching backend still holds goes before the socket
            closed = true;
            socket.close();
        }
    }

    private void onReadable()
    {
        final long nowNs = clock.nanoTime();
        moreToRead = false;
        for (int i = 0; !closed; i++)
        {
            if (i == MAX_DATAGRAMS_PER_WAKEUP)
            {
                moreToRead = true;
                break;
            }
            final InetSocketAddress sender;
            try
            {
                sender = socket.receive(receiveBuffer.clear());
            }
            catch (final IOException ex)
            {
                handler.onReceiveFailed(ex);
                break;
            }
            if (sender == null)
            {
                break;
            }
            receiveBuffer.flip();
            handler.onDatagram(receiveBuffer, sender, nowNs);
        }
        handler.afterPass(nowNs, moreToRead);
    }
}
