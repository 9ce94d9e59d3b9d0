package io.ringbus.core.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JFR event {@code io.ringbus.ProtocolError}: a peer broke the protocol and its connection closes
 * with {@code PROTOCOL_ERROR}. Committed on the owning shard by {@link JfrEvents#protocolError},
 * just before the connection's {@link ConnectionClosedEvent}; never built when the event is disabled.
 */
@Name("io.ringbus.ProtocolError")
@Label("Protocol Error")
@Category("Ringbus")
@Description("A peer broke the protocol; its connection closes")
@StackTrace(false)
public final class ProtocolErrorEvent extends ConnectionEvent
{
    /** Read by {@link JfrEvents} to ask whether the event is enabled without building one. */
    static final ProtocolErrorEvent PROBE = new ProtocolErrorEvent();

    @Label("Kind")
    @Description("A frame error (SIZE_TOO_SMALL, SIZE_TOO_LARGE, HEADER_CHECKSUM, BODY_CHECKSUM, INVALID_COMMAND, " +
        "FOREIGN_CLUSTER), CARRIER (the TLS or WebSocket layer refused the peer's bytes) or PLANE (a valid frame " +
        "the plane refuses: a command a client may not send, a bad replica handshake)")
    String kind;

    @Label("Detail")
    String detail;
}
