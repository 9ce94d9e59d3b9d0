package io.ringbus.core.frame;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of {@link FrameDecoder}: a stream of sealed frames (some with a byte
 * flipped, a foreign cluster, an unknown command or an oversized size field) and raw bytes, cut
 * into arbitrary reads through either entry point. The decoder never throws anything but
 * {@link FrameDecodeException}, never delivers a frame that fails the checks of WIRE.md, delivers
 * an intact stream exactly, and leaks no pooled buffer. Regression inputs under
 * src/test/resources/io/ringbus/core/frame/FrameDecoderFuzzTestInputs; {@code bench/fuzz.sh} fuzzes it.
 */
class FrameDecoderFuzzTest
{
    private static final long CLUSTER_HI = 0x1234L;
    private static final long CLUSTER_LO = 0x5678L;
    private static final int MAX_SEGMENTS = 16;
    private static final int MAX_READS = 4096;
    /** One pool for every input: its buffers are reused instead of piling up direct memory; each input ends with none out. */
    private static final FramePool POOL = new FramePool(1 << 16, 1 << 22, true);

    @FuzzTest(maxDuration = "60s")
    void decodesOnlyVerifiedFramesFromArbitraryBytes(final FuzzedDataProvider data) throws Exception
    {
        final boolean direct = data.consumeBoolean();
        final int receiveBufferSize = data.consumeInt(FrameHeader.HEADER_SIZE, 9000);
        final int maxMessageSize = data.consumeInt(FrameHeader.HEADER_SIZE, 1 << 16);
        final FrameCodec codec = new FrameCodec();

        // The stream: sealed frames, possibly spoiled, and raw bytes.
        final ByteArrayOutputStream stream = new ByteArrayOutputStream();
        boolean intact = true;
        final List<byte[]> sealed = new ArrayList<>();
        final int segments = data.consumeInt(0, MAX_SEGMENTS);
        for (int s = 0; s < segments && data.remainingBytes() > 0; s++)
        {
            final int kind = data.consumeInt(0, 5);
            if (kind == 0)
            {
                stream.writeBytes(data.consumeBytes(data.consumeInt(0, 600)));
                intact = false;
                continue;
            }
            final int bodyLength = data.consumeInt(0, 20_000);
            final byte[] frame = TestFrames.frame(Command.REQUEST, bodyLength, data.consumeLong(), CLUSTER_HI, CLUSTER_LO);
            final UnsafeBuffer buffer = new UnsafeBuffer(frame);
            if (kind == 2)
            {
                // An unknown command, a foreign cluster or any header byte, sealed again: only the checks can refuse it.
                final int offset = data.consumeInt(0, FrameHeader.HEADER_SIZE - 1);
                // The checksums lie in the first 16 bytes; sealing reads the size field, so it stays.
                if (offset >= 16 && (offset < FrameHeader.SIZE_OFFSET || offset >= FrameHeader.SIZE_OFFSET + Integer.BYTES))
                {
                    buffer.putByte(offset, data.consumeByte());
                    codec.seal(buffer, 0);
                    intact &= isAcceptable(buffer, frame.length, maxMessageSize, codec);
                }
            }
            else if (kind == 3)
            {
                // A byte changed after sealing: a checksum must catch it.
                final int offset = data.consumeInt(0, frame.length - 1);
                final byte value = data.consumeByte();
                intact &= value == frame[offset];
                frame[offset] = value;
            }
            else if (kind == 4)
            {
                // Cut short: the stream ends inside this frame.
                final byte[] cut = new byte[data.consumeInt(0, frame.length - 1)];
                System.arraycopy(frame, 0, cut, 0, cut.length);
                stream.writeBytes(cut);
                intact = false;
                break;
            }
            intact &= frame.length <= maxMessageSize;
            if (intact)
            {
                sealed.add(frame);
            }
            stream.writeBytes(frame);
        }
        final byte[] bytes = stream.toByteArray();

        final FramePool pool = POOL;
        final List<byte[]> received = new ArrayList<>();
        final FrameDecoder decoder = new FrameDecoder(receiveBufferSize, maxMessageSize, CLUSTER_HI, CLUSTER_LO, pool,
            (buffer, offset, length) ->
            {
                assertTrue(length >= FrameHeader.HEADER_SIZE && length <= maxMessageSize, "length " + length);
                assertEquals(length, FrameHeader.size(buffer, offset));
                assertTrue(codec.isHeaderValid(buffer, offset), "header checksum");
                assertTrue(codec.isBodyValid(buffer, offset, length), "body checksum");
                assertTrue(Command.isValid(FrameHeader.command(buffer, offset)), "command");
                assertEquals(CLUSTER_HI, FrameHeader.clusterHi(buffer, offset));
                assertEquals(CLUSTER_LO, FrameHeader.clusterLo(buffer, offset));
                final byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                received.add(copy);
            });

        FrameDecodeException error = null;
        try
        {
            int position = 0;
            // Each read moves at least one byte, so the loop ends; past MAX_READS cuts the rest goes at once.
            for (int reads = 0; position < bytes.length && reads <= bytes.length; reads++)
            {
                final int want = reads < MAX_READS && data.remainingBytes() > 0 ? data.consumeInt(1, 20_000) : bytes.length;
                if (direct)
                {
                    final ByteBuffer space = decoder.receiveSpace();
                    final int n = Math.min(Math.min(want, space.remaining()), bytes.length - position);
                    space.put(bytes, position, n);
                    decoder.onReceived(n);
                    position += n;
                }
                else
                {
                    final int n = Math.min(want, bytes.length - position);
                    decoder.feed(bytes, position, n);
                    position += n;
                }
            }
        }
        catch (final FrameDecodeException ex)
        {
            error = ex; // the documented refusal: the connection closes
        }
        finally
        {
            decoder.close();
        }

        if (intact)
        {
            assertEquals(null, error, "an intact stream decodes without error");
            assertEquals(sealed.size(), received.size());
            for (int i = 0; i < sealed.size(); i++)
            {
                assertArrayEquals(sealed.get(i), received.get(i));
            }
        }
        else if (error != null)
        {
            assertFalse(error.getMessage().isEmpty(), "a refusal says why");
        }
        pool.assertNoLeaks();
    }

    private static boolean isAcceptable(final UnsafeBuffer frame, final int length, final int maxMessageSize,
        final FrameCodec codec)
    {
        final int size = FrameHeader.size(frame, 0);
        return size == length && size <= maxMessageSize && Command.isValid(FrameHeader.command(frame, 0)) &&
            FrameHeader.clusterHi(frame, 0) == CLUSTER_HI && FrameHeader.clusterLo(frame, 0) == CLUSTER_LO &&
            codec.isHeaderValid(frame, 0) && codec.isBodyValid(frame, 0, length);
    }
}
