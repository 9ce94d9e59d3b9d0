package io.ringbus.core.jfr;

import io.ringbus.core.transport.Connection;
import jdk.jfr.Description;
import jdk.jfr.Label;

/**
 * What every Ringbus JFR event says about its connection: id, role, scheme, peer and shard. The
 * events extend it (JFR records a superclass's fields as the event's own).
 */
abstract class ConnectionEvent extends jdk.jfr.Event
{
    @Label("Connection Id")
    @Description("The bus's id of the connection, in hex as in the log lines")
    String connectionId;

    @Label("Role")
    @Description("client (a client of this bus), replica (a replica link) or sdk (a BusClient's connection)")
    String role;

    @Label("Scheme")
    @Description("tcp, tls, ws, wss or quic")
    String scheme;

    @Label("Remote Address")
    String remoteAddress;

    @Label("Shard")
    int shard;

    /** Fill the connection's fields from {@code connection}. */
    final void describe(final Connection connection)
    {
        connectionId = Long.toHexString(connection.id());
        role = connection.role();
        scheme = connection.scheme();
        remoteAddress = String.valueOf(connection.remoteAddress());
        shard = connection.shard().index();
    }
}
