package io.ringbus.sim;

/** One unit of a stream direction in flight: data, or a control flag. Simulation thread only. */
final class Segment
{
    static final byte DATA = 0;
    static final byte FIN = 1;
    static final byte RST = 2;
    static final byte SYN = 3;
    static final byte SYN_ACK = 4;

    final byte type;
    final byte[] data;
    final long deliverAtNs;
    /** How much of {@link #data} already went into the receiver's buffer (a partial delivery under a small window). */
    int offset;
    /** The per-segment faults were drawn (once, on its first delivery attempt). */
    boolean faultsDrawn;
    /** A spontaneous FIN follows this segment. */
    boolean finAfter;

    Segment(final byte type, final byte[] data, final long deliverAtNs)
    {
        this.type = type;
        this.data = data;
        this.deliverAtNs = deliverAtNs;
    }

    int remaining()
    {
        return data == null ? 0 : data.length - offset;
    }

    static String typeName(final byte type)
    {
        switch (type)
        {
            case DATA: return "data";
            case FIN: return "fin";
            case RST: return "rst";
            case SYN: return "syn";
            case SYN_ACK: return "syn-ack";
            default: return "?";
        }
    }
}
