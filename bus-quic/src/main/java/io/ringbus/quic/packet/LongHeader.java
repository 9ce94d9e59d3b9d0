package io.ringbus.quic.packet;

import java.nio.ByteBuffer;

/**
 * A parsed long header (RFC 9000 section 17.2): the packet type, version, connection IDs, the
 * Initial token, and where the (still protected) packet number starts and the packet ends, so
 * that coalesced packets in one datagram can be walked. A reusable flyweight-like holder: not
 * thread-safe.
 */
public final class LongHeader
{
    /** Long packet types of QUIC v1 (RFC 9000 17.2, Table 5). */
    public enum Type
    {
        INITIAL, ZERO_RTT, HANDSHAKE, RETRY
    }

    /** QUIC version 1. */
    public static final int VERSION_1 = 1;
    /** RFC 9000 17.2: connection IDs of QUIC v1 are at most 20 bytes. */
    public static final int MAX_CID_LENGTH = 20;
    private static final Type[] TYPES = Type.values();

    private Type type;
    private int version;
    private final byte[] dcid = new byte[MAX_CID_LENGTH];
    private int dcidLength;
    private final byte[] scid = new byte[MAX_CID_LENGTH];
    private int scidLength;
    private int tokenOffset;
    private int tokenLength;
    private int pnOffset;
    private int packetEnd;

    /** True if the first byte of a packet announces a long header. */
    public static boolean isLong(final byte first)
    {
        return (first & 0x80) != 0;
    }

    /**
     * Parse the long header of the packet at {@code datagram}'s position (the position is left at
     * the packet number). The fixed bit must be set and the version must be 1; version negotiation
     * packets (version 0) and unknown versions are reported as such by the message.
     *
     * @throws QuicException PROTOCOL_VIOLATION naming the field for a malformed header.
     */
    public LongHeader parse(final ByteBuffer datagram) throws QuicException
    {
        final int start = datagram.position();
        if (datagram.remaining() < 7)
        {
            throw violation("long header of " + datagram.remaining() + " bytes: too short");
        }
        final byte first = datagram.get();
        if (!isLong(first))
        {
            throw violation("first byte 0x" + Integer.toHexString(first & 0xFF) + ": not a long header");
        }
        version = datagram.getInt();
        if (version != VERSION_1)
        {
            throw violation("version = 0x" + Integer.toHexString(version) + ": only QUIC v1 (0x1) is supported");
        }
        if ((first & 0x40) == 0)
        {
            throw violation("fixed bit is 0 (RFC 9000 17.2)");
        }
        type = TYPES[(first & 0x30) >>> 4];
        dcidLength = readConnectionId(datagram, dcid, "destination connection id");
        scidLength = readConnectionId(datagram, scid, "source connection id");
        tokenOffset = 0;
        tokenLength = 0;
        if (type == Type.RETRY)
        {
            throw violation("a client does not accept Retry here, and a server never receives one");
        }
        if (type == Type.INITIAL)
        {
            final long token = VarInt.read(datagram, "token length");
            if (token > datagram.remaining())
            {
                throw violation("token length = " + token + ": beyond the datagram (" + datagram.remaining() + " left)");
            }
            tokenOffset = datagram.position();
            tokenLength = (int)token;
            datagram.position(datagram.position() + tokenLength);
        }
        final long length = VarInt.read(datagram, "length");
        if (length > datagram.remaining())
        {
            throw violation("length = " + length + ": beyond the datagram (" + datagram.remaining() + " left)");
        }
        pnOffset = datagram.position();
        packetEnd = (int)(pnOffset + length);
        if (packetEnd - start < 0)
        {
            throw violation("length = " + length + ": overflows");
        }
        return this;
    }

    private static int readConnectionId(final ByteBuffer datagram, final byte[] into, final String what)
        throws QuicException
    {
        if (!datagram.hasRemaining())
        {
            throw violation(what + " length: missing");
        }
        final int length = datagram.get() & 0xFF;
        if (length > MAX_CID_LENGTH)
        {
            throw violation(what + " length = " + length + ": above " + MAX_CID_LENGTH);
        }
        if (length > datagram.remaining())
        {
            throw violation(what + " length = " + length + ": beyond the datagram");
        }
        datagram.get(into, 0, length);
        return length;
    }

    private static QuicException violation(final String reason)
    {
        return new QuicException(QuicException.PROTOCOL_VIOLATION, reason);
    }

    public Type type()
    {
        return type;
    }

    public int version()
    {
        return version;
    }

    /** A copy of the destination connection id. */
    public byte[] destinationConnectionId()
    {
        return java.util.Arrays.copyOf(dcid, dcidLength);
    }

    public int destinationConnectionIdLength()
    {
        return dcidLength;
    }

    /** A copy of the source connection id. */
    public byte[] sourceConnectionId()
    {
        return java.util.Arrays.copyOf(scid, scidLength);
    }

    public int tokenOffset()
    {
        return tokenOffset;
    }

    public int tokenLength()
    {
        return tokenLength;
    }

    /** Offset of the protected packet number in the datagram. */
    public int packetNumberOffset()
    {
        return pnOffset;
    }

    /** Offset just past this packet (the next coalesced packet starts there). */
    public int packetEnd()
    {
        return packetEnd;
    }
}
