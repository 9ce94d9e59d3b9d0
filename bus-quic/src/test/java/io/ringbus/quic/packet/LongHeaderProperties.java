package io.ringbus.quic.packet;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Malformed input: parsing and unprotecting random or mutated bytes fail only with a QuicException. */
class LongHeaderProperties
{
    private static final byte[] CLIENT_INITIAL_HEADER = HexFormat.of().parseHex("c300000001088394c8f03e5157080000449e00000002");

    @Property(tries = 2000)
    void randomBytesNeverEscapeAsAnotherException(@ForAll @Size(max = 1500) final List<Byte> bytes)
    {
        final byte[] datagram = new byte[bytes.size()];
        for (int i = 0; i < datagram.length; i++)
        {
            datagram[i] = bytes.get(i);
        }
        if (datagram.length > 0)
        {
            datagram[0] |= (byte)0xC0; // a long header with the fixed bit: get past the first checks
        }
        parseAndOpen(datagram);
    }

    @Property(tries = 2000)
    void mutatedValidHeadersNeverEscapeAsAnotherException(
        @ForAll @IntRange(min = 0, max = 21) final int position, @ForAll final byte value,
        @ForAll @IntRange(min = 0, max = 1300) final int length)
    {
        final byte[] datagram = new byte[Math.max(length, CLIENT_INITIAL_HEADER.length)];
        System.arraycopy(CLIENT_INITIAL_HEADER, 0, datagram, 0, CLIENT_INITIAL_HEADER.length);
        datagram[position] = value;
        parseAndOpen(datagram);
    }

    private static void parseAndOpen(final byte[] datagram)
    {
        try
        {
            final LongHeader header = new LongHeader().parse(ByteBuffer.wrap(datagram));
            assertTrue(header.packetEnd() <= datagram.length);
            final PacketProtection opener = PacketProtection.initial(header.destinationConnectionId(), true);
            opener.unprotect(datagram, 0, header.packetNumberOffset(), header.packetEnd(), -1);
        }
        catch (final QuicException expected)
        {
            assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
        }
    }
}
