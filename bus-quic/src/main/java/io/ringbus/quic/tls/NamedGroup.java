package io.ringbus.quic.tls;

/**
 * The (EC)DHE groups this engine offers and accepts (RFC 8446 section 4.2.7), in the order of a
 * {@link QuicTlsConfig}'s preference. Immutable.
 */
public enum NamedGroup
{
    /** X25519 (RFC 7748): 32-byte little-endian u-coordinates. */
    X25519(0x001d, "x25519", 32),
    /** NIST P-256: 65-byte uncompressed points, 0x04 || X || Y. */
    SECP256R1(0x0017, "secp256r1", 65);

    private final int code;
    private final String tlsName;
    private final int keyShareLength;

    NamedGroup(final int code, final String tlsName, final int keyShareLength)
    {
        this.code = code;
        this.tlsName = tlsName;
        this.keyShareLength = keyShareLength;
    }

    /** The TLS code point. */
    public int code()
    {
        return code;
    }

    /** The IANA name, as "tls.group" reports it. */
    public String tlsName()
    {
        return tlsName;
    }

    /** Length of a key_share entry's key_exchange for this group. */
    public int keyShareLength()
    {
        return keyShareLength;
    }

    /** The group with TLS code point {@code code}, or null for one not supported here. */
    public static NamedGroup of(final int code)
    {
        switch (code)
        {
            case 0x001d:
                return X25519;
            case 0x0017:
                return SECP256R1;
            default:
                return null;
        }
    }
}
