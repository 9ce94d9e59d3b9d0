package io.ringbus.quic.frame;

/**
 * The packet types frames travel in, with which frames each permits (RFC 9000 section 12.4,
 * Table 3: the "Pkts" column). A frame in a packet type that does not permit it is a
 * PROTOCOL_VIOLATION (12.4).
 */
public enum PacketKind
{
    INITIAL, ZERO_RTT, HANDSHAKE, ONE_RTT;

    /** True if a frame of {@code type} may appear in a packet of this kind. */
    public boolean permits(final long type)
    {
        switch (this)
        {
            case INITIAL:
            case HANDSHAKE:
                // "IH": PADDING, PING, ACK, CRYPTO, CONNECTION_CLOSE of type 0x1c.
                return type == FrameType.PADDING || type == FrameType.PING || type == FrameType.ACK ||
                    type == FrameType.ACK_ECN || type == FrameType.CRYPTO || type == FrameType.CONNECTION_CLOSE;
            case ZERO_RTT:
                // Everything but ACK, CRYPTO, HANDSHAKE_DONE, NEW_TOKEN, PATH_RESPONSE, RETIRE_CONNECTION_ID.
                return type != FrameType.ACK && type != FrameType.ACK_ECN && type != FrameType.CRYPTO &&
                    type != FrameType.HANDSHAKE_DONE && type != FrameType.NEW_TOKEN &&
                    type != FrameType.PATH_RESPONSE && type != FrameType.RETIRE_CONNECTION_ID;
            default:
                return true;
        }
    }
}
