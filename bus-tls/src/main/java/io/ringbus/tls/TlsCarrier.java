package io.ringbus.tls;

import io.ringbus.core.frame.FrameDecodeException;
import io.ringbus.core.frame.FrameError;
import io.ringbus.core.transport.Carrier;
import io.ringbus.core.transport.CarrierException;
import io.ringbus.core.transport.CloseReason;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.BiConsumer;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;

/**
 * TLS 1.3 as a {@link Carrier}, on an {@link SSLEngine}: the handshake, unwrap of records into the
 * frame stream, wrap of queued frames into records (a gathering wrap, several records per socket
 * write), close_notify before FIN, and truncation told apart from an orderly close.
 *
 * <p>Buffers are heap buffers (the JDK's SSLEngine copies direct buffers anyway). Delegated tasks
 * (key exchange, certificate path checks) run off the shard through {@link Sink#offload}: while
 * one runs, the engine is not touched from the shard and inbound bytes just accumulate.
 *
 * <p>Owned by its connection's shard.
 */
final class TlsCarrier implements Carrier
{
    private static final System.Logger LOG = System.getLogger(TlsCarrier.class.getName());
    private static final int MAX_NET_IN = 1 << 20;
    private static final int RECORDS_PER_WRITE = 8;
    private static final ByteBuffer[] NO_DATA = {ByteBuffer.allocate(0)};

    private final SSLEngine engine;
    private final boolean client;
    private ByteBuffer netIn;
    private int netInEnd;
    private ByteBuffer appIn;
    private final UnsafeBuffer appView = new UnsafeBuffer(new byte[0]);
    private final ByteBuffer netOut;
    private final ByteBuffer netOutRead;
    private int netOutReadIndex;

    private Sink sink;
    private volatile boolean taskRunning;
    private boolean handshakeDone;
    private boolean closeReceived;
    private boolean closeRequested;
    private boolean closeStarted;
    private String failure;
    private List<SNIServerName> serverNames;

    TlsCarrier(final SSLEngine engine, final boolean client)
    {
        this.engine = engine;
        this.client = client;
        final SSLSession session = engine.getSession();
        this.netIn = ByteBuffer.allocate(2 * session.getPacketBufferSize());
        this.appIn = ByteBuffer.allocate(session.getApplicationBufferSize());
        this.netOut = ByteBuffer.allocate(RECORDS_PER_WRITE * session.getPacketBufferSize());
        this.netOutRead = netOut.duplicate();
    }

    @Override
    public void start(final Sink sink)
    {
        this.sink = sink;
        try
        {
            engine.beginHandshake();
            progress();
        }
        catch (final SSLException | CarrierException | FrameDecodeException ex)
        {
            // Nothing has been read yet, so only a local set-up problem can land here.
            failure = "TLS handshake could not start: " + ex.getMessage();
            LOG.log(System.Logger.Level.WARNING, failure);
        }
    }

    @Override
    public ByteBuffer inboundSpace()
    {
        if (netInEnd == netIn.capacity() && netIn.capacity() < MAX_NET_IN)
        {
            final ByteBuffer larger = ByteBuffer.allocate(Math.min(MAX_NET_IN, netIn.capacity() * 2));
            netIn.limit(netInEnd).position(0);
            larger.put(netIn);
            netIn = larger;
        }
        netIn.limit(netIn.capacity()).position(netInEnd);
        return netIn;
    }

    @Override
    public void onInbound(final int bytes) throws CarrierException, FrameDecodeException
    {
        if (failure != null)
        {
            throw new CarrierException(CloseReason.PROTOCOL_ERROR, failure);
        }
        netInEnd += bytes;
        try
        {
            progress();
        }
        catch (final SSLException ex)
        {
            throw new CarrierException(CloseReason.PROTOCOL_ERROR,
                (handshakeDone ? "TLS: " : "TLS handshake failed: ") + ex.getMessage(), ex);
        }
    }

    /** Advance the engine as far as the bytes at hand allow. */
    private void progress() throws SSLException, CarrierException, FrameDecodeException
    {
        while (!taskRunning)
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
                    return; // netOut full: resumes once written
                }
                continue;
            }
            if (closeRequested && !closeStarted)
            {
                startClose();
                continue;
            }
            if (!unwrapOnce())
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

    /** Wrap handshake or alert bytes; false if netOut has no room. */
    private boolean wrapControl() throws SSLException
    {
        if (netOut.remaining() < engine.getSession().getPacketBufferSize())
        {
            return false;
        }
        final SSLEngineResult result = engine.wrap(NO_DATA, netOut);
        noteHandshake(result);
        if (result.getStatus() == SSLEngineResult.Status.CLOSED && result.bytesProduced() == 0)
        {
            return engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP && !engine.isOutboundDone();
        }
        return result.getStatus() != SSLEngineResult.Status.BUFFER_OVERFLOW;
    }

    /** One unwrap of the bytes at hand; false when more bytes are needed. */
    private boolean unwrapOnce() throws SSLException, FrameDecodeException
    {
        if (engine.isInboundDone())
        {
            // RFC 8446 6.1: data after a closure alert is ignored. Kept, it would fill netIn to
            // MAX_NET_IN and leave the connection reading into a full buffer (never seeing the FIN).
            netInEnd = 0;
            return false;
        }
        if (netInEnd == 0)
        {
            return false;
        }
        netIn.limit(netInEnd).position(0);
        final SSLEngineResult result;
        try
        {
            result = engine.unwrap(netIn, appIn);
        }
        finally
        {
            netIn.compact();
            netInEnd = netIn.position();
        }
        noteHandshake(result);
        if (!handshakeDone && !client)
        {
            captureServerNames();
        }
        deliver();
        switch (result.getStatus())
        {
            case BUFFER_UNDERFLOW:
                return false;
            case BUFFER_OVERFLOW:
                appIn = ByteBuffer.allocate(Math.max(appIn.capacity() * 2, engine.getSession().getApplicationBufferSize()));
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

    private void deliver() throws FrameDecodeException
    {
        if (appIn.position() > 0)
        {
            final int length = appIn.position();
            appIn.clear();
            appView.wrap(appIn.array(), 0, length);
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

    @Override
    public boolean isMidRecord()
    {
        // After progress() every whole record has been unwrapped: what is left is part of one.
        return netInEnd > 0;
    }

    @Override
    public void wrap(final ByteBuffer[] frames, final int count) throws CarrierException
    {
        final int packet = engine.getSession().getPacketBufferSize();
        try
        {
            while (netOut.remaining() >= packet && hasRemaining(frames, count))
            {
                final SSLEngineResult result = engine.wrap(frames, 0, count, netOut);
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
        return netOut.position() > netOutReadIndex;
    }

    @Override
    public int outbound(final ByteBuffer[] out)
    {
        netOutRead.limit(netOut.position()).position(netOutReadIndex);
        out[0] = netOutRead;
        return 1;
    }

    @Override
    public void onWritten(final long bytes)
    {
        netOutReadIndex += (int)bytes;
        if (netOutReadIndex == netOut.position())
        {
            netOut.clear();
            netOutReadIndex = 0;
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
        if (!engine.isOutboundDone() && !taskRunning)
        {
            engine.closeOutbound();
        }
    }
}
