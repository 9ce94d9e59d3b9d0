package io.ringbus.quic.packet;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Version Negotiation packets (RFC 9000 17.2.1): the layout, the greased version, a client's reading. */
class VersionNegotiationTest
{
    @Test
    void listsV1AndAGreasedVersionWithTheConnectionIdsSwapped()
    {
        final byte[] theirDcid = {1, 2, 3, 4, 5, 6, 7, 8};
        final byte[] theirScid = {9, 10, 11};
        final ByteBuffer out = ByteBuffer.allocate(64);
        final int greased = VersionNegotiation.greasedVersion(0x12345678);
        final int length = VersionNegotiation.write(out, theirDcid, theirScid, 0x7F, greased);
        assertEquals(1 + 4 + 1 + 3 + 1 + 8 + 8, length);
        out.flip();
        assertEquals(0xFF, out.get(0) & 0xFF, "long header form, unused bits");
        assertEquals(0, out.getInt(1), "version 0");
        assertEquals(3, out.get(5));
        assertEquals(8, out.get(9));
        assertEquals(1, out.getInt(18));
        assertEquals(greased, out.getInt(22));
        assertEquals(0x0A0A0A0A, greased & 0x0F0F0F0F, "RFC 9000 15: 0x?a?a?a?a");
        assertTrue(VersionNegotiation.isVersionNegotiation(out));
        assertEquals(1, VersionNegotiation.lists(out, theirScid, 1));
        assertEquals(0, VersionNegotiation.lists(out, theirScid, 2));
        assertEquals(-1, VersionNegotiation.lists(out, theirDcid, 1), "not for this connection id");
        assertEquals(-1, VersionNegotiation.lists(out.duplicate().limit(length - 1), theirScid, 1), "a partial version");
    }
}
