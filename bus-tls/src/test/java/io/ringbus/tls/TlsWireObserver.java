package io.ringbus.tls;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.security.cert.X509Certificate;
import java.time.Duration;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * A TLS 1.3 client on the JDK's {@link SSLEngine} over a plain blocking socket, so that a test sees
 * exactly which records arrived before the server's FIN: in TLS 1.3 the close_notify alert is
 * encrypted like any record, so only an engine can tell it from data. {@link #readToEndOfStream()}
 * reads the raw bytes up to the FIN and then decrypts them: a close_notify found there came before
 * the FIN (the engine's unwrap answers CLOSED); a FIN without one makes {@code closeInbound()} throw
 * ("Inbound closed before receiving peer's close_notify"), recorded as {@link Ending#truncation}.
 *
 * <p>The application bytes are also offered as streams and as a {@link Socket} view, so a
 * WebSocket test peer can run over it (wss). Used by one test thread.
 */
public final class TlsWireObserver implements AutoCloseable
{
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private static final String[] TLS13 = {"TLSv1.3"};

    private final Socket socket;
    private final SSLEngine engine;
    private final ByteBuffer netOut;
    private ByteBuffer netIn;
    private ByteBuffer appIn;
    private boolean closeNotifySeen;
    private boolean finSeen;
    private final InputStream plaintextIn = new PlaintextIn();
    private final OutputStream plaintextOut = new PlaintextOut();

    /** What the end of a stream held. */
    public static final class Ending
    {
        /** A close_notify arrived before the FIN. */
        public boolean closeNotify;
        /** A fatal alert, or a record that failed to decrypt, in place of close_notify; else null. */
        public String alert;
        /** {@code closeInbound()}'s complaint at a FIN without close_notify; null after a close_notify. */
        public String truncation;
        /** The connection was reset instead of ended by FIN. */
        public boolean reset;
        /** Application bytes decrypted from what arrived after the last plaintext read. */
        public int applicationBytes;
        /** Raw bytes after the close_notify (RFC 8446 6.1: nothing may follow it). */
        public int bytesAfterCloseNotify;
        /** Raw bytes read by {@link #readToEndOfStream()}. */
        public int totalBytes;

        @Override
        public String toString()
        {
            return "Ending{closeNotify=" + closeNotify + ", alert=" + alert + ", truncation=" + truncation +
                ", reset=" + reset + ", applicationBytes=" + applicationBytes + ", bytesAfterCloseNotify=" +
                bytesAfterCloseNotify + ", totalBytes=" + totalBytes + '}';
        }
    }

    private TlsWireObserver(final InetSocketAddress address, final X509Certificate trusted, final Duration timeout)
        throws IOException
    {
        this.socket = new Socket(address.getAddress(), address.getPort());
        socket.setTcpNoDelay(true);
        socket.setSoTimeout((int)timeout.toMillis());
        this.engine = TlsTransportTest.jdkClientContext(trusted).createSSLEngine("localhost", address.getPort());
        engine.setUseClientMode(true);
        engine.setEnabledProtocols(TLS13);
        final int packet = engine.getSession().getPacketBufferSize();
        this.netOut = ByteBuffer.allocate(packet);
        this.netIn = ByteBuffer.allocate(2 * packet);
        this.appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
    }

    /** Connect to {@code address}, trusting exactly {@code trusted}; each read waits at most {@code timeout}. */
    public static TlsWireObserver connect(final InetSocketAddress address, final X509Certificate trusted,
        final Duration timeout) throws IOException
    {
        final TlsWireObserver observer = new TlsWireObserver(address, trusted, timeout);
        try
        {
            observer.handshake();
        }
        catch (final IOException | RuntimeException ex)
        {
            observer.close();
            throw ex;
        }
        return observer;
    }

    /** A connected observer whose handshake has not run (for tests that send bytes below TLS first). */
    static TlsWireObserver unconnected(final InetSocketAddress address, final X509Certificate trusted,
        final Duration timeout) throws IOException
    {
        return new TlsWireObserver(address, trusted, timeout);
    }

    void handshake() throws IOException
    {
        engine.beginHandshake();
        HandshakeStatus status = engine.getHandshakeStatus();
        while (status != HandshakeStatus.FINISHED && status != HandshakeStatus.NOT_HANDSHAKING)
        {
            switch (status)
            {
                case NEED_WRAP:
                    status = wrapAndSend(EMPTY).getHandshakeStatus();
                    break;
                case NEED_UNWRAP:
                    status = unwrapOrEof().getHandshakeStatus();
                    break;
                case NEED_TASK:
                    runTasks();
                    status = engine.getHandshakeStatus();
                    break;
                default:
                    throw new IllegalStateException("handshake status " + status);
            }
        }
    }

    /** Write application bytes. */
    public void write(final byte[] bytes) throws IOException
    {
        final ByteBuffer source = ByteBuffer.wrap(bytes);
        while (source.hasRemaining())
        {
            wrapAndSend(source);
        }
    }

    /** Exactly {@code length} application bytes. */
    public byte[] read(final int length) throws IOException
    {
        while (appIn.position() < length)
        {
            if (!unwrapMore())
            {
                throw new EOFException((closeNotifySeen ? "close_notify" : "end of stream") + " after " +
                    appIn.position() + " of " + length + " bytes");
            }
        }
        appIn.flip();
        final byte[] bytes = new byte[length];
        appIn.get(bytes);
        appIn.compact();
        return bytes;
    }

    /** One more record into appIn; false once the server's close_notify or FIN has been read. */
    private boolean unwrapMore() throws IOException
    {
        if (closeNotifySeen || finSeen)
        {
            return false;
        }
        final SSLEngineResult result = unwrapOnce();
        if (result == null)
        {
            finSeen = true; // readToEndOfStream tells what the FIN ended
            return false;
        }
        if (result.getStatus() == SSLEngineResult.Status.CLOSED)
        {
            closeNotifySeen = true;
            return false;
        }
        afterUnwrap(result);
        return true;
    }

    /** The application bytes as a stream: end of stream at the server's close_notify. */
    public InputStream plaintextIn()
    {
        return plaintextIn;
    }

    /** Application bytes out, each write one or more records. */
    public OutputStream plaintextOut()
    {
        return plaintextOut;
    }

    /** A {@link Socket} whose streams are the application bytes, for a peer that speaks over a socket (wss). */
    public Socket asSocket()
    {
        return new PlaintextSocket();
    }

    /**
     * Read raw bytes until the server's FIN, then decrypt them: only what arrived before the FIN is
     * looked at, so a close_notify found there came before it. Call after the last application read.
     */
    public Ending readToEndOfStream() throws IOException
    {
        final ByteArrayOutputStream raw = new ByteArrayOutputStream();
        final Ending ending = new Ending();
        final byte[] chunk = new byte[64 * 1024];
        final InputStream in = socket.getInputStream();
        try
        {
            int n;
            while ((n = in.read(chunk)) >= 0)
            {
                raw.write(chunk, 0, n);
            }
        }
        catch (final SocketException ex)
        {
            ending.reset = true;
        }
        ending.totalBytes = raw.size();
        final byte[] bytes = raw.toByteArray();
        netIn = grow(netIn, bytes.length);
        netIn.put(bytes);
        netIn.flip();
        if (closeNotifySeen)
        {
            ending.closeNotify = true;
            ending.bytesAfterCloseNotify = netIn.remaining();
            return ending;
        }
        final int appBefore = appIn.position();
        while (netIn.hasRemaining())
        {
            final SSLEngineResult result;
            try
            {
                result = engine.unwrap(netIn, appIn);
            }
            catch (final SSLException ex)
            {
                ending.alert = ex.getMessage();
                break;
            }
            if (result.getStatus() == SSLEngineResult.Status.CLOSED)
            {
                ending.closeNotify = true;
                ending.bytesAfterCloseNotify = netIn.remaining();
                break;
            }
            if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW)
            {
                break; // a partial record before the FIN
            }
            if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW)
            {
                appIn = grow(appIn, appIn.capacity());
            }
            if (result.getHandshakeStatus() == HandshakeStatus.NEED_TASK)
            {
                runTasks();
            }
        }
        ending.applicationBytes = appIn.position() - appBefore;
        if (!ending.closeNotify && ending.alert == null)
        {
            try
            {
                engine.closeInbound(); // what a strict client does at the FIN
            }
            catch (final SSLException ex)
            {
                ending.truncation = ex.getMessage();
            }
        }
        return ending;
    }

    /** Our close_notify, then nothing more at the TLS level. */
    public void sendCloseNotify() throws IOException
    {
        engine.closeOutbound();
        while (!engine.isOutboundDone())
        {
            wrapAndSend(EMPTY);
        }
    }

    /** Bytes straight onto the TCP stream, below TLS. */
    public void writeRaw(final byte[] bytes) throws IOException
    {
        socket.getOutputStream().write(bytes);
    }

    /** FIN, with no close_notify before it unless {@link #sendCloseNotify} sent one. */
    public void finWithoutCloseNotify() throws IOException
    {
        socket.shutdownOutput();
    }

    private SSLEngineResult wrapAndSend(final ByteBuffer source) throws IOException
    {
        netOut.clear();
        final SSLEngineResult result = engine.wrap(source, netOut);
        socket.getOutputStream().write(netOut.array(), 0, netOut.position());
        return result;
    }

    private SSLEngineResult unwrapOrEof() throws IOException
    {
        final SSLEngineResult result = unwrapOnce();
        if (result == null)
        {
            throw new EOFException("end of stream during the TLS handshake");
        }
        return result;
    }

    /** One unwrap that consumed a whole record, reading from the socket as needed; null at end of stream. */
    private SSLEngineResult unwrapOnce() throws IOException
    {
        while (true)
        {
            netIn.flip();
            final SSLEngineResult result;
            try
            {
                result = engine.unwrap(netIn, appIn);
            }
            finally
            {
                netIn.compact();
            }
            if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW)
            {
                appIn = grow(appIn, appIn.capacity());
                continue;
            }
            if (result.getStatus() != SSLEngineResult.Status.BUFFER_UNDERFLOW)
            {
                return result;
            }
            if (!netIn.hasRemaining())
            {
                netIn = grow(netIn, netIn.capacity());
            }
            final int n = socket.getInputStream().read(netIn.array(), netIn.arrayOffset() + netIn.position(),
                netIn.remaining());
            if (n < 0)
            {
                return null;
            }
            netIn.position(netIn.position() + n);
        }
    }

    /** Post-handshake messages (NewSessionTicket, KeyUpdate) may want a task or an answer. */
    private void afterUnwrap(final SSLEngineResult result) throws IOException
    {
        HandshakeStatus status = result.getHandshakeStatus();
        while (status == HandshakeStatus.NEED_TASK || status == HandshakeStatus.NEED_WRAP)
        {
            if (status == HandshakeStatus.NEED_TASK)
            {
                runTasks();
                status = engine.getHandshakeStatus();
            }
            else
            {
                status = wrapAndSend(EMPTY).getHandshakeStatus();
            }
        }
    }

    private void runTasks()
    {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null)
        {
            task.run();
        }
    }

    private static ByteBuffer grow(final ByteBuffer buffer, final int extra)
    {
        final ByteBuffer larger = ByteBuffer.allocate(buffer.capacity() + extra);
        buffer.flip();
        larger.put(buffer);
        return larger;
    }

    @Override
    public void close() throws IOException
    {
        socket.close();
    }

    /** Decrypted bytes; -1 at the server's close_notify or FIN ({@link #readToEndOfStream()} tells which). */
    private final class PlaintextIn extends InputStream
    {
        @Override
        public int read() throws IOException
        {
            final byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(final byte[] bytes, final int offset, final int length) throws IOException
        {
            if (length == 0)
            {
                return 0;
            }
            while (appIn.position() == 0)
            {
                if (!unwrapMore())
                {
                    return -1;
                }
            }
            appIn.flip();
            final int n = Math.min(length, appIn.remaining());
            appIn.get(bytes, offset, n);
            appIn.compact();
            return n;
        }
    }

    private final class PlaintextOut extends OutputStream
    {
        @Override
        public void write(final int b) throws IOException
        {
            TlsWireObserver.this.write(new byte[] {(byte)b});
        }

        @Override
        public void write(final byte[] bytes, final int offset, final int length) throws IOException
        {
            final ByteBuffer source = ByteBuffer.wrap(bytes, offset, length);
            while (source.hasRemaining())
            {
                wrapAndSend(source);
            }
        }
    }

    /** The observer as a socket of application bytes; timeouts, FIN and close go to the plain socket. */
    private final class PlaintextSocket extends Socket
    {
        @Override
        public InputStream getInputStream()
        {
            return plaintextIn;
        }

        @Override
        public OutputStream getOutputStream()
        {
            return plaintextOut;
        }

        @Override
        public void setSoTimeout(final int timeoutMs) throws SocketException
        {
            socket.setSoTimeout(timeoutMs);
        }

        @Override
        public void setTcpNoDelay(final boolean on) throws SocketException
        {
            socket.setTcpNoDelay(on);
        }

        @Override
        public void shutdownOutput() throws IOException
        {
            socket.shutdownOutput();
        }

        @Override
        public boolean isClosed()
        {
            return socket.isClosed();
        }

        @Override
        public synchronized void close() throws IOException
        {
            socket.close();
        }
    }
}
