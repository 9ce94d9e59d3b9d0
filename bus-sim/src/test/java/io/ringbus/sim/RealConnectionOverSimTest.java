package io.ringbus.sim;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;

import io.ringbus.core.SendResult;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.shard.Shard;
import io.ringbus.core.shard.SimShards;
import io.ringbus.core.transport.CloseReason;
import io.ringbus.core.transport.Connection;
import io.ringbus.core.transport.ConnectionHandler;

import static io.ringbus.sim.SimStreamTest.SECOND_NS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real {@link Connection} (frame decoder, gathering writes, close sequence, pool) over the
 * simulated backend, two shards on one thread and the virtual clock: frames arrive in order byte
 * for byte across random splits and small socket buffers, a reset mid-stream leaves a prefix and
 * no leak, and everything repeats by seed.
 */
class RealConnectionOverSimTest
{
    private static final int MAX_MESSAGE_SIZE = 64 * 1024;
    private static final int RECEIVE_BUFFER_SIZE = 4096;
    private static final long CLOSE_GRACE_NS = 2 * SECOND_NS;

    /** Records the frames a connection receives and its close. */
    static final class Recorder implements ConnectionHandler
    {
        final List<byte[]> frames = new ArrayList<>();
        Connection opened;
        Connection closed;

        @Override
        public void onOpen(final Connection connection)
        {
            opened = connection;
        }

        @Override
        public void onFrame(final Connection connection, final DirectBuffer buffer, final int offset, final int length)
        {
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            frames.add(bytes);
        }

        @Override
        public void onClosed(final Connection connection)
        {
            closed = connection;
        }
    }

    static final class Run
    {
        final SimHarness h;
        final FramePool pool = new FramePool(MAX_MESSAGE_SIZE, FramePool.DEFAULT_MAX_POOLED_BYTES_PER_CLASS, true);
        final Shard serverShard;
        final Shard clientShard;
        final Recorder serverRecorder = new Recorder();
        final Recorder clientRecorder = new Recorder();
        final Connection client;
        final List<Throwable> failures = new ArrayList<>();
        Connection server;

        Run(final long seed, final NetworkConfig config) throws Exception
        {
            h = new SimHarness(seed, config);
            final SimBackend serverBackend = h.backend(1, 0);
            final SimBackend clientBackend = h.backend(2, 0);
            serverShard = SimShards.shard(0, serverBackend, (s, ex) -> failures.add(ex), h.clock);
            clientShard = SimShards.shard(0, clientBackend, (s, ex) -> failures.add(ex), h.clock);
            serverShard.onStart();
            clientShard.onStart();
            final InetSocketAddress address = new InetSocketAddress(SimHarness.host(1), 7000);
            serverBackend.listen(address, socket ->
            {
                server = connection(2, serverShard, serverRecorder);
                try
                {
                    server.open(serverBackend.register(socket, server));
                }
                catch (final Exception ex)
                {
                    throw new AssertionError(ex);
                }
            });
            client = connection(1, clientShard, clientRecorder);
            final IoChannel channel = clientBackend.connect(address, client);
            client.connecting(channel, address);
        }

        private Connection connection(final long id, final Shard shard, final Recorder recorder)
        {
            return new Connection(id, shard, recorder, pool, RECEIVE_BUFFER_SIZE, MAX_MESSAGE_SIZE, 0, 0, 64, 8,
                CLOSE_GRACE_NS, ByteBuffer.allocateDirect(RECEIVE_BUFFER_SIZE));
        }

        /** One world step: the network, then each shard's duty cycle; time jumps when all are idle. */
        boolean runUntil(final java.util.function.BooleanSupplier condition, final long maxNs)
        {
            final long endNs = h.clock.nanoTime() + maxNs;
            for (int i = 0; i < 5_000_000 && h.clock.nanoTime() <= endNs; i++)
            {
                if (condition.getAsBoolean())
                {
                    return true;
                }
                int work = h.network.deliver();
                work += serverShard.doWork();
                work += clientShard.doWork();
                h.network.checkBuffers();
                if (work == 0)
                {
                    // Shard timers (close_grace, watchdogs) are not visible here: step at most 1 ms.
                    final long next = Math.min(h.network.nextEventNs(), h.clock.nanoTime() + 1_000_000);
                    h.clock.advanceTo(Math.max(next, h.clock.nanoTime()));
                }
            }
            return condition.getAsBoolean();
        }

        byte[] frame(final int i)
        {
            return TestFrames.frame(Command.REQUEST, 1 + (int)((i * 7919L) % 20_000), i);
        }

        /** Sends {@code count} frames from {@code from}, retrying on backpressure; returns the frames sent. */
        List<byte[]> sendFrames(final Connection from, final int count)
        {
            final List<byte[]> sent = new ArrayList<>();
            for (int i = 0; i < count; i++)
            {
                final byte[] bytes = frame(i);
                while (true)
                {
                    final FrameBuffer frame = pool.acquire(bytes.length);
                    frame.buffer().putBytes(0, bytes);
                    frame.frameLength(bytes.length);
                    final SendResult result = from.send(frame);
                    if (result == SendResult.OK)
                    {
                        sent.add(bytes);
                        break;
                    }
                    if (result == SendResult.CLOSED)
                    {
                        return sent;
                    }
                    runUntil(() -> false, 1_000_000); // backpressure: let the writes drain
                }
            }
            return sent;
        }
    }

    static NetworkConfig config()
    {
        return NetworkConfig.builder().sendBufferBytes(8192).receiveBufferBytes(6000).maxChunkBytes(3000).build();
    }

    @Test
    void framesCrossInOrderByteForByteBothWaysAndTheCloseLeavesNoLeak() throws Exception
    {
        for (long seed = 1; seed <= 10; seed++)
        {
            final Run run = new Run(seed, config());
            assertTrue(run.runUntil(() -> run.client.state() == Connection.State.OPEN && run.server != null &&
                run.server.state() == Connection.State.OPEN, SECOND_NS));
            final List<byte[]> toServer = run.sendFrames(run.client, 60);
            final List<byte[]> toClient = run.sendFrames(run.server, 40);
            assertTrue(run.runUntil(() -> run.serverRecorder.frames.size() == toServer.size() &&
                run.clientRecorder.frames.size() == toClient.size(), 60 * SECOND_NS), "seed " + seed);
            for (int i = 0; i < toServer.size(); i++)
            {
                assertArrayEquals(toServer.get(i), run.serverRecorder.frames.get(i), "seed " + seed + " frame " + i);
            }
            for (int i = 0; i < toClient.size(); i++)
            {
                assertArrayEquals(toClient.get(i), run.clientRecorder.frames.get(i), "seed " + seed + " frame " + i);
            }
            run.client.close(CloseReason.LOCAL, "test done");
            assertTrue(run.runUntil(() -> run.client.state() == Connection.State.CLOSED &&
                run.server.state() == Connection.State.CLOSED, 10 * SECOND_NS), "seed " + seed);
            assertEquals(CloseReason.LOCAL, run.client.closeReason());
            assertEquals(CloseReason.PEER_CLOSED, run.server.closeReason(), "seed " + seed);
            assertTrue(run.failures.isEmpty(), run.failures.toString());
            run.pool.assertNoLeaks();
            run.runUntil(() -> run.h.network.openStreams() == 0, 10 * SECOND_NS);
            assertEquals(0, run.h.network.openStreams(), "seed " + seed);
        }
    }

    @Test
    void aResetMidStreamLeavesAPrefixClosesBothAndLeaksNothing() throws Exception
    {
        for (long seed = 20; seed < 30; seed++)
        {
            final Run run = new Run(seed, config());
            assertTrue(run.runUntil(() -> run.server != null && run.server.state() == Connection.State.OPEN, SECOND_NS));
            final List<byte[]> toServer = run.sendFrames(run.client, 30);
            run.runUntil(() -> run.serverRecorder.frames.size() >= 5, 60 * SECOND_NS);
            run.h.network.resetRandomStream();
            assertTrue(run.runUntil(() -> run.client.state() == Connection.State.CLOSED &&
                run.server.state() == Connection.State.CLOSED, 60 * SECOND_NS), "seed " + seed);
            final List<byte[]> got = run.serverRecorder.frames;
            assertTrue(got.size() <= toServer.size());
            for (int i = 0; i < got.size(); i++)
            {
                assertArrayEquals(toServer.get(i), got.get(i), "seed " + seed + " frame " + i);
            }
            assertTrue(run.failures.isEmpty(), run.failures.toString());
            run.pool.assertNoLeaks();
        }
    }

    @Test
    void theSameSeedRepeatsTheSameTrace() throws Exception
    {
        assertEquals(traced(7), traced(7));
    }

    private static String traced(final long seed) throws Exception
    {
        final Run run = new Run(seed, config().toBuilder().streamFinProbability(0.01).build());
        run.runUntil(() -> run.server != null, SECOND_NS);
        run.sendFrames(run.client, 30);
        run.runUntil(() -> false, 5 * SECOND_NS);
        assertNull(run.failures.isEmpty() ? null : run.failures.get(0));
        return run.h.trace.hex();
    }
}
