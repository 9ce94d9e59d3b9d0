package io.ringbus.ws;

import io.ringbus.core.config.WebSocketConfig;
import io.ringbus.core.frame.FrameDecodeException;
import io.ringbus.core.frame.FrameError;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.frame.LeasedBuffer;
import io.ringbus.core.frame.ReceiveSizer;
import io.ringbus.core.stat.ProtocolErrorKind;
import io.ringbus.core.transport.Carrier;
import io.ringbus.core.transport.CarrierException;
import io.ringbus.core.transport.CloseReason;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;

import static io.ringbus.ws.WebSocketCodec.CLOSE_INVALID_PAYLOAD;
import static io.ringbus.ws.WebSocketCodec.CLOSE_MESSAGE_TOO_BIG;
import static io.ringbus.ws.WebSocketCodec.CLOSE_POLICY_VIOLATION;
import static io.ringbus.ws.WebSocketCodec.CLOSE_PROTOCOL_ERROR;
import static io.ringbus.ws.WebSocketCodec.CLOSE_UNSUPPORTED_DATA;
import static io.ringbus.ws.WebSocketCodec.MAX_CONTROL_PAYLOAD;
import static io.ringbus.ws.WebSocketCodec.MAX_HEADER_LENGTH;
import static io.ringbus.ws.WebSocketCodec.OPCODE_BINARY;
import static io.ringbus.ws.WebSocketCodec.OPCODE_CLOSE;
import static io.ringbus.ws.WebSocketCodec.OPCODE_CONTINUATION;
import static io.ringbus.ws.WebSocketCodec.OPCODE_PING;
import static io.ringbus.ws.WebSocketCodec.OPCODE_PONG;
import static io.ringbus.ws.WebSocketCodec.OPCODE_TEXT;

/**
 * RFC 6455 WebSocket as a {@link Carrier}, server or client role: the framing of section 5, with
 * WIRE.md's rules on top (each ringbus frame travels as exactly one binary message whose length
 * equals the frame's {@code size} field), after the HTTP/1.1 opening handshake of section 4 (a
 * {@link WsUpgrade}: {@link ServerUpgrade} or {@link ClientUpgrade}) and up to the close handshake
 * of sections 5.5.1 and 7 (its states in {@link CloseHandshake}). This class owns the buffers and
 * the bytes; those two decide what the bytes say.
 *
 * <p>Inbound, payload bytes are unmasked in place in the receive buffer and streamed straight to
 * the sink's frame decoder as they arrive, so a message is never buffered here; the message limit
 * (1009) is decided from the frame headers, and the {@code size} field (read through
 * {@link FrameHeader#size}) is compared with the message length before the bytes holding it are
 * passed on (1008). Outbound, each frame becomes one binary message: a 2-14 byte header and the
 * frame bytes, copied into the output buffer (masked on the client side, since a shared frame
 * buffer must not be changed). A message larger than the output buffer is copied across several
 * {@link #wrap} calls. Nothing is allocated per message.
 *
 * <p>Buffers: the receive and output buffers are direct buffers from the bus's pool
 * ({@link LeasedBuffer}), held only while they hold bytes. The receive buffer is taken when a read
 * is armed, sized by recent reads ({@link ReceiveSizer}) from the smallest pool class, and given
 * back once everything in it has been passed on; between messages it holds at most a frame header
 * or a control frame. The output buffer is taken for the bytes queued and given back once they
 * are written; it grows to at most {@value #OUT_CAPACITY} bytes. The control-frame buffer is
 * made on the first control frame. An idle connection thus holds only the armed read's smallest
 * buffer (a socket of its own) or nothing (over TLS, where reads go to the TLS layer).
 *
 * <p>Client masks come from a per-connection {@link SplittableRandom} seeded from
 * {@link SecureRandom}: fast, and fresh per frame, though not cryptographically unpredictable as
 * RFC 6455 10.3 asks of browsers, whose masking defends proxies against hostile scripts; a bus
 * client runs no foreign script. The handshake key comes from {@link SecureRandom}
 * ({@link ClientUpgrade}).
 *
 * <p>Owned by its connection's shard.
 */
final class WsCarrier implements Carrier
{
    /** Receive states. */
    private enum Rx
    {
        /** Waiting for the HTTP head (request on a server, response on a client): {@link WsUpgrade}. */
        HANDSHAKE,
        /** Waiting for a frame header. */
        HEADER,
        /** Inside a data frame's payload. */
        PAYLOAD,
        /** Waiting for a whole control frame payload. */
        CONTROL,
        /** The peer's close frame arrived: anything after it is discarded (RFC 6455 5.5.1). */
        PEER_CLOSED,
        /** A violation, a refused handshake or release: everything is discarded. */
        FAILED
    }

    private static final int IN_CAPACITY = 64 * 1024;
    private static final int OUT_CAPACITY = 128 * 1024;
    /** Pongs wait here while a message is half copied; the close frame always has room. */
    private static final int CONTROL_CAPACITY = 2 * 1024;
    private static final int CONTROL_FRAME_MAX = MAX_HEADER_LENGTH + MAX_CONTROL_PAYLOAD;
    private static final int MAX_CLOSE_REASON = MAX_CONTROL_PAYLOAD - 2; // after the 2-byte code (RFC 6455 5.5.1)
    /** End of the frame's {@code size} field within the message. */
    private static final int SIZE_END = FrameHeader.SIZE_OFFSET + Integer.BYTES;
    private static final SecureRandom SEEDS = new SecureRandom();

    private final boolean client;
    private final long maxFrameSize;
    private final long maxMessageSize;
    private final WsUpgrade upgrade;
    private final CloseHandshake closing = new CloseHandshake();
    private final SplittableRandom masks;

    private final ReceiveSizer sizer = new ReceiveSizer(FramePool.MIN_CLASS_SIZE, IN_CAPACITY);
    private LeasedBuffer in; // net bytes: [inStart, inEnd) not yet processed
    private UnsafeBuffer inBuffer;
    private int inStart;
    private int inEnd;
    private int offered;
    private boolean processing;
    private boolean released;
    private LeasedBuffer out; // net bytes to write: [outRead, outWrite)
    private UnsafeBuffer outBuffer;
    private int outRead;
    private int outWrite;
    private boolean writing; // out is lent to a write (or to the TLS layer below): its bytes may not move
    private UnsafeBuffer control; // made on the first control frame
    private int controlEnd;
    private final UnsafeBuffer sizeScratch = new UnsafeBuffer(new byte[SIZE_END]);

    private Sink sink;
    private Rx rx = Rx.HANDSHAKE;

    // The inbound frame being read.
    private int frameOpcode;
    private boolean frameFin;
    private boolean frameMasked;
    private int frameMaskKey;
    private long frameRemaining;
    private long frameIndex;
    private int controlLength;

    // The inbound message being read.
    private boolean messageOpen;
    private long messageLength;
    private long messageOffset;
    private long sizeField = -1;
    /** The last byte of a frame that a non-final fragment completed, held until the message ends. */
    private final UnsafeBuffer heldByte = new UnsafeBuffer(new byte[1]);
    private boolean holding;

    // The outbound message being copied.
    private long sendRemaining;
    private long sendIndex;
    private int sendMaskKey;

    private WsCarrier(
        final boolean client, final long maxFrameSize, final long maxMessageSize, final WsUpgrade upgrade)
    {
        this.client = client;
        this.maxFrameSize = maxFrameSize;
        this.maxMessageSize = maxMessageSize;
        this.upgrade = upgrade;
        this.masks = client ? new SplittableRandom(SEEDS.nextLong()) : null;
    }

    /**
     * The server side of one accepted connection.
     *
     * @param maxMessageSize the smaller of ws_max_message_size and max_message_size.
     */
    static WsCarrier server(final WebSocketConfig config, final int maxMessageSize)
    {
        return new WsCarrier(false, config.maxFrameSize(), Math.min(config.maxMessageSize(), maxMessageSize),
            new ServerUpgrade(config));
    }

    /** The client side of a connection to {@code uri}: its path and query are the request target. */
    static WsCarrier client(final URI uri, final int maxMessageSize)
    {
        return new WsCarrier(true, maxMessageSize, maxMessageSize, new ClientUpgrade(uri, SEEDS));
    }

    @Override
    public void start(final Sink sink)
    {
        this.sink = sink;
        this.in = new LeasedBuffer(sink.pool());
        this.out = new LeasedBuffer(sink.pool());
        final byte[] request = upgrade.request();
        if (request != null)
        {
            appendOut(request); // a client speaks first
        }
    }

    @Override
    public ByteBuffer inboundSpace()
    {
        if (!in.isHeld())
        {
            in.take(sizer.size());
            inBuffer = in.buffer();
            inStart = 0;
            inEnd = 0;
        }
        else if (rx != Rx.HANDSHAKE)
        {
            // Payload is passed on as it arrives, so what stays is at most a header or a control frame.
            final int pending = inEnd - inStart;
            if (in.capacity() < sizer.size())
            {
                in.grow(sizer.size(), inStart, inEnd);
                inBuffer = in.buffer();
            }
            else if (inStart > 0)
            {
                inBuffer.putBytes(0, inBuffer, inStart, pending);
            }
            inStart = 0;
            inEnd = pending;
        }
        else if (inEnd == in.capacity() && inEnd < IN_CAPACITY)
        {
            // The head is parsed from index 0, so it grows in place (HttpHead refuses one over 8 KiB).
            in.grow(Math.min(IN_CAPACITY, 2 * inEnd), 0, inEnd);
            inBuffer = in.buffer();
        }
        final ByteBuffer space = in.byteBuffer();
        space.limit(Math.min(space.capacity(), IN_CAPACITY)).position(inEnd);
        offered = space.remaining();
        return space;
    }

    @Override
    public void onInbound(final int bytes) throws CarrierException, FrameDecodeException
    {
        inEnd += bytes;
        sizer.record(bytes, offered);
        processing = true;
        try
        {
            if (rx == Rx.HANDSHAKE && !handshake())
            {
                return;
            }
            process();
        }
        finally
        {
            processing = false;
            if (released || (rx != Rx.HANDSHAKE && inStart == inEnd))
            {
                releaseIn(); // drained (or closed meanwhile): an idle connection holds no receive buffer
            }
        }
    }

    private void releaseIn()
    {
        if (in != null)
        {
            in.release();
        }
        inBuffer = null;
        inStart = 0;
        inEnd = 0;
    }

    @Override
    public boolean isOpen()
    {
        return closing.isUpgraded();
    }

    @Override
    public boolean isMidRecord()
    {
        // A data frame's payload streams to the frame decoder, but one whose payload has not begun
        // has handed it nothing yet; a header or a control frame waits here whole.
        return rx == Rx.PAYLOAD || rx == Rx.CONTROL || (rx == Rx.HEADER && inEnd > inStart);
    }

    // ---------------------------------------------------------------------------------------------
    // Opening handshake (RFC 6455 section 4): WsUpgrade reads the head, this queues its bytes

    /** True once the head is complete and accepted; the bytes after it are frames. */
    private boolean handshake() throws CarrierException
    {
        final int headEnd;
        try
        {
            headEnd = upgrade.onHead(inBuffer, inEnd);
        }
        catch (final WsUpgrade.UpgradeException ex)
        {
            if (ex.answerHead != null)
            {
                // A server's refusal: the connection closes once the HTTP answer is written.
                appendOut(ex.answerHead);
                appendOut(ex.answerBody);
            }
            rx = Rx.FAILED;
            inStart = inEnd;
            throw new CarrierException(CloseReason.PROTOCOL_ERROR, ProtocolErrorKind.WEBSOCKET, ex.getMessage());
        }
        if (headEnd < 0)
        {
            return false;
        }
        final byte[] acceptance = upgrade.acceptance();
        if (acceptance != null)
        {
            appendOut(acceptance); // a server's 101
        }
        closing.onUpgraded();
        rx = Rx.HEADER;
        inStart = headEnd;
        return true;
    }

    // ---------------------------------------------------------------------------------------------
    // Receiving frames (RFC 6455 section 5)

    private void process() throws CarrierException, FrameDecodeException
    {
        while (true)
        {
            switch (rx)
            {
                case HEADER:
                    if (!readHeader())
                    {
                        return;
                    }
                    break;
                case PAYLOAD:
                    if (!readPayload())
                    {
                        return;
                    }
                    break;
                case CONTROL:
                    if (!readControl())
                    {
                        return;
                    }
                    break;
                default:
                    inStart = inEnd;
                    return;
            }
        }
    }

    private boolean readHeader() throws CarrierException, FrameDecodeException
    {
        final int available = inEnd - inStart;
        if (available < 2)
        {
            return false;
        }
        final int first = inBuffer.getByte(inStart) & 0xFF;
        final int second = inBuffer.getByte(inStart + 1) & 0xFF;
        final int headerLength = WebSocketCodec.headerLength(second);
        if (available < headerLength)
        {
            return false;
        }
        final int opcode = first & WebSocketCodec.OPCODE_MASK;
        final boolean fin = (first & WebSocketCodec.FIN_BIT) != 0;
        final boolean masked = (second & WebSocketCodec.MASK_BIT) != 0;
        if ((first & WebSocketCodec.RSV_BITS) != 0)
        {
            // RFC 6455 5.2: RSV bits need a negotiated extension, and none is.
            throw fail(CLOSE_PROTOCOL_ERROR, "RSV bits 0x" + Integer.toHexString(first & WebSocketCodec.RSV_BITS) +
                " set without an extension");
        }
        if (!WebSocketCodec.isKnownOpcode(opcode))
        {
            throw fail(CLOSE_PROTOCOL_ERROR, "reserved opcode 0x" + Integer.toHexString(opcode));
        }
        if (masked == client)
        {
            // RFC 6455 5.1: clients mask every frame, servers none.
            throw fail(CLOSE_PROTOCOL_ERROR, client ? "masked frame from the server" : "unmasked frame from the client");
        }
        final long length = WebSocketCodec.payloadLength(inBuffer, inStart);
        if (length < 0)
        {
            throw fail(CLOSE_PROTOCOL_ERROR, "64-bit payload length with its most significant bit set");
        }
        frameOpcode = opcode;
        frameFin = fin;
        frameMasked = masked;
        frameMaskKey = masked ? inBuffer.getInt(inStart + headerLength - WebSocketCodec.MASK_KEY_LENGTH,
            ByteOrder.BIG_ENDIAN) : 0;
        inStart += headerLength;
        if (WebSocketCodec.isControl(opcode))
        {
            // RFC 6455 5.5: control frames are never fragmented and carry at most 125 bytes.
            if (!fin)
            {
                throw fail(CLOSE_PROTOCOL_ERROR, "fragmented control frame (opcode 0x" + Integer.toHexString(opcode) + ")");
            }
            if (length > MAX_CONTROL_PAYLOAD)
            {
                throw fail(CLOSE_PROTOCOL_ERROR, "control frame of " + length + " bytes (at most 125)");
            }
            controlLength = (int)length;
            rx = Rx.CONTROL;
            return true;
        }
        startDataFrame(opcode, fin, length);
        frameRemaining = length;
        frameIndex = 0;
        rx = length == 0 ? Rx.HEADER : Rx.PAYLOAD;
        if (holding && fin)
        {
            // The message ended exactly at the frame's size: the held byte completes the frame now.
            holding = false;
            sink.onApplicationBytes(heldByte, 0, 1);
        }
        return true;
    }

    /** Message rules of RFC 6455 5.4 and WIRE.md, decided from the header before any payload is taken. */
    private void startDataFrame(final int opcode, final boolean fin, final long length) throws CarrierException
    {
        if (opcode == OPCODE_CONTINUATION)
        {
            if (!messageOpen)
            {
                throw fail(CLOSE_PROTOCOL_ERROR, "continuation frame outside a fragmented message");
            }
        }
        else
        {
            if (messageOpen)
            {
                throw fail(CLOSE_PROTOCOL_ERROR, "new data frame inside a fragmented message");
            }
            if (opcode == OPCODE_TEXT)
            {
                throw fail(CLOSE_UNSUPPORTED_DATA, "text message: ringbus frames travel in binary messages");
            }
            messageLength = 0;
            messageOffset = 0;
            sizeField = -1;
        }
        messageLength += length;
        if (messageLength > maxMessageSize)
        {
            throw fail(CLOSE_MESSAGE_TOO_BIG, ProtocolErrorKind.SIZE, (fin && opcode == OPCODE_BINARY ? "size = " :
                "size >= ") + messageLength + ": WebSocket message above the limit " + maxMessageSize);
        }
        if (length > maxFrameSize)
        {
            throw fail(CLOSE_MESSAGE_TOO_BIG, "WebSocket frame of " + length + " bytes: above ws_max_frame_size " +
                maxFrameSize);
        }
        messageOpen = !fin;
        checkSize();
    }

    /** WIRE.md: the frame's size field equals the message length, else 1008. */
    private void checkSize() throws CarrierException
    {
        if (sizeField >= 0)
        {
            if (messageLength > sizeField || (frameFin && messageLength != sizeField))
            {
                throw fail(CLOSE_POLICY_VIOLATION, ProtocolErrorKind.SIZE, "size = " + sizeField +
                    ": differs from the WebSocket message length " +
                    messageLength + (frameFin ? "" : " (and more to come)"));
            }
            if (sizeField > maxMessageSize)
            {
                throw fail(CLOSE_MESSAGE_TOO_BIG, ProtocolErrorKind.SIZE, "size = " + sizeField +
                    ": WebSocket message above the limit " +
                    maxMessageSize);
            }
        }
        else if (frameFin && messageLength < FrameHeader.HEADER_SIZE)
        {
            throw fail(CLOSE_POLICY_VIOLATION, ProtocolErrorKind.SIZE, "WebSocket message of " + messageLength +
                " bytes: shorter than a frame header (" + FrameHeader.HEADER_SIZE + ")");
        }
    }

    private boolean readPayload() throws CarrierException, FrameDecodeException
    {
        final int available = inEnd - inStart;
        if (available == 0)
        {
            return false;
        }
        final int length = (int)Math.min(available, frameRemaining);
        final int offset = inStart;
        if (frameMasked)
        {
            WebSocketCodec.mask(inBuffer, offset, length, frameMaskKey, (int)(frameIndex & 3)); // RFC 6455 5.3, in place
        }
        if (sizeField < 0 && messageOffset < SIZE_END)
        {
            final long from = Math.max(messageOffset, FrameHeader.SIZE_OFFSET);
            final long to = Math.min(messageOffset + length, SIZE_END);
            if (from < to)
            {
                sizeScratch.putBytes((int)from, inBuffer, offset + (int)(from - messageOffset), (int)(to - from));
            }
            if (messageOffset + length >= SIZE_END)
            {
                sizeField = Integer.toUnsignedLong(FrameHeader.size(sizeScratch, 0));
                checkSize(); // before the bytes holding the field reach the decoder
            }
        }
        inStart += length;
        frameRemaining -= length;
        frameIndex += length;
        messageOffset += length;
        if (frameRemaining == 0)
        {
            rx = Rx.HEADER;
        }
        int deliver = length;
        if (!frameFin && messageOffset == sizeField)
        {
            // A non-final fragment completed the frame: more payload would break the size rule, so
            // the last byte waits for the message's end and the frame is not delivered before it.
            deliver--;
            heldByte.putByte(0, inBuffer.getByte(offset + deliver));
            holding = true;
        }
        if (deliver > 0)
        {
            sink.onApplicationBytes(inBuffer, offset, deliver);
        }
        return true;
    }

    private boolean readControl() throws CarrierException
    {
        if (inEnd - inStart < controlLength)
        {
            return false;
        }
        final int offset = inStart;
        final int length = controlLength;
        if (frameMasked)
        {
            WebSocketCodec.mask(inBuffer, offset, length, frameMaskKey, 0);
        }
        inStart += length;
        rx = Rx.HEADER;
        if (frameOpcode == OPCODE_PING)
        {
            queueControl(OPCODE_PONG, inBuffer, offset, length); // RFC 6455 5.5.2: same payload
        }
        else if (frameOpcode == OPCODE_CLOSE)
        {
            onPeerClose(offset, length);
        }
        // RFC 6455 5.5.3: an unsolicited pong is ignored.
        return true;
    }

    private void onPeerClose(final int offset, final int length) throws CarrierException
    {
        // RFC 6455 5.5.1: an optional 2-byte code, then a UTF-8 reason.
        if (length == 1)
        {
            throw fail(CLOSE_PROTOCOL_ERROR, "close frame with a 1-byte payload");
        }
        int code = -1;
        String reason = "";
        if (length >= 2)
        {
            code = inBuffer.getShort(offset, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            if (!WebSocketCodec.isValidCloseCode(code))
            {
                throw fail(CLOSE_PROTOCOL_ERROR, "close code " + code + " is not a valid code (RFC 6455 7.4)");
            }
            if (!WebSocketCodec.isValidUtf8(inBuffer, offset + 2, length - 2))
            {
                // RFC 6455 8.1 and 7.4.1: invalid UTF-8 fails the connection with 1007.
                throw fail(CLOSE_INVALID_PAYLOAD, "close reason is not valid UTF-8");
            }
            reason = inBuffer.getStringWithoutLengthUtf8(offset + 2, length - 2);
        }
        closing.onPeerClose(code);
        rx = Rx.PEER_CLOSED;
        inStart = inEnd;
        sink.onPeerClosing("WebSocket close " + (code < 0 ? "without a code" : String.valueOf(code)) +
            (reason.isEmpty() ? "" : " (" + WebSocketCodec.printable(reason) + ")") + " received");
    }

    /** Record a violation, stop reading, and build the exception that closes the connection. */
    private CarrierException fail(final int code, final String message)
    {
        return fail(code, ProtocolErrorKind.WEBSOCKET, message);
    }

    /** As {@link #fail(int, String)}, counted as a protocol error of {@code kind} (a frame's size: SIZE). */
    private CarrierException fail(final int code, final ProtocolErrorKind kind, final String message)
    {
        closing.onViolation(code, message);
        rx = Rx.FAILED;
        inStart = inEnd;
        return new CarrierException(CloseReason.PROTOCOL_ERROR, kind, message + " (WebSocket close " + code + ")");
    }

    // ---------------------------------------------------------------------------------------------
    // Sending

    @Override
    public void wrap(final ByteBuffer[] frames, final int count) throws CarrierException
    {
        if (closing.isCloseSent())
        {
            throw new CarrierException(CloseReason.IO_ERROR, "frames to send after the WebSocket close frame");
        }
        for (int i = 0; i < count; i++)
        {
            final ByteBuffer frame = frames[i];
            while (frame.hasRemaining())
            {
                if (sendRemaining == 0)
                {
                    // A new message: exactly one frame (WIRE.md), so its length is the frame's.
                    flushControl();
                    final int length = frame.remaining();
                    final int headerLength = WebSocketCodec.headerLengthFor(length, client);
                    if (outRoom(headerLength + length) < headerLength + 1)
                    {
                        return;
                    }
                    sendMaskKey = client ? masks.nextInt() : 0;
                    outWrite += WebSocketCodec.writeHeader(outBuffer, outWrite, OPCODE_BINARY, length, client, sendMaskKey);
                    sendRemaining = length;
                    sendIndex = 0;
                }
                final int chunk = (int)Math.min(Math.min(frame.remaining(), sendRemaining),
                    outRoom((int)Math.min(sendRemaining, OUT_CAPACITY)));
                if (chunk == 0)
                {
                    return;
                }
                final int position = frame.position();
                outBuffer.putBytes(outWrite, frame, position, chunk);
                if (client)
                {
                    WebSocketCodec.mask(outBuffer, outWrite, chunk, sendMaskKey, (int)(sendIndex & 3));
                }
                frame.position(position + chunk);
                outWrite += chunk;
                sendRemaining -= chunk;
                sendIndex += chunk;
            }
        }
        flushControl();
    }

    /** Queue a control frame; it goes out at the next message boundary. */
    private void queueControl(final int opcode, final UnsafeBuffer payload, final int offset, final int length)
    {
        if (opcode != OPCODE_CLOSE &&
            (closing.isCloseSent() || controlEnd + 2 * CONTROL_FRAME_MAX > CONTROL_CAPACITY))
        {
            // RFC 6455 5.5.1: nothing after our close (sent once: closeOutbound asks CloseHandshake).
            // 5.5.3: a flood of pings need not all be answered.
            return;
        }
        if (control == null)
        {
            control = new UnsafeBuffer(new byte[CONTROL_CAPACITY]);
        }
        final int maskKey = client ? masks.nextInt() : 0;
        final int headerLength = WebSocketCodec.writeHeader(control, controlEnd, opcode, length, client, maskKey);
        final int payloadAt = controlEnd + headerLength;
        if (length > 0)
        {
            control.putBytes(payloadAt, payload, offset, length);
            if (client)
            {
                WebSocketCodec.mask(control, payloadAt, length, maskKey, 0);
            }
        }
        controlEnd = payloadAt + length;
        flushControl();
    }

    private void flushControl()
    {
        if (controlEnd > 0 && sendRemaining == 0 && outRoom(controlEnd) >= controlEnd)
        {
            outBuffer.putBytes(outWrite, control, 0, controlEnd);
            outWrite += controlEnd;
            controlEnd = 0;
        }
    }

    private void appendOut(final byte[] bytes)
    {
        if (outRoom(bytes.length) < bytes.length)
        {
            // Only the HTTP head and an error answer come here, before anything else is queued.
            throw new IllegalStateException("no room for " + bytes.length + " bytes of HTTP head");
        }
        outBuffer.putBytes(outWrite, bytes);
        outWrite += bytes.length;
    }

    /**
     * Room at {@code outWrite}, after making room for {@code wanted} bytes where allowed: not under
     * a write (its bytes may not move), and up to {@link #OUT_CAPACITY} bytes queued.
     */
    private int outRoom(final int wanted)
    {
        if (!writing)
        {
            final int pending = outWrite - outRead;
            final int target = Math.min(OUT_CAPACITY, pending + wanted);
            if (out.capacity() - outWrite < wanted && (target > out.capacity() || outRead > 0))
            {
                if (target > out.capacity())
                {
                    out.grow(target, outRead, outWrite);
                    outBuffer = out.buffer();
                }
                else
                {
                    outBuffer.putBytes(0, outBuffer, outRead, pending);
                }
                outRead = 0;
                outWrite = pending;
            }
        }
        return out.capacity() - outWrite;
    }

    @Override
    public boolean hasOutbound()
    {
        return outWrite > outRead;
    }

    @Override
    public int outbound(final ByteBuffer[] buffers)
    {
        writing = true;
        final ByteBuffer pending = out.byteBuffer();
        pending.limit(outWrite).position(outRead);
        buffers[0] = pending;
        return 1;
    }

    @Override
    public void onWritten(final long bytes)
    {
        writing = false;
        outRead += (int)bytes;
        if (outRead == outWrite)
        {
            outRead = 0;
            outWrite = 0;
            out.release(); // drained: an idle connection holds no output buffer
            outBuffer = null;
            flushControl();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Closing (RFC 6455 5.5.1, 7.1)

    @Override
    public void closeOutbound(final CloseReason reason, final FrameError frameError)
    {
        if (!closing.canSendClose())
        {
            return; // before the upgrade there is no WebSocket to close (FIN follows any HTTP answer); ours goes once
        }
        final int code = closing.onCloseSent(reason, frameError);
        final String text = closing.closeText(code);
        final int reasonLength = Math.min(text.length(), MAX_CLOSE_REASON);
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[2 + reasonLength]);
        payload.putShort(0, (short)code, ByteOrder.BIG_ENDIAN);
        payload.putStringWithoutLengthAscii(2, text, 0, reasonLength);
        queueControl(OPCODE_CLOSE, payload, 0, payload.capacity());
    }

    @Override
    public boolean isOutboundDone()
    {
        if (!closing.isUpgraded())
        {
            return outWrite == outRead; // an HTTP error answer, if any, is out
        }
        return closing.isComplete() && outWrite == outRead && controlEnd == 0;
    }

    @Override
    public boolean onEof()
    {
        closing.onInputEnded();
        return closing.isPeerCloseReceived();
    }

    @Override
    public void describe(final BiConsumer<String, String> details)
    {
        upgrade.describe(details);
    }

    @Override
    public void release()
    {
        rx = Rx.FAILED;
        closing.onInputEnded();
        released = true;
        if (!processing)
        {
            releaseIn(); // else once the bytes being processed are done with
        }
        if (out != null)
        {
            out.release();
        }
        outBuffer = null;
        outRead = 0;
        outWrite = 0;
    }

    /** Bytes of pooled buffers held now (tests). */
    int heldCapacity()
    {
        return (in != null ? in.capacity() : 0) + (out != null ? out.capacity() : 0);
    }
}
