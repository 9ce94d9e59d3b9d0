package io.ringbus.quic.frame;

/**
 * Frame type values of RFC 9000 section 19 (Table 3 of section 12.4). STREAM spans 0x08..0x0f, its
 * low three bits being the OFF, LEN and FIN flags.
 */
public final class FrameType
{
    public static final int PADDING = 0x00;
    public static final int PING = 0x01;
    public static final int ACK = 0x02;
    public static final int ACK_ECN = 0x03;
    public static final int RESET_STREAM = 0x04;
    public static final int STOP_SENDING = 0x05;
    public static final int CRYPTO = 0x06;
    public static final int NEW_TOKEN = 0x07;
    public static final int STREAM = 0x08;
    public static final int STREAM_LAST = 0x0f;
    public static final int STREAM_FIN = 0x01;
    public static final int STREAM_LEN = 0x02;
    public static final int STREAM_OFF = 0x04;
    public static final int MAX_DATA = 0x10;
    public static final int MAX_STREAM_DATA = 0x11;
    public static final int MAX_STREAMS_BIDI = 0x12;
    public static final int MAX_STREAMS_UNI = 0x13;
    public static final int DATA_BLOCKED = 0x14;
    public static final int STREAM_DATA_BLOCKED = 0x15;
    public static final int STREAMS_BLOCKED_BIDI = 0x16;
    public static final int STREAMS_BLOCKED_UNI = 0x17;
    public static final int NEW_CONNECTION_ID = 0x18;
    public static final int RETIRE_CONNECTION_ID = 0x19;
    public static final int PATH_CHALLENGE = 0x1a;
    public static final int PATH_RESPONSE = 0x1b;
    public static final int CONNECTION_CLOSE = 0x1c;
    public static final int CONNECTION_CLOSE_APP = 0x1d;
    public static final int HANDSHAKE_DONE = 0x1e;

    private FrameType()
    {
    }

    /** A readable name for a frame type value, for error reasons. */
    public static String name(final long type)
    {
        if (type >= STREAM && type <= STREAM_LAST)
        {
            return "STREAM";
        }
        switch ((int)Math.min(type, Integer.MAX_VALUE))
        {
            case PADDING: return "PADDING";
            case PING: return "PING";
            case ACK: case ACK_ECN: return "ACK";
            case RESET_STREAM: return "RESET_STREAM";
            case STOP_SENDING: return "STOP_SENDING";
            case CRYPTO: return "CRYPTO";
            case NEW_TOKEN: return "NEW_TOKEN";
            case MAX_DATA: return "MAX_DATA";
            case MAX_STREAM_DATA: return "MAX_STREAM_DATA";
            case MAX_STREAMS_BIDI: case MAX_STREAMS_UNI: return "MAX_STREAMS";
            case DATA_BLOCKED: return "DATA_BLOCKED";
            case STREAM_DATA_BLOCKED: return "STREAM_DATA_BLOCKED";
            case STREAMS_BLOCKED_BIDI: case STREAMS_BLOCKED_UNI: return "STREAMS_BLOCKED";
            case NEW_CONNECTION_ID: return "NEW_CONNECTION_ID";
            case RETIRE_CONNECTION_ID: return "RETIRE_CONNECTION_ID";
            case PATH_CHALLENGE: return "PATH_CHALLENGE";
            case PATH_RESPONSE: return "PATH_RESPONSE";
            case CONNECTION_CLOSE: case CONNECTION_CLOSE_APP: return "CONNECTION_CLOSE";
            case HANDSHAKE_DONE: return "HANDSHAKE_DONE";
            default: return "unknown (0x" + Long.toHexString(type) + ")";
        }
    }
}
