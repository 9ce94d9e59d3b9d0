package io.ringbus.quic.tls;

import io.ringbus.quic.packet.QuicException;

/**
 * TLS alert codes (RFC 8446 section 6) and their QUIC form: a TLS alert becomes the transport error
 * CRYPTO_ERROR (0x100) plus the alert code (RFC 9001 section 4.8). Stateless; any thread.
 */
public final class TlsAlert
{
    /** RFC 9001 4.8: the first of the 256 CRYPTO_ERROR codes. */
    public static final long CRYPTO_ERROR = 0x100;

    public static final int UNEXPECTED_MESSAGE = 10;
    public static final int HANDSHAKE_FAILURE = 40;
    public static final int BAD_CERTIFICATE = 42;
    public static final int UNSUPPORTED_CERTIFICATE = 43;
    public static final int CERTIFICATE_EXPIRED = 45;
    public static final int CERTIFICATE_UNKNOWN = 46;
    public static final int ILLEGAL_PARAMETER = 47;
    public static final int DECODE_ERROR = 50;
    public static final int DECRYPT_ERROR = 51;
    public static final int PROTOCOL_VERSION = 70;
    public static final int INTERNAL_ERROR = 80;
    public static final int MISSING_EXTENSION = 109;
    public static final int UNSUPPORTED_EXTENSION = 110;
    public static final int CERTIFICATE_REQUIRED = 116;
    public static final int NO_APPLICATION_PROTOCOL = 120;

    private TlsAlert()
    {
    }

    /** The QUIC transport error code that carries {@code alert}. */
    public static long errorCode(final int alert)
    {
        return CRYPTO_ERROR + alert;
    }

    /** The RFC 8446 name of {@code alert}, or its number for one this engine never sends. */
    public static String name(final int alert)
    {
        switch (alert)
        {
            case UNEXPECTED_MESSAGE:
                return "unexpected_message";
            case HANDSHAKE_FAILURE:
                return "handshake_failure";
            case BAD_CERTIFICATE:
                return "bad_certificate";
            case UNSUPPORTED_CERTIFICATE:
                return "unsupported_certificate";
            case CERTIFICATE_EXPIRED:
                return "certificate_expired";
            case CERTIFICATE_UNKNOWN:
                return "certificate_unknown";
            case ILLEGAL_PARAMETER:
                return "illegal_parameter";
            case DECODE_ERROR:
                return "decode_error";
            case DECRYPT_ERROR:
                return "decrypt_error";
            case PROTOCOL_VERSION:
                return "protocol_version";
            case INTERNAL_ERROR:
                return "internal_error";
            case MISSING_EXTENSION:
                return "missing_extension";
            case UNSUPPORTED_EXTENSION:
                return "unsupported_extension";
            case CERTIFICATE_REQUIRED:
                return "certificate_required";
            case NO_APPLICATION_PROTOCOL:
                return "no_application_protocol";
            default:
                return "alert " + alert;
        }
    }

    /** A connection error for {@code alert}; the reason starts with the alert's name. */
    public static QuicException error(final int alert, final String reason)
    {
        return new QuicException(errorCode(alert), name(alert) + ": " + reason);
    }
}
