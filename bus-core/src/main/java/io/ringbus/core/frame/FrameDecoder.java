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
 * the command, the cluster; once the body is whole, the body checksum. A frame larger than the
 * receive buffer is assembled in a buffer of the right size class from the {@link FramePool},
 * returned as soon as the frame has been handled.
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

    private final ByteBuffer receiveByteBuffer;
    private final UnsafeBuffer receiveBuffer;

    private FrameBuffer large;
    private ByteBuffer activeByteBuffer;
    private UnsafeBuffer active;
    private int readIndex;
    private int writeIndex;
    private int frameSize; // of the frame at readIndex once its header is verified; 0 before
    private boolean failed;

    /**
     * @param receiveBufferSize bytes of the per-connection receive buffer (at least the header size).
     * @param maxMessageSize    largest frame accepted, header included.
     * @param clusterHi         high 64 bits of this receiver's cluster id.
     * @param clusterLo         low 64 bits of this receiver's cluster id.
     * @param pool              where frames larger than the receive buffer are assembled.
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
        if (maxMessageSize > receiveBufferSize && maxMessageSize > pool.maxBufferSize())
        {
            throw new IllegalArgumentException(
                "maxMessageSize = " + maxMessageSize + ": above the pool's largest buffer " + pool.maxBufferSize());
        }
        this.maxMessageSize = maxMessageSize;
        this.clusterHi = clusterHi;
        this.clusterLo = clusterLo;
        this.pool = pool;
        this.handler = handler;
        this.receiveByteBuffer = ByteBuffer.allocateDirect(receiveBufferSize);
        this.receiveBuffer = new UnsafeBuffer(receiveByteBuffer);
        this.activeByteBuffer = receiveByteBuffer;
        this.active = receiveBuffer;
    }

    /**
     * The free space to read into: a ByteBuffer whose position is where the next byte goes and
     * whose limit is as far as this decoder wants bytes now. Read into it, then call
     * {@link #onReceived(int)} with the count. Valid until the next call on this decoder.
     */
    public ByteBuffer receiveSpace()
    {
        final int limit = large != null ? frameSize : activeByteBuffer.capacity();
        activeByteBuffer.limit(limit).position(writeIndex);
        return activeByteBuffer;
    }

    /** {@code bytes} were written into {@link #receiveSpace()}: decode and deliver what is whole. */
    public void onReceived(final int bytes) throws FrameDecodeException
    {
        final int limit = large != null ? frameSize : active.capacity();
        if (bytes < 0 || bytes > limit - writeIndex)
        {
            throw new IllegalArgumentException("bytes = " + bytes + ": outside 0.." + (limit - writeIndex));
        }
        writeIndex += bytes;
        decode();
    }

    /**
     * Hand {@code length} bytes of the stream from {@code src} to the decoder, delivering every whole
     * frame. When nothing is buffered, frames that lie whole in {@code src} are verified and
     * delivered as views of {@code src} itself, without a copy (a carrier's decrypted record, a
     * WebSocket message); only a trailing partial frame is copied in.
     */
    public void feed(final DirectBuffer src, final int offset, final int length) throws FrameDecodeException
    {
        int position = offset;
        final int end = offset + length;
        if (failed)
        {
            throw new IllegalStateException("decoder used after a decode error or close");
        }
        if (frameSize == 0 && readIndex == writeIndex && large == null)
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
                position += size;
            }
        }
        while (position < end)
        {
            final int limit = large != null ? frameSize : active.capacity();
            final int chunk = Math.min(end - position, limit - writeIndex);
            active.putBytes(writeIndex, src, position, chunk);
            writeIndex += chunk;
            position += chunk;
            decode();
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

    /** Return any pooled buffer. Call once when the connection closes. */
    public void close()
    {
        if (large != null)
        {
            large.release();
            large = null;
        }
        active = receiveBuffer;
        activeByteBuffer = receiveByteBuffer;
        readIndex = 0;
        writeIndex = 0;
        frameSize = 0;
        failed = true;
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
            if (large != null)
            {
                try
                {
                    handler.onFrame(active, frameOffset, length);
                }
                finally
                {
                    large.release();
                    large = null;
                    active = receiveBuffer;
                    activeByteBuffer = receiveByteBuffer;
                    readIndex = 0;
                    writeIndex = 0;
                }
                return;
            }
            handler.onFrame(active, frameOffset, length);
            if (readIndex == writeIndex)
            {
                readIndex = 0;
                writeIndex = 0;
                return;
            }
        }
    }

    /** Ensure the frame at readIndex, once {@code needed} bytes long, fits the active buffer. */
    private void makeRoom(final int needed)
    {
        if (large != null || readIndex + needed <= active.capacity())
        {
            return;
        }
        final int available = writeIndex - readIndex;
        if (needed <= receiveBuffer.capacity())
        {
            receiveBuffer.putBytes(0, receiveBuffer, readIndex, available);
        }
        else
        {
            // The size was checked against maxMessageSize already, so the pool can serve it.
            large = pool.acquire(needed);
            large.buffer().putBytes(0, receiveBuffer, readIndex, available);
            active = large.buffer();
            activeByteBuffer = large.byteBuffer();
        }
        readIndex = 0;
        writeIndex = available;
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
