package io.ringbus.cli;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.client.RequestRefusedException;
import io.ringbus.core.dedup.ReplyStatus;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.client.Reply;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Issue 13, point 6: a client session ({@code client} id) is bound to the connection that first
 * used it. Before, a second connection that reused the id and request number of another client
 * (here over another transport) was answered with that client's cached reply body.
 */
class ClientSessionBindingTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final long CLIENT_HI = 0x5E55_1011L;
    private static final long CLIENT_LO = 0x7777L;
    /** The first request number BusClient uses. */
    private static final long FIRST_REQUEST = 1;
    /** The high half of the client ids of probe requests (the low half is the connection's port). */
    private static final long PROBE_HI = 0x9B0BEL;
    /** The reply status byte of a reply (docs/wire.md, "Request and reply area"). */
    private static final int STATUS_OFFSET = FrameHeader.REQUEST_RESERVED_OFFSET;

    private static final byte[] ALPHA = "alpha: the owner's reply".getBytes(StandardCharsets.US_ASCII);
    private static final String ALPHA_TEXT = new String(ALPHA, StandardCharsets.US_ASCII);

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final Map<Integer, Long> connectionByPort = new ConcurrentHashMap<>();
    private EchoNode node;
    /** The echo of {@link #startTwoShards}. */
    private EchoReplica echo;

    @AfterEach
    void closeEverything() throws Exception
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            closeables.get(i).close();
        }
        if (node != null)
        {
            node.close();
            if (node.bus().pool().isLeakDetectionEnabled())
            {
                node.bus().pool().assertNoLeaks();
            }
        }
    }

    /** A node without replicas (the shard's own table), or a cluster of one (the sequencer's table). */
    private void startNode(final boolean replicated) throws Exception
    {
        final BusConfig config;
        if (replicated)
        {
            final TreeMap<Integer, InetSocketAddress> replicas = new TreeMap<>();
            replicas.put(0, new InetSocketAddress("127.0.0.1", 0));
            config = ServeOptions.replica(0, replicas, 1, Duration.ofMillis(500), Backend.NIO).config();
        }
        else
        {
            config = BusConfig.builder().shards(1).backend(Backend.NIO).build();
        }
        node = EchoNode.start(config);
    }

    private URI listen(final String scheme) throws Exception
    {
        final InetSocketAddress bound = node.listen(URI.create(scheme + "://127.0.0.1:0"));
        return URI.create(scheme + "://" + Flags.format(bound));
    }

    @ParameterizedTest(name = "replicated={0}")
    @ValueSource(booleans = {false, true})
    void aSecondConnectionWithTheSameClientIdIsRefusedAndTheOwnerKeepsItsSession(final boolean replicated)
        throws Exception
    {
        startNode(replicated);
        final URI tcp = listen("tcp");
        final URI ws = listen("ws");

        final RawClient owner = raw(tcp);
        final byte[] alpha = "alpha: the owner's reply".getBytes(StandardCharsets.US_ASCII);
        final RawReply first = owner.request(FIRST_REQUEST, alpha);
        assertEquals(0, first.status);
        assertEquals(new String(alpha, StandardCharsets.US_ASCII), first.bodyText());

        // A stranger over ws with the same client id and request number.
        final BusClient stranger = BusClient.connect(ws, ClientOptions.defaults().withClientId(CLIENT_HI, CLIENT_LO));
        closeables.add(stranger);
        // BusClient turns the refusal into an exception naming the status: never the owner's body.
        final RequestRefusedException strangers = assertThrows(RequestRefusedException.class,
            () -> stranger.request(0, "beta".getBytes(StandardCharsets.US_ASCII), TIMEOUT),
            "the owner's cached reply went to a stranger");
        assertEquals(ReplyStatus.SESSION_BOUND, strangers.status(), strangers.getMessage());

        // A stranger over raw tcp: the refusal is a reply with a status and a reason.
        final RawClient rawStranger = raw(tcp);
        final RawReply refused = rawStranger.request(FIRST_REQUEST, "gamma".getBytes(StandardCharsets.US_ASCII));
        assertEquals(1, refused.status, "session bound elsewhere: " + refused.bodyText());
        assertEquals(FIRST_REQUEST, refused.request);

        // The owner's retry on its own connection is still answered from its cache.
        final RawReply retry = owner.request(FIRST_REQUEST, alpha);
        assertEquals(0, retry.status);
        assertEquals(new String(alpha, StandardCharsets.US_ASCII), retry.bodyText());
        assertEquals(1, node.echo().committedOps(), "executed once");

        // Reclaim: the owner reconnects; once the node has seen the old connection close, the
        // session (and its cache) is the new connection's.
        owner.close();
        final RawClient reconnected = raw(tcp);
        final RawReply[] reclaimed = new RawReply[1];
        Await.until("the reconnected owner reclaims its session", TIMEOUT, () ->
        {
            reclaimed[0] = reconnected.request(FIRST_REQUEST, alpha);
            return reclaimed[0].status == 0;
        });
        assertEquals(new String(alpha, StandardCharsets.US_ASCII), reclaimed[0].bodyText(), "from the cache");
        assertEquals(1, node.echo().committedOps(), "still executed once: the retry after reconnect hit the cache");
        final RawReply next = reconnected.request(FIRST_REQUEST + 1, "delta".getBytes(StandardCharsets.US_ASCII));
        assertEquals(0, next.status);
        assertEquals("delta", next.bodyText());

        // The stranger on its open connection is still refused: the session is the reconnected owner's.
        assertEquals(1, rawStranger.request(FIRST_REQUEST, alpha).status);
    }

    /**
     * On a node without replicas and with two shards, a session is bound node-wide, not per shard:
     * a stranger whose connection lands on another shard than the owner's is refused with
     * {@code session_bound}, nothing executed. Before, each shard kept its own bindings and dedup
     * table, and the stranger silently got a session of its own on its shard.
     */
    @Test
    void onAStandaloneNodeWithTwoShardsAStrangerOnTheOtherShardIsRefused() throws Exception
    {
        final URI tcp = startTwoShards();
        final RawClient owner = rawOnShard(tcp, -1);
        final RawClient stranger = rawOnShard(tcp, owner.shard);
        final long probes = echo.committedOps();

        final RawReply first = owner.request(FIRST_REQUEST, ALPHA);
        assertEquals(0, first.status);
        assertEquals(ALPHA_TEXT, first.bodyText());

        final RawReply refused = stranger.request(FIRST_REQUEST, "gamma".getBytes(StandardCharsets.US_ASCII));
        assertEquals(ReplyStatus.SESSION_BOUND, refused.status,
            "a stranger on shard " + stranger.shard + " with the id of a session bound on shard " + owner.shard +
            " got: " + refused.bodyText());
        assertEquals(EchoReplica.SESSION_BOUND_REASON, refused.bodyText());
        assertEquals(probes + 1, echo.committedOps(), "the stranger's request was not executed");
        assertEquals(0, echo.dedupHits(), "no cached reply to the stranger");

        // The owner's retry on its own connection still comes from its cache.
        assertEquals(ALPHA_TEXT, owner.request(FIRST_REQUEST, ALPHA).bodyText());
        assertEquals(1, echo.dedupHits());
        assertEquals(probes + 1, echo.committedOps());
    }

    /**
     * On a node without replicas and with two shards, an owner that reconnects onto the other
     * shard reclaims its session with its cached replies: its retry of an answered request is
     * answered from the cache (executed once). Before, the other shard's table did not know the
     * session and the retry ran again.
     */
    @Test
    void onAStandaloneNodeWithTwoShardsAClientThatReconnectsOntoTheOtherShardKeepsItsCache() throws Exception
    {
        final URI tcp = startTwoShards();
        final RawClient owner = rawOnShard(tcp, -1);
        final long probes = echo.committedOps();
        assertEquals(0, owner.request(FIRST_REQUEST, ALPHA).status);
        assertEquals(probes + 1, echo.committedOps());

        owner.close();
        final RawClient reconnected = rawOnShard(tcp, owner.shard);
        final long probesAfter = echo.committedOps();
        final RawReply[] reclaimed = new RawReply[1];
        Await.until("the reconnected owner reclaims its session on the other shard", TIMEOUT, () ->
        {
            reclaimed[0] = reconnected.request(FIRST_REQUEST, ALPHA);
            return reclaimed[0].status == 0;
        });
        assertEquals(ALPHA_TEXT, reclaimed[0].bodyText());
        assertEquals(probesAfter, echo.committedOps(), "the retry after the reconnect ran again");
        assertEquals(1, echo.dedupHits(), "answered from the cache");
        assertEquals(1, echo.sessionReclaims());
        final RawReply next = reconnected.request(FIRST_REQUEST + 1, "delta".getBytes(StandardCharsets.US_ASCII));
        assertEquals(0, next.status);
        assertEquals("delta", next.bodyText());
    }

    /**
     * A node without replicas with two shards whose handler records each connection's id by its
     * peer port (bus-core has no connect callback), so a test can see which shard a connection
     * landed on.
     */
    private URI startTwoShards() throws Exception
    {
        final BusConfig config = BusConfig.builder().shards(2).backend(Backend.NIO).build();
        final EchoReplica replica = new EchoReplica(config);
        final MessageBus bus = MessageBus.start(config, new BusHandler()
        {
            @Override
            public void onClientRequest(final MessageBus bus, final ClientConnMeta client, final DirectBuffer buffer,
                final int offset, final int length)
            {
                connectionByPort.put(client.peerAddress().getPort(), client.clientId());
                replica.onClientRequest(bus, client, buffer, offset, length);
            }

            @Override
            public void onClientClosed(final MessageBus bus, final ClientConnMeta client)
            {
                replica.onClientClosed(bus, client);
            }
        });
        closeables.add(() ->
        {
            bus.close();
            replica.close();
            if (bus.pool().isLeakDetectionEnabled())
            {
                bus.pool().assertNoLeaks();
            }
        });
        replica.start(bus);
        echo = replica;
        return URI.create("tcp://" + Flags.format(bus.listen(URI.create("tcp://127.0.0.1:0"))));
    }

    /**
     * Opens tcp connections (at most 32) until one lands on a shard other than {@code notShard}
     * (-1: any); each sends a probe request with a client id of its own, which tells the node's
     * handler the connection's id. The other connections stay open until the test ends.
     */
    private RawClient rawOnShard(final URI tcp, final int notShard)
        throws IOException
    {
        for (int attempt = 0; attempt < 32; attempt++)
        {
            final RawClient client = raw(tcp);
            final int port = client.socket.getLocalPort();
            final RawReply probe = client.request(PROBE_HI, port, 1, new byte[] {1});
            assertEquals(0, probe.status);
            final Long connectionId = connectionByPort.get(port);
            assertNotNull(connectionId, "the handler saw the probe of port " + port);
            client.shard = (int)(connectionId >>> EchoReplica.CONNECTION_ID_SHARD_SHIFT);
            if (client.shard != notShard)
            {
                return client;
            }
        }
        throw new AssertionError("32 connections, none on a shard other than " + notShard);
    }

    private RawClient raw(final URI tcp) throws IOException
    {
        final RawClient client = new RawClient(tcp);
        closeables.add(client);
        return client;
    }

    /** A reply as read off the wire. */
    private record RawReply(long request, int status, byte[] body)
    {
        String bodyText()
        {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** A client of raw frames over a blocking tcp socket, with the test's client id. */
    private static final class RawClient implements AutoCloseable
    {
        private final Socket socket;
        private final OutputStream out;
        private final DataInputStream in;
        /** The shard the node put the connection on, once known (-1 before). */
        int shard = -1;

        RawClient(final URI uri) throws IOException
        {
            socket = new Socket(uri.getHost(), uri.getPort());
            socket.setSoTimeout((int)TIMEOUT.toMillis());
            out = socket.getOutputStream();
            in = new DataInputStream(socket.getInputStream());
        }

        RawReply request(final long number, final byte[] body)
        {
            return request(CLIENT_HI, CLIENT_LO, number, body);
        }

        RawReply request(final long clientHi, final long clientLo, final long number, final byte[] body)
        {
            try
            {
                final byte[] frame = new byte[FrameHeader.HEADER_SIZE + body.length];
                final UnsafeBuffer buffer = new UnsafeBuffer(frame);
                Frames.header().wrap(buffer, 0).clear()
                    .size(frame.length)
                    .command(Command.REQUEST)
                    .replica(FrameHeader.REPLICA_NONE)
                    .client(clientHi, clientLo)
                    .request(number);
                buffer.putBytes(FrameHeader.HEADER_SIZE, body);
                Frames.seal(buffer, 0);
                out.write(frame);
                out.flush();
                final byte[] header = new byte[FrameHeader.HEADER_SIZE];
                in.readFully(header);
                final UnsafeBuffer replyHeader = new UnsafeBuffer(header);
                assertEquals(Command.REPLY.code(), FrameHeader.command(replyHeader, 0));
                assertEquals(clientLo, FrameHeader.clientLo(replyHeader, 0));
                assertEquals(clientHi, FrameHeader.clientHi(replyHeader, 0));
                final byte[] replyBody = new byte[FrameHeader.size(replyHeader, 0) - FrameHeader.HEADER_SIZE];
                in.readFully(replyBody);
                return new RawReply(FrameHeader.request(replyHeader, 0), replyHeader.getByte(STATUS_OFFSET) & 0xFF,
                    replyBody);
            }
            catch (final IOException ex)
            {
                throw new AssertionError("raw client: " + ex, ex);
            }
        }

        @Override
        public void close() throws IOException
        {
            socket.close();
        }
    }
}
