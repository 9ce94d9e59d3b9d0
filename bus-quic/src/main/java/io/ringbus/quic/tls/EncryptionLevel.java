package io.ringbus.quic.tls;

/**
 * The encryption levels TLS hands QUIC (RFC 9001 section 4.1.4), each with its own packet number
 * space and CRYPTO stream. 0-RTT is never used here (no PSK, no early data).
 */
public enum EncryptionLevel
{
    /** Initial packets: keys from the client's first Destination Connection ID. */
    INITIAL,
    /** Handshake packets: keys from the handshake traffic secrets. */
    HANDSHAKE,
    /** 1-RTT (short header) packets: keys from the application traffic secrets. */
    APPLICATION
}
