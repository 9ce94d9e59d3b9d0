package io.ringbus.bench.harness;

import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameCodec;
import io.ringbus.core.frame.FrameHeader;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import static io.ringbus.core.frame.FrameHeader.HEADER_SIZE;

/**
 * One blocking client connection of the {@link LoadClient}, speaking WIRE.md with no bus SDK: it
 * builds one request frame (random body, random client id, cluster {@link EchoServer#CLUSTER_LO}),
 * sends it again and again with a new {@code request}, {@code timestamp} and {@code operation},
 * and reads and verifies replies. Over plain TCP, or over TLS 1.3 with an {@link SSLSocket}
 * layered on the connected socket (the handshake completes in {@link #open}). With
 * {@link Framing#WEBSOCKET} the connection is upgraded in {@link #open} (RFC 6455 opening
 * handshake, {@link WebSocketClientCodec}); each frame then goes out as one masked binary message
 * (a fresh masking key per message) and each reply must arrive as one binary message whose length
 * equals its {@code size}. With {@link Framing#QUIC} the connection is a {@link QuicLoadLink} (a
 * Netty QUIC client, handshake and stream opening done in {@link #open}) and the frames go back to
 * back on its one bidirectional stream, exactly as over TCP.
 *
 * <p>The write side ({@link #writeRequest}, {@link #writePing}, {@link #flush}) and the read side
 * ({@link #readFrame}, {@link #checkReply}, the reply accessors) each belong to one thread; the two
 * may be different threads. Each side has its own {@link FrameCodec} and flyweight.
 */
final class LoadConnection implements AutoCloseable
{
    /** Stream buffer size on each side. */
    static final int STREAM_BUFFER_SIZE = 64 * 1024;
    private static final int CONNECT_TIMEOUT_MS = 5_000;

    /** The TCP or TLS socket, or null over QUIC. */
    private final Socket socket;
    /** The QUIC connection, or null over a socket. */
    private final QuicLoadLink quic;
    private final boolean webSocket;
    private final long clientHi;
    private final long clientLo;

    // Write side.
    private final BufferedOutputStream out;
    private final FrameCodec writeCodec = new FrameCodec();
    private final FrameHeader requestHeader = new FrameHeader();
    private final byte[] requestBytes;
    private final UnsafeBuffer request;
    private final byte[] pingBytes = new byte[HEADER_SIZE];
    private final UnsafeBuffer ping = new UnsafeBuffer(pingBytes);
    /** WebSocket only: one masked message (header and payload) on its way to the stream. */
    private final UnsafeBuffer message;
    private final SplittableRandom maskKeys;

    // Read side.
    private final PeekableInputStream peekable;
    private final DataInputStream in;
    private final FrameCodec readCodec = new FrameCodec();
    private final FrameHeader replyHeader = new FrameHeader();
    private final byte[] replyBytes;
    private final UnsafeBuffer reply;

    private LoadConnection(final Socket socket, final QuicLoadLink quic, final Framing framing, final int bodySize)
        throws IOException
    {
        this.socket = socket;
        this.quic = quic;
        this.webSocket = framing == Framing.WEBSOCKET;
        final ThreadLocalRandom random = ThreadLocalRandom.current();
        this.clientHi = random.nextLong();
        this.clientLo = random.nextLong() | 1; // never the all-zero id

        final int frameSize = HEADER_SIZE + bodySize;
        requestBytes = new byte[frameSize];
        request = new UnsafeBuffer(requestBytes);
        for (int i = HEADER_SIZE; i < frameSize; i++)
        {
            requestBytes[i] = (byte)random.nextInt();
        }
        requestHeader.wrap(request, 0).clear()
            .cluster(EchoServer.CLUSTER_HI, EchoServer.CLUSTER_LO)
            .size(frameSize)
            .command(Command.REQUEST)
            .replica(FrameHeader.REPLICA_NONE)
            .client(clientHi, clientLo);
        writeCodec.seal(request, 0); // the body never changes: its checksum written here stays valid

        new FrameHeader().wrap(ping, 0).clear()
            .cluster(EchoServer.CLUSTER_HI, EchoServer.CLUSTER_LO)
            .size(HEADER_SIZE)
            .command(Command.PING_CLIENT)
            .replica(FrameHeader.REPLICA_NONE)
            .client(clientHi, clientLo);

        replyBytes = new byte[frameSize];
        reply = new UnsafeBuffer(replyBytes);
        message = webSocket ? new UnsafeBuffer(new byte[WebSocketClientCodec.MAX_HEADER_LENGTH + frameSize]) : null;
        maskKeys = webSocket ? new SplittableRandom(random.nextLong()) : null;

        out = new BufferedOutputStream(quic != null ? quic.output() : socket.getOutputStream(), STREAM_BUFFER_SIZE);
        peekable = new PeekableInputStream(quic != null ? quic.input() : socket.getInputStream(), STREAM_BUFFER_SIZE);
        in = new DataInputStream(peekable);
    }

    /**
     * Connect to {@code address}, which must be a loopback address: the harness never sends
     * traffic off this machine.
     *
     * @param bodySize      body bytes of every request.
     * @param readTimeoutMs longest a read may block before the run is abandoned.
     */
    static LoadConnection open(final InetSocketAddress address, final int bodySize, final int readTimeoutMs)
        throws IOException
    {
        return open(address, null, Framing.STREAM, bodySize, readTimeoutMs);
    }

    /** {@link #open(InetSocketAddress, SSLContext, Framing, int, int)} with frames back to back on the stream. */
    static LoadConnection open(
        final InetSocketAddress address, final SSLContext tls, final int bodySize, final int readTimeoutMs)
        throws IOException
    {
        return open(address, tls, Framing.STREAM, bodySize, readTimeoutMs);
    }

    /**
     * Connect to {@code address} (loopback only), over TLS when {@code tls} is not null.
     *
     * @param tls           null for plain TCP (and QUIC), else the context to wrap the socket with (TLS 1.3 only).
     * @param framing       frames back to back, one per WebSocket message after an upgrade, or back to
     *                      back on a QUIC stream.
     * @param bodySize      body bytes of every request.
     * @param readTimeoutMs longest a read (or a handshake) may block before the run is abandoned.
     */
    static LoadConnection open(
        final InetSocketAddress address,
        final SSLContext tls,
        final Framing framing,
        final int bodySize,
        final int readTimeoutMs)
        throws IOException
    {
        if (address.isUnresolved() || !address.getAddress().isLoopbackAddress())
        {
            throw new IllegalArgumentException(address + ": the load client connects only to loopback addresses");
        }
        if (bodySize < 0 || bodySize > EchoResponder.MAX_FRAME_SIZE - HEADER_SIZE)
        {
            throw new IllegalArgumentException("bodySize = " + bodySize + ": outside 0.." +
                (EchoResponder.MAX_FRAME_SIZE - HEADER_SIZE));
        }
        if (framing == Framing.QUIC)
        {
            if (tls != null)
            {
                throw new IllegalArgumentException("QUIC brings its own TLS 1.3: no SSLContext");
            }
            final QuicLoadLink link = QuicLoadLink.connect(address, readTimeoutMs);
            try
            {
                return new LoadConnection(null, link, framing, bodySize);
            }
            catch (final IOException | RuntimeException ex)
            {
                link.close();
                throw ex;
            }
        }
        final Socket socket = connect(address, tls, readTimeoutMs);
        try
        {
            if (framing == Framing.WEBSOCKET)
            {
                WebSocketClientCodec.handshake(socket, address);
            }
            return new LoadConnection(socket, null, framing, bodySize);
        }
        catch (final IOException | RuntimeException ex)
        {
            socket.close();
            throw ex;
        }
    }

    /**
     * A connected socket with TCP_NODELAY and {@code readTimeoutMs}; when {@code tls} is not null,
     * an {@link SSLSocket} over it, TLS 1.3 only with {@link BenchTls#CIPHER_SUITE}, handshake done.
     */
    static Socket connect(final InetSocketAddress address, final SSLContext tls, final int readTimeoutMs)
        throws IOException
    {
        final Socket socket = new Socket();
        try
        {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(readTimeoutMs);
            socket.connect(address, CONNECT_TIMEOUT_MS);
            if (tls == null)
            {
                return socket;
            }
            final SSLSocket sslSocket = (SSLSocket)tls.getSocketFactory()
                .createSocket(socket, address.getHostString(), address.getPort(), true);
            sslSocket.setUseClientMode(true);
            sslSocket.setEnabledProtocols(new String[] {BenchTls.PROTOCOL});
            sslSocket.setEnabledCipherSuites(new String[] {BenchTls.CIPHER_SUITE});
            sslSocket.setSoTimeout(readTimeoutMs);
            sslSocket.startHandshake();
            return sslSocket;
        }
        catch (final IOException | RuntimeException ex)
        {
            socket.close();
            throw ex;
        }
    }

    /**
     * "tcp", or the negotiated TLS protocol and cipher suite, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384";
     * followed by ", WebSocket" over a WebSocket connection; over QUIC, what {@link QuicLoadLink#security()} says.
     */
    String security()
    {
        if (quic != null)
        {
            return quic.security();
        }
        final String carrier;
        if (socket instanceof SSLSocket)
        {
            final SSLSocket sslSocket = (SSLSocket)socket;
            carrier = sslSocket.getSession().getProtocol() + " " + sslSocket.getSession().getCipherSuite();
        }
        else
        {
            carrier = "tcp";
        }
        return webSocket ? carrier + ", WebSocket" : carrier;
    }

    /** The {@code operation} the load client sends with request number {@code request}. */
    static int operationOf(final long request)
    {
        return (int)request & 0xFF;
    }

    /** Size of every request frame (and of every reply). */
    int frameSize()
    {
        return requestBytes.length;
    }

    /** The request frame template: header of the last request written, and the body. */
    UnsafeBuffer requestFrame()
    {
        return request;
    }

    long clientHi()
    {
        return clientHi;
    }

    long clientLo()
    {
        return clientLo;
    }

    /** Buffer a request (write side); it goes out when the stream buffer fills or on {@link #flush()}. */
    void writeRequest(final long requestNumber, final long timestampNs, final int operation) throws IOException
    {
        requestHeader.request(requestNumber).timestamp(timestampNs).operation(operation);
        // Only the header changed; the body checksum written by seal() in the constructor holds.
        request.putInt(FrameHeader.CHECKSUM_OFFSET, writeCodec.computeHeaderChecksum(request, 0), FrameHeader.ORDER);
        writeFrame(request, requestBytes, requestBytes.length);
    }

    /** Buffer a header-only ping_client (write side). */
    void writePing(final long timestampNs) throws IOException
    {
        ping.putLong(FrameHeader.TIMESTAMP_OFFSET, timestampNs, FrameHeader.ORDER);
        writeCodec.seal(ping, 0);
        writeFrame(ping, pingBytes, HEADER_SIZE);
    }

    /** One frame onto the stream as it is, or as one masked binary WebSocket message. */
    private void writeFrame(final UnsafeBuffer frame, final byte[] frameBytes, final int length) throws IOException
    {
        if (!webSocket)
        {
            out.write(frameBytes, 0, length);
            return;
        }
        final int maskKey = maskKeys.nextInt();
        final int headerLength =
            WebSocketClientCodec.writeHeader(message, 0, WebSocketClientCodec.OPCODE_BINARY, length, maskKey);
        WebSocketClientCodec.mask(frame, 0, message, headerLength, length, maskKey);
        out.write(message.byteArray(), 0, headerLength + length);
    }

    /** Send everything buffered (write side). */
    void flush() throws IOException
    {
        out.flush();
    }

    /**
     * Read one frame into the reply buffer (read side) and verify it as WIRE.md prescribes: size in
     * range (an echo's answer is never larger than the request), header checksum, cluster, body
     * checksum; over WebSocket, also that the frame fills its message exactly.
     *
     * @return the frame's command value.
     * @throws ProtocolException if a check fails (over WebSocket, also on a close from the server:
     *                           {@link WebSocketClientCodec.ClosedByServerException}).
     */
    int readFrame() throws IOException
    {
        final int messageLength;
        if (webSocket)
        {
            messageLength = WebSocketClientCodec.readMessage(in, replyBytes);
            if (messageLength < HEADER_SIZE)
            {
                throw new ProtocolException("a " + messageLength + "-byte message: shorter than a frame header");
            }
        }
        else
        {
            messageLength = -1;
            in.readFully(replyBytes, 0, HEADER_SIZE);
        }
        final int size = FrameHeader.size(reply, 0);
        if (size < HEADER_SIZE || size > replyBytes.length)
        {
            throw new ProtocolException("reply size = " + Integer.toUnsignedString(size) +
                ": outside " + HEADER_SIZE + ".." + replyBytes.length);
        }
        if (!readCodec.isHeaderValid(reply, 0))
        {
            throw new ProtocolException("reply header checksum mismatch");
        }
        if (FrameHeader.clusterHi(reply, 0) != EchoServer.CLUSTER_HI ||
            FrameHeader.clusterLo(reply, 0) != EchoServer.CLUSTER_LO)
        {
            throw new ProtocolException("reply from another cluster");
        }
        if (webSocket)
        {
            if (size != messageLength)
            {
                throw new ProtocolException("reply size = " + size + " in a " + messageLength + "-byte message");
            }
        }
        else
        {
            in.readFully(replyBytes, HEADER_SIZE, size - HEADER_SIZE);
        }
        if (!readCodec.isBodyValid(reply, 0, size))
        {
            throw new ProtocolException("reply body checksum mismatch");
        }
        return FrameHeader.command(reply, 0);
    }

    /**
     * Check the frame last read is the reply to request {@code requestNumber}: command, size,
     * client and request, and operation (read side). The body is covered by its checksum, which
     * was written by this client, so a matching checksum means the body came back unchanged.
     */
    void checkReply(final long requestNumber, final int operation) throws ProtocolException
    {
        final FrameHeader header = replyHeader.wrap(reply, 0);
        if (header.command() != Command.REPLY.code())
        {
            throw new ProtocolException("expected a reply, got command " + header.command());
        }
        if (header.size() != requestBytes.length)
        {
            throw new ProtocolException("reply size " + header.size() + " != request size " + requestBytes.length);
        }
        if (header.clientHi() != clientHi || header.clientLo() != clientLo)
        {
            throw new ProtocolException("reply for another client");
        }
        if (header.request() != requestNumber)
        {
            throw new ProtocolException("reply to request " + header.request() + ", expected " + requestNumber);
        }
        if (header.operation() != operation)
        {
            throw new ProtocolException("reply operation " + header.operation() + ", expected " + operation);
        }
        if (header.checksumBody() != request.getInt(FrameHeader.CHECKSUM_BODY_OFFSET, FrameHeader.ORDER))
        {
            throw new ProtocolException("reply body differs from the request body");
        }
    }

    /** The {@code timestamp} of the frame last read (read side). */
    long replyTimestampNs()
    {
        return replyHeader.wrap(reply, 0).timestamp();
    }

    /** The frame last read (read side), valid until the next {@link #readFrame()}. */
    UnsafeBuffer replyFrame()
    {
        return reply;
    }

    /** True if a whole or partial frame is already buffered, so the next read will not block at first. */
    boolean hasBufferedInput()
    {
        return peekable.buffered() > 0;
    }

    @Override
    public void close() throws IOException
    {
        if (quic != null)
        {
            quic.close();
            return;
        }
        socket.close();
    }

    /** The QUIC connection under this one, or null over a socket (tests look at how it closed). */
    QuicLoadLink quicLink()
    {
        return quic;
    }

    /** A BufferedInputStream that tells how many bytes it holds without asking the socket. */
    private static final class PeekableInputStream extends BufferedInputStream
    {
        PeekableInputStream(final InputStream in, final int size)
        {
            super(in, size);
        }

        int buffered()
        {
            return count - pos;
        }
    }
}
