package io.ringbus.quic.packet;

/**
 * Packet number encoding and decoding (RFC 9000 section 17.1 and appendices A.2, A.3). Stateless;
 * any thread.
 */
public final class PacketNumber
{
    /** Largest packet number, 2^62 - 1. */
    public static final long MAX = (1L << 62) - 1;

    private PacketNumber()
    {
    }

    /**
     * Bytes to encode {@code packetNumber} when the peer acknowledged up to {@code largestAcked}
     * (-1 if nothing yet): enough for twice the unacknowledged range (RFC 9000 A.2).
     */
    public static int encodedLength(final long packetNumber, final long largestAcked)
    {
        final long unacked = largestAcked < 0 ? packetNumber + 1 : packetNumber - largestAcked;
        final int bits = 64 - Long.numberOfLeadingZeros(unacked) + 1;
        final int bytes = (bits + 7) / 8;
        return Math.max(1, Math.min(4, bytes));
    }

    /** The low {@code length} bytes of {@code packetNumber}. */
    public static long truncate(final long packetNumber, final int length)
    {
        return packetNumber & ((1L << (8 * length)) - 1);
    }

    /**
     * Recover a full packet number from its truncated form of {@code length} bytes, given the
     * largest packet number received so far in the space (-1 if none): RFC 9000 A.3.
     */
    public static long decode(final long largest, final long truncated, final int length)
    {
        final int bits = 8 * length;
        final long expected = largest + 1;
        final long window = 1L << bits;
        final long halfWindow = window / 2;
        final long mask = window - 1;
        final long candidate = (expected & ~mask) | truncated;
        if (candidate <= expected - halfWindow && candidate < (1L << 62) - window)
        {
            return candidate + window;
        }
        if (candidate > expected + halfWindow && candidate >= window)
        {
            return candidate - window;
        }
        return candidate;
    }
}
