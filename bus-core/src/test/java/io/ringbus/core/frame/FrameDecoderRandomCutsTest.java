package io.ringbus.core.frame;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Random frames cut at random points decode to exactly the frames sent (was a jqwik property):
 * 300 cases from fixed seeds, mostly small bodies with some larger than any receive buffer picked.
 */
class FrameDecoderRandomCutsTest
{
    private static final int CASES = 300;

    @Test
    void randomFramesCutAtRandomPointsDecodeExactly() throws Exception
    {
        for (int c = 0; c < CASES; c++)
        {
            final long seed = 0x5EED_0000L + c;
            final Random random = new Random(seed);
            final byte[][] sent = new byte[random.nextInt(13)][];
            for (int i = 0; i < sent.length; i++)
            {
                final int bodyLength = random.nextInt(4) == 0 ? 300 + random.nextInt(39_701) : random.nextInt(301);
                sent[i] = TestFrames.frame(Command.REQUEST, bodyLength, i * 7919L + bodyLength);
            }
            final int[] cuts = new int[random.nextInt(41)];
            for (int i = 0; i < cuts.length; i++)
            {
                cuts[i] = 1 + random.nextInt(20_000);
            }
            final boolean direct = random.nextBoolean();
            final int receiveBufferSize = 256 + random.nextInt(9000 - 256 + 1);
            decodeExactly(sent, cuts, direct, receiveBufferSize, "seed " + seed);
        }
    }

    private static void decodeExactly(final byte[][] sent, final int[] cuts, final boolean direct,
        final int receiveBufferSize, final String label) throws Exception
    {
        final byte[] stream = FrameDecoderTest.concat(sent);
        final FramePool pool = new FramePool(1 << 20, 1 << 22, true);
        final List<byte[]> received = new ArrayList<>();
        final FrameDecoder decoder = new FrameDecoder(receiveBufferSize, 1 << 20, 0, 0, pool, (buffer, offset, length) ->
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            received.add(copy);
        });

        int position = 0;
        int cut = 0;
        while (position < stream.length)
        {
            final int want = cuts.length == 0 ? stream.length : cuts[cut++ % cuts.length];
            if (direct)
            {
                final ByteBuffer space = decoder.receiveSpace();
                final int n = Math.min(Math.min(want, space.remaining()), stream.length - position);
                space.put(stream, position, n);
                decoder.onReceived(n);
                position += n;
            }
            else
            {
                final int n = Math.min(want, stream.length - position);
                decoder.feed(stream, position, n);
                position += n;
            }
        }

        assertEquals(sent.length, received.size(), label);
        for (int i = 0; i < sent.length; i++)
        {
            assertArrayEquals(sent[i], received.get(i), label);
        }
        assertFalse(decoder.isMidFrame(), label);
        decoder.close();
        pool.assertNoLeaks();
    }
}
