package io.ringbus.quic.packet;

import java.nio.ByteBuffer;

/**
 * Variable-length integers (RFC 9000 section 16): the two high bits of the first byte give the
 * length (1, 2, 4 or 8 bytes), the rest is the value in network byte order, up to 2^62 - 1.
 * Stateless; any thread.
 */
public final class VarInt
{
    /** Largest encodable value, 2^62 - 1. */
    public static final long MAX = (1L << 62) - 1;

    private VarInt()
    {
    }

    /** Bytes needed to encode {@code value}. */
    public static int length(final long value)
    {
        if (value < 0 || value > MAX)
        {
            throw new IllegalArgumentException("value = " + value + ": outside 0..2^62-1");
        }
        if (value <= 63)
        {
            return 1;
        }
        if (value <= 16383)
        {
            return 2;
        }
        if (value <= 1073741823)
        {
            return 4;
        }
        return 8;
    }

    /** Encoded length announced by a first byte. */
    public static int lengthOf(final byte first)
    {
        return 1 << ((first & 0xC0) >>> 6);
    }

    /** Write {@code value} in its shortest form at the buffer's position. */
    public static void write(final ByteBuffer out, final long value)
    {
        write(out, value, length(value));
    }

    /** Write {@code value} in exactly {@code length} bytes (a longer form than needed is allowed). */
    public static void write(final ByteBuffer out, final long value, final int length)
    {
        if (length(value) > length)
        {
            throw new IllegalArgumentException("value = " + value + ": does not fit " + length + " bytes");
        }
        switch (length)
        {
            case 1:
                out.put((byte)value);
                break;
            case 2:
                out.putShort((short)(0x4000 | value));
                break;
            case 4:
                out.putInt((int)(0x8000_0000L | value));
                break;
            case 8:
                out.putLong(0xC000_0000_0000_0000L | value);
                break;
            default:
                throw new IllegalArgumentException("length = " + length + ": must be 1, 2, 4 or 8");
        }
    }

    /**
     * Read a variable-length integer at the buffer's position.
     *
     * @throws QuicException FRAME_ENCODING_ERROR if the buffer ends inside it; {@code what} names the field.
     */
    public static long read(final ByteBuffer in, final String what) throws QuicException
    {
        if (!in.hasRemaining())
        {
            throw new QuicException(QuicException.FRAME_ENCODING_ERROR, what + ": missing");
        }
        final int length = lengthOf(in.get(in.position()));
        if (in.remaining() < length)
        {
            throw new QuicException(QuicException.FRAME_ENCODING_ERROR,
                what + ": a " + length + "-byte integer with " + in.remaining() + " bytes left");
        }
        switch (length)
        {
            case 1:
                return in.get() & 0x3F;
            case 2:
                return in.getShort() & 0x3FFF;
            case 4:
                return in.getInt() & 0x3FFF_FFFFL;
            default:
                return in.getLong() & 0x3FFF_FFFF_FFFF_FFFFL;
        }
    }
}
