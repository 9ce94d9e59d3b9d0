package io.ringbus.ws;

import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.transport.RawPeer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;

/**
 * The shared suite's byte-level peer over WebSocket. Each chunk the suite writes goes out as one
 * masked binary frame; a chunk that ends before the bus frame its {@code size} field announces
 * is sent as a non-final fragment and the next chunk continues that message (so a peer that
 * vanishes mid-frame vanishes mid-message, as on tcp). Server messages are decoded back into the
 * frame stream; the server's close frame is answered with a close frame, as RFC 6455 5.5.1 asks.
 */
final class WsRawPeer implements RawPeer
{
    private static final int SIZE_END = FrameHeader.SIZE_OFFSET + Integer.BYTES;

    private final WsTestPeer peer;
    private long messageDeclared = -1;
    private long messageSent;
    private boolean closeAnswered;

    WsRawPeer(final Socket socket) throws IOException
    {
        this.peer = WsTestPeer.upgrade(socket);
    }

    @Override
    public void write(final byte[] bytes) throws IOException
    {
        if (messageDeclared >= 0)
        {
            messageSent += bytes.length;
            final boolean fin = messageSent >= messageDeclared;
            peer.send(fin, WebSocketCodec.OPCODE_CONTINUATION, bytes);
            if (fin)
            {
                messageDeclared = -1;
            }
            return;
        }
        final long declared = bytes.length >= SIZE_END ?
            Integer.toUnsignedLong(FrameHeader.size(new UnsafeBuffer(bytes), 0)) : bytes.length;
        final boolean fin = declared <= bytes.length;
        peer.send(fin, WebSocketCodec.OPCODE_BINARY, bytes);
        if (!fin)
        {
            messageDeclared = declared;
            messageSent = bytes.length;
        }
    }

    @Override
    public byte[] readUntilClosed(final Duration timeout) throws IOException
    {
        final ByteArrayOutputStream stream = new ByteArrayOutputStream();
        try
        {
            while (readOne(stream, timeout))
            {
                // until end of stream
            }
        }
        finally
        {
            peer.close();
        }
        return stream.toByteArray();
    }

    @Override
    public byte[] readFully(final int length, final Duration timeout) throws IOException
    {
        final ByteArrayOutputStream stream = new ByteArrayOutputStream();
        while (stream.size() < length)
        {
            if (!readOne(stream, timeout))
            {
                throw new EOFException("closed after " + stream.size() + " of " + length + " bytes");
            }
        }
        return stream.toByteArray();
    }

    /** One frame: binary payload joins the stream, a close is answered; false at end of stream. */
    private boolean readOne(final ByteArrayOutputStream stream, final Duration timeout) throws IOException
    {
        final WsTestPeer.Frame frame = peer.read(timeout);
        if (frame == null)
        {
            return false;
        }
        if (frame.opcode == WebSocketCodec.OPCODE_BINARY || frame.opcode == WebSocketCodec.OPCODE_CONTINUATION)
        {
            stream.write(frame.payload);
        }
        else if (frame.opcode == WebSocketCodec.OPCODE_CLOSE && !closeAnswered)
        {
            closeAnswered = true;
            try
            {
                peer.send(true, WebSocketCodec.OPCODE_CLOSE, frame.payload.length >= 2 ?
                    new byte[] {frame.payload[0], frame.payload[1]} : new byte[0]);
            }
            catch (final IOException ex)
            {
                // The server may already be gone after a failing close; reading tells.
            }
        }
        return true;
    }

    @Override
    public void close() throws IOException
    {
        peer.close();
    }
}
