package io.ringbus.tls;

import io.ringbus.core.frame.FrameDecodeException;
import io.ringbus.core.frame.FrameError;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.frame.LeasedBuffer;
import io.ringbus.core.frame.ReceiveSizer;
import io.ringbus.core.log.LogLimiter;
import io.ringbus.core.stat.ProtocolErrorKind;
import io.ringbus.core.transport.Carrier;
import io.ringbus.core.transport.CarrierException;
import io.ringbus.core.transport.CloseReason;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.BiConsumer;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * TLS 1.3 as a {@link Carrier}, on an {@link SSLEngine}: the handshake, unwrap of records into the
 * frame stream, wrap of queued frames into records (a gathering wrap, several records per socket
 * write), close_notify before FIN, and truncation told apart from an orderly close.
 *
 * <p>Buffers: the net bytes on either side of the socket are in direct buffers from the bus's
 * pool ({@link LeasedBuffer}), held only while they hold bytes: the receive buffer is taken when a
 * read is armed (sized by recent reads, {@link ReceiveSizer}, from the smallest pool class) and
 * given back once every record in it is unwrapped; a partial record keeps a buffer of the size its
 * header announces (RFC 8446 5.1: at most 2^14 + 256 bytes of ciphertext). Records to send wait in
 * a buffer of the size they take, given back once written. The engine itself works on heap
 * buffers (the JDK's SSLEngine copies direct buffers anyway): a per-thread {@link TlsScratch} holds
 * the ciphertext being unwrapped, the plaintext it yields and the records being wrapped, so an idle
 * connection holds none of them. Delegated tasks (key exchange, certificate path checks) run off
 * the shard through {@link Sink#offload}: while one runs, the engine is not touched from the shard
 * and inbound bytes just accumulate.
 *
 * <p>Owned by its connection's shard.
 */
final class TlsCarrier implements Carrier
{
    private static final System.Logger LOG = System.getLogger(TlsCarrier.class.getName());
    private static final int MAX_NET_IN = 1 << 20;
    private static final int RECORDS_PER_WRITE = 8;
    /** RFC 8446 5.1: content type (1), legacy version (2), length (2). */
    private static final int RECORD_HEADER_SIZE = 5;
    private static final ByteBuffer[] NO_DATA = {ByteBuffer.allocate(0)};
    /** Handshake failures are the peer's doing: at most one line per reason per second, with a count. */
    static final LogLimiter LOG_LIMITER = new LogLimiter();

    private final SSLEngine engine;
    private final boolean client;
    private final int packetSize;
    private final ReceiveSizer sizer;
    private final UnsafeBuffer appView = new UnsafeBuffer(new byte[0]);
    private LeasedBuffer netIn; // ciphertext read from the socket: [netInStart, netInEnd) not yet unwrapped
    private int netInStart;
    private int netInEnd;
    private int offered;
    private boolean readArmed; // netIn is lent to a read: its bytes may not move
    private LeasedBuffer netOut; // records for the socket: [netOutReadIndex, netOutEnd) not yet written
    private int netOutEnd;
    private int netOutReadIndex;
    private boolean writing; // netOut is lent to a write: its bytes may not move
    private int appBufferSize;

    private Sink sink;
    private TlsScratch scratch; // its input side is held while progress() runs
    private boolean progressing;
    private boolean progressAgain;
    private boolean released;
    private volatile boolean taskRunning;
    private boolean handshakeDone;
    private boolean closeReceived;
    private boolean closeRequested;
    private boolean closeStarted;
    private String failure;
    private List<SNIServerName> serverNames;
    private final boolean clientCertificateRequired;
    private X509Certificate peerCertificate;

    TlsCarrier(final SSLEngine engine, final boolean client)
    {
        this.engine = engine;
        this.client = client;
        this.clientCertificateRequired = !client && engine.getNeedClientAuth();
        this.packetSize = engine.getSession().getPacketBufferSize();
        this.sizer = new ReceiveSizer(FramePool.MIN_CLASS_SIZE, 2 * packetSize);
        this.appBufferSize = engine.getSession().getApplicationBufferSize();
    }

    @Override
    public void start(final Sink sink)
    {
        this.sink = sink;
        this.netIn = new LeasedBuffer(sink.pool());
        this.netOut = new LeasedBuffer(sink.pool());
        try
        {
            engine.beginHandshake();
            progress();
        }
        catch (final SSLException | CarrierException | FrameDecodeException ex)
        {
            // Nothing has been read yet, so only a local set-up problem can land here.
            failure = "TLS handshake could not start: " + ex.getMessage();
            final long held = LOG_LIMITER.admit("tls_start", System.nanoTime());
            if (held >= 0)
            {
                LOG.log(System.Logger.Level.WARNING, failure + LogLimiter.suffix(held));
            }
        }
    }

    @Override
    public ByteBuffer inboundSpace()
    {
        final int pending = netInEnd - netInStart;
        if (!netIn.isHeld())
        {
            netIn.take(sizer.size());
        }
        else
        {
            // Room for the whole record that starts the pending bytes (its header says how long it
            // is), for larger reads while they fill the buffer, and for bytes piling up while a
            // delegated task runs.
            int capacity = Math.max(recordSizeAt(netInStart, pending), sizer.size());
            if (pending == netIn.capacity())
            {
                capacity = Math.max(capacity, 2 * pending);
            }
            capacity = Math.min(MAX_NET_IN, capacity);
            if (capacity > netIn.capacity())
            {
                netIn.grow(capacity, netInStart, netInEnd);
            }
            else if (netInStart > 0)
            {
                netIn.buffer().putBytes(0, netIn.buffer(), netInStart, pending);
            }
        }
        netInStart = 0;
        netInEnd = pending;
        readArmed = true;
        final ByteBuffer space = netIn.byteBuffer();
        space.limit(space.capacity()).position(netInEnd);
        offered = space.remaining();
        return space;
    }

    /** Bytes of the record whose header starts at {@code offset} (RFC 8446 5.1), or 0 while its header is incomplete. */
    private int recordSizeAt(final int offset, final int available)
    {
        if (available < RECORD_HEADER_SIZE)
        {
            return 0;
        }
        final UnsafeBuffer buffer = netIn.buffer();
        return RECORD_HEADER_SIZE + (((buffer.getByte(offset + 3) & 0xFF) << 8) | (buffer.getByte(offset + 4) & 0xFF));
    }

    @Override
    public void onInbound(final int bytes) throws CarrierException, FrameDecodeException
    {
        if (failure != null)
        {
            throw new CarrierException(CloseReason.PROTOCOL_ERROR, ProtocolErrorKind.TLS, failure);
        }
        if (bytes > 0)
        {
            // A read completed (0 is the resume after a delegated task, with a read perhaps still armed).
            readArmed = false;
            netInEnd += bytes;
            sizer.record(bytes, offered);
        }
        try
        {
            progress();
        }
        catch (final SSLException ex)
        {
            if (!handshakeDone && clientCertificateRequired)
            {
                // Mutual TLS: a client without a certificate, or with one no --client-ca vouches
                // for, fails here. Said once per interval; the connection's close carries the detail.
                final long held = LOG_LIMITER.admit("tls_client_certificate", System.nanoTime());
                if (held >= 0)
                {
                    LOG.log(System.Logger.Level.WARNING, "TLS handshake failed where a client certificate is " +
                        "required: " + ex.getMessage() + LogLimiter.suffix(held));
                }
            }
            throw new CarrierException(CloseReason.PROTOCOL_ERROR, ProtocolErrorKind.TLS,
                (handshakeDone ? "TLS: " : "TLS handshake failed: ") + ex.getMessage(), ex);
        }
    }

    /**
     * Advance the engine as far as the bytes at hand allow. The pending ciphertext is unwrapped
     * from a heap copy; what it consumed is dropped from {@code netIn} afterwards. While a read is
     * armed the bytes in {@code netIn} stay where they are (the backend may be writing behind
     * them); otherwise a drained {@code netIn} goes back to the pool.
     */
    private void progress() throws SSLException, CarrierException, FrameDecodeException
    {
        if (progressing)
        {
            progressAgain = true; // re-entered from a callback (a close from the frame handler): the running pass goes on
            return;
        }
        progressing = true;
        final TlsScratch held = TlsScratch.forInput();
        scratch = held;
        final int base = netInStart;
        final int pending = netInEnd - netInStart;
        final ByteBuffer in = held.in(pending);
        if (pending > 0)
        {
            netIn.buffer().getBytes(base, in.array(), 0, pending);
        }
        in.limit(pending).position(0);
        try
        {
            do
            {
                progressAgain = false;
                advance(in);
            }
            while (progressAgain && !released && !taskRunning);
        }
        finally
        {
            progressing = false;
            scratch = null;
            held.releaseInput();
            if (!released)
            {
                netInStart = base + in.position();
                if (!readArmed && netInStart == netInEnd)
                {
                    netIn.release(); // drained: an idle connection holds no receive buffer
                    netInStart = 0;
                    netInEnd = 0;
                }
            }
        }
    }

    private void advance(final ByteBuffer in) throws SSLException, CarrierException, FrameDecodeException
    {
        while (!taskRunning && !released)
        {
            final HandshakeStatus status = engine.getHandshakeStatus();
            if (status == HandshakeStatus.NEED_TASK)
            {
                offloadTasks();
                return;
            }
            if (status == HandshakeStatus.NEED_WRAP)
            {
                if (!wrapControl())
                {
                    return; // no room for output: resumes once written
                }
                continue;
            }
            if (closeRequested && !closeStarted)
            {
                startClose();
                continue;
            }
            if (!unwrapOnce(in))
            {
                return;
            }
        }
    }

    private void offloadTasks()
    {
        taskRunning = true;
        sink.offload(() ->
        {
            try
            {
                Runnable task;
                while ((task = engine.getDelegatedTask()) != null)
                {
                    task.run();
                }
            }
            finally
            {
                taskRunning = false;
            }
        });
    }

    /** Wrap handshake or alert bytes; false if there is no room for a record now. */
    private boolean wrapControl() throws SSLException
    {
        if (writing && netOut.capacity() - netOutEnd < packetSize)
        {
            return false; // a write reads netOut: it may not move, and has no room behind its bytes
        }
        final ByteBuffer out = TlsScratch.output(packetSize);
        final SSLEngineResult result = engine.wrap(NO_DATA, out);
        appendOut(out);
        noteHandshake(result);
        if (result.getStatus() == SSLEngineResult.Status.CLOSED && result.bytesProduced() == 0)
        {
            return engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP && !engine.isOutboundDone();
        }
        return result.getStatus() != SSLEngineResult.Status.BUFFER_OVERFLOW;
    }

    /** Queue the records wrapped into {@code out} (from 0 to its position) for the socket. */
    private void appendOut(final ByteBuffer out)
    {
        final int produced = out.position();
        if (produced == 0)
        {
            return;
        }
        if (netOutReadIndex == netOutEnd)
        {
            netOutReadIndex = 0;
            netOutEnd = 0;
        }
        if (netOut.capacity() - netOutEnd < produced)
        {
            if (writing)
            {
                throw new IllegalStateException("TLS output grew under a write: " + produced + " bytes for " +
                    (netOut.capacity() - netOutEnd));
            }
            final int pending = netOutEnd - netOutReadIndex;
            netOut.grow(pending + produced, netOutReadIndex, netOutEnd);
            netOutReadIndex = 0;
            netOutEnd = pending;
        }
        netOut.buffer().putBytes(netOutEnd, out.array(), 0, produced);
        netOutEnd += produced;
    }

    /** One unwrap of the bytes at hand; false when more bytes are needed. */
    private boolean unwrapOnce(final ByteBuffer in) throws SSLException, FrameDecodeException
    {
        if (engine.isInboundDone())
        {
            // RFC 8446 6.1: data after a closure alert is ignored. Kept, it would fill netIn to
            // MAX_NET_IN and leave the connection reading into a full buffer (never seeing the FIN).
            in.position(in.limit());
            return false;
        }
        if (!in.hasRemaining())
        {
            return false;
        }
        final ByteBuffer app = scratch.app(appBufferSize);
        final SSLEngineResult result = engine.unwrap(in, app);
        noteHandshake(result);
        if (!handshakeDone && !client)
        {
            captureServerNames();
        }
        deliver(app);
        switch (result.getStatus())
        {
            case BUFFER_UNDERFLOW:
                return false;
            case BUFFER_OVERFLOW:
                appBufferSize = Math.max(2 * app.capacity(), engine.getSession().getApplicationBufferSize());
                return true;
            case CLOSED:
                if (!closeReceived)
                {
                    closeReceived = true;
                    sink.onPeerClosing("TLS close_notify received");
                }
                return engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP;
            default:
                // BouncyCastle JSSE answers a bad first record (plaintext, garbage) with OK, nothing
                // consumed and NEED_WRAP: the alert and the deferred SSLException come out of the next
                // wrap. Stopping here would leave the peer waiting until handshake_grace.
                return result.bytesConsumed() > 0 || result.bytesProduced() > 0 ||
                    result.getHandshakeStatus() == HandshakeStatus.NEED_WRAP ||
                    result.getHandshakeStatus() == HandshakeStatus.NEED_TASK;
        }
    }

    /**
     * Record the SNI names the client asked for. BouncyCastle JSSE answers
     * getRequestedServerNames() only on the handshake session, which is gone once the handshake
     * is done, so they are read while it exists (the JDK answers on either session).
     */
    private void captureServerNames()
    {
        if (serverNames != null)
        {
            return;
        }
        final SSLSession handshake = engine.getHandshakeSession();
        if (handshake instanceof ExtendedSSLSession)
        {
            try
            {
                final List<SNIServerName> names = ((ExtendedSSLSession)handshake).getRequestedServerNames();
                if (names != null && !names.isEmpty())
                {
                    serverNames = List.copyOf(names);
                }
            }
            catch (final UnsupportedOperationException ex)
            {
                serverNames = List.of();
            }
        }
    }

    private void deliver(final ByteBuffer app) throws FrameDecodeException
    {
        if (app.position() > 0)
        {
            final int length = app.position();
            app.clear();
            appView.wrap(app.array(), 0, length);
            sink.onApplicationBytes(appView, 0, length);
        }
    }

    private void noteHandshake(final SSLEngineResult result)
    {
        if (result.getHandshakeStatus() == HandshakeStatus.FINISHED)
        {
            handshakeDone = true;
        }
    }

    @Override
    public boolean isOpen()
    {
        return handshakeDone;
    }

    /** The client's verified leaf certificate (a server requiring one), read once the handshake is done. */
    @Override
    public X509Certificate peerCertificate()
    {
        if (peerCertificate == null && handshakeDone && !client)
        {
            try
            {
                final Certificate[] chain = engine.getSession().getPeerCertificates();
                if (chain.length > 0 && chain[0] instanceof X509Certificate)
                {
                    peerCertificate = (X509Certificate)chain[0];
                }
            }
            catch (final SSLPeerUnverifiedException ex)
            {
                return null; // the client presented no certificate (none was asked for)
            }
        }
        return peerCertificate;
    }

    @Override
    public boolean isMidRecord()
    {
        // After progress() every whole record has been unwrapped: what is left is part of one.
        return netInEnd > 0;
    }

    @Override
    public void wrap(final ByteBuffer[] frames, final int count) throws CarrierException
    {
        // Under a write only the room behind its bytes may be filled; otherwise up to a batch of records.
        final int room = writing ? netOut.capacity() - netOutEnd : RECORDS_PER_WRITE * packetSize;
        if (room < packetSize)
        {
            return;
        }
        final ByteBuffer out = TlsScratch.output(room);
        try
        {
            while (out.remaining() >= packetSize && hasRemaining(frames, count))
            {
                final SSLEngineResult result = engine.wrap(frames, 0, count, out);
                if (result.getStatus() == SSLEngineResult.Status.CLOSED)
                {
                    throw new CarrierException(CloseReason.IO_ERROR, "TLS engine closed while frames were queued");
                }
                if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW || result.bytesConsumed() == 0)
                {
                    break;
                }
            }
        }
        catch (final SSLException ex)
        {
            throw new CarrierException(CloseReason.IO_ERROR, "TLS wrap failed: " + ex.getMessage(), ex);
        }
        finally
        {
            appendOut(out);
        }
    }

    private static boolean hasRemaining(final ByteBuffer[] buffers, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (buffers[i].hasRemaining())
            {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean hasOutbound()
    {
        return netOutEnd > netOutReadIndex;
    }

    @Override
    public int outbound(final ByteBuffer[] out)
    {
        writing = true; // the connection writes these bytes now: they stay put until onWritten
        final ByteBuffer pending = netOut.byteBuffer();
        pending.limit(netOutEnd).position(netOutReadIndex);
        out[0] = pending;
        return 1;
    }

    @Override
    public void onWritten(final long bytes)
    {
        writing = false;
        netOutReadIndex += (int)bytes;
        if (netOutReadIndex == netOutEnd)
        {
            netOutReadIndex = 0;
            netOutEnd = 0;
            netOut.release(); // drained: an idle connection holds no send buffer
            if (!taskRunning)
            {
                try
                {
                    progress(); // handshake or close bytes that did not fit before
                }
                catch (final SSLException | CarrierException | FrameDecodeException ex)
                {
                    failure = "TLS: " + ex.getMessage();
                }
            }
        }
    }

    @Override
    public void closeOutbound(final CloseReason reason, final FrameError frameError)
    {
        closeRequested = true;
        if (!taskRunning)
        {
            try
            {
                startClose();
                progress();
            }
            catch (final SSLException | CarrierException | FrameDecodeException ex)
            {
                // The engine is past saving; FIN follows without close_notify.
                failure = "TLS close: " + ex.getMessage();
            }
        }
    }

    private void startClose() throws SSLException
    {
        if (!closeStarted)
        {
            closeStarted = true;
            engine.closeOutbound();
            while (!engine.isOutboundDone() && wrapControl())
            {
                // close_notify (and any pending alert) goes into netOut
            }
        }
    }

    @Override
    public boolean isOutboundDone()
    {
        return failure != null || (closeStarted && engine.isOutboundDone());
    }

    @Override
    public boolean onEof()
    {
        // Not engine.closeInbound(): without a close_notify it throws and may fail the engine
        // (BouncyCastle's then sends no close_notify at all), while our own close must still send
        // close_notify before FIN. Whether the peer's close_notify came is known here anyway.
        return closeReceived || engine.isInboundDone(); // false: end of stream without close_notify, a truncation
    }

    @Override
    public void describe(final BiConsumer<String, String> details)
    {
        final SSLSession session = engine.getSession();
        details.accept("tls.protocol", session.getProtocol());
        details.accept("tls.cipher_suite", session.getCipherSuite());
        if (!client && session instanceof ExtendedSSLSession)
        {
            for (final SNIServerName name : requestedServerNames((ExtendedSSLSession)session))
            {
                if (name instanceof SNIHostName)
                {
                    details.accept("tls.sni", ((SNIHostName)name).getAsciiName());
                }
            }
        }
        final String alpn = engine.getApplicationProtocol();
        if (alpn != null && !alpn.isEmpty())
        {
            details.accept("tls.alpn", alpn);
        }
    }

    private List<SNIServerName> requestedServerNames(final ExtendedSSLSession session)
    {
        if (serverNames != null)
        {
            return serverNames; // read during the handshake (see captureServerNames)
        }
        try
        {
            return session.getRequestedServerNames();
        }
        catch (final UnsupportedOperationException ex)
        {
            // BouncyCastle JSSE's exported session does not implement it, and its handshake session
            // is gone by now: the client sent no SNI that captureServerNames could see.
            return List.of();
        }
    }

    @Override
    public void release()
    {
        released = true;
        if (!engine.isOutboundDone() && !taskRunning)
        {
            engine.closeOutbound();
        }
        if (netIn != null)
        {
            netIn.release();
            netOut.release();
        }
        netInStart = 0;
        netInEnd = 0;
        netOutReadIndex = 0;
        netOutEnd = 0;
    }

    /** Bytes of pooled buffers held now (tests). */
    int heldCapacity()
    {
        return (netIn != null ? netIn.capacity() : 0) + (netOut != null ? netOut.capacity() : 0);
    }

    @Override
    public boolean hasFailed()
    {
        return failure != null;
    }
}
