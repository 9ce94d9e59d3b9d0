package io.ringbus.core;

/**
 * A snapshot of a bus's counters, summed over its shards.
 *
 * @param writeCalls        gathering writes issued.
 * @param framesWritten     frames fully written.
 * @param maxFramesPerWrite largest number of frames handed to one gathering write.
 * @param openConnections   client and replica connections open now.
 * @param limitedConnections             client connections (and QUIC handshakes) holding a place
 *                                       in the connection limits now.
 * @param refusedMaxConnections          client connections refused since start because
 *                                       max_connections were open.
 * @param refusedMaxConnectionsPerAddress client connections refused since start because their
 *                                       source address had max_connections_per_address open.
 */
public record BusStats(long writeCalls, long framesWritten, long maxFramesPerWrite, int openConnections,
    // Connection limits (issue 13, point 7)
    int limitedConnections, long refusedMaxConnections, long refusedMaxConnectionsPerAddress)
{
}
