package io.ringbus.bench.harness;

import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameCodec;
import io.ringbus.core.frame.FrameHeader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.ringbus.core.frame.FrameHeader.HEADER_SIZE;

/**
 * What one node of the replicated echo does with a received frame, shared by every peer server so
 * that they all do the same work: check the frame in WIRE.md's order (size, header checksum,
 * command, cluster, then body checksum) and turn it, in place, into its answer, sealed with
 * {@link FrameCodec}.
 *
 * <p>The checks return a reason string only on the error path (where allocating is fine) and
 * {@code null} when the frame is acceptable. Not thread-safe: one instance per connection thread.
 */
final class EchoResponder
{
    /** Largest frame accepted, header included: the bus default {@code max_message_size}. */
    static final int MAX_FRAME_SIZE = BusConfig.DEFAULT_MAX_MESSAGE_SIZE;

    private static final int REQUEST = Command.REQUEST.code();

    private final FrameCodec codec = new FrameCodec();
    private final FrameHeader header = new FrameHeader();

    /**
     * Check the 256 header bytes at {@code offset}.
     *
     * @return null if the header is acceptable, else why the connection must be closed.
     */
    String checkHeader(final DirectBuffer buffer, final int offset)
    {
        final int size = FrameHeader.size(buffer, offset);
        if (size < HEADER_SIZE || size > MAX_FRAME_SIZE)
        {
            return "size = " + Integer.toUnsignedString(size) + ": outside " + HEADER_SIZE + ".." + MAX_FRAME_SIZE;
        }
        if (!codec.isHeaderValid(buffer, offset))
        {
            return "header checksum mismatch";
        }
        final int command = FrameHeader.command(buffer, offset);
        if (!Command.isAllowedFromClient(command))
        {
            return "command " + command + ": a client may send only request and ping_client";
        }
        if (FrameHeader.clusterHi(buffer, offset) != EchoServer.CLUSTER_HI ||
            FrameHeader.clusterLo(buffer, offset) != EchoServer.CLUSTER_LO)
        {
            return "cluster " + Long.toHexString(FrameHeader.clusterHi(buffer, offset)) + ":" +
                Long.toHexString(FrameHeader.clusterLo(buffer, offset)) + " is not this server's";
        }
        return null;
    }

    /**
     * Check a whole frame of {@code length} bytes at {@code offset}: its header, that {@code size}
     * equals {@code length}, and its body checksum.
     *
     * @return null if the frame is acceptable, else why the connection must be closed.
     */
    String checkFrame(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < HEADER_SIZE)
        {
            return "frame of " + length + " bytes: shorter than the header";
        }
        final String reason = checkHeader(buffer, offset);
        if (reason != null)
        {
            return reason;
        }
        final int size = FrameHeader.size(buffer, offset);
        if (size != length)
        {
            return "size = " + size + " but the frame is " + length + " bytes";
        }
        return checkBody(buffer, offset, size);
    }

    /**
     * Check the body of a frame of {@code size} bytes whose header has passed {@link #checkHeader}.
     *
     * @return null if the body checksum matches, else the reason.
     */
    String checkBody(final DirectBuffer buffer, final int offset, final int size)
    {
        return codec.isBodyValid(buffer, offset, size) ? null : "body checksum mismatch";
    }

    /**
     * Rewrite a verified {@code request} at {@code offset} into its {@code reply} (same size, same
     * body), or a verified {@code ping_client} into a header-only {@code pong_client}. Both copy
     * {@code client}, {@code request}, {@code timestamp} and {@code operation}; every other header
     * byte is rewritten (reserved bytes zero, {@code replica} = none), then the frame is sealed.
     *
     * @return the answer's length in bytes, starting at {@code offset}.
     */
    int answer(final MutableDirectBuffer buffer, final int offset)
    {
        final FrameHeader header = this.header.wrap(buffer, offset);
        final boolean isRequest = header.command() == REQUEST;
        final int size = isRequest ? header.size() : HEADER_SIZE;
        final long clusterHi = header.clusterHi();
        final long clusterLo = header.clusterLo();
        final long clientHi = header.clientHi();
        final long clientLo = header.clientLo();
        final long request = header.request();
        final long timestampNs = header.timestamp();
        final int operation = header.operation();

        header.clear()
            .cluster(clusterHi, clusterLo)
            .size(size)
            .command(isRequest ? Command.REPLY : Command.PONG_CLIENT)
            .replica(FrameHeader.REPLICA_NONE)
            .client(clientHi, clientLo)
            .request(request)
            .timestamp(timestampNs)
            .operation(operation);
        codec.seal(buffer, offset);
        return size;
    }
}
