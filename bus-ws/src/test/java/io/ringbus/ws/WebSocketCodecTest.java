package io.ringbus.ws;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The RFC 6455 examples (sections 1.3 and 5.7) and the byte-level rules of the codec. */
class WebSocketCodecTest
{
    private static byte[] bytes(final int... values)
    {
        final byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++)
        {
            out[i] = (byte)values[i];
        }
        return out;
    }

    @Test
    void handshakeExampleOfSection1_3()
    {
        assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketCodec.acceptValue("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    @Test
    void unmaskedTextHelloOfSection5_7()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[7]);
        final int header = WebSocketCodec.writeHeader(buffer, 0, WebSocketCodec.OPCODE_TEXT, 5, false, 0);
        buffer.putBytes(header, "Hello".getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals(bytes(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f), buffer.byteArray());
        assertEquals(2, WebSocketCodec.headerLength(buffer.getByte(1) & 0xFF));
        assertEquals(5, WebSocketCodec.payloadLength(buffer, 0));
    }

    @Test
    void maskedTextHelloOfSection5_7()
    {
        final byte[] expected = bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[11]);
        final int header = WebSocketCodec.writeHeader(buffer, 0, WebSocketCodec.OPCODE_TEXT, 5, true, 0x37fa213d);
        assertEquals(6, header);
        buffer.putBytes(header, "Hello".getBytes(StandardCharsets.US_ASCII));
        WebSocketCodec.mask(buffer, header, 5, 0x37fa213d, 0);
        assertArrayEquals(expected, buffer.byteArray());
        // Unmasking in place restores the text (RFC 6455 5.3: the same operation both ways).
        WebSocketCodec.mask(buffer, header, 5, 0x37fa213d, 0);
        assertEquals("Hello", buffer.getStringWithoutLengthAscii(header, 5));
        assertEquals(6, WebSocketCodec.headerLength(buffer.getByte(1) & 0xFF));
    }

    @Test
    void fragmentedTextOfSection5_7()
    {
        final byte[] first = bytes(0x01, 0x03, 0x48, 0x65, 0x6c);
        final byte[] second = bytes(0x80, 0x02, 0x6c, 0x6f);
        assertEquals(0, first[0] & WebSocketCodec.FIN_BIT);
        assertEquals(WebSocketCodec.OPCODE_TEXT, first[0] & WebSocketCodec.OPCODE_MASK);
        assertEquals(3, WebSocketCodec.payloadLength(new UnsafeBuffer(first), 0));
        assertEquals(WebSocketCodec.FIN_BIT, second[0] & WebSocketCodec.FIN_BIT);
        assertEquals(WebSocketCodec.OPCODE_CONTINUATION, second[0] & WebSocketCodec.OPCODE_MASK);
        assertEquals(2, WebSocketCodec.payloadLength(new UnsafeBuffer(second), 0));
    }

    @Test
    void pingAndMaskedPongOfSection5_7()
    {
        final UnsafeBuffer ping = new UnsafeBuffer(new byte[7]);
        WebSocketCodec.writeHeader(ping, 0, WebSocketCodec.OPCODE_PING, 5, false, 0);
        ping.putBytes(2, "Hello".getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals(bytes(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f), ping.byteArray());
        final UnsafeBuffer pong = new UnsafeBuffer(new byte[11]);
        WebSocketCodec.writeHeader(pong, 0, WebSocketCodec.OPCODE_PONG, 5, true, 0x37fa213d);
        pong.putBytes(6, "Hello".getBytes(StandardCharsets.US_ASCII));
        WebSocketCodec.mask(pong, 6, 5, 0x37fa213d, 0);
        assertArrayEquals(bytes(0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58), pong.byteArray());
    }

    @Test
    void binaryLengthsOfSection5_7()
    {
        final UnsafeBuffer header = new UnsafeBuffer(new byte[14]);
        assertEquals(4, WebSocketCodec.writeHeader(header, 0, WebSocketCodec.OPCODE_BINARY, 256, false, 0));
        assertArrayEquals(bytes(0x82, 0x7E, 0x01, 0x00), Arrays.copyOf(header.byteArray(), 4));
        assertEquals(256, WebSocketCodec.payloadLength(header, 0));
        assertEquals(10, WebSocketCodec.writeHeader(header, 0, WebSocketCodec.OPCODE_BINARY, 65536, false, 0));
        assertArrayEquals(bytes(0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00), Arrays.copyOf(header.byteArray(), 10));
        assertEquals(65536, WebSocketCodec.payloadLength(header, 0));
        assertEquals(10, WebSocketCodec.headerLength(header.getByte(1) & 0xFF));
    }

    @Test
    void lengthEncodingBoundariesAreMinimal()
    {
        assertEquals(2, WebSocketCodec.headerLengthFor(125, false));
        assertEquals(4, WebSocketCodec.headerLengthFor(126, false));
        assertEquals(4, WebSocketCodec.headerLengthFor(65535, false));
        assertEquals(10, WebSocketCodec.headerLengthFor(65536, false));
        assertEquals(14, WebSocketCodec.headerLengthFor(65536, true));
    }

    @Test
    void maskingAtAnyOffsetMatchesBytewiseMasking()
    {
        final byte[] data = new byte[100];
        for (int i = 0; i < data.length; i++)
        {
            data[i] = (byte)(i * 7);
        }
        final int key = 0xA1B2C3D4;
        for (int start = 0; start < 8; start++)
        {
            for (int maskIndex = 0; maskIndex < 4; maskIndex++)
            {
                final UnsafeBuffer buffer = new UnsafeBuffer(data.clone());
                WebSocketCodec.mask(buffer, start, 90, key, maskIndex);
                for (int i = 0; i < data.length; i++)
                {
                    final int keyByte = i < start || i >= start + 90 ? 0 :
                        (key >>> (8 * (3 - ((maskIndex + i - start) & 3)))) & 0xFF;
                    assertEquals((byte)(data[i] ^ keyByte), buffer.getByte(i), "byte " + i);
                }
            }
        }
    }

    @Test
    void closeCodesOfSection7_4()
    {
        for (int code = 0; code < 6000; code++)
        {
            final boolean valid = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                (code >= 3000 && code <= 4999);
            assertEquals(valid, WebSocketCodec.isValidCloseCode(code), "code " + code);
        }
    }

    @Test
    void utf8CheckRejectsOverlongSurrogatesAndTruncation()
    {
        assertTrue(utf8("κόσμε".getBytes(StandardCharsets.UTF_8)));
        assertTrue(utf8(bytes(0xF4, 0x8F, 0xBF, 0xBF))); // U+10FFFF
        assertTrue(utf8(bytes(0xEF, 0xBF, 0xBF)));
        assertFalse(utf8(bytes(0xC0, 0xAF))); // overlong '/'
        assertFalse(utf8(bytes(0xE0, 0x80, 0xAF)));
        assertFalse(utf8(bytes(0xED, 0xA0, 0x80))); // surrogate
        assertFalse(utf8(bytes(0xF4, 0x90, 0x80, 0x80))); // above U+10FFFF
        assertFalse(utf8(bytes(0xCE))); // truncated
        assertFalse(utf8(bytes(0xE1, 0xBD))); // truncated
        assertFalse(utf8(bytes(0x80))); // lone continuation
        assertFalse(utf8(bytes(0xFF)));
    }

    private static boolean utf8(final byte[] bytes)
    {
        return WebSocketCodec.isValidUtf8(new UnsafeBuffer(bytes), 0, bytes.length);
    }
}
