package io.ringbus.core.backend;

/**
 * Receives the completions of one {@link IoChannel}, on the thread of the shard that owns it.
 * Results are byte counts or an {@link IoResult} code.
 */
public interface IoChannelHandler
{
    /** A connect finished: 0 on success, else an {@link IoResult} code. */
    void onConnect(int result);

    /** A read finished: bytes read (> 0), {@link IoResult#EOF}, or an error code. */
    void onRead(int result);

    /** A gathering write finished: bytes written (>= 0, possibly fewer than asked), or an error code. */
    void onWrite(long result);
}
