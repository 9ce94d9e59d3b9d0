package io.ringbus.core.frame;

/** Why a received frame was rejected. Each kind is a protocol error that closes the connection. */
public enum FrameError
{
    /** {@code size} below the header size. */
    SIZE_TOO_SMALL,
    /** {@code size} above max_message_size (decided from the header alone). */
    SIZE_TOO_LARGE,
    /** The header checksum does not match header bytes [16, 256). */
    HEADER_CHECKSUM,
    /** The body checksum does not match the body. */
    BODY_CHECKSUM,
    /** A command value that WIRE.md does not define (0 or above 12). */
    INVALID_COMMAND,
    /** A frame from another cluster. */
    FOREIGN_CLUSTER
}
