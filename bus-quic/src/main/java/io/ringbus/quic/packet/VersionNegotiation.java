package io.ringbus.quic.packet;

import java.nio.ByteBuffer;

/**
 * Version Negotiation packets (RFC 9000 6 and 17.2.1): a server's answer to a long-header packet
 * of a version it does not support, listing QUIC v1 and one reserved "greased" version (RFC 9000
 * 15: 0x?a?a?a?a) so that clients do not come to rely on the list being exactly v1. Static
 * methods; any thread.
 */
public final class VersionNegotiation
{
    /** Version 0 marks a Version Negotiation packet. */
    public static final int VERSION_NEGOTIATION = 0;
    /** RFC 8999 5.1: connection IDs of any version's long header are at most 255 bytes. */
    public static final int MAX_INVARIANT_CID_LENGTH = 255;

    private VersionNegotiation()
    {
    }

    /** A reserved version of the pattern 0x?a?a?a?a (RFC 9000 15), its free nibbles from {@code random}. */
    public static int greasedVersion(final int random)
    {
        return (random & 0xF0F0F0F0) | 0x0A0A0A0A;
    }

    /**
     * Write a Version Negotiation packet answering a packet that carried {@code theirDcid} and
     * {@code theirScid} (RFC 9000 17.2.1: they come back swapped).
     *
     * @param unusedBits the seven unused bits of the first byte (random)
     * @return the packet's length
     */
    public static int write(final ByteBuffer out, final byte[] theirDcid, final byte[] theirScid, final int unusedBits,
        final int greased)
    {
        final int start = out.position();
        out.put((byte)(0x80 | (unusedBits & 0x7F)));
        out.putInt(VERSION_NEGOTIATION);
        out.put((byte)theirScid.length).put(theirScid);
        out.put((byte)theirDcid.length).put(theirDcid);
        out.putInt(LongHeader.VERSION_1);
        out.putInt(greased);
        return out.position() - start;
    }

    /** True if {@code datagram} (position to limit) is a long-header packet of version 0. */
    public static boolean isVersionNegotiation(final ByteBuffer datagram)
    {
        final int start = datagram.position();
        return datagram.remaining() >= 7 && (datagram.get(start) & 0x80) != 0 &&
            datagram.getInt(start + 1) == VERSION_NEGOTIATION;
    }

    /**
     * The versions a Version Negotiation packet in {@code datagram} lists, checked against
     * {@code ourScid} (its Destination Connection ID must be our Source Connection ID).
     *
     * @return -1 if it is malformed or not for us, 1 if it lists {@code version}, 0 if it does not
     */
    public static int lists(final ByteBuffer datagram, final byte[] ourScid, final int version)
    {
        final int start = datagram.position();
        final int end = datagram.limit();
        int at = start + 5;
        if (at >= end)
        {
            return -1;
        }
        final int dcidLength = datagram.get(at++) & 0xFF;
        if (dcidLength != ourScid.length || at + dcidLength >= end)
        {
            return -1;
        }
        for (int i = 0; i < dcidLength; i++)
        {
            if (datagram.get(at + i) != ourScid[i])
            {
                return -1;
            }
        }
        at += dcidLength;
        final int scidLength = datagram.get(at++) & 0xFF;
        at += scidLength;
        if (at > end || (end - at) % 4 != 0 || end == at)
        {
            return -1; // RFC 9000 17.2.1: a list of 32-bit versions, at least one
        }
        for (; at < end; at += 4)
        {
            if (datagram.getInt(at) == version)
            {
                return 1;
            }
        }
        return 0;
    }
}
