package io.ringbus.bench.harness;

/**
 * What a pipelined run measured: replies received (each carrying a body of {@code bodySize}
 * bytes) over {@code elapsedNs}, from the first request sent to the last reply read. Immutable.
 *
 * @param messages  replies received, every one checked.
 * @param bodySize  body bytes of each request and reply.
 * @param elapsedNs wall time of the measured run.
 */
public record ThroughputResult(long messages, int bodySize, long elapsedNs)
{
    private static final double NS_PER_SECOND = 1e9;
    private static final double BYTES_PER_MB = 1e6;

    /** Replies per second. */
    public double messagesPerSecond()
    {
        return elapsedNs == 0 ? 0 : messages * NS_PER_SECOND / elapsedNs;
    }

    /** Body bytes echoed per second, in MB (10^6 bytes), one direction. */
    public double megabytesPerSecond()
    {
        return messagesPerSecond() * bodySize / BYTES_PER_MB;
    }
}
