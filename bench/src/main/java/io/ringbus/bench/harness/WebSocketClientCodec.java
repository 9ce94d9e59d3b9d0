package io.ringbus.bench.harness;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The client half of RFC 6455 that the {@link LoadClient} needs to reach a ws or wss server, with
 * no WebSocket library, so that Ringbus, Netty and Java-WebSocket are all measured by the same
 * client code: the opening handshake over an already connected (and, for wss, TLS) socket, the
 * header of a masked client frame, masking eight bytes at a time, and reading one unmasked binary
 * message from the server. No extension or subprotocol is offered (WIRE.md).
 *
 * <p>Stateless: static methods only; the buffers and streams passed in belong to the calling thread.
 */
final class WebSocketClientCodec
{
    /** The request path the load client asks for; every harness server accepts it. */
    static final String PATH = "/";
    static final int OPCODE_CONTINUATION = 0x0;
    static final int OPCODE_TEXT = 0x1;
    static final int OPCODE_BINARY = 0x2;
    static final int OPCODE_CLOSE = 0x8;
    static final int OPCODE_PING = 0x9;
    static final int OPCODE_PONG = 0xA;
    /** RFC 6455 7.4.1: normal closure. */
    static final int CLOSE_NORMAL = 1000;
    /** RFC 6455 7.4.1: policy violation, which WIRE.md uses for a bad bus frame. */
    static final int CLOSE_POLICY_VIOLATION = 1008;
    /** RFC 6455 7.4.1: data of a type the endpoint cannot accept (a text message). */
    static final int CLOSE_UNSUPPORTED_DATA = 1003;
    /** A client frame header: 2 bytes, up to 8 of extended length, 4 of masking key (RFC 6455 5.2). */
    static final int MAX_HEADER_LENGTH = 14;

    /** RFC 6455 1.3. */
    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final int FIN = 0x80;
    private static final int RSV_BITS = 0x70;
    private static final int MASK_BIT = 0x80;
    private static final int LENGTH_16 = 126;
    private static final int LENGTH_64 = 127;
    private static final int MAX_CONTROL_PAYLOAD = 125;
    private static final int MAX_HEAD_LENGTH = 8 * 1024;
    private static final int NONCE_LENGTH = 16;
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private WebSocketClientCodec()
    {
    }

    /** A close frame from the server: the connection is over, with the code and reason it gave. */
    static final class ClosedByServerException extends ProtocolException
    {
        private static final long serialVersionUID = 1L;

        private final int code;

        ClosedByServerException(final int code, final String reason)
        {
            super("closed by the server with " + code + (reason.isEmpty() ? "" : " (" + reason + ")"));
            this.code = code;
        }

        /** The close code, or -1 if the close frame carried none. */
        int code()
        {
            return code;
        }
    }

    /**
     * The opening handshake (RFC 6455 4.1) on a connected socket: a GET for {@link #PATH} with a
     * fresh key, then the server's head read byte by byte straight from the socket, so that
     * nothing after it is consumed here. Checks the 101, {@code Upgrade}, {@code Connection} and
     * {@code Sec-WebSocket-Accept}, and that no extension or subprotocol was forced on the client.
     *
     * @throws ProtocolException if the server refuses or answers wrongly.
     */
    static void handshake(final Socket socket, final InetSocketAddress address) throws IOException
    {
        final byte[] nonce = new byte[NONCE_LENGTH];
        ThreadLocalRandom.current().nextBytes(nonce);
        final String key = Base64.getEncoder().encodeToString(nonce);
        final String request = "GET " + PATH + " HTTP/1.1\r\n" +
            "Host: " + address.getHostString() + ":" + address.getPort() + "\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            "Sec-WebSocket-Key: " + key + "\r\n" +
            "Sec-WebSocket-Version: 13\r\n" +
            "\r\n";
        final OutputStream out = socket.getOutputStream();
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();

        final String head = readHead(socket.getInputStream());
        final String[] lines = head.split("\r\n");
        if (!lines[0].startsWith("HTTP/1.1 101"))
        {
            throw new ProtocolException("WebSocket upgrade refused: " + lines[0]);
        }
        String upgrade = null;
        String connection = null;
        String accept = null;
        for (int i = 1; i < lines.length; i++)
        {
            final int colon = lines[i].indexOf(':');
            if (colon <= 0)
            {
                continue;
            }
            final String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            final String value = lines[i].substring(colon + 1).trim();
            switch (name)
            {
                case "upgrade" -> upgrade = value;
                case "connection" -> connection = value;
                case "sec-websocket-accept" -> accept = value;
                case "sec-websocket-extensions", "sec-websocket-protocol" ->
                    throw new ProtocolException("the server chose " + lines[i] + ", which the client did not offer");
                default ->
                {
                    // Other headers (Date, Server, ...) mean nothing to the handshake.
                }
            }
        }
        if (upgrade == null || !"websocket".equalsIgnoreCase(upgrade))
        {
            throw new ProtocolException("101 without Upgrade: websocket: " + head);
        }
        if (connection == null || !connection.toLowerCase(Locale.ROOT).contains("upgrade"))
        {
            throw new ProtocolException("101 without Connection: Upgrade: " + head);
        }
        if (!acceptValue(key).equals(accept))
        {
            throw new ProtocolException("Sec-WebSocket-Accept " + accept + ", expected " + acceptValue(key));
        }
    }

    /** RFC 6455 4.2.2: base64(SHA-1(key + GUID)). */
    static String acceptValue(final String key)
    {
        try
        {
            final MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            return Base64.getEncoder().encodeToString(sha1.digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII)));
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("SHA-1 is required of every Java platform", ex);
        }
    }

    /**
     * Write the header of a final, masked client frame at {@code offset}: FIN, {@code opcode}, the
     * shortest length encoding (RFC 6455 5.2 requires it) and {@code maskKey}, big-endian.
     *
     * @return the header length, 6 to {@link #MAX_HEADER_LENGTH} bytes; the payload goes right after.
     */
    static int writeHeader(
        final MutableDirectBuffer buffer, final int offset, final int opcode, final int payloadLength, final int maskKey)
    {
        buffer.putByte(offset, (byte)(FIN | opcode));
        int position = offset + 2;
        if (payloadLength < LENGTH_16)
        {
            buffer.putByte(offset + 1, (byte)(MASK_BIT | payloadLength));
        }
        else if (payloadLength <= 0xFFFF)
        {
            buffer.putByte(offset + 1, (byte)(MASK_BIT | LENGTH_16));
            buffer.putShort(position, (short)payloadLength, ByteOrder.BIG_ENDIAN);
            position += Short.BYTES;
        }
        else
        {
            buffer.putByte(offset + 1, (byte)(MASK_BIT | LENGTH_64));
            buffer.putLong(position, payloadLength, ByteOrder.BIG_ENDIAN);
            position += Long.BYTES;
        }
        buffer.putInt(position, maskKey, ByteOrder.BIG_ENDIAN);
        position += Integer.BYTES;
        return position - offset;
    }

    /**
     * Copy {@code length} bytes from {@code src} to {@code dst}, masked with {@code maskKey} (its
     * big-endian bytes, as {@link #writeHeader} puts them on the wire; RFC 6455 5.3), eight bytes
     * per step. {@code src} is left unchanged: the request frame is reused for the next message.
     */
    static void mask(
        final DirectBuffer src,
        final int srcOffset,
        final MutableDirectBuffer dst,
        final int dstOffset,
        final int length,
        final int maskKey)
    {
        // The key's bytes in memory order, twice: a native long that masks eight payload bytes.
        final int nativeKey = LITTLE_ENDIAN ? Integer.reverseBytes(maskKey) : maskKey;
        final long mask8 = (nativeKey & 0xFFFF_FFFFL) | ((long)nativeKey << 32);
        int i = 0;
        for (; i + Long.BYTES <= length; i += Long.BYTES)
        {
            dst.putLong(dstOffset + i, src.getLong(srcOffset + i) ^ mask8);
        }
        for (; i < length; i++)
        {
            // i is a multiple of 8 where this loop starts, so key byte (i & 3) lines up.
            final byte keyByte = (byte)(maskKey >>> (24 - 8 * (i & 3)));
            dst.putByte(dstOffset + i, (byte)(src.getByte(srcOffset + i) ^ keyByte));
        }
    }

    /**
     * Read one message from the server into {@code dst}: a binary frame, possibly followed by
     * continuation frames, unmasked as RFC 6455 5.1 requires of a server.
     *
     * @return the message length in bytes.
     * @throws ClosedByServerException on a close frame.
     * @throws ProtocolException on a masked or malformed frame, a text message, a ping or pong
     *                           (which nothing here asks for, and which the reader could not answer
     *                           without racing the writer thread), or a message longer than {@code dst}.
     */
    static int readMessage(final DataInputStream in, final byte[] dst) throws IOException
    {
        int length = 0;
        boolean first = true;
        while (true)
        {
            final int b0 = in.readUnsignedByte();
            final int b1 = in.readUnsignedByte();
            final boolean fin = (b0 & FIN) != 0;
            final int opcode = b0 & 0x0F;
            if ((b0 & RSV_BITS) != 0)
            {
                throw new ProtocolException("RSV bits set in a server frame: 0x" + Integer.toHexString(b0));
            }
            if ((b1 & MASK_BIT) != 0)
            {
                throw new ProtocolException("a masked server frame (RFC 6455 5.1)");
            }
            long payloadLength = b1 & 0x7F;
            if (payloadLength == LENGTH_16)
            {
                payloadLength = in.readUnsignedShort();
            }
            else if (payloadLength == LENGTH_64)
            {
                payloadLength = in.readLong();
                if (payloadLength < 0)
                {
                    throw new ProtocolException("a 64-bit payload length with the top bit set");
                }
            }
            if (opcode >= OPCODE_CLOSE)
            {
                throw readControl(in, fin, opcode, payloadLength);
            }
            final int expectedOpcode = first ? OPCODE_BINARY : OPCODE_CONTINUATION;
            if (opcode != expectedOpcode)
            {
                throw new ProtocolException("opcode " + opcode + ", expected " + expectedOpcode);
            }
            if (payloadLength > dst.length - length)
            {
                throw new ProtocolException("a message of more than " + dst.length + " bytes: longer than any answer");
            }
            in.readFully(dst, length, (int)payloadLength);
            length += (int)payloadLength;
            if (fin)
            {
                return length;
            }
            first = false;
        }
    }

    /**
     * Read a control frame from the server and say why it ends the run: the error path only, so
     * it may allocate.
     */
    private static ProtocolException readControl(
        final DataInputStream in, final boolean fin, final int opcode, final long payloadLength)
        throws IOException
    {
        if (!fin || payloadLength > MAX_CONTROL_PAYLOAD)
        {
            return new ProtocolException("a fragmented or oversized control frame (RFC 6455 5.5)");
        }
        final byte[] payload = new byte[(int)payloadLength];
        in.readFully(payload);
        if (opcode == OPCODE_CLOSE)
        {
            final int code = payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : -1;
            final String reason = payload.length > 2 ?
                new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
            return new ClosedByServerException(code, reason);
        }
        return new ProtocolException("an unexpected control frame, opcode " + opcode);
    }

    /** A whole masked frame, allocated: for cold paths (tests, the close handshake). */
    static byte[] encode(final int opcode, final byte[] payload, final int maskKey)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[MAX_HEADER_LENGTH + payload.length]);
        final int headerLength = writeHeader(frame, 0, opcode, payload.length, maskKey);
        mask(new UnsafeBuffer(payload), 0, frame, headerLength, payload.length, maskKey);
        final byte[] bytes = new byte[headerLength + payload.length];
        frame.getBytes(0, bytes);
        return bytes;
    }

    /** A masked close frame carrying {@code code} and no reason. */
    static byte[] closeFrame(final int code, final int maskKey)
    {
        return encode(OPCODE_CLOSE, new byte[] {(byte)(code >>> 8), (byte)code}, maskKey);
    }

    /** The HTTP head, through the blank line, one byte per read so that nothing after it is taken. */
    private static String readHead(final InputStream in) throws IOException
    {
        final ByteArrayOutputStream head = new ByteArrayOutputStream();
        int tail = 0; // the last four bytes, to spot CRLFCRLF
        while (true)
        {
            final int b = in.read();
            if (b < 0)
            {
                throw new EOFException("end of stream inside the upgrade response: " +
                    head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
            tail = (tail << 8) | b;
            if (tail == 0x0D0A0D0A)
            {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
            if (head.size() > MAX_HEAD_LENGTH)
            {
                throw new ProtocolException("an upgrade response head over " + MAX_HEAD_LENGTH + " bytes");
            }
        }
    }
}
