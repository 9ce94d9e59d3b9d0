package io.ringbus.quic.frame;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ringbus.quic.packet.QuicException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FrameReader} over arbitrary payloads in every packet kind, as received by either side: the
 * frames parse, or the reader throws a QuicException with FRAME_ENCODING_ERROR or PROTOCOL_VIOLATION
 * (RFC 9000 12.4, 19); nothing else escapes, and every slice handed to the visitor is readable.
 */
class FrameReaderFuzzTest
{
    @FuzzTest(maxDuration = "60s")
    void readFrames(final byte[] payload)
    {
        for (final PacketKind kind : PacketKind.values())
        {
            read(payload, kind, true);
            read(payload, kind, false);
        }
    }

    /** Random payloads of 1 to 300 bytes, as the former property sent them. */
    @Test
    void randomPayloadsFailOnlyWithAQuicException()
    {
        final Random random = new Random(19);
        for (int i = 0; i < 3000; i++)
        {
            final byte[] payload = new byte[1 + random.nextInt(300)];
            random.nextBytes(payload);
            readFrames(payload);
        }
    }

    private static void read(final byte[] payload, final PacketKind kind, final boolean receivedByServer)
    {
        try
        {
            new FrameReader().read(ByteBuffer.wrap(payload), kind, receivedByServer, new FrameCodecTest.Recorder());
        }
        catch (final QuicException expected)
        {
            assertTrue(expected.errorCode() == QuicException.FRAME_ENCODING_ERROR ||
                expected.errorCode() == QuicException.PROTOCOL_VIOLATION, expected.getMessage());
            assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
        }
    }
}
