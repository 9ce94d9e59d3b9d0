package io.ringbus.quic.packet;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Malformed input for the packet layer: parsing a long header and removing Initial packet protection
 * (RFC 9001 5), or removing 1-RTT protection behind a short header, fail only with a QuicException
 * carrying a reason; a header that parses never claims bytes beyond the datagram.
 */
class PacketHeaderFuzzTest
{
    private static final byte[] CLIENT_INITIAL_HEADER = HexFormat.of().parseHex("c300000001088394c8f03e5157080000449e00000002");
    private static final byte[] SHORT_HEADER_SECRET = new byte[32];
    private static final int SHORT_HEADER_DCID_LENGTH = 8;

    /**
     * Each input as it is, as a long header with the fixed bit (to get past the first checks) and
     * as a short header behind an 8-byte connection id.
     */
    @FuzzTest(maxDuration = "60s")
    void parseAndUnprotect(final byte[] datagram)
    {
        parseAndOpen(datagram.clone());
        if (datagram.length > 0)
        {
            final byte[] asLong = datagram.clone();
            asLong[0] |= (byte)0xC0;
            parseAndOpen(asLong);
            final byte[] asShort = datagram.clone();
            asShort[0] = (byte)((asShort[0] & 0x7F) | 0x40);
            openShort(asShort);
        }
    }

    /** The mutations the former property made: one header byte of RFC 9001 A.2 set, the datagram sized at random. */
    @Test
    void mutatedValidHeadersFailOnlyWithAQuicException()
    {
        final Random random = new Random(0x9001);
        for (int i = 0; i < 2000; i++)
        {
            final int length = random.nextInt(1301);
            final byte[] datagram = Arrays.copyOf(CLIENT_INITIAL_HEADER, Math.max(length, CLIENT_INITIAL_HEADER.length));
            datagram[random.nextInt(CLIENT_INITIAL_HEADER.length)] = (byte)random.nextInt(256);
            parseAndOpen(datagram);
        }
    }

    /** Random datagrams with the long-header bits set, as the former property sent them. */
    @Test
    void randomLongHeaderDatagramsFailOnlyWithAQuicException()
    {
        final Random random = new Random(0x9000);
        for (int i = 0; i < 2000; i++)
        {
            final byte[] datagram = new byte[random.nextInt(1501)];
            random.nextBytes(datagram);
            parseAndUnprotect(datagram);
        }
    }

    private static void parseAndOpen(final byte[] datagram)
    {
        try
        {
            final LongHeader header = new LongHeader().parse(ByteBuffer.wrap(datagram));
            assertTrue(header.packetEnd() <= datagram.length);
            assertTrue(header.packetNumberOffset() <= header.packetEnd());
            final PacketProtection opener = PacketProtection.initial(header.destinationConnectionId(), true);
            opener.unprotect(datagram, 0, header.packetNumberOffset(), header.packetEnd(), -1);
        }
        catch (final QuicException expected)
        {
            assertReason(expected);
        }
    }

    private static void openShort(final byte[] datagram)
    {
        try
        {
            final PacketProtection opener = new PacketProtection(CipherSuite.AES_128_GCM_SHA256, SHORT_HEADER_SECRET);
            opener.unprotect(datagram, 0, 1 + SHORT_HEADER_DCID_LENGTH, datagram.length, 5);
        }
        catch (final QuicException expected)
        {
            assertReason(expected);
        }
    }

    private static void assertReason(final QuicException expected)
    {
        assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
    }
}
