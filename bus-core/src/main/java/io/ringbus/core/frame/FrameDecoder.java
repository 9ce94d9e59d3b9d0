package io.ringbus.core.frame;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

import static io.ringbus.core.frame.FrameHeader.HEADER_SIZE;

/**
 * Reassembles frames from a byte stream delivered in arbitrary chunks, verifies them as WIRE.md
 * prescribes and hands each whole frame to a {@link FrameHandler} as a view, without copying it
 * when it lies whole in the receive buffer.
 *
 * <p>Bytes arrive either straight into {@link #receiveSpace()} (a socket read, completion style,
 * followed by {@link #onReceived(int)}) or through {@link #feed} from a carrier layer (TLS,
 * WebSocket, a QUIC stream). Checks, in WIRE.md's order: as soon as 256 header bytes are present,
 * {@code size} in [256, maxMessageSize] (before any larger buffer is taken), the header checksum,
 * the command, the cluster; once the body is whole, the body checksum.
 *
 * <p>Buffers: the decoder owns no memory of its own. The receive buffer is taken from the
 * {@link FramePool} when a read is armed ({@link #receiveSpace()}) or when a carrier's bytes end
 * in a partial frame, and goes back as soon as every byte in it has been delivered, so a connection
 * between messages holds no buffer, or (with a read armed, which a completion-shaped backend must
 * give a buffer) only the smallest one. Its size follows the reads ({@link ReceiveSizer}): the
 * smallest pool class at first, up to {@code receiveBufferSize} while reads keep filling it. A
 * frame larger than that is assembled in a buffer of its own size class, read only up to the end
 * of the frame and returned once the frame has been handled.
 *
 * <p>After a {@link FrameDecodeException} the decoder is unusable: close the connection and call
 * {@link #close()}. Not thread-safe: owned by the connection's thread.
 */
public final class FrameDecoder
{
    private final int maxMessageSize;
    private final long clusterHi;
    private final long clusterLo;
    private final FramePool pool;
    private final FrameHandler handler;
    private final FrameCodec codec = new FrameCodec();
    private final UnsafeBuffer arrayView = new UnsafeBuffer(new byte[0]);
    private final int receiveBufferSize;
    private final ReceiveSizer sizer;

    private FrameBuffer held; // the receive buffer, from the pool; null while nothing is buffered or armed
    private ByteBuffer heldByteBuffer;
    private UnsafeBuffer active;
    private boolean largeFrame; // held was taken for one frame larger than receiveBufferSize
    private int readIndex;
    private int writeIndex;
    private int frameSize; // of the frame at readIndex once its header is verified; 0 before
    private int offered; // room the last receiveSpace offered, for the sizer
    private boolean failed;

    /**
     * @param receiveBufferSize largest receive buffer (at least the header size); frames up to this
     *                          size are read in shared chunks, larger ones in a buffer of their own.
     * @param maxMessageSize    largest frame accepted, header included; at most the pool's largest buffer.
     * @param clusterHi         high 64 bits of this receiver's cluster id.
     * @param clusterLo         low 64 bits of this receiver's cluster id.
     * @param pool              where every receive buffer comes from.
     * @param handler           called with each whole, verified frame.
     */
    public FrameDecoder(
        final int receiveBufferSize,
        final int maxMessageSize,
        final long clusterHi,
        final long clusterLo,
        final FramePool pool,
        final FrameHandler handler)
    {
        if (receiveBufferSize < HEADER_SIZE)
        {
            throw new IllegalArgumentException("receiveBufferSize = " + receiveBufferSize + ": below " + HEADER_SIZE);
        }
        if (maxMessageSize < HEADER_SIZE)
        {
            throw new IllegalArgumentException("maxMessageSize = " + maxMessageSize + ": below " + HEADER_SIZE);
        }
        if (maxMessageSize > pool.maxBufferSize())
        {
            throw new IllegalArgumentException(
                "maxMessageSize = " + maxMessageSize + ": above the pool's largest buffer " + pool.maxBufferSize());
        }
        this.maxMessageSize = maxMessageSize;
        this.clusterHi = clusterHi;
        this.clusterLo = clusterLo;
        this.pool = pool;
        this.handler = handler;
        this.receiveBufferSize = Math.max(HEADER_SIZE, Math.min(receiveBufferSize, pool.maxBufferSize()));
        this.sizer = new ReceiveSizer(FramePool.MIN_CLASS_SIZE, this.receiveBufferSize);
    }

    /**
     * The free space to read into: a ByteBuffer whose position is where the next byte goes and
     * whose limit is as far as this decoder wants bytes now. Takes a receive buffer from the pool
     * if none is held. Read into it, then call {@link #onReceived(int)} with the count. Valid until
     * the next call on this decoder; {@link #close()} returns it to the pool.
     */
    public ByteBuffer receiveSpace()
    {
        if (failed)
        {
            throw new IllegalStateException("decoder used after a decode error or close");
        }
        if (held == null)
        {
            take(sizer.size(), false);
        }
        else if (!largeFrame && held.buffer().capacity() < sizer.size())
        {
            moveTo(sizer.size(), false); // reads keep filling it: read more at once
        }
        final int limit = limit();
        offered = limit - writeIndex;
        heldByteBuffer.limit(limit).position(writeIndex);
        return heldByteBuffer;
    }

    /** {@code bytes} were written into {@link #receiveSpace()}: decode and deliver what is whole. */
    public void onReceived(final int bytes) throws FrameDecodeException
    {
        final int limit = held != null ? limit() : 0;
        if (bytes < 0 || bytes > limit - writeIndex)
        {
            throw new IllegalArgumentException("bytes = " + bytes + ": outside 0.." + (limit - writeIndex));
        }
        if (!largeFrame)
        {
            sizer.record(bytes, offered);
        }
        writeIndex += bytes;
        decode();
    }

    /**
     * Hand {@code length} bytes of the stream from {@code src} to the decoder, delivering every whole
     * frame. When nothing is buffered, frames that lie whole in {@code src} are verified and
     * delivered as views of {@code src} itself, without a copy (a carrier's decrypted record, a
     * WebSocket message); only a trailing partial frame is copied in, into a pooled buffer held
     * until that frame is complete.
     */
    public void feed(final DirectBuffer src, final int offset, final int length) throws FrameDecodeException
    {
        int position = offset;
        final int end = offset + length;
        if (failed)
        {
            throw new IllegalStateException("decoder used after a decode error or close");
        }
        if (frameSize == 0 && readIndex == writeIndex)
        {
            while (end - position >= HEADER_SIZE)
            {
                final int size = verifyHeader(src, position);
                if (end - position < size)
                {
                    break;
                }
                verifyBody(src, position, size);
                handler.onFrame(src, position, size);
                if (failed)
                {
                    return; // closed from the handler
                }
                position += size;
            }
        }
        while (position < end)
        {
            if (held == null)
            {
                // A trailing partial frame: a buffer for it (decode() grows it once the size is known).
                take(Math.min(end - position, receiveBufferSize), false);
            }
            final int chunk = Math.min(end - position, limit() - writeIndex);
            active.putBytes(writeIndex, src, position, chunk);
            writeIndex += chunk;
            position += chunk;
            decode();
            if (failed)
            {
                return; // closed from the handler
            }
        }
    }

    /** Same as {@link #feed(DirectBuffer, int, int)} for a heap array. */
    public void feed(final byte[] src, final int offset, final int length) throws FrameDecodeException
    {
        arrayView.wrap(src);
        feed(arrayView, offset, length);
    }

    /** True if part of a frame is buffered: a peer that closes now vanished mid-frame. */
    public boolean isMidFrame()
    {
        return writeIndex > readIndex;
    }

    /** Bytes of an incomplete frame buffered now. */
    public int bufferedBytes()
    {
        return writeIndex - readIndex;
    }

    /** Capacity of the pooled receive buffer held now; 0 when none is held (drained, not armed). */
    public int heldCapacity()
    {
        return held != null ? held.buffer().capacity() : 0;
    }

    /**
     * Return any pooled buffer. Call once when the connection closes, and only once no read armed
     * with {@link #receiveSpace()} can still write into it (a completion-shaped backend lends it
     * to the kernel until the read completes).
     */
    public void close()
    {
        release();
        frameSize = 0;
        failed = true;
    }

    private int limit()
    {
        // A large frame's buffer is read only to the frame's end, so it goes back whole once the frame is handled.
        return largeFrame ? frameSize : Math.min(held.buffer().capacity(), receiveBufferSize);
    }

    private void take(final int capacity, final boolean large)
    {
        held = pool.acquire(capacity);
        heldByteBuffer = held.byteBuffer();
        active = held.buffer();
        largeFrame = large;
        readIndex = 0;
        writeIndex = 0;
    }

    private void release()
    {
        if (held != null)
        {
            final FrameBuffer buffer = held;
            held = null;
            heldByteBuffer = null;
            active = null;
            largeFrame = false;
            buffer.release();
        }
        readIndex = 0;
        writeIndex = 0;
    }

    private void decode() throws FrameDecodeException
    {
        if (failed)
        {
            throw new IllegalStateException("decoder used after a decode error or close");
        }
        while (true)
        {
            final int available = writeIndex - readIndex;
            if (frameSize == 0)
            {
                if (available < HEADER_SIZE)
                {
                    makeRoom(HEADER_SIZE);
                    return;
                }
                frameSize = verifyHeader(active, readIndex);
            }
            if (available < frameSize)
            {
                makeRoom(frameSize);
                return;
            }

            verifyBody(active, readIndex, frameSize);

            final int frameOffset = readIndex;
            final int length = frameSize;
            readIndex += length;
            frameSize = 0;
            handler.onFrame(active, frameOffset, length);
            if (failed)
            {
                return; // closed from the handler: the buffer is back in the pool already
            }
            if (readIndex == writeIndex)
            {
                release(); // drained: an idle connection holds no buffer
                return;
            }
        }
    }

    /** Ensure the frame at readIndex, once {@code needed} bytes long, fits the buffer; drained: release it. */
    private void makeRoom(final int needed)
    {
        final int available = writeIndex - readIndex;
        if (available == 0)
        {
            release();
            return;
        }
        if (largeFrame || readIndex + needed <= Math.min(held.buffer().capacity(), receiveBufferSize))
        {
            return;
        }
        if (needed <= Math.min(held.buffer().capacity(), receiveBufferSize))
        {
            active.putBytes(0, active, readIndex, available);
            readIndex = 0;
            writeIndex = available;
            return;
        }
        // The size was checked against maxMessageSize already, so the pool can serve it.
        final boolean large = needed > receiveBufferSize;
        moveTo(large ? needed : Math.max(needed, sizer.size()), large);
    }

    /** Continue in a buffer of at least {@code capacity} bytes: the buffered bytes move there. */
    private void moveTo(final int capacity, final boolean large)
    {
        final FrameBuffer previous = held;
        final int from = readIndex;
        final int available = writeIndex - readIndex;
        take(capacity, large);
        active.putBytes(0, previous.buffer(), from, available);
        writeIndex = available;
        previous.release();
    }

    private void verifyBody(final DirectBuffer buffer, final int offset, final int size) throws FrameDecodeException
    {
        if (!codec.isBodyValid(buffer, offset, size))
        {
            throw fail(FrameError.BODY_CHECKSUM, "checksum_body = 0x" +
                Integer.toHexString(buffer.getInt(offset + FrameHeader.CHECKSUM_BODY_OFFSET, FrameHeader.ORDER)) +
                ": does not match the body (expected 0x" +
                Integer.toHexString(codec.computeBodyChecksum(buffer, offset, size)) + ")");
        }
    }

    private int verifyHeader(final DirectBuffer buffer, final int offset) throws FrameDecodeException
    {
        final int size = FrameHeader.size(buffer, offset);
        if (size < HEADER_SIZE && size >= 0)
        {
            throw fail(FrameError.SIZE_TOO_SMALL, "size = " + size + ": below the header size " + HEADER_SIZE);
        }
        if (size < 0 || size > maxMessageSize)
        {
            throw fail(FrameError.SIZE_TOO_LARGE,
                "size = " + Integer.toUnsignedString(size) + ": above max_message_size " + maxMessageSize);
        }
        if (!codec.isHeaderValid(buffer, offset))
        {
            throw fail(FrameError.HEADER_CHECKSUM,
                "checksum = 0x" + Integer.toHexString(buffer.getInt(offset + FrameHeader.CHECKSUM_OFFSET, FrameHeader.ORDER)) +
                ": does not match the header (expected 0x" + Integer.toHexString(codec.computeHeaderChecksum(buffer, offset)) + ")");
        }
        final int command = FrameHeader.command(buffer, offset);
        if (!Command.isValid(command))
        {
            throw fail(FrameError.INVALID_COMMAND, "command = " + command + ": not a command of WIRE.md (1.." +
                Command.MAX_CODE + ")");
        }
        final long hi = FrameHeader.clusterHi(buffer, offset);
        final long lo = FrameHeader.clusterLo(buffer, offset);
        if (hi != clusterHi || lo != clusterLo)
        {
            throw fail(FrameError.FOREIGN_CLUSTER, "cluster = " + u128(hi, lo) + ": this cluster is " +
                u128(clusterHi, clusterLo));
        }
        return size;
    }

    private FrameDecodeException fail(final FrameError error, final String message)
    {
        failed = true;
        return new FrameDecodeException(error, message);
    }

    /** Hex form of a u128, for messages. */
    public static String u128(final long hi, final long lo)
    {
        return hi == 0 ? "0x" + Long.toHexString(lo) : "0x" + Long.toHexString(hi) + String.format("%016x", lo);
    }
}
