package io.ringbus.core.frame;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Random frames cut at random points decode to exactly the frames sent. */
class FrameDecoderProperties
{
    @Property(tries = 300)
    void randomFramesCutAtRandomPointsDecodeExactly(
        @ForAll("bodies") final List<Integer> bodyLengths,
        @ForAll @Size(max = 40) final List<@IntRange(min = 1, max = 20_000) Integer> cuts,
        @ForAll final boolean direct,
        @ForAll @IntRange(min = 256, max = 9000) final int receiveBufferSize) throws Exception
    {
        final byte[][] sent = new byte[bodyLengths.size()][];
        for (int i = 0; i < sent.length; i++)
        {
            sent[i] = TestFrames.frame(Command.REQUEST, bodyLengths.get(i), i * 7919L + bodyLengths.get(i));
        }
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
            final int want = cuts.isEmpty() ? stream.length : cuts.get(cut++ % cuts.size());
            if (direct)
            {
                final var space = decoder.receiveSpace();
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

        assertEquals(sent.length, received.size());
        for (int i = 0; i < sent.length; i++)
        {
            assertArrayEquals(sent[i], received.get(i));
        }
        assertFalse(decoder.isMidFrame());
        decoder.close();
        pool.assertNoLeaks();
    }

    @Provide
    Arbitrary<List<Integer>> bodies()
    {
        // Mostly small bodies, with some larger than any receive buffer the property picks.
        final Arbitrary<Integer> small = Arbitraries.integers().between(0, 300);
        final Arbitrary<Integer> large = Arbitraries.integers().between(300, 40_000);
        return Arbitraries.oneOf(small, small, small, large).list().ofMaxSize(12);
    }
}
