package io.ringbus.quic.packet;

/**
 * A QUIC connection error: a transport error code of RFC 9000 section 20.1 and a reason phrase.
 * Every parser answers malformed input with one; the connection closes with CONNECTION_CLOSE
 * carrying the code. Thrown only on the error path.
 */
public final class QuicException extends Exception
{
    private static final long serialVersionUID = 1L;

    /** RFC 9000 20.1: the connection is being closed abruptly in the absence of any error. */
    public static final long NO_ERROR = 0x00;
    /** RFC 9000 20.1: an endpoint received more data than it permitted in its advertised data limits. */
    public static final long FLOW_CONTROL_ERROR = 0x03;
    /** RFC 9000 20.1: the server refuses to accept a new connection. */
    public static final long CONNECTION_REFUSED = 0x02;
    /** RFC 9000 20.1: an endpoint received a frame for a stream identifier that exceeded its advertised limit. */
    public static final long STREAM_LIMIT_ERROR = 0x04;
    /** RFC 9000 20.1: a frame for a stream that was not in a state that permitted it. */
    public static final long STREAM_STATE_ERROR = 0x05;
    /** RFC 9000 20.1: a change to the final size of a stream, or data beyond it. */
    public static final long FINAL_SIZE_ERROR = 0x06;
    /** RFC 9000 20.1: more connection IDs than the advertised active_connection_id_limit. */
    public static final long CONNECTION_ID_LIMIT_ERROR = 0x09;
    /** RFC 9000 20.1: the application or application protocol caused the connection to be closed. */
    public static final long APPLICATION_ERROR = 0x0c;
    /** RFC 9000 20.1: a server received a client Initial with an invalid token (8.1.2). */
    public static final long INVALID_TOKEN = 0x0b;
    /** RFC 9000 20.1: an endpoint received more data in CRYPTO frames than it can buffer. */
    public static final long CRYPTO_BUFFER_EXCEEDED = 0x0d;
    /** RFC 9000 20.1: an endpoint detected errors in performing key updates. */
    public static final long KEY_UPDATE_ERROR = 0x0e;
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
