package io.ringbus.core.frame;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C (Castagnoli) over a region of an Agrona buffer, using the JDK's intrinsic
 * {@link CRC32C} and allocating nothing.
 *
 * <p>For a buffer backed by a byte array the array is passed straight to the JDK. For a buffer
 * backed by a direct {@link ByteBuffer}, that ByteBuffer's position and limit are used as scratch
 * (the JDK only takes a ByteBuffer); frame buffers are owned by one thread at a time and nothing
 * in the project relies on their position or limit. A buffer over a raw address with no
 * ByteBuffer falls back to a table-driven loop.
 *
 * <p>Not thread-safe: one instance per thread.
 */
public final class Crc32c
{
    private static final int[] TABLE = new int[256];

    static
    {
        for (int i = 0; i < 256; i++)
        {
            int crc = i;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x82F63B78 : crc >>> 1;
            }
            TABLE[i] = crc;
        }
    }

    private final CRC32C crc = new CRC32C();

    /** CRC32C of {@code length} bytes of {@code buffer} starting at {@code index}. */
    public int compute(final DirectBuffer buffer, final int index, final int length)
    {
        buffer.boundsCheck(index, length);
        if (length == 0)
        {
            return 0;
        }

        final byte[] array = buffer.byteArray();
        if (array != null)
        {
            final int arrayIndex = (int)(buffer.addressOffset() - BufferUtil.ARRAY_BASE_OFFSET) + index;
            crc.reset();
            crc.update(array, arrayIndex, length);
            return (int)crc.getValue();
        }

        final ByteBuffer byteBuffer = buffer.byteBuffer();
        if (byteBuffer != null && byteBuffer.isDirect())
        {
            final int bufferIndex = (int)(buffer.addressOffset() - BufferUtil.address(byteBuffer)) + index;
            byteBuffer.limit(bufferIndex + length).position(bufferIndex);
            crc.reset();
            crc.update(byteBuffer);
            byteBuffer.limit(byteBuffer.capacity()).position(0);
            return (int)crc.getValue();
        }

        return computeSlow(buffer, index, length);
    }

    private static int computeSlow(final DirectBuffer buffer, final int index, final int length)
    {
        int crc = 0xFFFFFFFF;
        for (int i = index, end = index + length; i < end; i++)
        {
            crc = TABLE[(crc ^ buffer.getByte(i)) & 0xFF] ^ (crc >>> 8);
        }
        return ~crc;
    }
}
