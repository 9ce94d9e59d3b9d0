package io.ringbus.cli;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.client.Reply;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.FrameHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The replicated echo of {@code ringbus serve}, with three in-process nodes. */
class ReplicatedEchoTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final List<EchoNode> nodes = new ArrayList<>();
    private final List<BusClient> clients = new ArrayList<>();

    @AfterEach
    void closeEverything()
    {
        for (final BusClient client : clients)
        {
            client.close();
        }
        for (final EchoNode node : nodes)
        {
            node.close();
        }
        for (final EchoNode node : nodes)
        {
            if (node.bus().pool().isLeakDetectionEnabled())
            {
                node.bus().pool().assertNoLeaks();
            }
        }
    }

    private static BusConfig replicaConfig(final int id, final SortedMap<Integer, InetSocketAddress> replicas)
        throws UsageException
    {
        return replicaConfig(id, replicas, Backend.AUTO);
    }

    private static BusConfig replicaConfig(final int id, final SortedMap<Integer, InetSocketAddress> replicas,
        final Backend backend) throws UsageException
    {
        return ServeOptions.replica(id, replicas, 1, Duration.ofMillis(500), backend).config();
    }

    /** Start replica {@code id} of the cluster {@code replicas}, with a tcp client listener. */
    private URI startReplica(final int id, final SortedMap<Integer, InetSocketAddress> replicas) throws Exception
    {
        return startReplica(id, replicas, Backend.AUTO);
    }

    /** As {@link #startReplica(int, SortedMap)}, on {@code backend}. */
    private URI startReplica(final int id, final SortedMap<Integer, InetSocketAddress> replicas,
        final Backend backend) throws Exception
    {
        final EchoNode node = EchoNode.start(replicaConfig(id, replicas, backend));
        nodes.add(node);
        final InetSocketAddress bound = node.listen(URI.create("tcp://127.0.0.1:0"));
        return URI.create("tcp://" + Flags.format(bound));
    }

    /** Wait until every started node has a connection to every other started node. */
    private void awaitFullyConnected()
    {
        Await.until("every replica connected to every other", TIMEOUT, () ->
        {
            for (final EchoNode node : nodes)
            {
                for (final EchoNode peer : nodes)
                {
                    if (node != peer && !node.bus().isReplicaConnected(peer.bus().config().replicaId()))
                    {
                        return false;
                    }
                }
            }
            return true;
        });
    }

    private BusClient connect(final URI uri, final ClientOptions options) throws IOException
    {
        final BusClient client = BusClient.connect(uri, options);
        clients.add(client);
        return client;
    }

    private static Reply await(final CompletableFuture<Reply> reply)
        throws InterruptedException, ExecutionException, TimeoutException
    {
        return reply.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void everyNodeAnswersWithTheRequestBodyOnceAMajorityHasIt() throws Exception
    {
        final SortedMap<Integer, InetSocketAddress> replicas = DemoCommand.freeReplicaAddresses(3);
        final List<URI> uris = new ArrayList<>();
        for (int id = 0; id < 3; id++)
        {
            uris.add(startReplica(id, replicas));
        }
        awaitFullyConnected();
        for (int id = 0; id < 3; id++)
        {
            final BusClient client = connect(uris.get(id), ClientOptions.defaults());
            final byte[] body = bytes("hello from a client of replica " + id);
            final Reply reply = await(client.requestAsync(7, body));
            assertArrayEquals(body, reply.body());
            assertEquals(7, reply.operation());
            assertEquals(id, reply.replica(), "the node that received the request answers it");
            assertEquals(1, nodes.get(id).echo().preparedOps());
            assertEquals(1, nodes.get(id).echo().committedOps());
        }
        // Every node prepared one op and each backup accepted the other two, in order.
        for (int id = 0; id < 3; id++)
        {
            final EchoReplica echo = nodes.get(id).echo();
            Await.until("replica " + id + " accepting both peers' prepares", TIMEOUT,
                () -> echo.acceptedPrepares() == 2);
            assertEquals(0, echo.droppedRequests());
        }
    }

    /**
     * The primary broadcasts one prepare buffer to both backups, whose connections share its one
     * shard: pipelined prepares must reach both intact and in order (a broken frame stream would
     * close the connection, and the backups would see gaps or duplicates).
     */
    @ParameterizedTest(name = "backend {0}")
    @EnumSource(value = Backend.class, names = {"NIO", "IO_URING"})
    void pipelinedPreparesShareOneBufferAndArriveIntactEverywhere(final Backend backend) throws Exception
    {
        assumeTrue(backend != Backend.IO_URING || IoUring.isAvailable(),
            () -> "io_uring is not available here: " + IoUring.unavailabilityCause());
        final SortedMap<Integer, InetSocketAddress> replicas = DemoCommand.freeReplicaAddresses(3);
        final URI primary = startReplica(0, replicas, backend);
        startReplica(1, replicas, backend);
        startReplica(2, replicas, backend);
        awaitFullyConnected();
        assertEquals(backend.name().toLowerCase(Locale.ROOT), nodes.get(0).bus().backendName());

        final int requests = 2_000;
        final int window = 64;
        final BusClient client = connect(primary, ClientOptions.defaults());
        final List<CompletableFuture<Reply>> replies = new ArrayList<>();
        final List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < requests; i++)
        {
            if (i >= window)
            {
                await(replies.get(i - window)); // keep the window full, no more
            }
            final byte[] body = bytes("request " + i + " " + "x".repeat(i % 300));
            bodies.add(body);
            replies.add(client.requestAsync(1, body));
        }
        for (int i = 0; i < requests; i++)
        {
            assertArrayEquals(bodies.get(i), await(replies.get(i)).body(), "reply " + i);
        }
        final EchoReplica echo = nodes.get(0).echo();
        assertEquals(requests, echo.preparedOps());
        assertEquals(requests, echo.committedOps());
        assertEquals(0, echo.droppedRequests());
        for (int id = 1; id < 3; id++)
        {
            final EchoReplica backup = nodes.get(id).echo();
            Await.until("replica " + id + " accepting every prepare", TIMEOUT,
                () -> backup.acceptedPrepares() == requests);
            assertEquals(0, backup.gapPrepares(), "replica " + id + " saw every op in order");
            assertEquals(0, backup.duplicatePrepares(), "replica " + id + " needed no retransmission");
        }
    }

    @Test
    void aRetriedRequestIsAnsweredFromDedupAndNotPreparedAgain() throws Exception
    {
        final SortedMap<Integer, InetSocketAddress> replicas = DemoCommand.freeReplicaAddresses(3);
        final URI primary = startReplica(0, replicas);
        startReplica(1, replicas);
        startReplica(2, replicas);
        awaitFullyConnected(); // so that both backups get op 1 (a committed op is not sent to latecomers)
        final EchoReplica echo = nodes.get(0).echo();

        // One client session, two connections: the second resends request 1, as a client does
        // after it lost the connection before the reply came.
        final ClientOptions session = ClientOptions.defaults().withClientId(0x1234L, 0x5678L);
        final BusClient first = connect(primary, session);
        final Reply original = await(first.requestAsync(3, bytes("first execution")));
        assertEquals(1, original.request());
        assertArrayEquals(bytes("first execution"), original.body());
        Await.until("both backups accepting op 1", TIMEOUT,
            () -> nodes.get(1).echo().acceptedPrepares() == 1 && nodes.get(2).echo().acceptedPrepares() == 1);
        first.close();
        // Sessions are bound to their connection (issue 13, point 6): the retry's connection takes
        // the session once the node has seen the first one close.
        Await.until("the first connection's session released", TIMEOUT, () -> echo.releasedSessions() == 1);

        final BusClient retry = connect(primary, session);
        final Reply again = await(retry.requestAsync(3, bytes("a retry with another body")));
        assertEquals(1, again.request(), "same session and request number: a retry");
        assertArrayEquals(bytes("first execution"), again.body(), "answered from the dedup table");
        assertEquals(0, again.replica());
        assertEquals(1, echo.preparedOps(), "a retry is not prepared again");
        assertEquals(1, echo.committedOps());
        assertEquals(1, echo.dedupHits());
        assertEquals(1, nodes.get(1).echo().acceptedPrepares() + nodes.get(1).echo().duplicatePrepares());
        assertEquals(1, nodes.get(2).echo().acceptedPrepares() + nodes.get(2).echo().duplicatePrepares());

        // The next request number of that session is new work again.
        final Reply next = await(retry.requestAsync(3, bytes("second request")));
        assertEquals(2, next.request());
        assertArrayEquals(bytes("second request"), next.body());
        assertEquals(2, echo.preparedOps());
    }

    @Test
    void aRequestWaitsForAMajorityAndIsAnsweredWhenAReplicaConnects() throws Exception
    {
        final SortedMap<Integer, InetSocketAddress> replicas = DemoCommand.freeReplicaAddresses(3);
        final URI alone = startReplica(2, replicas);
        final BusClient client = connect(alone, ClientOptions.defaults());
        final CompletableFuture<Reply> reply = client.requestAsync(1, bytes("wait for a majority"));
        final EchoReplica echo = nodes.get(0).echo();
        Await.until("the op to be prepared", TIMEOUT, () -> echo.preparedOps() == 1);
        assertFalse(reply.isDone(), "one replica of three is no majority");
        assertEquals(1, echo.pendingOps());

        startReplica(0, replicas); // dials replica 2; the waiting prepare goes to it on connect
        assertArrayEquals(bytes("wait for a majority"), await(reply).body());
        assertEquals(0, echo.pendingOps());
        assertEquals(1, nodes.get(1).echo().acceptedPrepares());
    }

    @Test
    void aPendingOpWithoutMajorityIsDroppedAfterItsTimeoutAndTheRetryRunsAgain() throws Exception
    {
        final SortedMap<Integer, InetSocketAddress> replicas = DemoCommand.freeReplicaAddresses(3);
        final EchoNode node = EchoNode.start(replicaConfig(2, replicas), Duration.ofMillis(300));
        nodes.add(node);
        final URI uri = URI.create("tcp://" + Flags.format(node.listen(URI.create("tcp://127.0.0.1:0"))));
        final ClientOptions session = ClientOptions.defaults().withClientId(7, 7);
        final BusClient client = connect(uri, session);
        final CompletableFuture<Reply> lost = client.requestAsync(1, bytes("no majority"));
        Await.until("the op to time out", TIMEOUT, () -> node.echo().droppedRequests() == 1);
        assertEquals(0, node.echo().pendingOps());
        assertFalse(lost.isDone());

        // With a majority back, the same request again (new connection, same session) runs again:
        // it was dropped, not completed, so the dedup table no longer holds it.
        startReplica(1, replicas);
        Await.until("replica 1 to connect", TIMEOUT, () -> node.bus().isReplicaConnected(1));
        client.close(); // the session is bound to its connection while it is open (issue 13, point 6)
        Await.until("the session released", TIMEOUT, () -> node.echo().releasedSessions() == 1);
        final BusClient retry = connect(uri, session);
        assertArrayEquals(bytes("no majority"), await(retry.requestAsync(1, bytes("no majority"))).body());
        assertEquals(2, node.echo().preparedOps());
        assertEquals(0, node.echo().dedupHits());
    }

    /**
     * A timed-out op abandons only itself: the session's earlier, completed request is still
     * answered from the dedup table (before issue 11 the whole client was evicted from it, so the
     * retry of the completed request was prepared again and, with no majority, never answered).
     */
    @Test
    void aTimedOutOpForgetsOnlyItselfAndTheSessionsCompletedRequestsStayCached() throws Exception
    {
        final SortedMap<Integer, InetSocketAddress> replicas = DemoCommand.freeReplicaAddresses(3);
        final EchoNode node = EchoNode.start(replicaConfig(2, replicas), Duration.ofMillis(300));
        nodes.add(node);
        final URI uri = URI.create("tcp://" + Flags.format(node.listen(URI.create("tcp://127.0.0.1:0"))));
        startReplica(1, replicas);
        Await.until("replica 1 to connect", TIMEOUT, () -> node.bus().isReplicaConnected(1));

        final ClientOptions session = ClientOptions.defaults().withClientId(11, 11);
        final BusClient first = connect(uri, session);
        assertArrayEquals(bytes("committed"), await(first.requestAsync(1, bytes("committed"))).body());

        final EchoNode peer = nodes.get(1);
        peer.close(); // no majority from now on
        Await.until("replica 1 to be lost", TIMEOUT, () -> !node.bus().isReplicaConnected(1));
        final CompletableFuture<Reply> lost = first.requestAsync(1, bytes("no majority"));
        Await.until("request 2 to time out", TIMEOUT, () -> node.echo().droppedRequests() == 1);
        assertFalse(lost.isDone());
        first.close();
        Await.until("the session released", TIMEOUT, () -> node.echo().releasedSessions() == 1);

        // The same session again: its request 1 is a retry of the committed request.
        final BusClient retry = connect(uri, session);
        final Reply again = retry.requestAsync(1, bytes("a retry")).get(5, TimeUnit.SECONDS);
        assertEquals(1, again.request());
        assertArrayEquals(bytes("committed"), again.body(), "answered from the dedup table");
        assertEquals(1, node.echo().dedupHits());
        assertEquals(2, node.echo().preparedOps(), "the retry of a completed request is not prepared again");
    }

    @Test
    void aNodeWithoutReplicasAnswersAtOnce() throws Exception
    {
        final BusConfig config = BusConfig.builder().shards(1).build();
        final EchoNode node = EchoNode.start(config);
        nodes.add(node);
        final InetSocketAddress bound = node.listen(URI.create("tcp://127.0.0.1:0"));
        final BusClient client = connect(URI.create("tcp://" + Flags.format(bound)), ClientOptions.defaults());
        final Reply reply = await(client.requestAsync(9, bytes("solo")));
        assertArrayEquals(bytes("solo"), reply.body());
        assertEquals(FrameHeader.REPLICA_NONE, reply.replica());
        assertEquals(0, node.echo().preparedOps());
        assertTrue(await(client.ping()).body().length == 0, "ping_client is answered by the bus");
    }
}
