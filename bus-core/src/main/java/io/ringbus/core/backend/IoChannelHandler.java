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

    /**
     * The channel is closed and no operation submitted on it is in flight any more: every buffer
     * it was given to read into or write from is the caller's again (to release, to pool, to
     * reuse). Called once, only after {@link IoChannel#close()}, and only by a channel that was not
     * already {@link IoChannel#isQuiescent() quiescent} when {@code close()} returned; never from
     * inside {@code close()}. A backend that closes a channel on its own (its teardown) calls it
     * too, so a handler that sees it before closing the channel itself knows the channel is gone.
     */
    default void onQuiescent()
    {
    }
}
