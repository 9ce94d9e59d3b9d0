package io.ringbus.quic.tls;

import io.ringbus.quic.packet.QuicException;

/**
 * A bounds-checked reader over TLS presentation-language bytes (RFC 8446 section 3): integers in
 * network byte order and length-prefixed vectors. Reading past the end is a decode_error naming
 * the field. A view over a caller's array; not thread-safe.
 */
final class TlsReader
{
    private final byte[] bytes;
    private int position;
    private final int limit;

    TlsReader(final byte[] bytes, final int offset, final int length)
    {
        this.bytes = bytes;
        this.position = offset;
        this.limit = offset + length;
    }

    int position()
    {
        return position;
    }

    int remaining()
    {
        return limit - position;
    }

    boolean hasRemaining()
    {
        return position < limit;
    }

    byte[] array()
    {
        return bytes;
    }

    private void need(final int count, final String what) throws QuicException
    {
        if (count > limit - position)
        {
            throw TlsAlert.error(TlsAlert.DECODE_ERROR, what + ": needs " + count + " bytes, " + (limit - position) +
                " left");
        }
    }

    int u8(final String what) throws QuicException
    {
        need(1, what);
        return bytes[position++] & 0xFF;
    }

    int u16(final String what) throws QuicException
    {
        need(2, what);
        final int value = ((bytes[position] & 0xFF) << 8) | (bytes[position + 1] & 0xFF);
        position += 2;
        return value;
    }

    int u24(final String what) throws QuicException
    {
        need(3, what);
        final int value = ((bytes[position] & 0xFF) << 16) | ((bytes[position + 1] & 0xFF) << 8) |
            (bytes[position + 2] & 0xFF);
        position += 3;
        return value;
    }

    byte[] bytes(final int count, final String what) throws QuicException
    {
        need(count, what);
        final byte[] out = new byte[count];
        System.arraycopy(bytes, position, out, 0, count);
        position += count;
        return out;
    }

    void skip(final int count, final String what) throws QuicException
    {
        need(count, what);
        position += count;
    }

    /** A vector with a one-byte length, returned as a copy. */
    byte[] vector8(final String what) throws QuicException
    {
        return bytes(u8(what + " length"), what);
    }

    /** A vector with a two-byte length, returned as a copy. */
    byte[] vector16(final String what) throws QuicException
    {
        return bytes(u16(what + " length"), what);
    }

    /** A vector with a one-byte length, as a reader over its contents. */
    TlsReader sub8(final String what) throws QuicException
    {
        return sub(u8(what + " length"), what);
    }

    /** A vector with a two-byte length, as a reader over its contents. */
    TlsReader sub16(final String what) throws QuicException
    {
        return sub(u16(what + " length"), what);
    }

    /** A vector with a three-byte length, as a reader over its contents. */
    TlsReader sub24(final String what) throws QuicException
    {
        return sub(u24(what + " length"), what);
    }

    private TlsReader sub(final int length, final String what) throws QuicException
    {
        need(length, what);
        final TlsReader reader = new TlsReader(bytes, position, length);
        position += length;
        return reader;
    }

    /** Fail with decode_error unless everything was read. */
    void expectEnd(final String what) throws QuicException
    {
        if (position != limit)
        {
            throw TlsAlert.error(TlsAlert.DECODE_ERROR, what + ": " + (limit - position) + " unexpected trailing bytes");
        }
    }
}
