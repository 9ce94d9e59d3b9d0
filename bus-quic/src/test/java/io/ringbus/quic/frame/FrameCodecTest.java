package io.ringbus.quic.frame;

import io.ringbus.quic.packet.QuicException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameCodecTest
{
    /** Records every frame as a line of text. */
    static final class Recorder implements FrameVisitor
    {
        final List<String> seen = new ArrayList<>();

        @Override
        public void onPadding(final int length)
        {
            seen.add("PADDING " + length);
        }

        @Override
        public void onPing()
        {
            seen.add("PING");
        }

        @Override
        public void onAck(final long ackDelay, final long[] ranges, final int rangeCount, final boolean ecn,
            final long ect0, final long ect1, final long ce)
        {
            final StringBuilder line = new StringBuilder("ACK delay=" + ackDelay);
            for (int i = 0; i < rangeCount; i++)
            {
                line.append(' ').append(ranges[2 * i]).append('-').append(ranges[2 * i + 1]);
            }
            seen.add(line.toString());
        }

        @Override
        public void onResetStream(final long streamId, final long errorCode, final long finalSize)
        {
            seen.add("RESET_STREAM " + streamId + " " + errorCode + " " + finalSize);
        }

        @Override
        public void onStopSending(final long streamId, final long errorCode)
        {
            seen.add("STOP_SENDING " + streamId + " " + errorCode);
        }

        @Override
        public void onCrypto(final long offset, final ByteBuffer data)
        {
            seen.add("CRYPTO " + offset + " " + text(data));
        }

        @Override
        public void onStream(final long streamId, final long offset, final boolean fin, final ByteBuffer data)
        {
            seen.add("STREAM " + streamId + " " + offset + " " + fin + " " + text(data));
        }

        @Override
        public void onMaxData(final long maximum)
        {
            seen.add("MAX_DATA " + maximum);
        }

        @Override
        public void onMaxStreamData(final long streamId, final long maximum)
        {
            seen.add("MAX_STREAM_DATA " + streamId + " " + maximum);
        }

        @Override
        public void onMaxStreams(final boolean bidirectional, final long maximum)
        {
            seen.add("MAX_STREAMS " + bidirectional + " " + maximum);
        }

        @Override
        public void onDataBlocked(final long limit)
        {
            seen.add("DATA_BLOCKED " + limit);
        }

        @Override
        public void onStreamDataBlocked(final long streamId, final long limit)
        {
            seen.add("STREAM_DATA_BLOCKED " + streamId + " " + limit);
        }

        @Override
        public void onNewConnectionId(final long sequence, final long retirePriorTo, final ByteBuffer connectionId,
            final ByteBuffer resetToken)
        {
            seen.add("NEW_CONNECTION_ID " + sequence + " " + retirePriorTo + " " + connectionId.remaining() + " " +
                resetToken.remaining());
        }

        @Override
        public void onRetireConnectionId(final long sequence)
        {
            seen.add("RETIRE_CONNECTION_ID " + sequence);
        }

        @Override
        public void onConnectionClose(final boolean application, final long errorCode, final long frameType,
            final ByteBuffer reason)
        {
            seen.add("CONNECTION_CLOSE " + application + " " + errorCode + " " + frameType + " " + text(reason));
        }

        @Override
        public void onHandshakeDone()
        {
            seen.add("HANDSHAKE_DONE");
        }

        private static String text(final ByteBuffer data)
        {
            final byte[] bytes = new byte[data.remaining()];
            data.duplicate().get(bytes);
            return new String(bytes, StandardCharsets.US_ASCII);
        }
    }

    private static ByteBuffer ascii(final String text)
    {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void everyFrameRoundTrips() throws QuicException
    {
        final ByteBuffer out = ByteBuffer.allocate(1024);
        FrameWriter.ping(out);
        FrameWriter.ack(out, 25, new long[] {90, 100, 50, 80, 0, 10}, 3);
        FrameWriter.resetStream(out, 4, 7, 1000);
        FrameWriter.stopSending(out, 8, 9);
        FrameWriter.crypto(out, 1200, ascii("hello"));
        FrameWriter.stream(out, 0, 70_000, true, ascii("frames"));
        FrameWriter.maxData(out, 1 << 20);
        FrameWriter.maxStreamData(out, 0, 1 << 16);
        FrameWriter.maxStreams(out, true, 1);
        FrameWriter.dataBlocked(out, 5);
        FrameWriter.streamDataBlocked(out, 0, 6);
        FrameWriter.newConnectionId(out, 2, 1, new byte[8], new byte[16]);
        FrameWriter.retireConnectionId(out, 1);
        FrameWriter.connectionClose(out, 0x0a, 0x08, "bad".getBytes(StandardCharsets.US_ASCII));
        FrameWriter.applicationClose(out, 1, "app".getBytes(StandardCharsets.US_ASCII));
        FrameWriter.handshakeDone(out);
        FrameWriter.padding(out, 3);
        out.flip();

        final Recorder recorder = new Recorder();
        assertTrue(new FrameReader().read(out, PacketKind.ONE_RTT, false, recorder));
        assertEquals(List.of(
            "PING",
            "ACK delay=25 90-100 50-80 0-10",
            "RESET_STREAM 4 7 1000",
            "STOP_SENDING 8 9",
            "CRYPTO 1200 hello",
            "STREAM 0 70000 true frames",
            "MAX_DATA 1048576",
            "MAX_STREAM_DATA 0 65536",
            "MAX_STREAMS true 1",
            "DATA_BLOCKED 5",
            "STREAM_DATA_BLOCKED 0 6",
            "NEW_CONNECTION_ID 2 1 8 16",
            "RETIRE_CONNECTION_ID 1",
            "CONNECTION_CLOSE false 10 8 bad",
            "CONNECTION_CLOSE true 1 -1 app",
            "HANDSHAKE_DONE",
            "PADDING 3"), recorder.seen);
    }

    @Test
    void aStreamFrameWithoutLengthRunsToTheEndOfThePacket() throws QuicException
    {
        final ByteBuffer in = ByteBuffer.wrap(HexFormat.of().parseHex("0800" + "414243"));
        final Recorder recorder = new Recorder();
        new FrameReader().read(in, PacketKind.ONE_RTT, true, recorder);
        assertEquals(List.of("STREAM 0 0 false ABC"), recorder.seen);
    }

    @Test
    void onlyPaddingAckAndCloseAreNotAckEliciting() throws QuicException
    {
        final ByteBuffer out = ByteBuffer.allocate(64);
        FrameWriter.ack(out, 0, new long[] {0, 3}, 1);
        FrameWriter.padding(out, 10);
        out.flip();
        assertFalse(new FrameReader().read(out, PacketKind.INITIAL, true, new Recorder()));
    }

    @Test
    void anUnknownFrameTypeIsAFrameEncodingError()
    {
        final QuicException ex = assertThrows(QuicException.class, () ->
            new FrameReader().read(ByteBuffer.wrap(new byte[] {0x1f}), PacketKind.ONE_RTT, true, new Recorder()));
        assertEquals(QuicException.FRAME_ENCODING_ERROR, ex.errorCode());
        assertTrue(ex.getMessage().contains("0x1f"), ex.getMessage());
    }

    @Test
    void aStreamFrameInAnInitialPacketIsAProtocolViolation()
    {
        final ByteBuffer out = ByteBuffer.allocate(64);
        FrameWriter.stream(out, 0, 0, false, ascii("x"));
        out.flip();
        final QuicException ex = assertThrows(QuicException.class, () ->
            new FrameReader().read(out, PacketKind.INITIAL, true, new Recorder()));
        assertEquals(QuicException.PROTOCOL_VIOLATION, ex.errorCode());
        assertTrue(ex.getMessage().contains("STREAM frame not permitted in a INITIAL packet"), ex.getMessage());
    }

    @Test
    void handshakeDoneAndNewTokenSentToAServerAreProtocolViolations()
    {
        final ByteBuffer done = ByteBuffer.wrap(new byte[] {FrameType.HANDSHAKE_DONE});
        assertEquals(QuicException.PROTOCOL_VIOLATION, assertThrows(QuicException.class, () ->
            new FrameReader().read(done, PacketKind.ONE_RTT, true, new Recorder())).errorCode());
        final ByteBuffer token = ByteBuffer.wrap(new byte[] {FrameType.NEW_TOKEN, 1, 7});
        assertEquals(QuicException.PROTOCOL_VIOLATION, assertThrows(QuicException.class, () ->
            new FrameReader().read(token, PacketKind.ONE_RTT, true, new Recorder())).errorCode());
    }

    @Test
    void malformedFramesAreFrameEncodingErrors()
    {
        final String[] cases = {
            "06 00 05 4142",          // CRYPTO data shorter than its length
            "02 05 00 00 06",         // ACK first range below packet number 0
            "02 0a 00 01 00 0a 00",   // ACK second range below 0
            "18 01 02 08 0000000000000000 00000000000000000000000000000000", // retire prior to > sequence
            "18 01 00 15 " + "00".repeat(21 + 16), // connection id of 21 bytes
            "1a 0102",                // PATH_CHALLENGE short
            "12 d000000000000001",   // MAX_STREAMS of 2^60 + 1
            "0f 00 ffffffffffffffff 01 41"}; // STREAM offset + length above 2^62 - 1
        for (final String hex : cases)
        {
            final ByteBuffer in = ByteBuffer.wrap(HexFormat.of().parseHex(hex.replace(" ", "")));
            final QuicException ex = assertThrows(QuicException.class, () ->
                new FrameReader().read(in, PacketKind.ONE_RTT, false, new Recorder()), hex);
            assertEquals(QuicException.FRAME_ENCODING_ERROR, ex.errorCode(), hex + ": " + ex.getMessage());
        }
    }

    @Test
    void anEmptyPayloadIsAProtocolViolation()
    {
        assertEquals(QuicException.PROTOCOL_VIOLATION, assertThrows(QuicException.class, () ->
            new FrameReader().read(ByteBuffer.allocate(0), PacketKind.ONE_RTT, true, new Recorder())).errorCode());
    }
}
