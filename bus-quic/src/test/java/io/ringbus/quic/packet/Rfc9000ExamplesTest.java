package io.ringbus.quic.packet;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.HexFormat;

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

    @Property(tries = 500)
    void variableLengthIntegersRoundTrip(@ForAll @LongRange(min = 0, max = (1L << 62) - 1) final long value)
        throws QuicException
    {
        final ByteBuffer buffer = ByteBuffer.allocate(8);
        VarInt.write(buffer, value);
        assertEquals(VarInt.length(value), buffer.position());
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

    @Property(tries = 1000)
    void truncatedPacketNumbersDecodeBackWithinTheWindow(
        @ForAll @LongRange(min = 0, max = 1L << 40) final long largestAcked,
        @ForAll @LongRange(min = 1, max = 1L << 20) final long ahead)
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
