package io.ringbus.quic.packet;

/**
 * A QUIC connection error: a transport error code of RFC 9000 section 20.1 and a reason phrase.
 * Every parser answers malformed input with one; the connection closes with CONNECTION_CLOSE
 * carrying the code. Thrown only on the error path.
 */
public final class QuicException extends Exception
{
    private static final long serialVersionUID = 1L;

    /** RFC 9000 20.1: an endpoint detected an error with protocol compliance. */
    public static final long PROTOCOL_VIOLATION = 0x0a;
    /** RFC 9000 20.1: a frame was badly formatted. */
    public static final long FRAME_ENCODING_ERROR = 0x07;
    /** RFC 9000 20.1: transport parameters were badly formatted or invalid. */
    public static final long TRANSPORT_PARAMETER_ERROR = 0x08;
    /** RFC 9000 20.1: an internal error (e.g. the JDK lacks a cipher). */
    public static final long INTERNAL_ERROR = 0x01;

    private final long errorCode;

    public QuicException(final long errorCode, final String reason)
    {
        super(reason);
        this.errorCode = errorCode;
    }

    /** The transport error code. */
    public long errorCode()
    {
        return errorCode;
    }
}
