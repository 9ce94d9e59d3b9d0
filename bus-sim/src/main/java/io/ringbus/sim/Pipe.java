package io.ringbus.sim;

import java.util.ArrayDeque;

/**
 * One direction of a stream: the segments in flight from one endpoint to the other, in order.
 * The bytes here are the sender's send buffer (written, not yet delivered into the receiver's
 * buffer, so not yet acknowledged). Simulation thread only.
 */
final class Pipe
{
    static final long NONE = Long.MIN_VALUE;

    final SimStream stream;
    /** 0 client to server, 1 server to client. */
    final int direction;
    final SimHost fromHost;
    final SimHost toHost;
    final ArrayDeque<Segment> segments = new ArrayDeque<>();
    /** Null while the SYN travels (client to server) or before a server endpoint exists (server to client). */
    Endpoint from;
    Endpoint to;
    long queuedBytes;
    /** Delivery times stay monotonic per direction: TCP delivers in order. */
    long lastDeliverAtNs;
    /** When the head was first found blocked (partition, host down); NONE while it is not. */
    long heldSinceNs = NONE;
    /** When the receiver last took data from this pipe (its last acknowledgment). */
    long lastDeliveryNs;

    Pipe(final SimStream stream, final int direction, final SimHost fromHost, final SimHost toHost)
    {
        this.stream = stream;
        this.direction = direction;
        this.fromHost = fromHost;
        this.toHost = toHost;
    }

    void clear()
    {
        segments.clear();
        queuedBytes = 0;
        heldSinceNs = NONE;
    }

    boolean isEmpty()
    {
        return segments.isEmpty();
    }

    boolean endsWithRst()
    {
        final Segment last = segments.peekLast();
        return last != null && last.type == Segment.RST;
    }
}
