package io.ringbus.core.frame;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.ringbus.core.frame.FrameHeader.CHECKSUMMED_HEADER_OFFSET;
import static io.ringbus.core.frame.FrameHeader.CHECKSUM_BODY_FIELD_LENGTH;
import static io.ringbus.core.frame.FrameHeader.CHECKSUM_BODY_OFFSET;
import static io.ringbus.core.frame.FrameHeader.CHECKSUM_FIELD_LENGTH;
import static io.ringbus.core.frame.FrameHeader.CHECKSUM_OFFSET;
import static io.ringbus.core.frame.FrameHeader.HEADER_SIZE;
import static io.ringbus.core.frame.FrameHeader.ORDER;

/**
 * Seals frames (body checksum, then header checksum) and verifies them, as WIRE.md prescribes.
 *
 * <p>Not thread-safe: it holds a checksum engine; use one per thread.
 */
public final class FrameCodec
{
    private final Crc32c crc32c = new Crc32c();

    /**
     * Seal the frame at {@code offset}: its {@code size} field and every other field must already
     * be set. Writes {@code checksum_body}, zeroes the checksum padding, then writes
     * {@code checksum} last.
     */
    public void seal(final MutableDirectBuffer buffer, final int offset)
    {
        final int size = FrameHeader.size(buffer, offset);
        if (size < HEADER_SIZE)
        {
            throw new IllegalArgumentException("size = " + size + ": a frame is at least " + HEADER_SIZE + " bytes");
        }
        final int bodyChecksum = computeBodyChecksum(buffer, offset, size);
        buffer.setMemory(offset + CHECKSUM_BODY_OFFSET, CHECKSUM_BODY_FIELD_LENGTH, (byte)0);
        buffer.putInt(offset + CHECKSUM_BODY_OFFSET, bodyChecksum, ORDER);
        buffer.setMemory(offset + CHECKSUM_OFFSET, CHECKSUM_FIELD_LENGTH, (byte)0);
        buffer.putInt(offset + CHECKSUM_OFFSET, computeHeaderChecksum(buffer, offset), ORDER);
    }

    /** CRC32C of header bytes [16, 256) of the frame at {@code offset}. */
    public int computeHeaderChecksum(final DirectBuffer buffer, final int offset)
    {
        return crc32c.compute(buffer, offset + CHECKSUMMED_HEADER_OFFSET, HEADER_SIZE - CHECKSUMMED_HEADER_OFFSET);
    }

    /** CRC32C of the body of a frame of {@code size} bytes at {@code offset} (0 for an empty body). */
    public int computeBodyChecksum(final DirectBuffer buffer, final int offset, final int size)
    {
        return crc32c.compute(buffer, offset + HEADER_SIZE, size - HEADER_SIZE);
    }

    /** True if the stored header checksum matches the header bytes. */
    public boolean isHeaderValid(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + CHECKSUM_OFFSET, ORDER) == computeHeaderChecksum(buffer, offset);
    }

    /** True if the stored body checksum matches the body bytes of a frame of {@code size} bytes. */
    public boolean isBodyValid(final DirectBuffer buffer, final int offset, final int size)
    {
        return buffer.getInt(offset + CHECKSUM_BODY_OFFSET, ORDER) == computeBodyChecksum(buffer, offset, size);
    }
}
