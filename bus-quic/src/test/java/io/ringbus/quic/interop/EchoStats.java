package io.ringbus.quic.interop;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What an echo server peer saw, over all its connections: counters and the last error. Written by
 * the peer's I/O threads, read by any thread.
 */
public final class EchoStats
{
    final AtomicLong connections = new AtomicLong();
    final AtomicLong streams = new AtomicLong();
    final AtomicLong bytesReceived = new AtomicLong();
    final AtomicLong framesReceived = new AtomicLong();
    final AtomicLong repliesSent = new AtomicLong();
    final AtomicLong bytesSent = new AtomicLong();
    final AtomicLong protocolErrors = new AtomicLong();
    final AtomicReference<String> lastError = new AtomicReference<>();
    final AtomicReference<String> lastCipherSuite = new AtomicReference<>();
    final AtomicReference<String> lastPeerSubject = new AtomicReference<>();

    /** The subject of the last client certificate a server saw (RFC 2253), or null; servers that check one only. */
    public String lastPeerSubject()
    {
        return lastPeerSubject.get();
    }

    /** Connections whose handshake completed. */
    public long connections()
    {
        return connections.get();
    }

    /** Peer-initiated streams accepted. */
    public long streams()
    {
        return streams.get();
    }

    /** Stream bytes received. */
    public long bytesReceived()
    {
        return bytesReceived.get();
    }

    /** Whole, verified frames received. */
    public long framesReceived()
    {
        return framesReceived.get();
    }

    /** Reply and pong_client frames sent. */
    public long repliesSent()
    {
        return repliesSent.get();
    }

    /** Stream bytes sent. */
    public long bytesSent()
    {
        return bytesSent.get();
    }

    /** Connections closed for a protocol error (application error 0x1). */
    public long protocolErrors()
    {
        return protocolErrors.get();
    }

    /** The last protocol error or exception, or null. */
    public String lastError()
    {
        return lastError.get();
    }

    /** The TLS cipher suite of the last handshake, where the library tells it; else null. */
    public String lastCipherSuite()
    {
        return lastCipherSuite.get();
    }

    void error(final String reason)
    {
        protocolErrors.incrementAndGet();
        lastError.set(reason);
    }

    @Override
    public String toString()
    {
        return "EchoStats{connections=" + connections + ", streams=" + streams + ", bytesReceived=" + bytesReceived +
            ", framesReceived=" + framesReceived + ", repliesSent=" + repliesSent + ", bytesSent=" + bytesSent +
            ", protocolErrors=" + protocolErrors + ", lastError=" + lastError + ", cipherSuite=" + lastCipherSuite + "}";
    }
}
