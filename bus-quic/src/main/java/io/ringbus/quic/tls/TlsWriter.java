package io.ringbus.quic.tls;

import java.util.Arrays;

/**
 * A growable writer of TLS presentation-language bytes: integers in network byte order and
 * length-prefixed vectors whose length is filled in when the vector ends. Not thread-safe.
 */
final class TlsWriter
{
    private byte[] bytes;
    private int length;

    TlsWriter(final int initialCapacity)
    {
        this.bytes = new byte[Math.max(16, initialCapacity)];
    }

    private void ensure(final int extra)
    {
        if (length + extra > bytes.length)
        {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + extra));
        }
    }

    int length()
    {
        return length;
    }

    TlsWriter u8(final int value)
    {
        ensure(1);
        bytes[length++] = (byte)value;
        return this;
    }

    TlsWriter u16(final int value)
    {
        ensure(2);
        bytes[length++] = (byte)(value >>> 8);
        bytes[length++] = (byte)value;
        return this;
    }

    TlsWriter u24(final int value)
    {
        ensure(3);
        bytes[length++] = (byte)(value >>> 16);
        bytes[length++] = (byte)(value >>> 8);
        bytes[length++] = (byte)value;
        return this;
    }

    TlsWriter bytes(final byte[] value)
    {
        return bytes(value, 0, value.length);
    }

    TlsWriter bytes(final byte[] value, final int offset, final int count)
    {
        ensure(count);
        System.arraycopy(value, offset, bytes, length, count);
        length += count;
        return this;
    }

    /** Reserve a length field of {@code width} bytes; returns the mark to pass to {@link #end}. */
    int begin(final int width)
    {
        ensure(width);
        final int mark = length;
        length += width;
        return mark | (width << 24);
    }

    /** Fill in the length reserved by {@link #begin} with the bytes written since. */
    void end(final int mark)
    {
        final int width = mark >>> 24;
        final int at = mark & 0xFFFFFF;
        final int value = length - at - width;
        if (value >= (1L << (8 * width)))
        {
            throw new IllegalStateException("vector of " + value + " bytes does not fit a " + width + "-byte length");
        }
        for (int i = 0; i < width; i++)
        {
            bytes[at + i] = (byte)(value >>> (8 * (width - 1 - i)));
        }
    }

    byte[] toByteArray()
    {
        return Arrays.copyOf(bytes, length);
    }
}
