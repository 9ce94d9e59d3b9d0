package io.ringbus.quic.packet;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** RFC 9000 Appendix A: variable-length integers and packet numbers. */
class Rfc9000ExamplesTest
{
    @Test
    void variableLengthIntegerExamplesOfAppendixA1() throws QuicException
    {
        assertEquals(151288809941952652L, VarInt.read(wrap("c2197c5eff14e88c"), "v"));
        assertEquals(494878333L, VarInt.read(wrap("9d7f3e7d"), "v"));
        assertEquals(15293L, VarInt.read(wrap("7bbd"), "v"));
        assertEquals(37L, VarInt.read(wrap("25"), "v"));
        assertEquals(37L, VarInt.read(wrap("4025"), "v"));

        assertArrayEquals(HexFormat.of().parseHex("c2197c5eff14e88c"), encode(151288809941952652L));
        assertArrayEquals(HexFormat.of().parseHex("9d7f3e7d"), encode(494878333L));
        assertArrayEquals(HexFormat.of().parseHex("7bbd"), encode(15293L));
        assertArrayEquals(HexFormat.of().parseHex("25"), encode(37L));
    }

    @Test
    void aTruncatedVariableLengthIntegerIsAFrameEncodingError()
    {
        final QuicException ex = assertThrows(QuicException.class, () -> VarInt.read(wrap("9d7f3e"), "max_data"));
        assertEquals(QuicException.FRAME_ENCODING_ERROR, ex.errorCode());
        assertEquals("max_data: a 4-byte integer with 3 bytes left", ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> VarInt.length(VarInt.MAX + 1));
    }

    @Test
    void variableLengthIntegersRoundTrip() throws QuicException
    {
        // the edges of each length (RFC 9000 16), then values of every magnitude up to 2^62 - 1
        final long[] edges = {0, 63, 64, 16_383, 16_384, 1_073_741_823, 1_073_741_824, VarInt.MAX};
        for (final long value : edges)
        {
            roundTrip(value);
        }
        final Random random = new Random(16);
        for (int i = 0; i < 500; i++)
        {
            roundTrip(random.nextLong() >>> (2 + random.nextInt(62)));
        }
    }

    private static void roundTrip(final long value) throws QuicException
    {
        final ByteBuffer buffer = ByteBuffer.allocate(8);
        VarInt.write(buffer, value);
        assertEquals(VarInt.length(value), buffer.position(), "length of " + value);
        buffer.flip();
        assertEquals(value, VarInt.read(buffer, "v"));
    }

    @Test
    void packetNumberDecodingExampleOfAppendixA3()
    {
        assertEquals(0xa82f9b32L, PacketNumber.decode(0xa82f30eaL, 0x9b32, 2));
    }

    @Test
    void packetNumberEncodingExamplesOfAppendixA2()
    {
        // 0xac5c02 with 0xabe8b3 acknowledged needs 2 bytes; 0xace8fe needs 3.
        assertEquals(2, PacketNumber.encodedLength(0xac5c02L, 0xabe8b3L));
        assertEquals(3, PacketNumber.encodedLength(0xace8feL, 0xabe8b3L));
    }

    @Test
    void truncatedPacketNumbersDecodeBackWithinTheWindow()
    {
        final Random random = new Random(17);
        for (int i = 0; i < 1000; i++)
        {
            // largest acknowledged in [0, 2^40], the new packet 1 to 2^20 ahead of it
            final long largestAcked = (random.nextLong() >>> 1) % ((1L << 40) + 1);
            final long ahead = 1 + (long)random.nextInt(1 << 20);
            truncatedPacketNumberDecodesBack(largestAcked, ahead);
        }
        truncatedPacketNumberDecodesBack(0, 1);
        truncatedPacketNumberDecodesBack(1L << 40, 1L << 20);
    }

    private static void truncatedPacketNumberDecodesBack(final long largestAcked, final long ahead)
    {
        final long packetNumber = largestAcked + ahead;
        final int length = PacketNumber.encodedLength(packetNumber, largestAcked);
        final long truncated = PacketNumber.truncate(packetNumber, length);
        // The receiver has seen at least the acknowledged packet.
        assertEquals(packetNumber, PacketNumber.decode(largestAcked, truncated, length));
    }

    private static ByteBuffer wrap(final String hex)
    {
        return ByteBuffer.wrap(HexFormat.of().parseHex(hex));
    }

    private static byte[] encode(final long value)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(8);
        VarInt.write(buffer, value);
        final byte[] out = new byte[buffer.position()];
        buffer.flip().get(out);
        return out;
    }
}
