package io.ringbus.core;

import io.ringbus.core.client.ClientConnMeta;
import org.agrona.DirectBuffer;

/**
 * The application's side of a {@link MessageBus}. Every method is called on the shard that owns
 * the connection concerned; frames are views valid only during the call (copy, or build the
 * answer, before returning). Implementations must not block.
 */
public interface BusHandler
{
    /** A client's {@code request} frame. Answer with {@link MessageBus#sendToClient}. */
    default void onClientRequest(MessageBus bus, ClientConnMeta client, DirectBuffer buffer, int offset, int length)
    {
    }

    /**
     * A client connection is open: its handshakes (TLS, WebSocket upgrade, QUIC) are done, and
     * {@code client} holds what they told (peer certificate, transport details). Called once per
     * connection, before its first {@link #onClientRequest}; with {@link #onClientClosed} it lets a
     * server keep its own table of sessions. A throwable escaping it closes this connection
     * ({@code IO_ERROR}), not the bus.
     */
    default void onClientConnected(MessageBus bus, ClientConnMeta client)
    {
    }

    /**
     * A client connection closed: called exactly once per client connection, after its last
     * {@link #onClientRequest}; {@link ClientConnMeta#closeReason()} and
     * {@link ClientConnMeta#closeDetail()} say why (e.g. {@code PEER_CLOSED} for a client that
     * closed, {@code PROTOCOL_ERROR}, {@code SHUTDOWN} when the bus stops). Also called for a
     * connection whose handshake failed, which never saw {@link #onClientConnected}.
     */
    default void onClientClosed(MessageBus bus, ClientConnMeta client)
    {
    }

    /** A frame from replica {@code replica} (never its handshake ping). */
    default void onReplicaFrame(MessageBus bus, int replica, DirectBuffer buffer, int offset, int length)
    {
    }

    /** The connection to {@code replica} is up (handshake done). */
    default void onReplicaConnected(MessageBus bus, int replica)
    {
    }

    /** The connection to {@code replica} was lost; called exactly once per connection that was up. */
    default void onReplicaLost(MessageBus bus, int replica)
    {
    }

    /**
     * The bus has failed and is stopping: {@code failure} escaped a shard's duty cycle (an Error
     * from a handler, an I/O failure of a backend). Called once, on the failed shard's thread,
     * before its connections close (each then reports {@code BUS_FAILURE} through
     * {@link #onClientClosed}); the bus closes every other connection and its listeners by itself
     * and will not serve again ({@link MessageBus#failure()}). Start a new bus to carry on.
     */
    default void onBusFailure(MessageBus bus, Throwable failure)
    {
    }
}
