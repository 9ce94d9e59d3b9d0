package io.ringbus.cli;

import io.ringbus.core.MessageBus;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The replica-plane frames of the replicated echo, {@code prepare} and {@code prepare_ok}: their
 * layout is the application's (WIRE.md leaves the command area of replica commands to it), and
 * this class is the one place it lives.
 *
 * <p><b>prepare</b> (primary to backups):
 * <pre>
 *   header   cluster = the node's cluster, size = 256 + request size, view = {@link #VIEW} (0: the
 *            echo has no view changes), release = 0, command = prepare, replica = the primary
 *   128  u64 op           the primary's op number, 1, 2, 3, ... per incarnation
 *   136  u64 incarnation  random per start of the primary: a restarted primary counts ops from 1
 *                         again, and backups see the new incarnation and resync instead of
 *                         taking op 1 for an old duplicate
 *   144..255 reserved, zero
 *   body     the client's request frame as received: its own 256-byte header (client, request,
 *            timestamp, operation, checksums) followed by its body
 * </pre>
 * <p><b>prepare_ok</b> (backup to primary), header only: {@code replica} = the backup, command =
 * prepare_ok, view = {@link #VIEW}, and {@code op} and {@code incarnation} at the offsets above,
 * copied from the prepare it acknowledges.
 *
 * <p>Stateless; any thread (frames are built with the calling thread's header flyweight). A
 * prepare is {@link #stage staged} on the shard that received the request and {@link #finish
 * finished} by the thread that numbers the ops.
 */
public final class PrepareFrame
{
    /** The view every echo frame carries: the echo never changes views. */
    public static final int VIEW = 0;
    /** Command area: op number, u64. */
    public static final int OP_OFFSET = FrameHeader.COMMAND_AREA_OFFSET;
    /** Command area: the primary's incarnation, u64. */
    public static final int INCARNATION_OFFSET = OP_OFFSET + Long.BYTES;
    /** Start of the request frame inside a prepare. */
    public static final int REQUEST_OFFSET = FrameHeader.HEADER_SIZE;
    /** Where a staged prepare parks the client connection id (reserved on the wire, cleared by finish). */
    static final int STAGED_CONNECTION_OFFSET = INCARNATION_OFFSET + Long.BYTES;
    /**
     * Where a staged prepare parks the client connection's identity, hi then lo (see
     * {@link io.ringbus.core.dedup.SessionBindings#identityOf}; reserved on the wire, cleared by finish).
     */
    static final int STAGED_IDENTITY_OFFSET = STAGED_CONNECTION_OFFSET + Long.BYTES;
    /** A prepare is its own header plus the request's header, at least. */
    public static final int MIN_PREPARE_SIZE = FrameHeader.HEADER_SIZE + FrameHeader.HEADER_SIZE;

    private PrepareFrame()
    {
    }

    /** The op number of the prepare or prepare_ok at {@code offset}. */
    public static long op(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + OP_OFFSET, FrameHeader.ORDER);
    }

    /** The primary's incarnation in the prepare or prepare_ok at {@code offset}. */
    public static long incarnation(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + INCARNATION_OFFSET, FrameHeader.ORDER);
    }

    /**
     * A sealed prepare of op {@code op} carrying the request frame of {@code requestLength} bytes
     * at {@code requestOffset}. The caller checks that the result fits max_message_size.
     */
    public static FrameBuffer prepare(final MessageBus bus, final int primary, final long op, final long incarnation,
        final DirectBuffer request, final int requestOffset, final int requestLength)
    {
        final int size = FrameHeader.HEADER_SIZE + requestLength;
        final FrameBuffer frame = bus.allocate(size);
        final MutableDirectBuffer out = frame.buffer();
        writeHeader(bus, out, size, Command.PREPARE, primary, op, incarnation);
        out.putBytes(REQUEST_OFFSET, request, requestOffset, requestLength);
        Frames.seal(out, 0);
        return frame;
    }

    /**
     * Stage a prepare on the shard that received the request: a buffer of the prepare's size with
     * the request frame copied into its body and the client connection's id and identity (zero for
     * none) parked in the (reserved, not yet written) header, for the thread that binds sessions
     * and assigns the op ({@link #finish}). The caller checks that the result fits max_message_size.
     */
    public static FrameBuffer stage(final MessageBus bus, final long connectionId, final long identityHi,
        final long identityLo, final DirectBuffer request, final int requestOffset, final int requestLength)
    {
        final int size = FrameHeader.HEADER_SIZE + requestLength;
        final FrameBuffer frame = bus.allocate(size);
        final MutableDirectBuffer out = frame.buffer();
        out.putLong(STAGED_CONNECTION_OFFSET, connectionId, FrameHeader.ORDER);
        out.putLong(STAGED_IDENTITY_OFFSET, identityHi, FrameHeader.ORDER);
        out.putLong(STAGED_IDENTITY_OFFSET + Long.BYTES, identityLo, FrameHeader.ORDER);
        out.putBytes(REQUEST_OFFSET, request, requestOffset, requestLength);
        return frame;
    }

    /** The client connection id parked in a {@link #stage staged} prepare. */
    public static long stagedConnectionId(final FrameBuffer staged)
    {
        return staged.buffer().getLong(STAGED_CONNECTION_OFFSET, FrameHeader.ORDER);
    }

    /** High 64 bits of the connection identity parked in a {@link #stage staged} prepare (0: none). */
    public static long stagedIdentityHi(final FrameBuffer staged)
    {
        return staged.buffer().getLong(STAGED_IDENTITY_OFFSET, FrameHeader.ORDER);
    }

    /** Low 64 bits of the connection identity parked in a {@link #stage staged} prepare (0: none). */
    public static long stagedIdentityLo(final FrameBuffer staged)
    {
        return staged.buffer().getLong(STAGED_IDENTITY_OFFSET + Long.BYTES, FrameHeader.ORDER);
    }

    /**
     * Turn a {@link #stage staged} prepare into the sealed prepare of op {@code op}: writes its
     * header (which clears the parked connection id and identity, never sent) and the checksums.
     */
    public static void finish(final MessageBus bus, final FrameBuffer staged, final int primary, final long op,
        final long incarnation)
    {
        final MutableDirectBuffer out = staged.buffer();
        writeHeader(bus, out, staged.frameLength(), Command.PREPARE, primary, op, incarnation);
        Frames.seal(out, 0);
    }

    /** A sealed prepare_ok from {@code backup} for op {@code op} of incarnation {@code incarnation}. */
    public static FrameBuffer prepareOk(final MessageBus bus, final int backup, final long op, final long incarnation)
    {
        final FrameBuffer frame = bus.allocate(FrameHeader.HEADER_SIZE);
        writeHeader(bus, frame.buffer(), FrameHeader.HEADER_SIZE, Command.PREPARE_OK, backup, op, incarnation);
        Frames.seal(frame.buffer(), 0);
        return frame;
    }

    private static void writeHeader(final MessageBus bus, final MutableDirectBuffer out, final int size,
        final Command command, final int replica, final long op, final long incarnation)
    {
        Frames.header().wrap(out, 0).clear()
            .cluster(bus.config().clusterHi(), bus.config().clusterLo())
            .size(size)
            .view(VIEW)
            .command(command)
            .replica(replica);
        out.putLong(OP_OFFSET, op, FrameHeader.ORDER);
        out.putLong(INCARNATION_OFFSET, incarnation, FrameHeader.ORDER);
    }
}
