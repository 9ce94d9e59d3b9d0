package io.ringbus.core.frame;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.Random;

/** Builds sealed frames for tests (any package of bus-core's tests). */
public final class TestFrames
{
    private TestFrames()
    {
    }

    /** A sealed frame with a body of {@code bodyLength} bytes derived from {@code seed}. */
    public static byte[] frame(final Command command, final int bodyLength, final long seed)
    {
        return frame(command, bodyLength, seed, 0, 0);
    }

    public static byte[] frame(final Command command, final int bodyLength, final long seed, final long clusterHi, final long clusterLo)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[FrameHeader.HEADER_SIZE + bodyLength]);
        write(buffer, 0, command, bodyLength, seed, clusterHi, clusterLo);
        return buffer.byteArray();
    }

    public static void write(final MutableDirectBuffer buffer, final int offset, final Command command, final int bodyLength,
        final long seed, final long clusterHi, final long clusterLo)
    {
        final Random random = new Random(seed);
        final FrameHeader header = new FrameHeader().wrap(buffer, offset).clear();
        header.cluster(clusterHi, clusterLo).size(FrameHeader.HEADER_SIZE + bodyLength).command(command)
            .replica(FrameHeader.REPLICA_NONE).client(seed, ~seed).request(seed).timestamp(seed * 31).view(7).release(3);
        for (int i = 0; i < bodyLength; i++)
        {
            buffer.putByte(offset + FrameHeader.HEADER_SIZE + i, (byte)random.nextInt());
        }
        new FrameCodec().seal(buffer, offset);
    }

    public static UnsafeBuffer direct(final byte[] bytes)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(bytes.length));
        buffer.putBytes(0, bytes);
        return buffer;
    }
}
