package io.ringbus.core.jfr;

import io.ringbus.core.transport.Connection;
import jdk.jfr.FlightRecorder;

/**
 * Commits the bus's JDK Flight Recorder events ({@code io.ringbus.*}: {@link ConnectionOpenedEvent},
 * {@link ConnectionClosedEvent}, {@link BackpressureEvent}, {@link ProtocolErrorEvent}) for the
 * connection code. Each method returns at once, allocating nothing, unless a recording has that
 * event enabled; only then is an event built and its strings made.
 *
 * <p>Why the two checks before {@code isEnabled()}: in JDK 17 the first load of any event class
 * initialises JFR's metadata (about 300 classes, a quarter of a second on a busy machine), which
 * must not happen on a shard thread at the first connection of a process that records nothing.
 * So an event class is touched only once the recorder is initialised ({@code -XX:StartFlightRecording},
 * {@code jcmd <pid> JFR.start}, or a {@code Recording} in the process), and not at all on a runtime
 * image without the {@code jdk.jfr} module. From then on the event's own {@code isEnabled()} (a
 * static read once JFR instrumented the class) decides, asked of one shared, never committed
 * instance per event.
 *
 * <p>Any thread; the callers say which (the owning shard, or the sender's thread for back-pressure).
 */
public final class JfrEvents
{
    /** False on a runtime image without the jdk.jfr module: then no event class is ever loaded. */
    private static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.jfr").isPresent();

    private JfrEvents()
    {
    }

    private static boolean recorderUp()
    {
        return AVAILABLE && FlightRecorder.isInitialized();
    }

    /** {@code io.ringbus.ConnectionOpened} for {@code connection}, now open. Owning shard. */
    public static void connectionOpened(final Connection connection)
    {
        if (recorderUp() && ConnectionOpenedEvent.PROBE.isEnabled())
        {
            final ConnectionOpenedEvent event = new ConnectionOpenedEvent();
            event.describe(connection);
            event.commit();
        }
    }

    /** {@code io.ringbus.ConnectionClosed} for {@code connection}, now closed. Owning shard. */
    public static void connectionClosed(final Connection connection)
    {
        if (recorderUp() && ConnectionClosedEvent.PROBE.isEnabled())
        {
            final ConnectionClosedEvent event = new ConnectionClosedEvent();
            event.describe(connection);
            event.reason = String.valueOf(connection.closeReason());
            event.detail = connection.closeDetail();
            event.framesIn = connection.framesReceived();
            event.framesOut = connection.framesSent();
            event.bytesIn = connection.bytesReceived();
            event.bytesOut = connection.bytesSent();
            event.commit();
        }
    }

    /**
     * {@code io.ringbus.ProtocolError} for {@code connection}, closing with PROTOCOL_ERROR. Owning shard.
     *
     * @param kind a FrameError name, CARRIER or PLANE (see {@link ProtocolErrorEvent})
     */
    public static void protocolError(final Connection connection, final String kind)
    {
        if (recorderUp() && ProtocolErrorEvent.PROBE.isEnabled())
        {
            final ProtocolErrorEvent event = new ProtocolErrorEvent();
            event.describe(connection);
            event.kind = kind;
            event.detail = connection.closeDetail();
            event.commit();
        }
    }

    /**
     * {@code io.ringbus.Backpressure}: a send of a frame of {@code frameBytes} pooled bytes to
     * {@code connection} was refused. The sender's thread (any thread).
     */
    public static void backpressure(final Connection connection, final long frameBytes)
    {
        if (recorderUp() && BackpressureEvent.PROBE.isEnabled())
        {
            final BackpressureEvent event = new BackpressureEvent();
            event.describe(connection);
            event.frameBytes = frameBytes;
            event.queuedFrames = connection.queuedFrames();
            event.queuedBytes = connection.queuedBytes();
            event.maxQueuedBytes = connection.maxQueuedBytes();
            event.commit();
        }
    }
}
