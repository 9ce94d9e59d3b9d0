package io.ringbus.quic.packet;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Retry packets and their integrity tag (RFC 9000 17.2.5, RFC 9001 5.8), against RFC 9001 A.4 byte for byte. */
class RetryPacketTest
{
    /** RFC 9001 A.4: the client's original Destination Connection ID and the server's Retry. */
    private static final byte[] ODCID = HexFormat.of().parseHex("8394c8f03e515708");
    private static final byte[] RFC_RETRY = HexFormat.of().parseHex(
        "ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba");
    private static final byte[] RETRY_SCID = HexFormat.of().parseHex("f067a5502a4262b5");
    private static final byte[] TOKEN = "token".getBytes(StandardCharsets.US_ASCII);

    @Test
    void writesTheRfc9001A4RetryByteForByte()
    {
        final byte[] out = new byte[64];
        final int length = RetryPacket.write(out, 0, new byte[0], RETRY_SCID, TOKEN, ODCID, 0x0F);
        assertEquals(RFC_RETRY.length, length);
        assertArrayEquals(RFC_RETRY, java.util.Arrays.copyOf(out, length));
    }

    @Test
    void readsAndAuthenticatesTheRfc9001A4Retry()
    {
        assertTrue(RetryPacket.isRetry(ByteBuffer.wrap(RFC_RETRY)));
        final RetryPacket.Retry retry = RetryPacket.read(RFC_RETRY, 0, RFC_RETRY.length, ODCID);
        assertNotNull(retry);
        assertArrayEquals(new byte[0], retry.destinationConnectionId());
        assertArrayEquals(RETRY_SCID, retry.sourceConnectionId());
        assertArrayEquals(TOKEN, retry.token());
    }

    @Test
    void aRetryWithAnyBitChangedOrForAnotherOriginalIdIsRefused()
    {
        for (int i = 0; i < RFC_RETRY.length; i++)
        {
            final byte[] changed = RFC_RETRY.clone();
            changed[i] ^= 0x01;
            if (i == 0)
            {
                // the unused bits of the first byte are covered by the tag too
                assertNull(RetryPacket.read(changed, 0, changed.length, ODCID), "bit 0 of byte 0");
                continue;
            }
            assertNull(RetryPacket.read(changed, 0, changed.length, ODCID), "byte " + i);
        }
        final byte[] otherOdcid = ODCID.clone();
        otherOdcid[7] ^= 1;
        assertNull(RetryPacket.read(RFC_RETRY, 0, RFC_RETRY.length, otherOdcid), "the tag binds the original DCID");
    }

    @Test
    void aRetryWithoutATokenOrTruncatedIsRefused()
    {
        final byte[] out = new byte[64];
        final int length = RetryPacket.write(out, 0, new byte[8], RETRY_SCID, new byte[0], ODCID, 0);
        assertNull(RetryPacket.read(out, 0, length, ODCID), "RFC 9000 17.2.5.2: a Retry carries a token");
        assertNull(RetryPacket.read(RFC_RETRY, 0, 20, ODCID));
        assertFalse(RetryPacket.isRetry(ByteBuffer.wrap(new byte[] {(byte)0xC0, 0, 0, 0, 1, 0, 0})), "an Initial");
    }
}
