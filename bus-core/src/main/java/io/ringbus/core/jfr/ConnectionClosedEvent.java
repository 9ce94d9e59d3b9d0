package io.ringbus.core.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JFR event {@code io.ringbus.ConnectionClosed}: a connection closed (also one whose handshake
 * never finished), with its close reason and its totals. Committed on the owning shard by
 * {@link JfrEvents#connectionClosed}; never built when the event is disabled.
 */
@Name("io.ringbus.ConnectionClosed")
@Label("Connection Closed")
@Category("Ringbus")
@Description("A connection closed: why, and the frames and bytes it carried")
@StackTrace(false)
public final class ConnectionClosedEvent extends ConnectionEvent
{
    /** Read by {@link JfrEvents} to ask whether the event is enabled without building one. */
    static final ConnectionClosedEvent PROBE = new ConnectionClosedEvent();

    @Label("Reason")
    @Description("The CloseReason, e.g. PEER_CLOSED, PROTOCOL_ERROR, SHUTDOWN")
    String reason;

    @Label("Detail")
    String detail;

    @Label("Frames In")
    long framesIn;

    @Label("Frames Out")
    long framesOut;

    @Label("Bytes In")
    @Description("Bytes of the frames received (frame headers and bodies, without carrier overhead)")
    @DataAmount
    long bytesIn;

    @Label("Bytes Out")
    @Description("Bytes of the frames sent (frame headers and bodies, without carrier overhead)")
    @DataAmount
    long bytesOut;
}
