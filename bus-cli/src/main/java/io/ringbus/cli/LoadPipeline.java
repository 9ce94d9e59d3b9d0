package io.ringbus.cli;

import io.ringbus.core.dedup.ReplyStatus;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameCodec;
import io.ringbus.core.frame.FrameHeader;
import org.HdrHistogram.ValueRecorder;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import static io.ringbus.core.frame.FrameHeader.HEADER_SIZE;

/**
 * One pipelined load connection over plain TCP (WIRE.md framing, frames back to back), built to
 * be cheaper than any server it measures: single-threaded, non-blocking, allocating nothing per
 * message once running.
 *
 * <p><b>Sending.</b> Up to {@code window} requests are in flight. {@link #writeStep} fills as many
 * requests as the window (and, in an open-loop run, the {@link LoadSchedule}) allows into one
 * direct buffer of ready-made frames, where only the header fields that change are written
 * ({@code request}, {@code timestamp}, {@code operation}) and the header checksum resealed; the
 * body and its checksum were written once. The batch goes out in one {@code write}; a short
 * write is finished before the next batch is filled.
 *
 * <p><b>Receiving.</b> {@link #readStep} reads in large chunks into a direct buffer and checks
 * every reply in place, in WIRE.md's order: size in range, header CRC32C, cluster, command (a
 * {@code reply}, or the request itself for a byte echo, see {@link #LoadPipeline}), status,
 * client, request number (the next one in order), operation, timestamp (the one sent), size, body
 * checksum field and body CRC32C (together: the body came back unchanged). Any mismatch throws a
 * {@link ProtocolException} whose message names what was wrong; the connection is then unusable.
 * Latency is the time from a request's timestamp (when it was filled; in an open-loop run, its
 * intended send time) to the read that returned its reply, recorded into a
 * {@link ValueRecorder} between {@link #record} bounds. One clock reading per batch and per read.
 *
 * <p>Confined to one thread (usually a {@link LoadDriver}'s).
 */
public final class LoadPipeline implements AutoCloseable
{
    /** Ceiling of the send buffer of ready-made frames (at least one frame is always held). */
    public static final int MAX_BATCH_BYTES = 2 * 1024 * 1024;
    /** Room the receive buffer keeps for each read, beside a partial frame. */
    public static final int READ_CHUNK = 128 * 1024;
    /** Time a connect may take. */
    public static final int CONNECT_TIMEOUT_MS = 5_000;

    private static final int REQUEST_CODE = Command.REQUEST.code();
    private static final int REPLY_CODE = Command.REPLY.code();
    private static final int PING_CODE = Command.PING_CLIENT.code();
    private static final int PONG_CODE = Command.PONG_CLIENT.code();
    private static final ByteOrder ORDER = FrameHeader.ORDER;

    private final SocketChannel channel;
    private final NanoClock clock;
    private final FrameCodec codec = new FrameCodec();
    private final int frameSize;
    private final int window;
    private final boolean byteEcho;
    private final int replyCommand;
    private final int pongCommand;
    private final long clusterHi;
    private final long clusterLo;
    private final long clientHi;
    private final long clientLo;
    private final int bodyChecksum;

    /** Ready-made request frames; the channel reads position and limit, nothing else does. */
    private final ByteBuffer out;
    /** The same memory, for filling and checksums (its ByteBuffer is a duplicate: scratch for CRC32C). */
    private final UnsafeBuffer outFrames;
    private final int slots;
    private final ByteBuffer ping;
    private final UnsafeBuffer pingFrame;
    /** Received bytes: [parsePosition, in.position()) not yet checked. */
    private final ByteBuffer in;
    private final UnsafeBuffer inFrames;
    private int parsePosition;
    /** Timestamp of each request in flight, by request number & mask. */
    private final long[] timestampsNs;
    private final int mask;

    private long sent;
    private long received;
    private long maxRequests = Long.MAX_VALUE;
    private boolean sending = true;
    private boolean pingWanted;
    private boolean pingFilled;
    private boolean pongReceived;
    private LoadSchedule schedule;
    private long maxSendLagNs;

    private ValueRecorder latencyNs;
    private long recordFromNs;
    private long recordUntilNs;
    private long highestTrackableNs = Long.MAX_VALUE;
    private long recorded;

    /**
     * A pipeline over {@code channel} (connected, switched to non-blocking here).
     *
     * @param bodySize body bytes of every request
     * @param window   most requests in flight
     * @param byteEcho true if the server sends each request back unchanged (a byte echo): the
     *                 request command is then taken as the reply, and the ping itself as the pong
     * @param random   source of the body bytes and of the client id
     */
    public LoadPipeline(final SocketChannel channel, final int bodySize, final int window, final long clusterHi,
        final long clusterLo, final boolean byteEcho, final NanoClock clock, final SplittableRandom random)
        throws IOException
    {
        if (bodySize < 0 || bodySize > Integer.MAX_VALUE - HEADER_SIZE - READ_CHUNK)
        {
            throw new IllegalArgumentException("bodySize = " + bodySize);
        }
        if (window < 1)
        {
            throw new IllegalArgumentException("window = " + window + ": at least 1");
        }
        this.channel = channel;
        this.clock = clock;
        this.frameSize = HEADER_SIZE + bodySize;
        this.window = window;
        this.byteEcho = byteEcho;
        this.replyCommand = byteEcho ? REQUEST_CODE : REPLY_CODE;
        this.pongCommand = byteEcho ? PING_CODE : PONG_CODE;
        this.clusterHi = clusterHi;
        this.clusterLo = clusterLo;
        this.clientHi = random.nextLong();
        this.clientLo = random.nextLong() | 1; // never the all-zero id

        slots = (int)Math.max(1, Math.min(window, MAX_BATCH_BYTES / frameSize));
        out = ByteBuffer.allocateDirect(slots * frameSize);
        outFrames = new UnsafeBuffer(out.duplicate());
        final UnsafeBuffer template = new UnsafeBuffer(new byte[frameSize]);
        for (int i = HEADER_SIZE; i < frameSize; i++)
        {
            template.putByte(i, (byte)random.nextInt());
        }
        new FrameHeader().wrap(template, 0).clear()
            .cluster(clusterHi, clusterLo)
            .size(frameSize)
            .command(Command.REQUEST)
            .replica(FrameHeader.REPLICA_NONE)
            .client(clientHi, clientLo);
        codec.seal(template, 0); // the body never changes: its checksum written here stays valid
        bodyChecksum = template.getInt(FrameHeader.CHECKSUM_BODY_OFFSET, ORDER);
        for (int slot = 0; slot < slots; slot++)
        {
            outFrames.putBytes(slot * frameSize, template, 0, frameSize);
        }
        out.limit(0);

        ping = ByteBuffer.allocateDirect(HEADER_SIZE);
        pingFrame = new UnsafeBuffer(ping.duplicate());
        new FrameHeader().wrap(pingFrame, 0).clear()
            .cluster(clusterHi, clusterLo)
            .size(HEADER_SIZE)
            .command(Command.PING_CLIENT)
            .replica(FrameHeader.REPLICA_NONE)
            .client(clientHi, clientLo);
        ping.limit(0);

        in = ByteBuffer.allocateDirect(frameSize + READ_CHUNK);
        inFrames = new UnsafeBuffer(in.duplicate());
        final int ring = Integer.highestOneBit(Math.max(1, window - 1)) << 1;
        timestampsNs = new long[ring];
        mask = ring - 1;
        channel.configureBlocking(false);
    }

    /**
     * Connect to {@code address} with TCP_NODELAY (within {@link #CONNECT_TIMEOUT_MS}), then hand
     * the channel to a pipeline; the channel is closed if that fails.
     */
    public static LoadPipeline connect(final InetSocketAddress address, final int bodySize, final int window,
        final long clusterHi, final long clusterLo, final boolean byteEcho, final NanoClock clock,
        final SplittableRandom random) throws IOException
    {
        final SocketChannel channel = SocketChannel.open();
        try
        {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.socket().connect(address, CONNECT_TIMEOUT_MS);
            return new LoadPipeline(channel, bodySize, window, clusterHi, clusterLo, byteEcho, clock, random);
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
    }

    /** Record the latency of replies read in {@code [fromNs, untilNs)} into {@code latencyNs}, clamped to {@code highestNs}. */
    public LoadPipeline record(final ValueRecorder latencyNs, final long fromNs, final long untilNs, final long highestNs)
    {
        this.latencyNs = latencyNs;
        this.recordFromNs = fromNs;
        this.recordUntilNs = untilNs;
        this.highestTrackableNs = highestNs;
        return this;
    }

    /** Send on {@code schedule} (open loop) instead of as fast as the window allows; null for closed loop. */
    public LoadPipeline schedule(final LoadSchedule schedule)
    {
        this.schedule = schedule;
        return this;
    }

    /** Send at most {@code count} requests in all. */
    public LoadPipeline maxRequests(final long count)
    {
        this.maxRequests = count;
        return this;
    }

    /**
     * Send no more requests; when {@code withPing}, send a {@code ping_client} after the last one,
     * whose answer (which follows the last reply on the FIFO connection) sets {@link #pongReceived()}.
     */
    public void stopSending(final boolean withPing)
    {
        sending = false;
        pingWanted |= withPing;
    }

    /**
     * Write what is pending, or fill and write the next batch of requests if the window, the
     * request count and the schedule allow.
     *
     * @return bytes written plus frames filled: 0 if nothing moved.
     */
    public int writeStep() throws IOException
    {
        if (out.hasRemaining())
        {
            return channel.write(out);
        }
        if (sending)
        {
            long room = Math.min(window - (sent - received), Math.min(slots, maxRequests - sent));
            if (room > 0)
            {
                final long nowNs = clock.nanoTime();
                if (schedule != null)
                {
                    room = Math.min(room, schedule.dueCount(nowNs) - sent);
                }
                if (room > 0)
                {
                    final int count = (int)room;
                    fill(count, nowNs);
                    return count + channel.write(out);
                }
            }
        }
        if (pingWanted)
        {
            if (!pingFilled)
            {
                pingFilled = true;
                pingFrame.putLong(FrameHeader.TIMESTAMP_OFFSET, clock.nanoTime(), ORDER);
                codec.seal(pingFrame, 0);
                ping.limit(HEADER_SIZE).position(0);
            }
            if (ping.hasRemaining())
            {
                return channel.write(ping);
            }
        }
        return 0;
    }

    private void fill(final int count, final long nowNs)
    {
        final UnsafeBuffer frames = outFrames;
        final LoadSchedule schedule = this.schedule;
        long request = sent;
        for (int slot = 0, offset = 0; slot < count; slot++, offset += frameSize)
        {
            request++;
            final long timestampNs;
            if (schedule == null)
            {
                timestampNs = nowNs;
            }
            else
            {
                timestampNs = schedule.intendedNs(request - 1);
                final long lagNs = nowNs - timestampNs;
                if (lagNs > maxSendLagNs)
                {
                    maxSendLagNs = lagNs;
                }
            }
            timestampsNs[(int)request & mask] = timestampNs;
            frames.putLong(offset + FrameHeader.REQUEST_OFFSET, request, ORDER);
            frames.putLong(offset + FrameHeader.TIMESTAMP_OFFSET, timestampNs, ORDER);
            frames.putByte(offset + FrameHeader.OPERATION_OFFSET, (byte)operationOf(request));
            frames.putInt(offset + FrameHeader.CHECKSUM_OFFSET, codec.computeHeaderChecksum(frames, offset), ORDER);
        }
        sent = request;
        out.limit(count * frameSize).position(0);
    }

    /**
     * Read what the socket holds (up to the free room of the receive buffer) and check every whole
     * frame in it.
     *
     * @return bytes read: 0 if nothing was there.
     * @throws ProtocolException if a frame is not the expected reply (the message says why)
     * @throws EOFException      if the server closed the connection
     */
    public int readStep() throws IOException
    {
        final int read = channel.read(in);
        if (read <= 0)
        {
            if (read < 0)
            {
                throw new EOFException("the server closed the connection after " + received + " replies, with " +
                    (sent - received) + " requests in flight");
            }
            return 0;
        }
        parse(clock.nanoTime());
        return read;
    }

    private void parse(final long nowNs) throws ProtocolException
    {
        final UnsafeBuffer frames = inFrames;
        final int end = in.position();
        int position = parsePosition;
        while (end - position >= HEADER_SIZE)
        {
            final int size = frames.getInt(position + FrameHeader.SIZE_OFFSET, ORDER);
            if (size < HEADER_SIZE || size > frameSize)
            {
                throw fail("reply size = " + Integer.toUnsignedString(size) + ": outside " + HEADER_SIZE + ".." +
                    frameSize);
            }
            if (end - position < size)
            {
                break;
            }
            check(frames, position, size, nowNs);
            position += size;
        }
        if (position == end)
        {
            in.clear();
            parsePosition = 0;
        }
        else if (in.capacity() - position < frameSize || in.remaining() < READ_CHUNK / 2)
        {
            // Keep the partial frame, at the front: room for it whole and for a large read.
            in.limit(end).position(position);
            in.compact();
            parsePosition = 0;
        }
        else
        {
            parsePosition = position;
        }
    }

    private void check(final UnsafeBuffer frames, final int offset, final int size, final long nowNs)
        throws ProtocolException
    {
        if (!codec.isHeaderValid(frames, offset))
        {
            throw fail("reply header checksum mismatch");
        }
        if (FrameHeader.clusterHi(frames, offset) != clusterHi || FrameHeader.clusterLo(frames, offset) != clusterLo)
        {
            throw fail("reply from another cluster (" + Long.toHexString(FrameHeader.clusterHi(frames, offset)) + ":" +
                Long.toHexString(FrameHeader.clusterLo(frames, offset)) + ")");
        }
        if (FrameHeader.clientHi(frames, offset) != clientHi || FrameHeader.clientLo(frames, offset) != clientLo)
        {
            throw fail("reply for another client (" + Long.toHexString(FrameHeader.clientHi(frames, offset)) + ":" +
                Long.toHexString(FrameHeader.clientLo(frames, offset)) + ")");
        }
        final int command = FrameHeader.command(frames, offset);
        if (command == pongCommand)
        {
            checkPong(size);
            return;
        }
        if (command != replyCommand)
        {
            throw fail("expected " + (byteEcho ? "the request echoed (command " : "a reply (command ") + replyCommand +
                "), got command " + command);
        }
        final int status = ReplyStatus.of(frames, offset);
        if (status != ReplyStatus.OK)
        {
            final byte[] reason = new byte[size - HEADER_SIZE];
            frames.getBytes(offset + HEADER_SIZE, reason);
            throw fail("reply refused with status " + status + ": " + new String(reason, StandardCharsets.UTF_8));
        }
        final long request = FrameHeader.request(frames, offset);
        final long expected = received + 1;
        if (request != expected)
        {
            throw fail("reply to request " + request + ", expected " + expected);
        }
        if (expected > sent)
        {
            throw fail("reply to request " + request + ", which was never sent");
        }
        final int operation = FrameHeader.operation(frames, offset);
        if (operation != operationOf(request))
        {
            throw fail("reply operation " + operation + ", expected " + operationOf(request));
        }
        final long timestampNs = timestampsNs[(int)request & mask];
        if (FrameHeader.timestamp(frames, offset) != timestampNs)
        {
            throw fail("reply timestamp " + FrameHeader.timestamp(frames, offset) + ", expected " + timestampNs);
        }
        if (size != frameSize)
        {
            throw fail("reply size " + size + " != request size " + frameSize);
        }
        if (frames.getInt(offset + FrameHeader.CHECKSUM_BODY_OFFSET, ORDER) != bodyChecksum)
        {
            throw fail("reply body differs from the request body");
        }
        if (!codec.isBodyValid(frames, offset, size))
        {
            throw fail("reply body checksum mismatch");
        }
        received = expected;
        if (nowNs - recordFromNs >= 0 && nowNs - recordUntilNs < 0 && latencyNs != null)
        {
            latencyNs.recordValue(Math.min(highestTrackableNs, Math.max(0, nowNs - timestampNs)));
            recorded++;
        }
    }

    private void checkPong(final int size) throws ProtocolException
    {
        if (!pingFilled || ping.hasRemaining())
        {
            throw fail("a " + (byteEcho ? "ping_client echoed" : "pong_client") + " but no ping was sent");
        }
        if (received != sent)
        {
            throw fail("the answer to the ping came before the replies to requests " + (received + 1) + ".." + sent);
        }
        if (size != HEADER_SIZE)
        {
            throw fail("a " + size + "-byte answer to the ping: a header-only frame expected");
        }
        if (pongReceived)
        {
            throw fail("a second answer to one ping");
        }
        pongReceived = true;
    }

    private ProtocolException fail(final String reason)
    {
        return new ProtocolException(reason + " (after " + received + " good replies)");
    }

    /** The {@code operation} sent with request number {@code request}: it varies, so an echo must copy it. */
    public static int operationOf(final long request)
    {
        return (int)request & 0xFF;
    }

    /** True while a short write left bytes to send: wait until the socket can take more. */
    public boolean wantsWrite()
    {
        return out.hasRemaining() || (pingFilled && ping.hasRemaining());
    }

    /**
     * When, on the clock given, the next request is due in an open-loop run with room in the
     * window; {@link Long#MAX_VALUE} if none will be sent before a reply or ever (closed loop:
     * the window decides).
     */
    public long nextDueNs()
    {
        if (schedule == null || !sending || sent >= maxRequests || sent - received >= window)
        {
            return Long.MAX_VALUE;
        }
        return schedule.intendedNs(sent);
    }

    /** Requests sent (filled into the send buffer; written, or being written). */
    public long sent()
    {
        return sent;
    }

    /** Replies received and checked. */
    public long received()
    {
        return received;
    }

    /** Requests without a reply yet. */
    public long inFlight()
    {
        return sent - received;
    }

    /** Replies whose latency was recorded (read inside the {@link #record} bounds). */
    public long recorded()
    {
        return recorded;
    }

    /** True once the answer to the closing ping arrived, after every reply. */
    public boolean pongReceived()
    {
        return pongReceived;
    }

    /** True until {@link #stopSending}, or until {@link #maxRequests} are sent. */
    public boolean isSending()
    {
        return sending && sent < maxRequests;
    }

    /** Open loop: the longest a request was sent after its intended time, in ns (0 for closed loop). */
    public long maxSendLagNs()
    {
        return maxSendLagNs;
    }

    /** Bytes of each request frame. */
    public int frameSize()
    {
        return frameSize;
    }

    /** The channel, for a selector to watch. */
    public SocketChannel channel()
    {
        return channel;
    }

    long clientHi()
    {
        return clientHi;
    }

    long clientLo()
    {
        return clientLo;
    }

    @Override
    public void close() throws IOException
    {
        channel.close();
    }
}
