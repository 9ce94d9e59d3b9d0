package io.ringbus.core.frame;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Building common frames into pooled buffers: replies, pongs, pings. Any thread (each thread
 * seals with its own {@link FrameCodec}).
 */
public final class Frames
{
    private static final ThreadLocal<FrameCodec> CODECS = ThreadLocal.withInitial(FrameCodec::new);
    private static final ThreadLocal<FrameHeader> HEADERS = ThreadLocal.withInitial(FrameHeader::new);

    private Frames()
    {
    }

    /** Seal the frame at {@code offset} with this thread's codec. */
    public static void seal(final MutableDirectBuffer buffer, final int offset)
    {
        CODECS.get().seal(buffer, offset);
    }

    /** This thread's reusable header flyweight. */
    public static FrameHeader header()
    {
        return HEADERS.get();
    }

    /**
     * A sealed reply to the request at {@code requestOffset}: same cluster, client, request,
     * timestamp and operation, with {@code bodyLength} bytes of body from {@code body}.
     */
    public static FrameBuffer reply(
        final FramePool pool,
        final DirectBuffer request,
        final int requestOffset,
        final DirectBuffer body,
        final int bodyOffset,
        final int bodyLength,
        final int replica)
    {
        final int size = FrameHeader.HEADER_SIZE + bodyLength;
        final FrameBuffer frame = pool.acquire(size);
        final MutableDirectBuffer out = frame.buffer();
        final FrameHeader header = header().wrap(out, 0).clear();
        out.putBytes(FrameHeader.CLUSTER_OFFSET, request, requestOffset + FrameHeader.CLUSTER_OFFSET,
            FrameHeader.CLUSTER_LENGTH);
        // client, request, timestamp, operation: the request area up to its reserved tail.
        out.putBytes(FrameHeader.CLIENT_OFFSET, request, requestOffset + FrameHeader.CLIENT_OFFSET,
            FrameHeader.REQUEST_RESERVED_OFFSET - FrameHeader.CLIENT_OFFSET);
        header.size(size).command(Command.REPLY).replica(replica)
            .view(FrameHeader.view(request, requestOffset)).release(FrameHeader.release(request, requestOffset));
        out.putBytes(FrameHeader.HEADER_SIZE, body, bodyOffset, bodyLength);
        seal(out, 0);
        frame.frameLength(size);
        return frame;
    }

    /** A sealed header-only frame of {@code command} from {@code replica} in cluster (hi, lo). */
    public static FrameBuffer headerOnly(final FramePool pool, final Command command, final int replica,
        final long clusterHi, final long clusterLo)
    {
        final FrameBuffer frame = pool.acquire(FrameHeader.HEADER_SIZE);
        header().wrap(frame.buffer(), 0).clear().cluster(clusterHi, clusterLo).size(FrameHeader.HEADER_SIZE)
            .command(command).replica(replica);
        seal(frame.buffer(), 0);
        frame.frameLength(FrameHeader.HEADER_SIZE);
        return frame;
    }

    /** A sealed copy of the frame of {@code length} bytes at {@code offset}. */
    public static FrameBuffer copy(final FramePool pool, final DirectBuffer buffer, final int offset, final int length)
    {
        final FrameBuffer frame = pool.acquire(length);
        frame.buffer().putBytes(0, buffer, offset, length);
        frame.frameLength(length);
        return frame;
    }
}
