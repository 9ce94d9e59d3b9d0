package io.ringbus.core;

/**
 * A snapshot of a bus's counters, summed over its shards.
 *
 * @param writeCalls        gathering writes issued.
 * @param framesWritten     frames fully written.
 * @param maxFramesPerWrite largest number of frames handed to one gathering write.
 * @param openConnections   client and replica connections open now.
 */
public record BusStats(long writeCalls, long framesWritten, long maxFramesPerWrite, int openConnections)
{
}
