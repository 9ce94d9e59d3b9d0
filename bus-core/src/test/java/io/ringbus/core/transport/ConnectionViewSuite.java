package io.ringbus.core.transport;

import io.ringbus.core.ClientConnectionSnapshot;
import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.TestFrames;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15, point 5, on every transport: {@link io.ringbus.core.BusHandler#onClientConnected} and
 * {@code onClientClosed} fire once per connection in the right order with the right close reason,
 * and {@link MessageBus#clientConnection} / {@link MessageBus#clientConnections} show the open
 * connections with exact counters. A subclass names the scheme, its settings and a raw peer.
 */
public abstract class ConnectionViewSuite
{
    protected static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final String CONNECTED = "connected";
    private static final String REQUEST = "request";

    protected MessageBus bus;
    protected InetSocketAddress address;
    protected final LifecycleHandler handler = new LifecycleHandler();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    /** The scheme under test: tcp, tls, ws, wss, quic. */
    protected abstract String scheme();

    /** A raw peer speaking this transport's carrier to {@code address}, its handshake done. */
    protected abstract RawPeer openRaw(InetSocketAddress address) throws IOException;

    /** The scheme's server settings (certificates). */
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return builder;
    }

    /** The SDK client's settings for the scheme (trust). */
    protected ClientOptions clientOptions(final ClientOptions options)
    {
        return options;
    }

    /** The close reason the bus records when the SDK client closes its connection. */
    protected CloseReason clientCloseReason()
    {
        return CloseReason.PEER_CLOSED;
    }

    /** Records each client connection's callbacks in order, by client id; answers requests as EchoHandler does. */
    protected static final class LifecycleHandler extends EchoHandler
    {
        final Map<Long, List<String>> events = new ConcurrentHashMap<>();
        final Map<Long, ClientConnMeta> metas = new ConcurrentHashMap<>();
        final Map<Long, ClientConnectionSnapshot> seenInline = new ConcurrentHashMap<>();
        final List<String> failures = new CopyOnWriteArrayList<>();

        private List<String> of(final ClientConnMeta client)
        {
            return events.computeIfAbsent(client.clientId(), id -> new CopyOnWriteArrayList<>());
        }

        @Override
        public void onClientConnected(final MessageBus bus, final ClientConnMeta client)
        {
            if (client.closeReason() != null || client.peerAddress() == null)
            {
                failures.add("connected with " + client);
            }
            metas.put(client.clientId(), client);
            of(client).add(CONNECTED);
        }

        @Override
        public void onClientRequest(final MessageBus bus, final ClientConnMeta client, final DirectBuffer buffer,
            final int offset, final int length)
        {
            if (metas.get(client.clientId()) != client)
            {
                failures.add("request before connected, or another meta: " + client);
            }
            of(client).add(REQUEST);
            // On the owning shard the snapshot is taken inline; a listing would wait on shards: refused.
            seenInline.put(client.clientId(), bus.clientConnection(client.clientId()));
            try
            {
                bus.clientConnections();
                failures.add("clientConnections() on a shard did not throw");
            }
            catch (final IllegalStateException expected)
            {
                // as documented
            }
            super.onClientRequest(bus, client, buffer, offset, length);
        }

        @Override
        public void onClientClosed(final MessageBus bus, final ClientConnMeta client)
        {
            of(client).add("closed " + client.closeReason());
            super.onClientClosed(bus, client);
        }

        List<String> eventsOf(final long clientId)
        {
            return events.getOrDefault(clientId, List.of());
        }

        boolean closed(final long clientId)
        {
            final List<String> list = eventsOf(clientId);
            return !list.isEmpty() && list.get(list.size() - 1).startsWith("closed");
        }
    }

    protected void startBus(final BusConfig.Builder builder)
    {
        bus = MessageBus.start(configure(builder).build(), handler);
        address = bus.listen(URI.create(scheme() + "://127.0.0.1:0"));
    }

    protected BusClient client() throws IOException
    {
        final BusClient client = BusClient.connect(URI.create(scheme() + "://127.0.0.1:" + address.getPort()),
            clientOptions(ClientOptions.defaults()));
        toClose.add(client);
        return client;
    }

    protected RawPeer raw() throws IOException
    {
        final RawPeer peer = openRaw(address);
        toClose.add(peer);
        return peer;
    }

    @AfterEach
    void tearDown() throws Exception
    {
        Collections.reverse(toClose);
        for (final AutoCloseable closeable : toClose)
        {
            closeable.close();
        }
        if (bus != null)
        {
            bus.close();
            assertEquals(0, bus.stats().openConnections(), "every connection closed");
            if (bus.pool().isLeakDetectionEnabled())
            {
                bus.pool().assertNoLeaks();
            }
        }
        assertEquals(List.of(), handler.failures);
    }

    /** The server's id of the one client connection not in {@code before}, once it connected. */
    private long onlyNewConnection(final Set<Long> before)
    {
        Await.until(TIMEOUT, () -> handler.events.size() == before.size() + 1, "one more client connection");
        for (final Long id : handler.events.keySet())
        {
            if (!before.contains(id))
            {
                return id;
            }
        }
        throw new AssertionError("no new connection");
    }

    private static List<String> requests(final int count)
    {
        final List<String> list = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            list.add(REQUEST);
        }
        return list;
    }

    private static List<String> sequence(final int requests, final CloseReason closed)
    {
        final List<String> list = new ArrayList<>();
        list.add(CONNECTED);
        list.addAll(requests(requests));
        if (closed != null)
        {
            list.add("closed " + closed);
        }
        return list;
    }

    @Test
    void connectedFiresOnceBeforeTheFirstRequestAndClosedOnceWhenTheClientCloses() throws Exception
    {
        startBus(BusConfig.builder().shards(2));
        final BusClient client = client();
        for (int i = 0; i < 3; i++)
        {
            client.request(7, new byte[] {(byte)i}, TIMEOUT);
        }
        final long id = onlyNewConnection(Set.of());
        assertEquals(sequence(3, null), handler.eventsOf(id));
        assertEquals(scheme(), handler.metas.get(id).transport());

        client.close();
        Await.until(TIMEOUT, () -> handler.closed(id), "the close callback");
        assertEquals(sequence(3, clientCloseReason()), handler.eventsOf(id));
        assertEquals(clientCloseReason(), handler.metas.get(id).closeReason(), "the reason, reachable from the meta");

        bus.close();
        assertEquals(sequence(3, clientCloseReason()), handler.eventsOf(id), "no second close at shutdown");
        assertEquals(1, handler.events.size());
    }

    @Test
    void aProtocolErrorClosesWithProtocolErrorOnce() throws Exception
    {
        startBus(BusConfig.builder().shards(1));
        final RawPeer peer = raw();
        final long id = onlyNewConnection(Set.of());
        assertEquals(sequence(0, null), handler.eventsOf(id), "connected once the handshake is done, before a frame");

        final byte[] frame = TestFrames.frame(Command.REQUEST, 16, 5);
        frame[FrameHeader.VIEW_OFFSET] ^= 1; // header checksum no longer matches
        peer.write(frame);
        Await.until(TIMEOUT, () -> handler.closed(id), "the close callback");
        assertEquals(sequence(0, CloseReason.PROTOCOL_ERROR), handler.eventsOf(id));
        final ClientConnMeta meta = handler.metas.get(id);
        assertEquals(CloseReason.PROTOCOL_ERROR, meta.closeReason());
        assertTrue(meta.closeDetail().contains("HEADER_CHECKSUM"), meta.closeDetail());
        assertNull(bus.clientConnection(id), "a closed connection has no snapshot");

        bus.close();
        assertEquals(sequence(0, CloseReason.PROTOCOL_ERROR), handler.eventsOf(id), "no second close at shutdown");
    }

    @Test
    void busShutdownClosesEveryConnectionWithShutdownOnce() throws Exception
    {
        startBus(BusConfig.builder().shards(2));
        final BusClient first = client();
        first.request(1, new byte[0], TIMEOUT);
        final long firstId = onlyNewConnection(Set.of());
        final BusClient second = client();
        second.request(1, new byte[0], TIMEOUT);
        second.request(1, new byte[0], TIMEOUT);
        final long secondId = onlyNewConnection(Set.of(firstId));

        bus.close();
        assertEquals(sequence(1, CloseReason.SHUTDOWN), handler.eventsOf(firstId));
        assertEquals(sequence(2, CloseReason.SHUTDOWN), handler.eventsOf(secondId));
        assertEquals(CloseReason.SHUTDOWN, handler.metas.get(secondId).closeReason());
        assertEquals(List.of(), bus.clientConnections(), "nothing listed once stopped");
    }

    @Test
    void theSnapshotCountsAKnownExchangeExactly() throws Exception
    {
        startBus(BusConfig.builder().shards(2));
        final BusClient client = client();
        final int[] bodies = {0, 10, 1000};
        long frameBytes = 0;
        for (final int body : bodies)
        {
            assertEquals(body, client.request(3, new byte[body], TIMEOUT).body().length);
            frameBytes += FrameHeader.HEADER_SIZE + body;
        }
        client.ping().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS); // ping_client in, pong_client out
        frameBytes += FrameHeader.HEADER_SIZE;
        final long id = onlyNewConnection(Set.of());

        // The last frame out counts once its write completed, which may follow the client's read of it.
        Await.until(TIMEOUT, () -> bus.clientConnection(id).framesOut() == 4, "the pong's write to complete");
        final ClientConnectionSnapshot snapshot = bus.clientConnection(id);
        final ClientConnMeta meta = handler.metas.get(id);
        assertEquals(id, snapshot.clientId());
        assertEquals(scheme(), snapshot.scheme());
        assertEquals(meta.peerAddress(), snapshot.remoteAddress());
        assertEquals("127.0.0.1", snapshot.remoteAddress().getAddress().getHostAddress());
        assertEquals(Connection.State.OPEN, snapshot.state());
        assertEquals(0, snapshot.queuedFrames());
        assertEquals(0, snapshot.queuedBytes());
        assertEquals(4, snapshot.framesIn());
        assertEquals(4, snapshot.framesOut());
        assertEquals(frameBytes, snapshot.bytesIn());
        assertEquals(frameBytes, snapshot.bytesOut(), "each reply carries its request's body; the pong none");
        assertSame(meta, snapshot.meta());
        assertEquals(id >>> 56, snapshot.shard());
        assertEquals(List.of(snapshot), bus.clientConnections());

        // Taken inline on the owning shard during the third request: that request counted, its reply not yet.
        final ClientConnectionSnapshot inline = handler.seenInline.get(id);
        assertEquals(3, inline.framesIn());
        assertEquals(3 * FrameHeader.HEADER_SIZE + 10 + 1000, inline.bytesIn());
    }

    @Test
    void theListingShowsExactlyTheOpenClientConnections() throws Exception
    {
        startBus(BusConfig.builder().shards(2));
        assertEquals(List.of(), bus.clientConnections());
        final List<BusClient> clients = new ArrayList<>();
        final List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++)
        {
            final BusClient client = client();
            client.request(1, new byte[] {1}, TIMEOUT);
            ids.add(onlyNewConnection(Set.copyOf(ids)));
            clients.add(client);
        }
        assertEquals(new TreeSet<>(ids), listedIds());
        for (final ClientConnectionSnapshot snapshot : bus.clientConnections())
        {
            assertSame(handler.metas.get(snapshot.clientId()), snapshot.meta());
            assertEquals(Connection.State.OPEN, snapshot.state());
        }

        clients.get(1).close();
        final long closedId = ids.get(1);
        Await.until(TIMEOUT, () -> handler.closed(closedId), "the close callback");
        assertEquals(new TreeSet<>(List.of(ids.get(0), ids.get(2))), listedIds());
        assertNull(bus.clientConnection(closedId));
        assertNotNull(bus.clientConnection(ids.get(0)));
        assertNull(bus.clientConnection(12345L), "an id that never was");
    }

    private Set<Long> listedIds()
    {
        final Set<Long> listed = new TreeSet<>();
        for (final ClientConnectionSnapshot snapshot : bus.clientConnections())
        {
            listed.add(snapshot.clientId());
        }
        return listed;
    }
}
