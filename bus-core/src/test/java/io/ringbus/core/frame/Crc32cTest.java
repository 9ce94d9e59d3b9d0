package io.ringbus.core.frame;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;

class Crc32cTest
{
    private static final byte[] CHECK = "123456789".getBytes(StandardCharsets.US_ASCII);

    @Test
    void checkValueOfWireMdOnEveryKindOfBuffer()
    {
        final Crc32c crc = new Crc32c();
        assertEquals(0xE3069283, crc.compute(new UnsafeBuffer(CHECK), 0, CHECK.length));

        final UnsafeBuffer direct = new UnsafeBuffer(ByteBuffer.allocateDirect(32));
        direct.putBytes(5, CHECK);
        assertEquals(0xE3069283, crc.compute(direct, 5, CHECK.length));
        assertEquals(0, direct.byteBuffer().position(), "the scratch position is restored");
        assertEquals(32, direct.byteBuffer().limit(), "the scratch limit is restored");

        final UnsafeBuffer slice = new UnsafeBuffer(direct, 3, 20);
        assertEquals(0xE3069283, crc.compute(slice, 2, CHECK.length));

        final byte[] padded = new byte[20];
        System.arraycopy(CHECK, 0, padded, 7, CHECK.length);
        assertEquals(0xE3069283, crc.compute(new UnsafeBuffer(padded, 4, 16), 3, CHECK.length));

        final ByteBuffer raw = ByteBuffer.allocateDirect(16);
        final UnsafeBuffer addressOnly = new UnsafeBuffer(BufferUtil.address(raw), 16);
        addressOnly.putBytes(1, CHECK);
        assertEquals(0xE3069283, crc.compute(addressOnly, 1, CHECK.length));
    }

    @Test
    void agreesWithTheJdkOnRandomRegions()
    {
        final Random random = new Random(42);
        final Crc32c crc = new Crc32c();
        final byte[] bytes = new byte[70_000];
        random.nextBytes(bytes);
        final UnsafeBuffer heap = new UnsafeBuffer(bytes);
        final UnsafeBuffer direct = TestFrames.direct(bytes);
        for (int i = 0; i < 200; i++)
        {
            final int offset = random.nextInt(bytes.length);
            final int length = random.nextInt(bytes.length - offset + 1);
            final CRC32C jdk = new CRC32C();
            jdk.update(bytes, offset, length);
            final int expected = length == 0 ? 0 : (int)jdk.getValue();
            assertEquals(expected, crc.compute(heap, offset, length));
            assertEquals(expected, crc.compute(direct, offset, length));
        }
    }
}
