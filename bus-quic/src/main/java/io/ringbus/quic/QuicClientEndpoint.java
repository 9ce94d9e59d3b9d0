package io.ringbus.quic;

import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.IoChannelHandler;
import io.ringbus.core.backend.IoResult;
import io.ringbus.core.log.LogLimiter;
import io.ringbus.core.shard.Shard;
import io.ringbus.quic.conn.QuicConnection;
import io.ringbus.quic.packet.LongHeader;
import io.ringbus.quic.packet.VersionNegotiation;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;

/**
 * A QUIC client connection: its own UDP socket connected to the server, on the client's shard.
 * The channel it returns completes its connect when the handshake is done (or fails with the
 * close reason), then carries the stream like a TCP socket. Shard thread only.
 */
final class QuicClientEndpoint implements QuicSession.Owner, Shard.Flushable, DatagramLoop.Handler
{
    private final LogLimiter logLimiter = new LogLimiter();
    private static final System.Logger LOG = System.getLogger(QuicClientEndpoint.class.getName());

    private final Shard shard;
    private final DatagramLoop socket;
    private final QuicSession session;
    private final InetSocketAddress server;
    /** When the connect began, on the shard's clock: how long a server that never answered was waited for. */
    private final long startedNs;
    private boolean flushRequested;
    private boolean servicing;
    private boolean connectReported;

    private QuicClientEndpoint(final Shard shard, final InetSocketAddress server, final QuicSessionFactory factory,
        final String serverName, final IoChannelHandler handler) throws IOException
    {
        this.shard = shard;
        this.server = server;
        this.startedNs = shard.nowNs();
        final InetSocketAddress local = new InetSocketAddress(
            server.getAddress() instanceof Inet6Address ? InetAddress.getByName("::") :
            InetAddress.getByName("0.0.0.0"), 0);
        // the shard's time (a simulator's is virtual) and the factory's random (a simulator's is seeded)
        this.socket = new DatagramLoop(shard, shard::nowNs, local, server, this);
        this.session = new QuicSession(this, server, factory.random().nextLong());
        session.bindEarly(handler);
        try
        {
            session.connection = factory.client(session, session.localCid, serverName);
        }
        catch (final RuntimeException ex)
        {
            socket.close();
            throw ex;
        }
    }

    /** Start connecting to {@code server}; the handler's onConnect reports the handshake's end. */
    static IoChannel connect(final Shard shard, final InetSocketAddress server, final QuicSessionFactory factory,
        final String serverName, final IoChannelHandler handler) throws IOException
    {
        final QuicClientEndpoint endpoint = new QuicClientEndpoint(shard, server, factory, serverName, handler);
        endpoint.markDirty(endpoint.session);
        return endpoint.session;
    }

    @Override
    public void onDatagram(final ByteBuffer datagram, final InetSocketAddress sender, final long nowNs)
    {
        if (VersionNegotiation.isVersionNegotiation(datagram))
        {
            onVersionNegotiation(datagram);
            return;
        }
        session.connection.onDatagram(datagram, nowNs);
    }

    /**
     * RFC 9000 6.2: a Version Negotiation for our connection id that does not list v1, before any
     * other packet of the server, ends the attempt (we speak v1 only); one that lists v1 (the version
     * we used: a forgery or a stale reply) or comes after the server's first packet is ignored.
     */
    private void onVersionNegotiation(final ByteBuffer datagram)
    {
        final QuicConnection connection = session.connection;
        if (!connection.hasReceivedNothing() || connection.isClosed())
        {
            return;
        }
        final int lists = VersionNegotiation.lists(datagram, connection.localConnectionId(), LongHeader.VERSION_1);
        if (lists == 0)
        {
            connection.abandon("the server does not support QUIC v1 (Version Negotiation, RFC 9000 6.2)");
            markDirty(session);
        }
    }

    @Override
    public void onReceiveFailed(final IOException ex)
    {
        // A connected UDP socket reports ICMP port unreachable here: nobody listens.
        LOG.log(System.Logger.Level.DEBUG, () -> "quic receive: " + ex);
        if (!session.connection.isEstablished())
        {
            session.connection.close(QuicSessionFactory.NO_ERROR, noAnswer(ex), false);
            markDirty(session);
        }
    }

    /**
     * Why a connect failed before the server's first answer, in words: {@code no answer from
     * HOST:PORT within N s (ICMP port unreachable: nothing listens on that UDP port)}.
     */
    private String noAnswer(final IOException ex)
    {
        final String why = ex instanceof PortUnreachableException ?
            "ICMP port unreachable: nothing listens on that UDP port" :
            ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName();
        final long waitedMs = Math.max(0, shard.nowNs() - startedNs) / 1_000_000L;
        return "no answer from " + hostPort(server) + " within " + seconds(waitedMs) + " s (" + why + ")";
    }

    /** HOST:PORT, an IPv6 host in brackets. */
    static String hostPort(final InetSocketAddress address)
    {
        final String host = address.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /** Milliseconds as seconds for a message, rounded up to a tenth: 3464 is "3.5", 10000 is "10". */
    static String seconds(final long ms)
    {
        final long tenths = (ms + 99) / 100;
        return tenths % 10 == 0 ? Long.toString(tenths / 10) : (tenths / 10) + "." + (tenths % 10);
    }

    @Override
    public void afterPass(final long nowNs, final boolean more)
    {
        if (more)
        {
            markDirty(session);
        }
        service(nowNs);
    }

    @Override
    public void markDirty(final QuicSession ignored)
    {
        if (!servicing && !flushRequested && !socket.isClosed())
        {
            flushRequested = true;
            shard.requestFlush(this);
        }
    }

    @Override
    public void flush()
    {
        flushRequested = false;
        if (socket.resume())
        {
            return;
        }
        service(shard.nowNs());
    }

    private void service(final long nowNs)
    {
        if (socket.isClosed())
        {
            return;
        }
        servicing = true;
        try
        {
            session.service(nowNs);
        }
        finally
        {
            servicing = false;
        }
        socket.flushSends(); // the pass's datagrams as one batch
    }

    @Override
    public void onEstablished(final QuicSession ignored)
    {
        connectReported = true;
        session.handler().onConnect(0);
    }

    @Override
    public void onClosed(final QuicSession ignored)
    {
        if (!connectReported)
        {
            connectReported = true;
            LOG.log(System.Logger.Level.INFO, () -> "quic connect to " + session.remoteAddress() + " failed: " +
                session.closeDescription());
            session.handler().onConnect(IoResult.ERROR); // the session's failure() says why
        }
        session.cancelTimer();
        socket.close();
    }

    @Override
    public Shard shard()
    {
        return shard;
    }

    @Override
    public long nowNs()
    {
        return shard.nowNs();
    }

    @Override
    public void onTimer(final QuicSession ignored)
    {
        session.onTimerFired();
        final long nowNs = shard.nowNs();
        session.connection.onTimeout(nowNs);
        service(nowNs);
    }

    @Override
    public void send(final QuicSession ignored, final ByteBuffer datagram)
    {
        try
        {
            socket.send(datagram, null);
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.DEBUG, () -> "quic send failed: " + ex);
        }
    }

    @Override
    public LogLimiter logLimiter()
    {
        return logLimiter;
    }
}
