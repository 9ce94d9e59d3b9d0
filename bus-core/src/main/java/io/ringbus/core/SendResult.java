package io.ringbus.core;

/** What became of a send. Whatever the result, the send took over the caller's reference. */
public enum SendResult
{
    /** Queued for the connection; it will be written in order. */
    OK,
    /** The connection's queue is full (peer_queue_capacity): the frame was dropped at once. */
    BACKPRESSURE,
    /** No connection to that client or replica now. */
    NOT_CONNECTED,
    /** The connection is closing or closed. */
    CLOSED
}
