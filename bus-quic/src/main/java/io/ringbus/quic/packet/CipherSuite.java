package io.ringbus.quic.packet;

/**
 * The TLS 1.3 cipher suites QUIC packets are protected with here (RFC 9001 section 5.3): the AEAD,
 * its key length, and the header protection algorithm of section 5.4.
 */
public enum CipherSuite
{
    /** TLS_AES_128_GCM_SHA256: AES-128-GCM, AES-128 header protection. */
    AES_128_GCM_SHA256(0x1301, 16),
    /** TLS_CHACHA20_POLY1305_SHA256: ChaCha20-Poly1305, ChaCha20 header protection. */
    CHACHA20_POLY1305_SHA256(0x1303, 32);

    /** AEAD tag length for both suites. */
    public static final int TAG_LENGTH = 16;
    /** AEAD nonce (IV) length for both suites. */
    public static final int IV_LENGTH = 12;

    private final int code;
    private final int keyLength;

    CipherSuite(final int code, final int keyLength)
    {
        this.code = code;
        this.keyLength = keyLength;
    }

    /** The TLS code point. */
    public int code()
    {
        return code;
    }

    /** Length of the packet key and of the header protection key. */
    public int keyLength()
    {
        return keyLength;
    }
}
