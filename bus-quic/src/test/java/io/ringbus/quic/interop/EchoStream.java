package io.ringbus.quic.interop;

import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameDecodeException;
import io.ringbus.core.frame.FrameDecoder;
import io.ringbus.core.frame.FrameHandler;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.frame.Frames;
import org.agrona.DirectBuffer;

/**
 * The Ringbus echo behind both server peers, for one stream: reassembles and verifies frames with
 * bus-core's {@link FrameDecoder} and answers them exactly as a bus running bus-core's test
 * {@code EchoHandler} does: a {@code request} gets {@link Frames#reply} with the request's body and
 * replica 255, a {@code ping_client} gets the {@code pong_client} MessageBus builds, anything else
 * (or a decode error) is a protocol error.
 *
 * <p>States: OPEN until a protocol error or {@link #close()}, then CLOSED (bytes are ignored). Not
 * thread-safe: owned by the thread that reads the stream.
 */
final class EchoStream implements FrameHandler
{
    /** Where answers and errors go; called on the owning thread. */
    interface Output
    {
        /** Send the {@code length} bytes at {@code offset}; valid only during the call. */
        void write(DirectBuffer buffer, int offset, int length);

        /** Close the connection with application error 0x1 and {@code reason}. */
        void protocolError(String reason);
    }

    private enum State
    {
        OPEN, CLOSED
    }

    private final FramePool pool;
    private final EchoStats stats;
    private final Output output;
    private final FrameDecoder decoder;
    private State state = State.OPEN;

    EchoStream(final PeerOptions options, final FramePool pool, final EchoStats stats, final Output output)
    {
        this.pool = pool;
        this.stats = stats;
        this.output = output;
        this.decoder = new FrameDecoder(64 * 1024, options.maxMessageSize(), options.clusterHi(), options.clusterLo(),
            pool, this);
    }

    /** Stream bytes arrived. */
    void onBytes(final byte[] bytes, final int offset, final int length)
    {
        if (state != State.OPEN)
        {
            return;
        }
        stats.bytesReceived.addAndGet(length);
        try
        {
            decoder.feed(bytes, offset, length);
        }
        catch (final FrameDecodeException ex)
        {
            fail(ex.error() + ": " + ex.getMessage());
        }
    }

    /** True if the stream ended with part of a frame buffered. */
    boolean isMidFrame()
    {
        return state == State.OPEN && decoder.isMidFrame();
    }

    /** Return the decoder's pooled buffers; further bytes are ignored. */
    void close()
    {
        if (state != State.CLOSED)
        {
            state = State.CLOSED;
            decoder.close();
        }
    }

    @Override
    public void onFrame(final DirectBuffer buffer, final int offset, final int length)
    {
        if (state != State.OPEN)
        {
            return;
        }
        stats.framesReceived.incrementAndGet();
        final int command = FrameHeader.command(buffer, offset);
        final FrameBuffer answer;
        if (command == Command.REQUEST.code())
        {
            // As bus-core's test EchoHandler: Frames.reply with the request's body, replica none.
            answer = Frames.reply(pool, buffer, offset, buffer, offset + FrameHeader.HEADER_SIZE,
                length - FrameHeader.HEADER_SIZE, FrameHeader.REPLICA_NONE);
        }
        else if (command == Command.PING_CLIENT.code())
        {
            // As MessageBus's client plane: a header-only reply, its command turned into pong_client.
            answer = Frames.reply(pool, buffer, offset, buffer, offset, 0, FrameHeader.REPLICA_NONE);
            Frames.header().wrap(answer.buffer(), 0).command(Command.PONG_CLIENT);
            Frames.seal(answer.buffer(), 0);
        }
        else
        {
            fail("command = " + Command.of(command).name().toLowerCase() + " (" + command +
                "): a client may send only request and ping_client");
            return;
        }
        try
        {
            output.write(answer.buffer(), 0, answer.frameLength());
            stats.repliesSent.incrementAndGet();
            stats.bytesSent.addAndGet(answer.frameLength());
        }
        finally
        {
            answer.release();
        }
    }

    private void fail(final String reason)
    {
        stats.error(reason);
        close();
        output.protocolError(reason);
    }
}
