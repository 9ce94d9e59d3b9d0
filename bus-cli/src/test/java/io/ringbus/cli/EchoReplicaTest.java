package io.ringbus.cli;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.dedup.SessionBindings;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
        request(new ClientConnMeta(connectionId(shard, 0), new InetSocketAddress(0), "tcp"), clientHi, clientLo,
            number);
    }

    private void request(final ClientConnMeta meta, final long clientHi, final long clientLo, final long number)
    {
        Frames.header().wrap(request, 0).clear()
            .size(request.capacity())
            .command(Command.REQUEST)
            .client(clientHi, clientLo)
            .request(number);
        Frames.seal(request, 0);
        echo.onClientRequest(bus, meta, request, 0, request.capacity());
    }

    /** A connection on shard 0, slot {@code slot}, with a client certificate of {@code subject} (null: none). */
    private static ClientConnMeta connection(final int slot, final String subject) throws Exception
    {
        final ClientConnMeta meta = new ClientConnMeta(connectionId(0, slot), new InetSocketAddress(0), "tls");
        if (subject != null)
        {
            meta.peerCertificate(certificate(subject));
        }
        return meta;
    }

    private static X509Certificate certificate(final String subject) throws Exception
    {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        final KeyPair keys = generator.generateKeyPair();
        final X500Name name = new X500Name(subject);
        final Instant now = Instant.now();
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name, BigInteger.ONE,
            Date.from(now.minusSeconds(60)), Date.from(now.plusSeconds(3600)), name, keys.getPublic())
            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    }

    /**
     * Issue 13, point 6, with client certificates: a session belongs to the certificate subject of
     * the connection that first used it. Another subject, or a connection without one, is refused
     * while the session lives, even after its connections closed; a new connection of the same
     * subject takes it over at once (no need to wait for the old connection's close) and gets the
     * cached reply.
     */
    @Test
    void aSessionOfAClientCertificateStaysWithItsSubject() throws Exception
    {
        start(BusConfig.builder().shards(1).backend(Backend.NIO).build());
        final ClientConnMeta alice = connection(0, "CN=alice,O=Example");
        final ClientConnMeta stranger = connection(1, null);
        final ClientConnMeta mallory = connection(2, "CN=mallory,O=Example");
        request(alice, 5, 5, 1);
        assertEquals(1, echo.committedOps());
        request(stranger, 5, 5, 1);
        request(mallory, 5, 5, 1);
        assertEquals(2, echo.sessionRefusals());
        assertEquals(0, echo.dedupHits(), "no cached reply to another subject");

        final ClientConnMeta aliceAgain = connection(3, "CN=alice,O=Example");
        request(aliceAgain, 5, 5, 1);
        assertEquals(1, echo.dedupHits(), "the same subject on a new connection: its session, its cache");
        echo.onClientClosed(bus, aliceAgain);
        echo.onClientClosed(bus, alice);
        request(stranger, 5, 5, 1);
        request(mallory, 5, 5, 1);
        assertEquals(4, echo.sessionRefusals(), "released, and still held for its subject");
        final ClientConnMeta aliceThird = connection(4, "CN=alice,O=Example");
        request(aliceThird, 5, 5, 1);
        assertEquals(2, echo.dedupHits());
        assertEquals(1, echo.sessionReclaims());
        assertEquals(1, echo.committedOps(), "executed once throughout");
    }

    /**
     * Issue 13, point 6, on a node without replicas and with several shards: the sessions and
     * their caches are node-wide (striped by client id), not per shard. Another connection on
     * another shard is refused; after the owner's close, a connection on another shard reclaims
     * the session and a retry is answered from its cache. Before, each shard had its own table:
     * shard 1 executed the request again as a session of its own.
     */
    @Test
    void sessionsAndTheirCachesAreNodeWideAcrossShards()
    {
        start(BusConfig.builder().shards(2).backend(Backend.NIO).build());
        final ClientConnMeta owner = new ClientConnMeta(connectionId(0, 0), new InetSocketAddress(0), "tcp");
        final ClientConnMeta other = new ClientConnMeta(connectionId(1, 0), new InetSocketAddress(0), "tcp");
        request(owner, 5, 5, 1);
        request(owner, 5, 5, 1);
        assertEquals(1, echo.committedOps());
        assertEquals(1, echo.dedupHits(), "a retry on the same connection comes from the cache");
        request(other, 5, 5, 1);
        assertEquals(1, echo.sessionRefusals(), "bound to a connection of shard 0");
        assertEquals(1, echo.committedOps());
        echo.onClientClosed(bus, owner);
        request(other, 5, 5, 1);
        assertEquals(1, echo.sessionReclaims());
        assertEquals(2, echo.dedupHits(), "shard 1 answers from the cache the request made on shard 0");
        assertEquals(1, echo.committedOps(), "executed once");
        assertEquals(1, echo.dedupEntries());
    }

    /**
     * The stripes of a node without replicas: one (and no lock) for one shard; else four per shard,
     * a power of two, never more than dedup_max_clients so that their shares fit the node's limit.
     */
    @Test
    void stripesPerShardAreAPowerOfTwoWithinTheSessionLimit()
    {
        assertEquals(1, EchoReplica.stripeCount(1, 65_536));
        assertEquals(8, EchoReplica.stripeCount(2, 65_536));
        assertEquals(16, EchoReplica.stripeCount(3, 65_536));
        assertEquals(16, EchoReplica.stripeCount(4, 65_536));
        assertEquals(EchoReplica.MAX_STRIPES, EchoReplica.stripeCount(1_000, 65_536));
        assertEquals(4, EchoReplica.stripeCount(2, 7));
        assertEquals(1, EchoReplica.stripeCount(2, 1));
    }

    /**
     * The striped request path of a node with two shards (stripe hash, lock, node-wide tables)
     * allocates nothing more than the lock-free path of a node with one shard: new requests (bound,
     * claimed, answered, cached) and retries (answered from the cache) of sessions on both shards.
     * Compared with one shard, not with zero, because the pool's leak detection (on in the tests)
     * records a stack for every reply buffer; that share is the same on both paths.
     */
    @Test
    void theStripedRequestPathAllocatesNoMoreThanTheSingleShardPath()
    {
        final ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean);
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)bean;
        assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        final long single = steadyStateAllocation(threads, 1);
        final long striped = steadyStateAllocation(threads, 2);
        assertTrue(striped - single < 1024, "striped " + striped + " bytes, one shard " + single + " bytes");
    }

    /** Bytes this thread allocates for the steady-state requests of a node with {@code shards} shards. */
    private long steadyStateAllocation(final com.sun.management.ThreadMXBean threads, final int shards)
    {
        close();
        start(BusConfig.builder().shards(shards).backend(Backend.NIO).build());
        final ClientConnMeta[] connections = new ClientConnMeta[16];
        for (int i = 0; i < connections.length; i++)
        {
            connections[i] = new ClientConnMeta(connectionId(i % shards, i), new InetSocketAddress(0), "tcp");
        }
        final int warmUp = 5_000;
        churn(connections, 1, warmUp);
        final long tid = Thread.currentThread().getId();
        final long before = threads.getThreadAllocatedBytes(tid);
        churn(connections, warmUp + 1, 2 * warmUp);
        final long allocated = threads.getThreadAllocatedBytes(tid) - before;
        assertEquals(0, echo.refusedRequests());
        assertEquals(2L * warmUp * connections.length, echo.committedOps());
        assertEquals((long)2 * warmUp * connections.length, echo.dedupHits());
        return allocated;
    }

    /** Requests first..last of one session per connection, each request once and retried once. */
    private void churn(final ClientConnMeta[] connections, final int first, final int last)
    {
        for (int number = first; number <= last; number++)
        {
            for (int i = 0; i < connections.length; i++)
            {
                request(connections[i], 0xA110C, i, number);
                request(connections[i], 0xA110C, i, number);
            }
        }
    }

    /**
     * In a cluster the sequencer binds sessions, and a connection's close reaches it by another
     * queue than its requests. A close that overtakes requests of its connection still waiting in
     * the request queue must wait for them: else they would bind the session again to the closed
     * connection, for good, and its owner could never reclaim it. Here 300 requests and then the
     * close are queued before the sequencer starts; it takes 256 requests per turn, so it sees the
     * close with 44 requests of the connection still queued.
     */
    @Test
    void aCloseThatOvertakesItsConnectionsRequestsWaitsForThem() throws Exception
    {
        final TreeMap<Integer, InetSocketAddress> replicas = new TreeMap<>();
        replicas.put(0, new InetSocketAddress("127.0.0.1", 0));
        final BusConfig config = ServeOptions.replica(0, replicas, 1, Duration.ofMillis(500), Backend.NIO)
            .config();
        echo = new EchoReplica(config);
        bus = MessageBus.start(config, echo);
        final ClientConnMeta first = connection(0, null);
        final int requests = 300;
        for (int i = 1; i <= requests; i++)
        {
            request(first, 6, 6, i);
        }
        echo.onClientClosed(bus, first);
        echo.start(bus);
        Await.until("the queued requests committed", Duration.ofSeconds(20),
            () -> echo.committedOps() == requests);
        final ClientConnMeta reconnected = connection(1, null);
        request(reconnected, 6, 6, requests);
        Await.until("the retry answered or refused", Duration.ofSeconds(20),
            () -> echo.dedupHits() + echo.sessionRefusals() > 0);
        assertEquals(0, echo.sessionRefusals(), "the session is still bound to the closed connection");
        assertEquals(1, echo.dedupHits(), "reclaimed with its cache");
    }

    /**
     * Memory A: opening ever new client ids (each connection a new session, closed after its two
     * requests) keeps the echo's per-client state within its limits: the oldest released sessions
     * end, each with its cached replies, and are counted; every pooled reply buffer is released
     * (the pool's leak check in {@link #close()}).
     */
    @Test
    void newClientIdsWithoutEndStayWithinTheDedupLimits()
    {
        final int maxClients = 64;
        start(BusConfig.builder().shards(2).backend(Backend.NIO).dedupMaxClients(maxClients).build());
        final int sessions = 20_000;
        for (int i = 0; i < sessions; i++)
        {
            final ClientConnMeta meta = new ClientConnMeta(connectionId(i & 1, i), new InetSocketAddress(0), "tcp");
            request(meta, 0x77, i, 1);
            request(meta, 0x77, i, 2);
            echo.onClientClosed(bus, meta);
            assertTrue(echo.dedupEntries() <= 2L * maxClients, "entries " + echo.dedupEntries());
            assertTrue(echo.sessions() <= maxClients, "sessions " + echo.sessions());
        }
        assertEquals(2L * sessions, echo.committedOps());
        assertEquals(2L * maxClients, echo.dedupEntries(), "each stripe holds its share of the clients");
        assertEquals(sessions - maxClients, echo.sessionEvictions(), "every session ended early is counted");
        assertTrue(echo.dedupReplyBytes() <= echo.dedupMaxReplyBytes());
        assertEquals(0, echo.droppedRequests());
        assertEquals(0, echo.refusedRequests());
    }

    /**
     * A connection that opens ever new client ids without closing holds at most
     * {@link SessionBindings#DEFAULT_MAX_SESSIONS_PER_CONNECTION} sessions; its further new ids are
     * refused (counted), its own sessions and other connections are unaffected.
     */
    @Test
    void oneConnectionHoldsABoundedNumberOfSessions()
    {
        start(BusConfig.builder().shards(1).backend(Backend.NIO).build());
        final int limit = SessionBindings.DEFAULT_MAX_SESSIONS_PER_CONNECTION;
        for (int i = 0; i < 10 * limit; i++)
        {
            request(0, 0x88, i, 1);
        }
        assertEquals(limit, echo.committedOps());
        assertEquals(9L * limit, echo.sessionLimitRefusals());
        assertEquals(9L * limit, echo.refusedRequests());
        request(0, 0x88, 0, 2);
        assertEquals(limit + 1, echo.committedOps(), "its own sessions go on");
        request(new ClientConnMeta(connectionId(0, 1), new InetSocketAddress(0), "tcp"), 0x99, 1, 1);
        assertEquals(limit + 2, echo.committedOps(), "another connection goes on");
    }
}
