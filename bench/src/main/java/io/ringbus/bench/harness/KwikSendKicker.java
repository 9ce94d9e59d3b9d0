package io.ringbus.bench.harness;

import tech.kwik.core.QuicConnection;
import tech.kwik.core.QuicStream;
import tech.kwik.core.common.EncryptionLevel;
import tech.kwik.core.frame.QuicFrame;
import tech.kwik.core.impl.QuicConnectionImpl;
import tech.kwik.core.stream.FlowControlUpdateListener;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Works around a lost wake-up in Kwik 0.10.8's stream sender: once a millisecond, asks every
 * registered stream to queue a send request, and wakes the connection's sender.
 *
 * <p>The bug: {@code StreamOutputStreamImpl.scheduleSendStreamFrameRequest} queues a request and only
 * then increments its "requests queued" counter. When the sender thread runs the request in between,
 * its decrement takes the counter to -1, so the "more to send" reschedule after the first STREAM frame
 * sees a non-zero counter and is skipped; the rest of the write sits in the send buffer until the next
 * write. Between Kwik and Netty on loopback it stalled a request/reply loop within ~30 round trips
 * (the second packet of a 1.8 KB frame never left). {@code flush()} is a no-op there, so the kick goes
 * through the two public entry points that reach the same scheduling: the stream's
 * {@link FlowControlUpdateListener#streamNotBlocked} (as a MAX_STREAM_DATA would) and a no-op
 * flushing send on the connection. A kick with nothing to send is harmless; the kick itself can lose
 * the same race, which the next kick repairs, so a stall lasts about a millisecond.
 *
 * <p>Copied from bus-quic's test peers ({@code io.ringbus.quic.interop.KwikSendKicker}) for the
 * kwik-quic server ({@link KwikQuicEchoServer}). A timer thread that wakes once a millisecond: a
 * periodic wake-up, not a spin, but it does cost the kwik-quic server some CPU and can add up to a
 * millisecond to a reply that hits the race.
 *
 * <p>Thread-safe: streams are registered from any thread; the kicks run on one daemon thread.
 */
final class KwikSendKicker implements AutoCloseable
{
    private static final long PERIOD_US = 1_000;
    private static final Function<Integer, QuicFrame> NOTHING = maxSize -> null;
    private static final Consumer<QuicFrame> NO_RETRANSMIT = frame ->
    {
    };

    private final Set<Kicked> streams = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer;

    private record Kicked(QuicConnection connection, QuicStream stream)
    {
    }

    KwikSendKicker(final String name)
    {
        this.timer = Executors.newSingleThreadScheduledExecutor(task ->
        {
            final Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleAtFixedRate(this::kick, PERIOD_US, PERIOD_US, TimeUnit.MICROSECONDS);
    }

    /** Kick {@code stream} of {@code connection} until {@link #unregister}. */
    void register(final QuicConnection connection, final QuicStream stream)
    {
        streams.add(new Kicked(connection, stream));
    }

    /** Stop kicking every stream of {@code connection} (it has ended). */
    void unregister(final QuicConnection connection)
    {
        streams.removeIf(kicked -> kicked.connection() == connection);
    }

    private void kick()
    {
        for (final Kicked kicked : streams)
        {
            try
            {
                if (kicked.stream().getOutputStream() instanceof FlowControlUpdateListener)
                {
                    ((FlowControlUpdateListener)kicked.stream().getOutputStream())
                        .streamNotBlocked(kicked.stream().getStreamId());
                }
                if (kicked.connection() instanceof QuicConnectionImpl)
                {
                    ((QuicConnectionImpl)kicked.connection()).send(NOTHING, 1, EncryptionLevel.App, NO_RETRANSMIT, true);
                }
            }
            catch (final RuntimeException ex)
            {
                // A connection that is closing may refuse; stop kicking it rather than kill the timer.
                streams.remove(kicked);
            }
        }
    }

    @Override
    public void close()
    {
        timer.shutdownNow();
        streams.clear();
    }
}
