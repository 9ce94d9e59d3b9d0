package io.ringbus.ws;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hand-rolled WebSocket client for tests over a blocking socket (plain or TLS): performs the
 * opening handshake and sends any frame, legal or not, so tests can break each rule on purpose.
 * Each read waits at most the given timeout (a deadline, not a timing assertion). One thread.
 */
final class WsTestPeer implements AutoCloseable
{
    /** A frame read from the server. */
    static final class Frame
    {
        final boolean fin;
        final int opcode;
        final boolean masked;
        final byte[] payload;

        Frame(final boolean fin, final int opcode, final boolean masked, final byte[] payload)
        {
            this.fin = fin;
            this.opcode = opcode;
            this.masked = masked;
            this.payload = payload;
        }

        int closeCode()
        {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : -1;
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final Random random = new Random(42);

    private WsTestPeer(final Socket socket) throws IOException
    {
        this.socket = socket;
        socket.setTcpNoDelay(true);
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Upgrade {@code socket} with a well-formed request for {@code path}; asserts the 101 and its accept value. */
    static WsTestPeer upgrade(final Socket socket, final String path, final String extraHeaders) throws IOException
    {
        final WsTestPeer peer = new WsTestPeer(socket);
        final byte[] nonce = new byte[16];
        peer.random.nextBytes(nonce);
        final String key = Base64.getEncoder().encodeToString(nonce);
        peer.writeRaw(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
        final String response = peer.readHead(Duration.ofSeconds(20));
        assertTrue(response.startsWith("HTTP/1.1 101 "), response);
        assertTrue(response.contains("Sec-WebSocket-Accept: " + WebSocketCodec.acceptValue(key) + "\r\n"), response);
        return peer;
    }

    static WsTestPeer upgrade(final Socket socket) throws IOException
    {
        return upgrade(socket, "/", "");
    }

    /** A peer that has not upgraded: for handshake tests that write their own request. */
    static WsTestPeer raw(final Socket socket) throws IOException
    {
        return new WsTestPeer(socket);
    }

    /** Read an HTTP head, through the blank line. */
    String readHead(final Duration timeout) throws IOException
    {
        socket.setSoTimeout((int)timeout.toMillis());
        final ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (true)
        {
            final int b = in.read();
            if (b < 0)
            {
                throw new EOFException("end of stream inside the HTTP head: " + head);
            }
            head.write(b);
            final byte[] bytes = head.toByteArray();
            final int n = bytes.length;
            if (n >= 4 && bytes[n - 4] == '\r' && bytes[n - 3] == '\n' && bytes[n - 2] == '\r' && bytes[n - 1] == '\n')
            {
                break;
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** Read everything until the server closes (an HTTP error answer and its body). */
    String readAll(final Duration timeout) throws IOException
    {
        socket.setSoTimeout((int)timeout.toMillis());
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        final byte[] chunk = new byte[4096];
        int n;
        while ((n = readOrReset(chunk)) > 0)
        {
            all.write(chunk, 0, n);
        }
        socket.close();
        return all.toString(StandardCharsets.ISO_8859_1);
    }

    private int readOrReset(final byte[] chunk) throws IOException
    {
        try
        {
            return in.read(chunk);
        }
        catch (final SocketException ex)
        {
            return -1; // a reset after the server's answer counts as closed
        }
    }

    /** Encode one frame; {@code first} is the whole first byte (FIN, RSV, opcode). */
    byte[] encode(final int first, final byte[] payload, final boolean masked)
    {
        final int length = payload.length;
        final int extended = length < 126 ? 0 : length <= 0xFFFF ? 2 : 8;
        final byte[] frame = new byte[2 + extended + (masked ? 4 : 0) + length];
        frame[0] = (byte)first;
        int position = 2;
        if (extended == 0)
        {
            frame[1] = (byte)length;
        }
        else if (extended == 2)
        {
            frame[1] = 126;
            frame[2] = (byte)(length >>> 8);
            frame[3] = (byte)length;
            position = 4;
        }
        else
        {
            frame[1] = 127;
            for (int i = 0; i < 8; i++)
            {
                frame[2 + i] = (byte)((long)length >>> (56 - 8 * i));
            }
            position = 10;
        }
        if (masked)
        {
            frame[1] |= (byte)0x80;
            final byte[] key = new byte[4];
            random.nextBytes(key);
            System.arraycopy(key, 0, frame, position, 4);
            position += 4;
            for (int i = 0; i < length; i++)
            {
                frame[position + i] = (byte)(payload[i] ^ key[i & 3]);
            }
        }
        else
        {
            System.arraycopy(payload, 0, frame, position, length);
        }
        return frame;
    }

    /** Send a masked frame with FIN as given, no RSV bits. */
    void send(final boolean fin, final int opcode, final byte[] payload) throws IOException
    {
        writeRaw(encode((fin ? 0x80 : 0) | opcode, payload, true));
    }

    /** Send a close frame with {@code code} and {@code reason} bytes. */
    void sendClose(final int code, final byte[] reason) throws IOException
    {
        final byte[] payload = new byte[2 + reason.length];
        payload[0] = (byte)(code >>> 8);
        payload[1] = (byte)code;
        System.arraycopy(reason, 0, payload, 2, reason.length);
        send(true, WebSocketCodec.OPCODE_CLOSE, payload);
    }

    void writeRaw(final byte[] bytes) throws IOException
    {
        out.write(bytes);
        out.flush();
    }

    /** Write one byte per write call. */
    void writeBytewise(final byte[] bytes) throws IOException
    {
        for (final byte b : bytes)
        {
            out.write(b);
            out.flush();
        }
    }

    /** The next frame from the server, or null at end of stream. */
    Frame read(final Duration timeout) throws IOException
    {
        socket.setSoTimeout((int)timeout.toMillis());
        final int first = readByteOrEof();
        if (first < 0)
        {
            return null;
        }
        final int second = readByte();
        long length = second & 0x7F;
        if (length == 126)
        {
            length = (readByte() << 8) | readByte();
        }
        else if (length == 127)
        {
            length = 0;
            for (int i = 0; i < 8; i++)
            {
                length = (length << 8) | readByte();
            }
        }
        final boolean masked = (second & 0x80) != 0;
        final byte[] key = new byte[4];
        if (masked)
        {
            readFully(key);
        }
        final byte[] payload = new byte[(int)length];
        readFully(payload);
        if (masked)
        {
            for (int i = 0; i < payload.length; i++)
            {
                payload[i] ^= key[i & 3];
            }
        }
        return new Frame((first & 0x80) != 0, first & 0x0F, masked, payload);
    }

    /**
     * Read frames until the server's close frame, then expect end of stream; returns the close
     * code. Data frames before it are skipped.
     */
    int awaitClose(final Duration timeout) throws IOException
    {
        while (true)
        {
            final Frame frame = read(timeout);
            if (frame == null)
            {
                throw new EOFException("end of stream without a close frame");
            }
            assertTrue(!frame.masked, "server frames are not masked");
            if (frame.opcode == WebSocketCodec.OPCODE_CLOSE)
            {
                assertEquals(-1, readByteOrEof(), "end of stream after a close that does not await ours");
                socket.close(); // our FIN: the server need not wait out close_grace
                return frame.closeCode();
            }
        }
    }

    /**
     * Read frames until the server's close frame, answer it with the same code (RFC 6455 5.5.1),
     * then expect end of stream; returns the close code. Data frames before it are skipped.
     */
    int awaitCloseAndAnswer(final Duration timeout) throws IOException
    {
        while (true)
        {
            final Frame frame = read(timeout);
            if (frame == null)
            {
                throw new EOFException("end of stream without a close frame");
            }
            if (frame.opcode == WebSocketCodec.OPCODE_CLOSE)
            {
                sendClose(frame.closeCode(), new byte[0]);
                assertEquals(-1, readByteOrEof(), "end of stream after the close handshake");
                socket.close();
                return frame.closeCode();
            }
        }
    }

    private int readByteOrEof() throws IOException
    {
        try
        {
            return in.read();
        }
        catch (final SocketException ex)
        {
            return -1;
        }
    }

    private int readByte() throws IOException
    {
        final int b = in.read();
        if (b < 0)
        {
            throw new EOFException("end of stream inside a frame");
        }
        return b;
    }

    private void readFully(final byte[] bytes) throws IOException
    {
        int done = 0;
        while (done < bytes.length)
        {
            final int n = in.read(bytes, done, bytes.length - done);
            if (n < 0)
            {
                throw new EOFException("end of stream inside a frame");
            }
            done += n;
        }
    }

    Socket socket()
    {
        return socket;
    }

    @Override
    public void close() throws IOException
    {
        socket.close();
    }
}
