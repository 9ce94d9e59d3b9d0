package io.ringbus.core.transport;

import org.agrona.DirectBuffer;

/** What a plane (client, replica, SDK) does with a connection's events. Called on the owning shard. */
public interface ConnectionHandler
{
    /** The connection is established (accepted and registered, or connected). */
    void onOpen(Connection connection);

    /** A whole, verified frame; the view is valid only during the call. */
    void onFrame(Connection connection, DirectBuffer buffer, int offset, int length);

    /** The connection closed; {@link Connection#closeReason()} says why. Called exactly once. */
    void onClosed(Connection connection);
}
