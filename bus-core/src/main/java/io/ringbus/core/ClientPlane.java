package io.ringbus.core;

import io.ringbus.core.backend.AcceptedSocket;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.frame.Frames;
import io.ringbus.core.stat.ClientCounters;
import io.ringbus.core.stat.ProtocolErrorKind;
import io.ringbus.core.transport.AcceptedStream;
import io.ringbus.core.transport.Carrier;
import io.ringbus.core.transport.CloseReason;
import io.ringbus.core.transport.Connection;
import io.ringbus.core.transport.ConnectionHandler;
import io.ringbus.core.transport.ConnectionLimits;
import io.ringbus.core.transport.ConnectionTable;
import io.ringbus.core.transport.TransportProvider;
import org.agrona.DirectBuffer;

import java.net.URI;
import java.security.cert.X509Certificate;

/**
 * The client plane of a bus: takes client connections of every transport (a TCP-based one through
 * {@link #admission} on its owning shard, a transport with its own sockets (QUIC) through
 * {@link #registerStream} on shard 0), enforces the client-command rule
 * ({@link Command#isAllowedFromClient}, WIRE.md: a client sends only request and ping_client),
 * answers ping_client itself and hands each request to {@link BusHandler#onClientRequest}.
 *
 * <p>One per bus. Every method runs on the shard that owns the connection in question.
 */
final class ClientPlane implements ConnectionHandler
{
    /** The role of a client connection in its JFR events ({@link Connection#label}). */
    static final String CLIENT_ROLE = "client";

    private final MessageBus bus;
    private final BusHandler handler;
    private final BusConfig config;
    private final FramePool pool;
    private final ConnectionTable table;
    private final int replicaField;

    ClientPlane(final MessageBus bus, final BusHandler handler, final BusConfig config, final FramePool pool,
        final ConnectionTable table)
    {
        this.bus = bus;
        this.handler = handler;
        this.config = config;
        this.pool = pool;
        this.table = table;
        this.replicaField = config.replicaId() == BusConfig.NO_REPLICA ? FrameHeader.REPLICA_NONE : config.replicaId();
    }

    /**
     * How an accepted socket of the listener for {@code uri} becomes a client connection on its
     * owning shard: its meta, and the transport's carrier (TLS, WebSocket) with its handshake.
     */
    ConnectionTable.Admission admission(final TransportProvider transport, final URI uri)
    {
        return (connection, socket, channel) -> prepare(connection, socket, channel, transport, uri);
    }

    /**
     * On shard 0 (every listener lives there): take the socket's place in the connection limits and
     * hand it to its owner before a byte is read; refused by the limits, it is closed unread, before
     * any TLS or WebSocket handshake ({@link ConnectionTable#delegate}).
     */
    void onAccepted(final AcceptedSocket socket, final ConnectionTable.Admission admission)
    {
        table.delegate(socket, table.pickShard(), this, true, admission);
    }

    private boolean prepare(final Connection connection, final AcceptedSocket socket, final IoChannel channel,
        final TransportProvider transport, final URI uri)
    {
        connection.attachment(new ClientConnMeta(connection.id(), socket.remoteAddress(), transport.scheme()));
        connection.label(CLIENT_ROLE, transport.scheme());
        countOpened(connection, transport.scheme());
        final Carrier carrier;
        try
        {
            carrier = transport.serverCarrier(config, uri);
        }
        catch (final RuntimeException ex)
        {
            channel.close();
            connection.abort(CloseReason.IO_ERROR, "carrier set-up failed: " + ex);
            return false;
        }
        if (carrier != null)
        {
            connection.carrier(carrier, config.handshakeGrace().toNanos());
        }
        return true;
    }

    /**
     * On shard 0: a connection of a transport with its own sockets (QUIC), its handshake done. Shard
     * 0 owns it: its socket and connection-id demux live there. It takes no place in the connection
     * limits here: the transport's endpoint took one before its handshake and gives it back itself.
     */
    void registerStream(final AcceptedStream stream, final TransportProvider transport)
    {
        if (!table.isAdmitting())
        {
            stream.refuse("server stopping");
            return;
        }
        final Connection connection = table.newConnection(0, this, true);
        if (connection == null)
        {
            stream.refuse("server busy");
            table.refusedTableFull(0, stream.remoteAddress());
            return;
        }
        final ClientConnMeta meta = new ClientConnMeta(connection.id(), stream.remoteAddress(), transport.scheme());
        stream.describe(meta::detail);
        final X509Certificate peer = stream.peerCertificate();
        if (peer != null)
        {
            meta.peerCertificate(peer);
        }
        connection.attachment(meta);
        connection.label(CLIENT_ROLE, transport.scheme());
        countOpened(connection, transport.scheme());
        connection.open(stream.bind(connection));
    }

    /** A client connection of {@code scheme} was taken: it counts its frames, and its opening, on its shard. */
    private void countOpened(final Connection connection, final String scheme)
    {
        final ClientCounters counters = bus.counters().client(scheme, connection.shard().index());
        connection.counters(counters.connection());
        counters.onOpened();
    }

    /**
     * The connection's handshakes (TLS, WebSocket, QUIC) are done and no frame was read yet: fill in
     * what the carrier learnt, then tell the application ({@link BusHandler#onClientConnected}).
     */
    @Override
    public void onOpen(final Connection connection)
    {
        final ClientConnMeta meta = (ClientConnMeta)connection.attachment();
        final Carrier carrier = connection.carrier();
        if (carrier != null)
        {
            carrier.describe(meta::detail);
            final X509Certificate peer = carrier.peerCertificate(); // mutual TLS: before the first request
            if (peer != null)
            {
                meta.peerCertificate(peer);
            }
        }
        handler.onClientConnected(bus, meta);
    }

    @Override
    public void onFrame(final Connection connection, final DirectBuffer buffer, final int offset, final int length)
    {
        final int command = FrameHeader.command(buffer, offset);
        if (!Command.isAllowedFromClient(command))
        {
            connection.protocolErrorKind(ProtocolErrorKind.COMMAND);
            connection.close(CloseReason.PROTOCOL_ERROR, "command = " + Command.of(command).name().toLowerCase() +
                " (" + command + "): a client may send only request and ping_client");
        }
        else if (command == Command.REQUEST.code())
        {
            handler.onClientRequest(bus, (ClientConnMeta)connection.attachment(), buffer, offset, length);
        }
        else
        {
            final FrameBuffer pong = Frames.reply(pool, buffer, offset, buffer, offset, 0, replicaField);
            Frames.header().wrap(pong.buffer(), 0).command(Command.PONG_CLIENT);
            Frames.seal(pong.buffer(), 0);
            connection.send(pong);
        }
    }

    @Override
    public void onClosed(final Connection connection)
    {
        table.release(connection);
        final Object meta = connection.attachment();
        if (meta != null)
        {
            ((ClientConnMeta)meta).closed(connection.closeReason(), connection.closeDetail());
            bus.counters().client(((ClientConnMeta)meta).transport(), connection.shard().index())
                .onClosed(connection.closeReason(), connection.protocolErrorKind(), connection.hasOpened());
            handler.onClientClosed(bus, (ClientConnMeta)meta);
        }
    }

    /** The bus's client connection limits, shared by every listener. */
    ConnectionLimits limits()
    {
        return table.limits();
    }
}
