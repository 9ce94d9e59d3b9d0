package io.ringbus.quic.conn;

/**
 * The record of one sent packet that the loss detector keeps until it is acknowledged or lost:
 * when it went, how big it was, and what it carried that must be sent again if it is lost (one
 * CRYPTO range, one STREAM range, control frames as flags). Pooled and reused; not thread-safe.
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
    long streamOffset;
    /** -1 if the packet carried no STREAM frame (0 for a lone FIN). */
    int streamLength;
    boolean streamFin;
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
        streamOffset = 0;
        streamLength = -1;
        streamFin = false;
        controlFlags = 0;
        retireSequence = -1;
        return this;
    }
}
