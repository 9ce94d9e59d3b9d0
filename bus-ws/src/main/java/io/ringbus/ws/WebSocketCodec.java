package io.ringbus.ws;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The byte-level rules of RFC 6455 section 5 as static helpers over Agrona buffers: frame header
 * layout, masking, close codes, the UTF-8 check of close reasons, the handshake's accept
 * value (section 4.2.2), and the printable form of a reason text. Stateless; any thread.
 */
final class WebSocketCodec
{
    // RFC 6455 5.2: opcodes
    static final int OPCODE_CONTINUATION = 0x0;
    static final int OPCODE_TEXT = 0x1;
    static final int OPCODE_BINARY = 0x2;
    static final int OPCODE_CLOSE = 0x8;
    static final int OPCODE_PING = 0x9;
    static final int OPCODE_PONG = 0xA;

    static final int FIN_BIT = 0x80;
    static final int RSV_BITS = 0x70;
    static final int OPCODE_MASK = 0x0F;
    static final int MASK_BIT = 0x80;
    static final int LENGTH_MASK = 0x7F;
    /** RFC 6455 5.2: a 7-bit length of 126 announces a 16-bit length, 127 a 64-bit length. */
    static final int LENGTH_16 = 126;
    static final int LENGTH_64 = 127;
    static final int MASK_KEY_LENGTH = 4;
    /** RFC 6455 5.5: a control frame's payload is at most 125 bytes. */
    static final int MAX_CONTROL_PAYLOAD = 125;
    /** Largest frame header: 2 + 8 (64-bit length) + 4 (mask key). */
    static final int MAX_HEADER_LENGTH = 14;

    // RFC 6455 7.4.1: status codes
    static final int CLOSE_NORMAL = 1000;
    static final int CLOSE_GOING_AWAY = 1001;
    static final int CLOSE_PROTOCOL_ERROR = 1002;
    static final int CLOSE_UNSUPPORTED_DATA = 1003;
    static final int CLOSE_INVALID_PAYLOAD = 1007;
    static final int CLOSE_POLICY_VIOLATION = 1008;
    static final int CLOSE_MESSAGE_TOO_BIG = 1009;
    static final int CLOSE_INTERNAL_ERROR = 1011;

    /** RFC 6455 1.3: the GUID appended to the key before hashing. */
    static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private WebSocketCodec()
    {
    }

    /** True for close, ping and pong (RFC 6455 5.5: opcodes with the high bit set). */
    static boolean isControl(final int opcode)
    {
        return (opcode & 0x8) != 0;
    }

    /** True for the opcodes RFC 6455 5.2 defines; the rest are reserved. */
    static boolean isKnownOpcode(final int opcode)
    {
        return opcode <= OPCODE_BINARY || (opcode >= OPCODE_CLOSE && opcode <= OPCODE_PONG);
    }

    /** Header length implied by the second header byte (RFC 6455 5.2). */
    static int headerLength(final int secondByte)
    {
        final int length7 = secondByte & LENGTH_MASK;
        final int extended = length7 == LENGTH_16 ? 2 : length7 == LENGTH_64 ? 8 : 0;
        return 2 + extended + ((secondByte & MASK_BIT) != 0 ? MASK_KEY_LENGTH : 0);
    }

    /**
     * The payload length of the header at {@code offset} (whole header present); negative if a
     * 64-bit length has its most significant bit set, which RFC 6455 5.2 forbids.
     */
    static long payloadLength(final DirectBuffer buffer, final int offset)
    {
        final int length7 = buffer.getByte(offset + 1) & LENGTH_MASK;
        if (length7 == LENGTH_16)
        {
            return buffer.getShort(offset + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        }
        if (length7 == LENGTH_64)
        {
            return buffer.getLong(offset + 2, ByteOrder.BIG_ENDIAN);
        }
        return length7;
    }

    /** Frame header length for a payload of {@code length} bytes, masked or not. */
    static int headerLengthFor(final long length, final boolean masked)
    {
        final int base = length < LENGTH_16 ? 2 : length <= 0xFFFF ? 4 : 10;
        return masked ? base + MASK_KEY_LENGTH : base;
    }

    /**
     * Write a frame header at {@code offset}: FIN set, no RSV bits, the minimal length encoding
     * (RFC 6455 5.2), and the mask key (big-endian, as sent) if {@code masked}.
     *
     * @return the header length.
     */
    static int writeHeader(
        final MutableDirectBuffer buffer, final int offset, final int opcode, final long length,
        final boolean masked, final int maskKey)
    {
        buffer.putByte(offset, (byte)(FIN_BIT | opcode));
        final int maskBit = masked ? MASK_BIT : 0;
        int position = offset + 1;
        if (length < LENGTH_16)
        {
            buffer.putByte(position++, (byte)(maskBit | length));
        }
        else if (length <= 0xFFFF)
        {
            buffer.putByte(position++, (byte)(maskBit | LENGTH_16));
            buffer.putShort(position, (short)length, ByteOrder.BIG_ENDIAN);
            position += 2;
        }
        else
        {
            buffer.putByte(position++, (byte)(maskBit | LENGTH_64));
            buffer.putLong(position, length, ByteOrder.BIG_ENDIAN);
            position += 8;
        }
        if (masked)
        {
            buffer.putInt(position, maskKey, ByteOrder.BIG_ENDIAN);
            position += MASK_KEY_LENGTH;
        }
        return position - offset;
    }

    /**
     * The mask key repeated into a long in the buffer's native byte order, rotated so that its
     * first byte masks payload byte {@code maskIndex} (RFC 6455 5.3: octet i is XORed with key
     * octet i mod 4). XOR with {@code getLong/putLong} in native order then masks 8 bytes at once.
     */
    static long maskWord(final int maskKey, final int maskIndex)
    {
        final int rotated = Integer.rotateLeft(maskKey, 8 * (maskIndex & 3)); // big-endian key bytes
        final long word = ((long)rotated << 32) | (rotated & 0xFFFF_FFFFL);
        return ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? word : Long.reverseBytes(word);
    }

    /**
     * Mask or unmask {@code length} bytes at {@code offset} in place (RFC 6455 5.3: the same XOR
     * both ways), the first of them being payload byte {@code maskIndex} of its frame.
     */
    static void mask(final MutableDirectBuffer buffer, final int offset, final int length, final int maskKey,
        final int maskIndex)
    {
        final long word = maskWord(maskKey, maskIndex);
        int i = offset;
        final int end = offset + length;
        final int wordsEnd = offset + (length & ~7);
        while (i < wordsEnd)
        {
            buffer.putLong(i, buffer.getLong(i) ^ word);
            i += 8;
        }
        int index = maskIndex + (wordsEnd - offset);
        while (i < end)
        {
            buffer.putByte(i, (byte)(buffer.getByte(i) ^ (maskKey >>> (8 * (3 - (index & 3))))));
            i++;
            index++;
        }
    }

    /**
     * RFC 6455 7.4: the codes an endpoint may receive in a close frame: 1000-1003, 1007-1011,
     * 1012-1014 (registered since in the IANA registry) and 3000-4999 (libraries and private use).
     */
    static boolean isValidCloseCode(final int code)
    {
        return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    }

    /**
     * True if {@code length} bytes at {@code offset} are well-formed UTF-8 (RFC 3629: no overlong
     * forms, no surrogates, nothing above U+10FFFF), as RFC 6455 5.5.1 requires of a close reason.
     */
    static boolean isValidUtf8(final DirectBuffer buffer, final int offset, final int length)
    {
        int i = offset;
        final int end = offset + length;
        while (i < end)
        {
            final int b0 = buffer.getByte(i) & 0xFF;
            if (b0 < 0x80)
            {
                i++;
                continue;
            }
            final int count;
            int lower = 0x80;
            int upper = 0xBF;
            if (b0 >= 0xC2 && b0 <= 0xDF)
            {
                count = 1;
            }
            else if (b0 >= 0xE0 && b0 <= 0xEF)
            {
                count = 2;
                if (b0 == 0xE0)
                {
                    lower = 0xA0; // overlong
                }
                else if (b0 == 0xED)
                {
                    upper = 0x9F; // surrogates
                }
            }
            else if (b0 >= 0xF0 && b0 <= 0xF4)
            {
                count = 3;
                if (b0 == 0xF0)
                {
                    lower = 0x90; // overlong
                }
                else if (b0 == 0xF4)
                {
                    upper = 0x8F; // above U+10FFFF
                }
            }
            else
            {
                return false;
            }
            if (i + count >= end)
            {
                return false;
            }
            for (int k = 1; k <= count; k++)
            {
                final int b = buffer.getByte(i + k) & 0xFF;
                final int low = k == 1 ? lower : 0x80;
                final int high = k == 1 ? upper : 0xBF;
                if (b < low || b > high)
                {
                    return false;
                }
            }
            i += count + 1;
        }
        return true;
    }

    /**
     * {@code text} cut to 200 characters with anything but printable ASCII replaced by '?': safe in
     * a log line, an HTTP error answer and a close frame's reason.
     */
    static String printable(final String text)
    {
        final StringBuilder line = new StringBuilder(Math.min(text.length(), 200));
        for (int i = 0; i < text.length() && i < 200; i++)
        {
            final char c = text.charAt(i);
            line.append(c >= 0x20 && c < 0x7F ? c : '?');
        }
        return line.toString();
    }

    /** RFC 6455 4.2.2 step 5.4: base64(SHA-1(key + GUID)). */
    static String acceptValue(final String key)
    {
        try
        {
            final MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            final byte[] digest = sha1.digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(digest);
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("SHA-1 is required of every Java platform", ex);
        }
    }
}
