package io.ringbus.core.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JFR event {@code io.ringbus.Backpressure}: a send was refused with {@code SendResult.BACKPRESSURE}
 * because the connection's outbound frames were at peer_queue_capacity or peer_queue_max_bytes.
 * Committed on the sending thread (any thread) by {@link JfrEvents#backpressure}; never built when
 * the event is disabled.
 */
@Name("io.ringbus.Backpressure")
@Label("Back-Pressure Refusal")
@Category("Ringbus")
@Description("A send was refused with BACKPRESSURE: the connection's outbound queue was full")
@StackTrace(false)
public final class BackpressureEvent extends ConnectionEvent
{
    /** Read by {@link JfrEvents} to ask whether the event is enabled without building one. */
    static final BackpressureEvent PROBE = new BackpressureEvent();

    @Label("Frame Size")
    @Description("Pooled bytes of the refused frame")
    @DataAmount
    long frameBytes;

    @Label("Queued Frames")
    @Description("Frames queued and not yet handed to a write")
    int queuedFrames;

    @Label("Queued Bytes")
    @Description("Pooled bytes of the frames taken and not yet written")
    @DataAmount
    long queuedBytes;

    @Label("Queue Limit")
    @Description("peer_queue_max_bytes of the connection")
    @DataAmount
    long maxQueuedBytes;
}
