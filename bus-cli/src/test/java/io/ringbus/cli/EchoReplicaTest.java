package io.ringbus.cli;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link EchoReplica} on a node without replicas, driven through its handler method as the shards
 * drive it (the connection ids name shards the way bus-core's do; no client is connected, so
 * replies are released by the bus as NOT_CONNECTED).
 */
class EchoReplicaTest
{
    private static final int BODY = 64;

    private MessageBus bus;
    private EchoReplica echo;
    private final UnsafeBuffer request = new UnsafeBuffer(new byte[FrameHeader.HEADER_SIZE + BODY]);

    private void start(final BusConfig config)
    {
        echo = new EchoReplica(config);
        bus = MessageBus.start(config, echo);
        echo.start(bus);
    }

    @AfterEach
    void close()
    {
        if (bus != null)
        {
            bus.close();
        }
        if (echo != null)
        {
            echo.close();
        }
        if (bus != null && bus.pool().isLeakDetectionEnabled())
        {
            bus.pool().assertNoLeaks();
        }
    }

    /** A connection id of bus-core's layout: the shard in the top bits. */
    private static long connectionId(final int shard, final int slot)
    {
        return ((long)shard << EchoReplica.CONNECTION_ID_SHARD_SHIFT) | (1L << 32) | slot;
    }

    private void request(final int shard, final long clientHi, final long clientLo, final long number)
    {
        Frames.header().wrap(request, 0).clear()
            .size(request.capacity())
            .command(Command.REQUEST)
            .client(clientHi, clientLo)
            .request(number);
        Frames.seal(request, 0);
        final ClientConnMeta meta = new ClientConnMeta(connectionId(shard, 0), new InetSocketAddress(0), "tcp");
        echo.onClientRequest(bus, meta, request, 0, request.capacity());
    }

    /**
     * Each shard owns its own dedup table (issue 11, point 4: no state shared across shards, no
     * lock): a retry that arrives on the same shard is answered from the cache, the same session
     * on another shard is that shard's new work. Before, one locked table served every shard.
     */
    @Test
    void eachShardOwnsItsDedupTable()
    {
        start(BusConfig.builder().shards(2).backend(Backend.NIO).build());
        request(0, 5, 5, 1);
        request(0, 5, 5, 1);
        assertEquals(1, echo.committedOps());
        assertEquals(1, echo.dedupHits(), "a retry on the same shard comes from the cache");
        request(1, 5, 5, 1);
        assertEquals(2, echo.committedOps(), "shard 1 does not share shard 0's table");
        assertEquals(1, echo.dedupHits());
        request(1, 5, 5, 1);
        assertEquals(2, echo.dedupHits());
        assertEquals(2, echo.dedupEntries());
    }

    /**
     * Memory A: opening ever new client ids (each connection a new session) keeps the echo's
     * per-client state within its limits; the oldest sessions' replies are evicted and counted,
     * and every pooled reply buffer is released (the pool's leak check in {@link #close()}).
     */
    @Test
    void newClientIdsWithoutEndStayWithinTheDedupLimits()
    {
        final int maxClients = 64;
        start(BusConfig.builder().shards(2).backend(Backend.NIO).dedupMaxClients(maxClients).build());
        final int sessions = 20_000;
        for (int i = 0; i < sessions; i++)
        {
            request(i & 1, 0x77, i, 1);
            request(i & 1, 0x77, i, 2);
            assertTrue(echo.dedupEntries() <= 2L * maxClients, "entries " + echo.dedupEntries());
        }
        assertEquals(2L * sessions, echo.committedOps());
        assertEquals(2L * maxClients, echo.dedupEntries(), "each shard holds its share of the clients");
        assertEquals(2L * sessions - 2L * maxClients, echo.dedupEvictions(), "every dropped reply is counted");
        assertTrue(echo.dedupReplyBytes() <= echo.dedupMaxReplyBytes());
        assertEquals(0, echo.droppedRequests());
    }
}
