package io.ringbus.core.frame;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameDecoderTest
{
    private static final int MAX = 1 << 20;

    private final FramePool pool = new FramePool(MAX, 1 << 22, true);
    private final List<byte[]> frames = new ArrayList<>();
    private final List<DirectBuffer> seenBuffers = new ArrayList<>();
    private final FrameHandler collect = (buffer, offset, length) ->
    {
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        frames.add(copy);
        seenBuffers.add(buffer);
    };
    private FrameDecoder decoder = new FrameDecoder(4096, MAX, 0, 0, pool, collect);

    @AfterEach
    void noLeaks()
    {
        decoder.close();
        pool.assertNoLeaks();
    }

    @Test
    void headerOnlyFrameReadStraightIntoTheReceiveSpace() throws Exception
    {
        final byte[] frame = TestFrames.frame(Command.PING_CLIENT, 0, 1);
        final ByteBuffer space = decoder.receiveSpace();
        space.put(frame);
        decoder.onReceived(frame.length);
        assertEquals(1, frames.size());
        assertArrayEquals(frame, frames.get(0));
        assertFalse(decoder.isMidFrame());
    }

    @Test
    void oneByteAtATime() throws Exception
    {
        final byte[] stream = concat(TestFrames.frame(Command.REQUEST, 100, 1), TestFrames.frame(Command.REQUEST, 0, 2),
            TestFrames.frame(Command.REQUEST, 10_000, 3));
        for (final byte b : stream)
        {
            decoder.receiveSpace().put(b);
            decoder.onReceived(1);
        }
        assertEquals(3, frames.size());
        assertArrayEquals(stream, concat(frames.toArray(new byte[0][])));
    }

    @Test
    void manyFramesInOneReadAreViewsOfTheReceiveBufferWithoutCopy() throws Exception
    {
        final byte[][] sent = new byte[10][];
        for (int i = 0; i < sent.length; i++)
        {
            sent[i] = TestFrames.frame(Command.REQUEST, 64, i);
        }
        final byte[] stream = concat(sent);
        decoder.receiveSpace().put(stream);
        decoder.onReceived(stream.length);
        assertEquals(10, frames.size());
        for (int i = 0; i < sent.length; i++)
        {
            assertArrayEquals(sent[i], frames.get(i));
            assertSame(seenBuffers.get(0), seenBuffers.get(i), "every frame is a view of the same receive buffer");
        }
        assertEquals(1, pool.allocated(), "no pooled buffer was needed besides the receive buffer");
    }

    @Test
    void frameLargerThanTheReceiveBufferIsAssembledInAPooledBufferAndReturned() throws Exception
    {
        final byte[] big = TestFrames.frame(Command.REQUEST, 100_000, 9);
        final byte[] small = TestFrames.frame(Command.REQUEST, 10, 10);
        final byte[] stream = concat(small, big, small);
        int position = 0;
        while (position < stream.length)
        {
            final ByteBuffer space = decoder.receiveSpace();
            final int n = Math.min(space.remaining(), Math.min(3000, stream.length - position));
            space.put(stream, position, n);
            position += n;
            decoder.onReceived(n);
        }
        assertEquals(3, frames.size());
        assertArrayEquals(big, frames.get(1));
        assertArrayEquals(small, frames.get(2));
        assertEquals(0, pool.outstanding(), "the large buffer went back to the pool");
    }

    @Test
    void feedFromACarrierLayerAcrossChunkBoundaries() throws Exception
    {
        final byte[] stream = concat(TestFrames.frame(Command.REQUEST, 5000, 1), TestFrames.frame(Command.REQUEST, 3, 2));
        final UnsafeBuffer src = TestFrames.direct(stream);
        decoder.feed(src, 0, 1000);
        decoder.feed(src, 1000, stream.length - 1000);
        assertEquals(2, frames.size());
        assertArrayEquals(stream, concat(frames.toArray(new byte[0][])));
        decoder.feed(stream, 0, stream.length);
        assertEquals(4, frames.size());
    }

    @Test
    void wholeFramesFedFromACarrierAreViewsOfItsBufferAndOnlyATrailingPartIsCopied() throws Exception
    {
        final byte[] first = TestFrames.frame(Command.REQUEST, 100, 1);
        final byte[] second = TestFrames.frame(Command.REQUEST, 200, 2);
        final byte[] third = TestFrames.frame(Command.REQUEST, 300, 3);
        final byte[] stream = concat(first, second, third);
        final UnsafeBuffer src = TestFrames.direct(stream);
        decoder.feed(src, 0, first.length + second.length + 10);
        assertEquals(2, frames.size());
        assertSame(src, seenBuffers.get(0), "a whole frame is delivered from the carrier's own buffer");
        assertSame(src, seenBuffers.get(1));
        assertTrue(decoder.isMidFrame(), "the partial third frame was copied in");
        decoder.feed(src, first.length + second.length + 10, third.length - 10);
        assertEquals(3, frames.size());
        assertArrayEquals(third, frames.get(2));
        assertFalse(seenBuffers.get(2) == src, "the third frame was reassembled in the receive buffer");
    }

    @Test
    void aBadFrameFedFromACarrierIsRejectedOnTheFastPathToo()
    {
        final byte[] bad = TestFrames.frame(Command.REQUEST, 50, 1);
        bad[bad.length - 1] ^= 1;
        final UnsafeBuffer src = TestFrames.direct(bad);
        final FrameDecodeException ex = assertThrows(FrameDecodeException.class, () -> decoder.feed(src, 0, bad.length));
        assertEquals(FrameError.BODY_CHECKSUM, ex.error());
        assertThrows(IllegalStateException.class, () -> decoder.feed(src, 0, bad.length));
    }

    @Test
    void partialFrameIsReportedMidFrameAndClosingReleasesItsBuffer() throws Exception
    {
        final byte[] big = TestFrames.frame(Command.REQUEST, 50_000, 4);
        decoder.feed(big, 0, 20_000);
        assertTrue(decoder.isMidFrame());
        assertEquals(20_000, decoder.bufferedBytes());
        assertEquals(1, pool.outstanding());
        decoder.close();
        assertEquals(0, pool.outstanding());
    }

    @Test
    void frameExactlyAtMaxMessageSizeIsAccepted() throws Exception
    {
        decoder = new FrameDecoder(4096, 20_000, 0, 0, pool, collect);
        final byte[] frame = TestFrames.frame(Command.REQUEST, 20_000 - FrameHeader.HEADER_SIZE, 1);
        decoder.feed(frame, 0, frame.length);
        assertEquals(1, frames.size());
    }

    @Test
    void rejectsSizeBelowTheHeader()
    {
        final byte[] frame = TestFrames.frame(Command.REQUEST, 0, 1);
        setSize(frame, 255);
        final FrameDecodeException ex = decodeExpectingError(frame);
        assertEquals(FrameError.SIZE_TOO_SMALL, ex.error());
        assertTrue(ex.getMessage().contains("size = 255"), ex.getMessage());
    }

    @Test
    void rejectsSizeAboveMaxFromTheHeaderAloneBeforeBufferingTheBody()
    {
        decoder = new FrameDecoder(4096, 20_000, 0, 0, pool, collect);
        final byte[] frame = TestFrames.frame(Command.REQUEST, 20_001 - FrameHeader.HEADER_SIZE, 1);
        final FrameDecodeException ex = assertThrows(FrameDecodeException.class,
            () -> decoder.feed(frame, 0, FrameHeader.HEADER_SIZE));
        assertEquals(FrameError.SIZE_TOO_LARGE, ex.error());
        assertTrue(ex.getMessage().contains("size = 20001") && ex.getMessage().contains("max_message_size 20000"),
            ex.getMessage());
        assertEquals(0, pool.allocated(), "no buffer was taken for the oversized body");
    }

    @Test
    void rejectsASizeFieldAbove2GiBAsTooLarge()
    {
        final byte[] frame = TestFrames.frame(Command.REQUEST, 0, 1);
        setSize(frame, 0xFFFF_FFF0);
        final FrameDecodeException ex = decodeExpectingError(frame);
        assertEquals(FrameError.SIZE_TOO_LARGE, ex.error());
        assertTrue(ex.getMessage().contains("size = 4294967280"), ex.getMessage());
    }

    @Test
    void rejectsABadHeaderChecksum()
    {
        final byte[] frame = TestFrames.frame(Command.REQUEST, 10, 1);
        frame[FrameHeader.VIEW_OFFSET] ^= 1;
        final FrameDecodeException ex = decodeExpectingError(frame);
        assertEquals(FrameError.HEADER_CHECKSUM, ex.error());
        assertTrue(ex.getMessage().startsWith("checksum = 0x"), ex.getMessage());
    }

    @Test
    void rejectsABadBodyChecksum()
    {
        final byte[] frame = TestFrames.frame(Command.REQUEST, 10, 1);
        frame[FrameHeader.HEADER_SIZE + 3] ^= 1;
        final FrameDecodeException ex = decodeExpectingError(frame);
        assertEquals(FrameError.BODY_CHECKSUM, ex.error());
        assertTrue(ex.getMessage().startsWith("checksum_body = 0x"), ex.getMessage());
    }

    @Test
    void rejectsAnInvalidCommand()
    {
        for (final int command : new int[] {0, 13, 255})
        {
            final byte[] frame = TestFrames.frame(Command.REQUEST, 0, 1);
            frame[FrameHeader.COMMAND_OFFSET] = (byte)command;
            reseal(frame);
            decoder = new FrameDecoder(4096, MAX, 0, 0, pool, collect);
            final FrameDecodeException ex = decodeExpectingError(frame);
            assertEquals(FrameError.INVALID_COMMAND, ex.error());
            assertTrue(ex.getMessage().startsWith("command = " + command + ":"), ex.getMessage());
        }
    }

    @Test
    void rejectsAForeignCluster()
    {
        decoder = new FrameDecoder(4096, MAX, 0, 7, pool, collect);
        final byte[] frame = TestFrames.frame(Command.REQUEST, 0, 1, 0, 8);
        final FrameDecodeException ex = decodeExpectingError(frame);
        assertEquals(FrameError.FOREIGN_CLUSTER, ex.error());
        assertTrue(ex.getMessage().contains("cluster = 0x8") && ex.getMessage().contains("0x7"), ex.getMessage());
    }

    @Test
    void acceptsItsOwnU128Cluster() throws Exception
    {
        decoder = new FrameDecoder(4096, MAX, -2, 5, pool, collect);
        final byte[] frame = TestFrames.frame(Command.REQUEST, 0, 1, -2, 5);
        decoder.feed(frame, 0, frame.length);
        assertEquals(1, frames.size());
    }

    @Test
    void aFailedDecoderRefusesFurtherInput()
    {
        final byte[] frame = TestFrames.frame(Command.REQUEST, 0, 1);
        frame[FrameHeader.VIEW_OFFSET] ^= 1;
        decodeExpectingError(frame);
        assertThrows(IllegalStateException.class, () -> decoder.feed(frame, 0, frame.length));
    }

    @Test
    void errorInsideALargeFrameStillReleasesOnClose()
    {
        final byte[] big = TestFrames.frame(Command.REQUEST, 50_000, 4);
        big[big.length - 1] ^= 1;
        final FrameDecodeException ex = decodeExpectingError(big);
        assertEquals(FrameError.BODY_CHECKSUM, ex.error());
        // noLeaks() closes the decoder and asserts the pooled buffer came back.
    }

    @Test
    void framesBeforeABadOneAreDelivered()
    {
        final byte[] good = TestFrames.frame(Command.REQUEST, 1, 1);
        final byte[] bad = TestFrames.frame(Command.REQUEST, 1, 2);
        bad[FrameHeader.HEADER_SIZE] ^= 1;
        decodeExpectingError(concat(good, bad));
        assertEquals(1, frames.size());
        assertArrayEquals(good, frames.get(0));
    }

    @Test
    void receiveBufferIsTakenFromThePoolWhenAReadIsArmedAndGivenBackWhenDrained() throws Exception
    {
        decoder = new FrameDecoder(64 * 1024, MAX, 0, 0, pool, collect);
        final ByteBuffer space = decoder.receiveSpace();
        assertEquals(1, pool.outstanding(), "the armed read holds one pooled buffer");
        assertEquals(FramePool.MIN_CLASS_SIZE, space.remaining(), "a connection starts with the smallest buffer");
        final byte[] frame = TestFrames.frame(Command.REQUEST, 100, 1);
        space.put(frame);
        decoder.onReceived(frame.length);
        assertEquals(1, frames.size());
        assertEquals(0, pool.outstanding(), "drained: the buffer went back to the pool");
        assertEquals(0, decoder.heldCapacity());
    }

    @Test
    void aCarrierFeedHoldsABufferOnlyWhileAFrameIsIncomplete() throws Exception
    {
        decoder = new FrameDecoder(64 * 1024, MAX, 0, 0, pool, collect);
        final byte[] first = TestFrames.frame(Command.REQUEST, 100, 1);
        final byte[] second = TestFrames.frame(Command.REQUEST, 30_000, 2);
        decoder.feed(first, 0, first.length);
        assertEquals(0, pool.outstanding(), "whole frames are delivered from the carrier's bytes");
        decoder.feed(second, 0, 1_000);
        assertEquals(1, pool.outstanding(), "a partial frame is held in a pooled buffer");
        decoder.feed(second, 1_000, 20_000);
        assertEquals(1, pool.outstanding(), "grown to the frame's size, the smaller one returned");
        assertTrue(decoder.heldCapacity() >= second.length);
        decoder.feed(second, 21_000, second.length - 21_000);
        assertEquals(2, frames.size());
        assertArrayEquals(second, frames.get(1));
        assertEquals(0, pool.outstanding(), "the frame was delivered: nothing is held");
    }

    @Test
    void receiveBufferGrowsWhileReadsFillItAndShrinksBackWhenTheyDoNot() throws Exception
    {
        decoder = new FrameDecoder(64 * 1024, MAX, 0, 0, pool, collect);
        final byte[][] many = new byte[400][];
        for (int i = 0; i < many.length; i++)
        {
            many[i] = TestFrames.frame(Command.REQUEST, 700, i);
        }
        final byte[] stream = concat(many);
        final List<Integer> capacities = new ArrayList<>();
        int position = 0;
        while (position < stream.length)
        {
            final ByteBuffer space = decoder.receiveSpace();
            capacities.add(decoder.heldCapacity());
            final int n = Math.min(space.remaining(), stream.length - position);
            space.put(stream, position, n); // every read fills the room it was offered
            position += n;
            decoder.onReceived(n);
        }
        assertEquals(many.length, frames.size());
        assertEquals(List.of(4096, 8192, 16384, 32768, 65536), capacities.subList(0, 5));
        assertEquals(65536, (int)capacities.get(capacities.size() - 1), "never above receive_buffer_size");

        final byte[] small = TestFrames.frame(Command.PING_CLIENT, 0, 1);
        for (int i = 0; i < 16; i++)
        {
            decoder.receiveSpace().put(small);
            decoder.onReceived(small.length);
        }
        decoder.receiveSpace();
        assertEquals(FramePool.MIN_CLASS_SIZE, decoder.heldCapacity(), "small reads shrink it back to the smallest");
    }

    @Test
    void framesLargerThanTheFirstBufferArriveIntactAcrossManySmallReads() throws Exception
    {
        decoder = new FrameDecoder(64 * 1024, MAX, 0, 0, pool, collect);
        final byte[] medium = TestFrames.frame(Command.REQUEST, 40_000, 1); // grows the receive buffer
        final byte[] large = TestFrames.frame(Command.REQUEST, 700_000, 2); // a buffer of its own
        final byte[] tail = TestFrames.frame(Command.REQUEST, 5, 3);
        final byte[] stream = concat(medium, large, tail, medium);
        int position = 0;
        int reads = 0;
        while (position < stream.length)
        {
            final ByteBuffer space = decoder.receiveSpace();
            final int n = Math.min(Math.min(space.remaining(), 1_500), stream.length - position);
            space.put(stream, position, n);
            position += n;
            decoder.onReceived(n);
            reads++;
        }
        assertTrue(reads > 500);
        assertEquals(4, frames.size());
        assertArrayEquals(medium, frames.get(0));
        assertArrayEquals(large, frames.get(1));
        assertArrayEquals(tail, frames.get(2));
        assertArrayEquals(medium, frames.get(3));
        assertEquals(0, pool.outstanding());
    }

    @Test
    void closingFromTheHandlerStopsDeliveryAndReturnsTheBuffer() throws Exception
    {
        final byte[] stream = concat(TestFrames.frame(Command.REQUEST, 10, 1), TestFrames.frame(Command.REQUEST, 10, 2),
            TestFrames.frame(Command.REQUEST, 10, 3));
        final FrameDecoder[] self = new FrameDecoder[1];
        decoder = new FrameDecoder(4096, MAX, 0, 0, pool, (buffer, offset, length) ->
        {
            frames.add(new byte[length]);
            self[0].close();
        });
        self[0] = decoder;
        decoder.receiveSpace().put(stream);
        decoder.onReceived(stream.length);
        assertEquals(1, frames.size());
        assertEquals(0, pool.outstanding());
    }

    private FrameDecodeException decodeExpectingError(final byte[] stream)
    {
        return assertThrows(FrameDecodeException.class, () -> decoder.feed(stream, 0, stream.length));
    }

    private static void setSize(final byte[] frame, final int size)
    {
        new UnsafeBuffer(frame).putInt(FrameHeader.SIZE_OFFSET, size, FrameHeader.ORDER);
        reseal(frame);
    }

    private static void reseal(final byte[] frame)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        final FrameCodec codec = new FrameCodec();
        buffer.putInt(FrameHeader.CHECKSUM_OFFSET, codec.computeHeaderChecksum(buffer, 0), FrameHeader.ORDER);
    }

    static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts)
        {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
