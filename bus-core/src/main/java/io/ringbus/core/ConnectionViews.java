package io.ringbus.core;

import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.shard.Shard;
import io.ringbus.core.transport.Connection;
import io.ringbus.core.transport.ConnectionTable;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Snapshots of client connections for {@link MessageBus#clientConnection} and
 * {@link MessageBus#clientConnections}.
 *
 * <p>How the counters are read: a connection's totals are plain fields its owning shard writes
 * (no atomic, no fence, nothing allocated per frame), so they are read on that shard too: the
 * caller sends a task through the shard's mailbox ({@link Shard#execute}) and waits for the
 * snapshot, at most {@link #ANSWER_TIMEOUT_NS}. A snapshot is therefore consistent for one
 * connection (taken between two of its events), and a listing holds each shard's connections as
 * they were when that shard ran the task.
 *
 * <p>Any thread but a shard's: a shard must not wait on another (two doing so would wait on each
 * other). On the owning shard itself, {@link #snapshot} is taken inline.
 */
final class ConnectionViews
{
    /** How long a caller waits for a shard to answer. */
    static final long ANSWER_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    private final Shard[] shards;
    private final ConnectionTable table;

    /** False on a runtime without threads (a simulation): nothing else runs a shard, so read it here. */
    private final boolean threaded;

    ConnectionViews(final Shard[] shards, final ConnectionTable table, final boolean threaded)
    {
        this.shards = shards;
        this.table = table;
        this.threaded = threaded;
    }

    /** On a runtime without threads: {@code view} run now as {@code shard}, which nothing else runs meanwhile. */
    private static <T> T asShard(final Shard shard, final Supplier<T> view)
    {
        try
        {
            return shard.callAsShard(view::get);
        }
        catch (final RuntimeException ex)
        {
            throw ex;
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    ClientConnectionSnapshot snapshot(final long clientId)
    {
        final Connection connection = table.get(clientId);
        if (connection == null)
        {
            return null;
        }
        final Shard owner = connection.shard();
        if (owner.inShard())
        {
            return snapshotOf(connection);
        }
        refuseOnShard("clientConnection");
        if (!threaded)
        {
            return asShard(owner, () -> snapshotOf(connection));
        }
        final CompletableFuture<ClientConnectionSnapshot> answer = new CompletableFuture<>();
        // Looked up again on the shard: the slot may have been freed (and reused) since.
        if (!owner.execute(() -> answerWith(answer, () -> table.get(clientId) == connection ? snapshotOf(connection) : null)))
        {
            return null; // the shard stopped: its connections are gone
        }
        return await(answer, owner, System.nanoTime() + ANSWER_TIMEOUT_NS);
    }

    List<ClientConnectionSnapshot> list()
    {
        refuseOnShard("clientConnections");
        if (!threaded)
        {
            final List<ClientConnectionSnapshot> all = new ArrayList<>();
            for (int i = 0; i < shards.length; i++)
            {
                final int index = i;
                if (!shards[i].isStopped())
                {
                    all.addAll(asShard(shards[i], () -> collect(index)));
                }
            }
            return List.copyOf(all);
        }
        @SuppressWarnings("unchecked")
        final CompletableFuture<List<ClientConnectionSnapshot>>[] answers = new CompletableFuture[shards.length];
        for (int i = 0; i < shards.length; i++)
        {
            final int index = i;
            final CompletableFuture<List<ClientConnectionSnapshot>> answer = new CompletableFuture<>();
            answers[i] = shards[i].execute(() -> answerWith(answer, () -> collect(index))) ? answer : null;
        }
        final long deadlineNs = System.nanoTime() + ANSWER_TIMEOUT_NS;
        final List<ClientConnectionSnapshot> all = new ArrayList<>();
        for (int i = 0; i < shards.length; i++)
        {
            if (answers[i] != null) // null: the shard stopped, it holds no connection
            {
                all.addAll(await(answers[i], shards[i], deadlineNs));
            }
        }
        return List.copyOf(all);
    }

    /** On shard {@code index}: its open client connections. */
    private List<ClientConnectionSnapshot> collect(final int index)
    {
        final List<ClientConnectionSnapshot> found = new ArrayList<>();
        table.forEach(index, connection ->
        {
            final ClientConnectionSnapshot snapshot = snapshotOf(connection);
            if (snapshot != null)
            {
                found.add(snapshot);
            }
        });
        return found;
    }

    /** On the owning shard: the snapshot, or null for a replica link or a connection already closed. */
    private static ClientConnectionSnapshot snapshotOf(final Connection connection)
    {
        final Object attachment = connection.attachment();
        final Connection.State state = connection.state();
        if (!(attachment instanceof ClientConnMeta) || state == Connection.State.CLOSED)
        {
            return null;
        }
        final ClientConnMeta meta = (ClientConnMeta)attachment;
        return new ClientConnectionSnapshot(connection.id(), meta.transport(), connection.remoteAddress(), state,
            connection.queuedFrames(), connection.queuedBytes(), connection.framesReceived(),
            connection.framesSent(), connection.bytesReceived(), connection.bytesSent(), meta);
    }

    /** On a shard: complete {@code answer} with what {@code view} gives, or with what it threw. */
    private static <T> void answerWith(final CompletableFuture<T> answer, final Supplier<T> view)
    {
        try
        {
            answer.complete(view.get());
        }
        catch (final RuntimeException ex)
        {
            answer.completeExceptionally(ex);
        }
    }

    private void refuseOnShard(final String method)
    {
        for (final Shard shard : shards)
        {
            if (shard.inShard())
            {
                throw new IllegalStateException(method + " was called on shard " + shard.index() +
                    ": a shard must not wait on another; call it from another thread");
            }
        }
    }

    private static <T> T await(final CompletableFuture<T> answer, final Shard shard, final long deadlineNs)
    {
        try
        {
            return answer.get(Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for shard " + shard.index(), ex);
        }
        catch (final ExecutionException ex)
        {
            throw new IllegalStateException("shard " + shard.index() + " failed to take the snapshot", ex.getCause());
        }
        catch (final TimeoutException ex)
        {
            throw new IllegalStateException("shard " + shard.index() + " did not answer within " +
                TimeUnit.NANOSECONDS.toMillis(ANSWER_TIMEOUT_NS) + " ms", ex);
        }
    }
}
