package io.ringbus.quic.tls;

import io.ringbus.quic.packet.CipherSuite;

import java.util.HexFormat;

/**
 * TLS 1.3 code points this engine reads and writes (RFC 8446 section 4 and B.3, RFC 9001 8.2).
 * Constants only.
 */
final class Tls13
{
    static final int LEGACY_VERSION = 0x0303;
    static final int VERSION = 0x0304;
    static final int RANDOM_LENGTH = 32;

    // Handshake message types (RFC 8446 4).
    static final int CLIENT_HELLO = 1;
    static final int SERVER_HELLO = 2;
    static final int NEW_SESSION_TICKET = 4;
    static final int END_OF_EARLY_DATA = 5;
    static final int ENCRYPTED_EXTENSIONS = 8;
    static final int CERTIFICATE = 11;
    static final int CERTIFICATE_REQUEST = 13;
    static final int CERTIFICATE_VERIFY = 15;
    static final int FINISHED = 20;
    static final int KEY_UPDATE = 24;
    static final int MESSAGE_HASH = 254;

    // Extension types (RFC 8446 4.2, RFC 7301, RFC 6066, RFC 9001 8.2).
    static final int SERVER_NAME = 0;
    static final int SUPPORTED_GROUPS = 10;
    static final int SIGNATURE_ALGORITHMS = 13;
    static final int ALPN = 16;
    static final int PRE_SHARED_KEY = 41;
    static final int EARLY_DATA = 42;
    static final int SUPPORTED_VERSIONS = 43;
    static final int COOKIE = 44;
    static final int CERTIFICATE_AUTHORITIES = 47;
    static final int PSK_KEY_EXCHANGE_MODES = 45;
    static final int SIGNATURE_ALGORITHMS_CERT = 50;
    static final int KEY_SHARE = 51;
    static final int QUIC_TRANSPORT_PARAMETERS = 0x39;

    /** RFC 8446 4.1.3: the ServerHello.random of a HelloRetryRequest, SHA-256("HelloRetryRequest"). */
    static final byte[] HELLO_RETRY_REQUEST_RANDOM =
        HexFormat.of().parseHex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c");

    /** Largest handshake message accepted: a bound on what a peer can make us buffer. */
    static final int MAX_MESSAGE_LENGTH = 64 * 1024;

    /**
     * RFC 9000 20.1 CRYPTO_BUFFER_EXCEEDED: a peer announced a handshake message larger than the
     * engine buffers (7.5 lets an endpoint bound its CRYPTO buffer this way).
     */
    static final long CRYPTO_BUFFER_EXCEEDED = 0x0d;

    private Tls13()
    {
    }

    static String messageName(final int type)
    {
        switch (type)
        {
            case CLIENT_HELLO:
                return "ClientHello";
            case SERVER_HELLO:
                return "ServerHello";
            case NEW_SESSION_TICKET:
                return "NewSessionTicket";
            case END_OF_EARLY_DATA:
                return "EndOfEarlyData";
            case ENCRYPTED_EXTENSIONS:
                return "EncryptedExtensions";
            case CERTIFICATE:
                return "Certificate";
            case CERTIFICATE_REQUEST:
                return "CertificateRequest";
            case CERTIFICATE_VERIFY:
                return "CertificateVerify";
            case FINISHED:
                return "Finished";
            case KEY_UPDATE:
                return "KeyUpdate";
            default:
                return "handshake message type " + type;
        }
    }

    /** The IANA name of a cipher suite, as "tls.cipher_suite" reports it. */
    static String suiteName(final CipherSuite suite)
    {
        return suite == CipherSuite.AES_128_GCM_SHA256 ?
            "TLS_AES_128_GCM_SHA256" : "TLS_CHACHA20_POLY1305_SHA256";
    }
}
