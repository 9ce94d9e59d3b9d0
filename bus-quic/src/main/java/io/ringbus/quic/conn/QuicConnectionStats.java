package io.ringbus.quic.conn;

/**
 * Counters of one {@link QuicConnection}, for tests and logs. Written on the connection's thread;
 * a reader on another thread may see stale values.
 */
public final class QuicConnectionStats
{
    long datagramsSent;
    long datagramsReceived;
    long bytesSent;
    long bytesReceived;
    long packetsSent;
    long packetsReceived;
    long packetsDropped;
    long packetsLost;
    long probesSent;
    long streamBytesSent;
    long streamBytesReceived;
    long keyUpdates;
    long keyUpdatesInitiated;
    long authenticationFailures;

    /** UDP datagrams handed to the sink. */
    public long datagramsSent()
    {
        return datagramsSent;
    }

    /** UDP datagrams handed to {@link QuicConnection#onDatagram}. */
    public long datagramsReceived()
    {
        return datagramsReceived;
    }

    /** UDP payload bytes sent. */
    public long bytesSent()
    {
        return bytesSent;
    }

    /** UDP payload bytes received. */
    public long bytesReceived()
    {
        return bytesReceived;
    }

    /** QUIC packets sent. */
    public long packetsSent()
    {
        return packetsSent;
    }

    /** QUIC packets received and processed. */
    public long packetsReceived()
    {
        return packetsReceived;
    }

    /** QUIC packets dropped unprocessed: undecryptable, no keys, duplicate, wrong version or connection ID. */
    public long packetsDropped()
    {
        return packetsDropped;
    }

    /** Sent packets declared lost. */
    public long packetsLost()
    {
        return packetsLost;
    }

    /** Probe timeouts that fired. */
    public long probesSent()
    {
        return probesSent;
    }

    /** Stream bytes sent for the first time. */
    public long streamBytesSent()
    {
        return streamBytesSent;
    }

    /** Stream bytes delivered to the listener. */
    public long streamBytesReceived()
    {
        return streamBytesReceived;
    }

    /** Key updates (RFC 9001 6) applied. */
    public long keyUpdates()
    {
        return keyUpdates;
    }

    /** Key updates we initiated (RFC 9001 6.1), before the confidentiality limit of the keys. */
    public long keyUpdatesInitiated()
    {
        return keyUpdatesInitiated;
    }

    /** Received packets that failed authentication, across all keys (RFC 9001 6.6: the integrity limit). */
    public long authenticationFailures()
    {
        return authenticationFailures;
    }

    @Override
    public String toString()
    {
        return "QuicConnectionStats{datagrams " + datagramsSent + " out / " + datagramsReceived + " in, bytes " +
            bytesSent + " out / " + bytesReceived + " in, packets " + packetsSent + " out / " + packetsReceived +
            " in, dropped " + packetsDropped + ", lost " + packetsLost + ", probes " + probesSent +
            ", stream bytes " + streamBytesSent + " out / " + streamBytesReceived + " in, key updates " +
            keyUpdates + " (" + keyUpdatesInitiated + " ours), failed authentication " + authenticationFailures + '}';
    }
}
