package io.ringbus.quic.conn;

/**
 * The record of one sent packet that the loss detector keeps until it is acknowledged or lost:
 * when it went, how big it was, and what it carried that must be sent again if it is lost (one
 * CRYPTO range, up to {@value #MAX_STREAM_RANGES} STREAM ranges, control frames as flags, or that it
 * was a path MTU probe). Pooled and reused: its arrays are allocated once with the record; not
 * thread-safe.
 */
final class SentPacket
{
    static final int HANDSHAKE_DONE = 1;
    static final int MAX_DATA = 1 << 1;
    static final int MAX_STREAM_DATA = 1 << 2;
    static final int DATA_BLOCKED = 1 << 3;
    static final int STREAM_DATA_BLOCKED = 1 << 4;
    static final int PING = 1 << 5;
    static final int RETIRE_CONNECTION_ID = 1 << 6;
    /**
     * STREAM frames one packet carries at most: a lost range resent, then new bytes (and, when a
     * short range or the end of the written bytes leaves room, the next ones) fill one packet.
     */
    static final int MAX_STREAM_RANGES = 4;

    int space;
    long packetNumber;
    long timeSentNs;
    int size;
    boolean ackEliciting;
    boolean inFlight;
    boolean done;
    long cryptoOffset;
    /** -1 if the packet carried no CRYPTO frame. */
    int cryptoLength;
    /** STREAM frames carried: ranges [streamOffsets[i], + streamLengths[i]) for i below this. */
    int streamCount;
    final long[] streamOffsets = new long[MAX_STREAM_RANGES];
    /** 0 for a lone FIN. */
    final int[] streamLengths = new int[MAX_STREAM_RANGES];
    /** The last STREAM frame carried the FIN. */
    boolean streamFin;
    /** A PING + PADDING probe of a larger path MTU (RFC 9000 14.4): its loss is no congestion signal. */
    boolean mtuProbe;
    int controlFlags;
    long retireSequence;

    SentPacket reset()
    {
        space = 0;
        packetNumber = -1;
        timeSentNs = 0;
        size = 0;
        ackEliciting = false;
        inFlight = false;
        done = false;
        cryptoOffset = 0;
        cryptoLength = -1;
        streamCount = 0;
        streamFin = false;
        mtuProbe = false;
        controlFlags = 0;
        retireSequence = -1;
        return this;
    }
}
