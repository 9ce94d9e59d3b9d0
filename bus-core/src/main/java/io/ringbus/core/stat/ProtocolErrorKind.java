package io.ringbus.core.stat;

import io.ringbus.core.frame.FrameError;

import java.util.Locale;

/**
 * What kind of protocol error closed a client connection: the suffix of
 * {@code client.<scheme>.protocol_errors.<kind>}. Immutable; any thread.
 */
public enum ProtocolErrorKind
{
    /** A frame size below the header or above max_message_size. */
    SIZE,
    /** A header or body checksum that does not match. */
    CHECKSUM,
    /** A command WIRE.md does not define, or one a client may not send. */
    COMMAND,
    /** A frame of another cluster. */
    CLUSTER,
    /** A broken WebSocket frame, upgrade or close. */
    WEBSOCKET,
    /** A TLS failure: a bad record, a refused certificate, an alert. */
    TLS,
    /** A QUIC transport error. */
    QUIC;

    private static final ProtocolErrorKind[] VALUES = values();

    private final String label = name().toLowerCase(Locale.ROOT);

    /** The lower-case name used in counter labels. */
    public String label()
    {
        return label;
    }

    /** The kind of a frame decoder's rejection. */
    public static ProtocolErrorKind of(final FrameError error)
    {
        switch (error)
        {
            case SIZE_TOO_SMALL:
            case SIZE_TOO_LARGE:
                return SIZE;
            case HEADER_CHECKSUM:
            case BODY_CHECKSUM:
                return CHECKSUM;
            case INVALID_COMMAND:
                return COMMAND;
            case FOREIGN_CLUSTER:
                return CLUSTER;
            default:
                throw new IllegalArgumentException("frame error " + error);
        }
    }

    /** Every kind, in declaration order; do not modify. */
    static ProtocolErrorKind[] all()
    {
        return VALUES;
    }
}
