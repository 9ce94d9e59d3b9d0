package io.ringbus.core.transport;

import io.ringbus.core.MessageBus;
import io.ringbus.core.backend.NioBackend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.shard.Shard;
import io.ringbus.core.shard.ShardRuntime;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bus on a runtime without threads (what the simulator of issue 14 gives it): no shard thread is
 * started, the test thread steps the shards, the bus serves a client and stops by stepping too.
 */
class SteppedRuntimeTest
{
    /** Steps the adopted shards on the calling thread; real NIO sockets, the system clock. */
    static final class HandRuntime implements ShardRuntime
    {
        final List<Shard> shards = new ArrayList<>();
        int stopsAskedLater;

        @Override
        public io.ringbus.core.backend.IoBackend backend(final int shardIndex)
        {
            return new NioBackend();
        }

        @Override
        public NanoClock clock()
        {
            return THREADS.clock();
        }

        @Override
        public SecureRandom secureRandom()
        {
            return THREADS.secureRandom();
        }

        @Override
        public boolean threaded()
        {
            return false;
        }

        @Override
        public void adopt(final Shard[] adopted)
        {
            shards.addAll(List.of(adopted));
        }

        @Override
        public boolean awaitUntil(final BooleanSupplier done, final long timeoutNs)
        {
            final long deadlineNs = System.nanoTime() + timeoutNs;
            while (!done.getAsBoolean())
            {
                if (System.nanoTime() - deadlineNs >= 0)
                {
                    return false;
                }
                stepAll();
            }
            return true;
        }

        @Override
        public void stopLater(final Runnable stop, final String name)
        {
            stopsAskedLater++;
        }

        void stepAll()
        {
            for (final Shard shard : shards)
            {
                if (!shard.isStopped())
                {
                    shard.step();
                }
            }
        }
    }

    @Test
    void aBusOnASteppingRuntimeStartsNoThreadServesAClientAndStopsWhenStepped() throws IOException
    {
        final HandRuntime runtime = new HandRuntime();
        final BusConfig config = BusConfig.builder().shards(2).runtime(runtime).build();
        final long shardThreadsBefore = shardThreads();
        final MessageBus bus = MessageBus.start(config, new EchoHandler());
        try (SocketChannel client = SocketChannel.open())
        {
            assertEquals(2, runtime.shards.size(), "both shards handed to the runtime");
            assertEquals(shardThreadsBefore, shardThreads(), "no shard thread started");
            final InetSocketAddress address = bus.listen(URI.create("tcp://127.0.0.1:0"));
            client.configureBlocking(false);
            client.connect(address);
            while (!client.finishConnect())
            {
                runtime.stepAll();
            }
            final byte[] request = TestFrames.frame(Command.REQUEST, 100, 42);
            final ByteBuffer out = ByteBuffer.wrap(request);
            final ByteBuffer in = ByteBuffer.allocate(request.length);
            for (int i = 0; i < 1_000_000 && in.hasRemaining(); i++)
            {
                if (out.hasRemaining())
                {
                    client.write(out);
                }
                runtime.stepAll();
                assertTrue(client.read(in) >= 0, "the bus closed the connection");
            }
            assertFalse(in.hasRemaining(), "the reply arrived while the test stepped the shards");
            final UnsafeBuffer reply = new UnsafeBuffer(in.array());
            assertEquals(Command.REPLY.code(), FrameHeader.command(reply, 0));
            final byte[] body = new byte[100];
            reply.getBytes(FrameHeader.HEADER_SIZE, body);
            final byte[] sent = new byte[100];
            new UnsafeBuffer(request).getBytes(FrameHeader.HEADER_SIZE, sent);
            assertArrayEquals(sent, body);
        }
        bus.close(); // closes the connections by stepping (awaitUntil), then each shard as itself
        assertTrue(runtime.shards.stream().allMatch(Shard::isStopped), "every shard stopped");
        assertEquals(0, bus.stats().openConnections());
        assertEquals(0, runtime.stopsAskedLater);
    }

    private static long shardThreads()
    {
        return Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().startsWith("ringbus-shard")).count();
    }
}
