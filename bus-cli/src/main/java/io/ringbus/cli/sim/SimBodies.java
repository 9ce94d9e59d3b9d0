package io.ringbus.cli.sim;

import io.ringbus.core.dedup.Mix;
import io.ringbus.core.frame.FrameHeader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The body of every simulated request is a function of its client and request number (its length
 * too), so any node and the client itself can tell a body that was cut, mixed up or corrupted: a
 * reply is the answer to its own request byte for byte.
 */
final class SimBodies
{
    static final int MAX_BODY = 2048;

    private SimBodies()
    {
    }

    /** The length of request {@code request}'s body for client {@code clientLo}: 0..MAX_BODY. */
    static int length(final long clientLo, final long request)
    {
        final long h = Mix.fmix64(clientLo * 31 + request);
        // Mostly small, now and then up to MAX_BODY: several frames per read and frames cut across reads.
        return (h & 7) == 0 ? (int)((h >>> 8) % (MAX_BODY + 1)) : (int)((h >>> 8) % 64);
    }

    /** Write the body of the request into {@code buffer} at {@code offset}. */
    static void write(final MutableDirectBuffer buffer, final int offset, final long clientLo, final long request)
    {
        final int length = length(clientLo, request);
        for (int i = 0; i < length; i++)
        {
            buffer.putByte(offset + i, byteAt(clientLo, request, i));
        }
    }

    /**
     * Check the frame at {@code offset} (a request, or a reply with the request's client and number):
     * null if its body is the expected one, else what is wrong.
     */
    static String check(final DirectBuffer buffer, final int offset, final int length)
    {
        return check(buffer, offset, length, FrameHeader.request(buffer, offset));
    }

    /** As above, checked against the body of request {@code request} (of the frame's client). */
    static String check(final DirectBuffer buffer, final int offset, final int length, final long request)
    {
        final long clientLo = FrameHeader.clientLo(buffer, offset);
        final int expected = length(clientLo, request);
        final int actual = length - FrameHeader.HEADER_SIZE;
        if (actual != expected)
        {
            return "request " + request + ": body of " + actual + " bytes, expected " + expected;
        }
        for (int i = 0; i < actual; i++)
        {
            if (buffer.getByte(offset + FrameHeader.HEADER_SIZE + i) != byteAt(clientLo, request, i))
            {
                return "request " + request + ": body differs at byte " + i;
            }
        }
        return null;
    }

    private static byte byteAt(final long clientLo, final long request, final int i)
    {
        return (byte)Mix.fmix64(clientLo ^ (request << 20) ^ i);
    }
}
