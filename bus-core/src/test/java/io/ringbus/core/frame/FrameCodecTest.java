package io.ringbus.core.frame;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameCodecTest
{
    private final FrameCodec codec = new FrameCodec();

    @Test
    void sealWritesBodyThenHeaderChecksumAsWireMdSays()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(FrameHeader.HEADER_SIZE + 10));
        buffer.setMemory(0, buffer.capacity(), (byte)0x5A); // garbage in the padding must be zeroed
        final FrameHeader header = new FrameHeader().wrap(buffer, 0);
        header.size(FrameHeader.HEADER_SIZE + 10).command(Command.REQUEST);
        codec.seal(buffer, 0);

        final byte[] bytes = new byte[buffer.capacity()];
        buffer.getBytes(0, bytes);
        final CRC32C body = new CRC32C();
        body.update(bytes, 256, 10);
        assertEquals((int)body.getValue(), buffer.getInt(16, FrameHeader.ORDER));
        for (int i = 20; i < 32; i++)
        {
            assertEquals(0, bytes[i], "body checksum padding byte " + i);
        }
        final CRC32C head = new CRC32C();
        head.update(bytes, 16, 240);
        assertEquals((int)head.getValue(), buffer.getInt(0, FrameHeader.ORDER));
        for (int i = 4; i < 16; i++)
        {
            assertEquals(0, bytes[i], "header checksum padding byte " + i);
        }
        assertTrue(codec.isHeaderValid(buffer, 0));
        assertTrue(codec.isBodyValid(buffer, 0, header.size()));
    }

    @Test
    void emptyBodyChecksumIsZero()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[FrameHeader.HEADER_SIZE]);
        new FrameHeader().wrap(buffer, 0).size(FrameHeader.HEADER_SIZE).command(Command.PING);
        codec.seal(buffer, 0);
        assertEquals(0, new FrameHeader().wrap(buffer, 0).checksumBody());
    }

    @Test
    void verificationNoticesAnyFlippedBit()
    {
        final byte[] frame = TestFrames.frame(Command.REQUEST, 32, 5);
        for (int i = FrameHeader.CHECKSUMMED_HEADER_OFFSET; i < frame.length; i++)
        {
            frame[i] ^= 0x10;
            final UnsafeBuffer buffer = new UnsafeBuffer(frame);
            final boolean valid = codec.isHeaderValid(buffer, 0) && codec.isBodyValid(buffer, 0, frame.length);
            assertFalse(valid, "flip at byte " + i);
            frame[i] ^= 0x10;
        }
    }

    @Test
    void sealRefusesASizeBelowTheHeader()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[FrameHeader.HEADER_SIZE]);
        new FrameHeader().wrap(buffer, 0).size(100);
        assertThrows(IllegalArgumentException.class, () -> codec.seal(buffer, 0));
    }
}
