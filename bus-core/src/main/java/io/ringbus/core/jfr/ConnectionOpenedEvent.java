package io.ringbus.core.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JFR event {@code io.ringbus.ConnectionOpened}: a connection is open, its handshakes (TLS,
 * WebSocket upgrade, QUIC) done, before its first frame. Committed on the owning shard by
 * {@link JfrEvents#connectionOpened}; never built when the event is disabled.
 */
@Name("io.ringbus.ConnectionOpened")
@Label("Connection Opened")
@Category("Ringbus")
@Description("A connection finished its handshakes and is open")
@StackTrace(false)
public final class ConnectionOpenedEvent extends ConnectionEvent
{
    /** Read by {@link JfrEvents} to ask whether the event is enabled without building one. */
    static final ConnectionOpenedEvent PROBE = new ConnectionOpenedEvent();
}
