package io.ringbus.core.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class BusConfigTest
{
    private static final int MIB = 1024 * 1024;

    /** Asserts that build() fails on {@code field}, with a message naming the field and the value. */
    private static InvalidConfigException assertRejected(BusConfig.Builder builder, String field, Object value)
    {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, builder::build);
        assertEquals(field, e.field());
        String expectedStart = field + " = " + value + ": ";
        assertTrue(e.getMessage().startsWith(expectedStart), () -> "message '" + e.getMessage()
                + "' should start with '" + expectedStart + "'");
        return e;
    }

    private static Map<Integer, InetSocketAddress> replicaMap(int... ids)
    {
        Map<Integer, InetSocketAddress> map = new LinkedHashMap<>();
        for (int id : ids)
        {
            map.put(id, InetSocketAddress.createUnresolved("replica" + id, 3000 + id));
        }
        return map;
    }

    private static int[] range(int count)
    {
        int[] ids = new int[count];
        for (int i = 0; i < count; i++)
        {
            ids[i] = i;
        }
        return ids;
    }

    private static BusConfig.Builder listening(String... uris)
    {
        List<URI> list = new ArrayList<>();
        for (String uri : uris)
        {
            list.add(URI.create(uri));
        }
        return BusConfig.builder().listen(list);
    }

    // ---- defaults ------------------------------------------------------------------------------

    @Test
    void defaultsMatchDesign()
    {
        BusConfig config = BusConfig.builder().build();

        assertEquals(Runtime.getRuntime().availableProcessors(), config.shards());
        assertEquals(64 * MIB, config.maxMessageSize());
        assertEquals(256, config.maxBatch());
        assertEquals(256, config.peerQueueCapacity());
        assertEquals(Duration.ofSeconds(2), config.closeGrace());
        assertEquals(Duration.ofSeconds(10), config.handshakeGrace());
        assertEquals(Duration.ofMillis(100), config.reconnectBackoffMin());
        assertEquals(Duration.ofSeconds(5), config.reconnectBackoffMax());
        assertEquals(0L, config.clusterHi());
        assertEquals(0L, config.clusterLo());
        assertEquals(-1, config.replicaId());
        assertTrue(config.replicas().isEmpty());
        assertTrue(config.listen().isEmpty());
        assertEquals(Backend.AUTO, config.backend());
        assertEquals(IdleMode.BLOCKING, config.idleMode());
        assertEquals(4096, config.mailboxCapacity());
        assertEquals(256, config.mailboxDrainLimit());
        assertEquals(64 * 1024, config.receiveBufferSize());
        assertEquals(64, config.dedupCapacityPerClient());
        assertEquals(Duration.ofSeconds(30), config.dedupTtl());
        assertEquals(65_536, config.dedupMaxClients());
        assertEquals(64 * MIB, config.webSocket().maxFrameSize());
        assertEquals(64 * MIB, config.webSocket().maxMessageSize());
        assertTrue(config.webSocket().allowedPaths().isEmpty());
        assertTrue(config.webSocket().allowedOrigins().isEmpty());
    }

    @Test
    void minMessageSizeIsTheWireHeaderSize()
    {
        assertEquals(256, BusConfig.MIN_MESSAGE_SIZE);
    }

    @Test
    void invalidConfigExceptionIsAnIllegalArgumentException()
    {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> BusConfig.builder().maxBatch(0).build());
        assertEquals("max_batch = 0: must be within 1..512", e.getMessage());
    }

    // ---- integer limits ------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(ints = {0, 513, -1, Integer.MIN_VALUE, Integer.MAX_VALUE})
    void maxBatchOutsideRangeIsRejected(int maxBatch)
    {
        assertRejected(BusConfig.builder().maxBatch(maxBatch), "max_batch", maxBatch);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 512})
    void maxBatchAtRangeEndsIsAccepted(int maxBatch)
    {
        assertEquals(maxBatch, BusConfig.builder().maxBatch(maxBatch).build().maxBatch());
    }

    @ParameterizedTest
    @ValueSource(ints = {255, 0, -1})
    void maxMessageSizeBelowHeaderSizeIsRejected(int maxMessageSize)
    {
        InvalidConfigException e = assertRejected(
                BusConfig.builder().maxMessageSize(maxMessageSize), "max_message_size", maxMessageSize);
        assertTrue(e.getMessage().contains(">= 256"), e.getMessage());
    }

    @Test
    void maxMessageSizeAboveOneGibIsRejected()
    {
        InvalidConfigException e = assertRejected(
                BusConfig.builder().maxMessageSize((1 << 30) + 1), "max_message_size", (1 << 30) + 1);
        assertTrue(e.getMessage().contains("<= 1073741824"), e.getMessage());
        assertEquals(1 << 30, BusConfig.builder().maxMessageSize(1 << 30).build().maxMessageSize());
    }

    @Test
    void maxMessageSizeOfHeaderOnlyFrameIsAccepted()
    {
        BusConfig config = BusConfig.builder().maxMessageSize(256).build();
        assertEquals(256, config.maxMessageSize());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1})
    void shardsBelowOneAreRejected(int shards)
    {
        assertRejected(BusConfig.builder().shards(shards), "shards", shards);
    }

    @Test
    void oneShardIsAccepted()
    {
        assertEquals(1, BusConfig.builder().shards(1).build().shards());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1})
    void peerQueueCapacityBelowOneIsRejected(int capacity)
    {
        assertRejected(BusConfig.builder().peerQueueCapacity(capacity), "peer_queue_capacity", capacity);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3, 4095, 4097, -4, Integer.MIN_VALUE})
    void mailboxCapacityNotPowerOfTwoAtLeastTwoIsRejected(int capacity)
    {
        InvalidConfigException e =
                assertRejected(BusConfig.builder().mailboxCapacity(capacity), "mailbox_capacity", capacity);
        assertTrue(e.getMessage().contains("power of two"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4096, 1 << 30})
    void mailboxCapacityPowerOfTwoIsAccepted(int capacity)
    {
        assertEquals(capacity, BusConfig.builder().mailboxCapacity(capacity).build().mailboxCapacity());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1})
    void mailboxDrainLimitBelowOneIsRejected(int limit)
    {
        assertRejected(BusConfig.builder().mailboxDrainLimit(limit), "mailbox_drain_limit", limit);
    }

    @Test
    void receiveBufferSizeBelowHeaderSizeIsRejected()
    {
        assertRejected(BusConfig.builder().receiveBufferSize(255), "receive_buffer_size", 255);
    }

    @Test
    void receiveBufferSizeMayExceedMaxMessageSize()
    {
        BusConfig config = BusConfig.builder().maxMessageSize(1024).receiveBufferSize(64 * 1024).build();
        assertEquals(64 * 1024, config.receiveBufferSize());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1})
    void dedupCapacityPerClientBelowOneIsRejected(int capacity)
    {
        assertRejected(BusConfig.builder().dedupCapacityPerClient(capacity), "dedup_capacity_per_client", capacity);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1})
    void dedupMaxClientsBelowOneIsRejected(int clients)
    {
        assertRejected(BusConfig.builder().dedupMaxClients(clients), "dedup_max_clients", clients);
    }

    // ---- durations -----------------------------------------------------------------------------

    interface DurationSetter extends BiFunction<BusConfig.Builder, Duration, BusConfig.Builder>
    {
    }

    static Stream<Arguments> durationFields()
    {
        List<Arguments> cases = new ArrayList<>();
        Map<String, DurationSetter> setters = new LinkedHashMap<>();
        setters.put("close_grace", BusConfig.Builder::closeGrace);
        setters.put("handshake_grace", BusConfig.Builder::handshakeGrace);
        setters.put("reconnect_backoff_min", BusConfig.Builder::reconnectBackoffMin);
        setters.put("reconnect_backoff_max", BusConfig.Builder::reconnectBackoffMax);
        setters.put("dedup_ttl", BusConfig.Builder::dedupTtl);
        for (Map.Entry<String, DurationSetter> setter : setters.entrySet())
        {
            for (Duration bad : List.of(Duration.ZERO, Duration.ofMillis(-1), Duration.ofSeconds(-10)))
            {
                cases.add(Arguments.of(setter.getKey(), setter.getValue(), bad));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} = {2}")
    @MethodSource("durationFields")
    void zeroAndNegativeDurationsAreRejected(
            String field, DurationSetter setter, Duration bad)
    {
        InvalidConfigException e = assertRejected(setter.apply(BusConfig.builder(), bad), field, bad);
        assertTrue(e.getMessage().endsWith("must be positive"), e.getMessage());
    }

    @Test
    void durationBeyondLongNanosIsRejected()
    {
        Duration huge = Duration.ofSeconds(Long.MAX_VALUE);
        assertRejected(BusConfig.builder().closeGrace(huge), "close_grace", huge);
    }

    @Test
    void smallestPositiveDurationsAreAccepted()
    {
        Duration oneNano = Duration.ofNanos(1);
        BusConfig config = BusConfig.builder()
                .closeGrace(oneNano)
                .handshakeGrace(oneNano)
                .reconnectBackoffMin(oneNano)
                .reconnectBackoffMax(oneNano)
                .dedupTtl(oneNano)
                .build();
        assertEquals(oneNano, config.closeGrace());
        assertEquals(oneNano, config.reconnectBackoffMax());
    }

    @Test
    void replicaHeartbeatDefaultsToOneSecondTakesZeroAsOffAndRefusesNegative()
    {
        assertEquals(Duration.ofSeconds(1), BusConfig.builder().build().replicaHeartbeat());
        assertEquals(Duration.ZERO, BusConfig.builder().replicaHeartbeat(Duration.ZERO).build().replicaHeartbeat());
        final InvalidConfigException e = assertRejected(BusConfig.builder().replicaHeartbeat(Duration.ofMillis(-1)),
            "replica_heartbeat", Duration.ofMillis(-1));
        assertTrue(e.getMessage().contains("must be >= 0"), e.getMessage());
    }

    @Test
    void backoffMinAboveMaxIsRejected()
    {
        InvalidConfigException e = assertRejected(
                BusConfig.builder()
                        .reconnectBackoffMin(Duration.ofSeconds(6))
                        .reconnectBackoffMax(Duration.ofSeconds(5)),
                "reconnect_backoff_min",
                Duration.ofSeconds(6));
        assertTrue(e.getMessage().contains("reconnect_backoff_max (PT5S)"), e.getMessage());
    }

    @Test
    void backoffMinEqualToMaxIsAccepted()
    {
        BusConfig config = BusConfig.builder()
                .reconnectBackoffMin(Duration.ofSeconds(1))
                .reconnectBackoffMax(Duration.ofSeconds(1))
                .build();
        assertEquals(config.reconnectBackoffMin(), config.reconnectBackoffMax());
    }

    // ---- replicas ------------------------------------------------------------------------------

    @Test
    void replicasAreOrderedById()
    {
        BusConfig config = BusConfig.builder().replicas(replicaMap(2, 0, 1)).replicaId(1).build();
        assertEquals(List.of(0, 1, 2), new ArrayList<>(config.replicas().keySet()));
        assertEquals(InetSocketAddress.createUnresolved("replica2", 3002), config.replicas().get(2));
        assertEquals(1, config.replicaId());
    }

    @ParameterizedTest
    @MethodSource("nonContiguousIds")
    void replicaIdsNotZeroToNMinusOneAreRejected(int[] ids)
    {
        Map<Integer, InetSocketAddress> replicas = replicaMap(ids);
        BusConfig.Builder builder = BusConfig.builder().replicas(replicas).replicaId(ids[0]);
        InvalidConfigException e = assertRejected(builder, "replicas", new TreeMap<>(replicas));
        assertTrue(e.getMessage().contains("0.." + (ids.length - 1)), e.getMessage());
    }

    static Stream<int[]> nonContiguousIds()
    {
        return Stream.of(new int[] {0, 2}, new int[] {1, 2}, new int[] {1}, new int[] {0, 1, 3}, new int[] {-1, 0});
    }

    @Test
    void moreThan255ReplicasAreRejected()
    {
        Map<Integer, InetSocketAddress> replicas = replicaMap(range(256));
        InvalidConfigException e = assertRejected(
                BusConfig.builder().replicas(replicas).replicaId(0), "replicas", new TreeMap<>(replicas));
        assertTrue(e.getMessage().endsWith("must hold at most 255 replicas"), e.getMessage());
    }

    @Test
    void exactly255ReplicasAreAccepted()
    {
        BusConfig config = BusConfig.builder().replicas(replicaMap(range(255))).replicaId(254).build();
        assertEquals(255, config.replicas().size());
        assertEquals(254, config.replicaId());
    }

    @Test
    void replicaIdNotInReplicasIsRejected()
    {
        InvalidConfigException e =
                assertRejected(BusConfig.builder().replicas(replicaMap(0, 1)).replicaId(2), "replica_id", 2);
        assertTrue(e.getMessage().contains("0..1"), e.getMessage());
    }

    @Test
    void replicasWithoutReplicaIdAreRejected()
    {
        assertRejected(BusConfig.builder().replicas(replicaMap(0, 1, 2)), "replica_id", -1);
    }

    @Test
    void replicaIdWithoutReplicasIsRejected()
    {
        assertRejected(BusConfig.builder().replicaId(0), "replica_id", 0);
    }

    @ParameterizedTest
    @ValueSource(ints = {255, 256, -2})
    void replicaIdOutOfRangeIsRejected(int replicaId)
    {
        InvalidConfigException e = assertRejected(
                BusConfig.builder().replicas(replicaMap(0)).replicaId(replicaId), "replica_id", replicaId);
        assertTrue(e.getMessage().contains("0..254"), e.getMessage());
    }

    @Test
    void replicasAreCopiedAndUnmodifiable()
    {
        Map<Integer, InetSocketAddress> source = new HashMap<>(replicaMap(0, 1));
        BusConfig config = BusConfig.builder().replicas(source).replicaId(0).build();
        source.put(2, InetSocketAddress.createUnresolved("late", 1));
        assertEquals(2, config.replicas().size());
        assertThrows(UnsupportedOperationException.class,
                () -> config.replicas().put(2, InetSocketAddress.createUnresolved("x", 1)));
    }

    // ---- listen --------------------------------------------------------------------------------

    @Test
    void oneListenerPerSchemeOnDistinctPortsIsAccepted()
    {
        BusConfig config = listening(
                "tcp://127.0.0.1:9000", "tls://127.0.0.1:9001", "ws://127.0.0.1:9002",
                "wss://127.0.0.1:9003", "quic://127.0.0.1:9004").build();
        assertEquals(URI.create("ws://127.0.0.1:9002"), config.listen().get(2));
        assertEquals(5, config.listen().size());
    }

    @Test
    void sameListenerTwiceIsRejected()
    {
        InvalidConfigException e = assertRejected(
                listening("tcp://127.0.0.1:9000", "tcp://127.0.0.1:9000"), "listen", "tcp://127.0.0.1:9000");
        assertTrue(e.getMessage().contains("same tcp host:port"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"tcp,ws", "tcp,tls", "tls,wss", "ws,wss", "wss,tcp", "tcp,TLS"})
    void tcpBasedSchemesOnSamePortAreRejected(String first, String second)
    {
        String duplicate = second + "://localhost:9000";
        InvalidConfigException e =
                assertRejected(listening(first + "://localhost:9000", duplicate), "listen", duplicate);
        assertTrue(e.getMessage().contains(first + "://localhost:9000"), e.getMessage());
    }

    @Test
    void hostNamesCompareIgnoringCase()
    {
        assertRejected(listening("tcp://LocalHost:9000", "ws://localhost:9000"), "listen", "ws://localhost:9000");
    }

    @Test
    void twoQuicListenersOnSamePortAreRejected()
    {
        assertRejected(listening("quic://0.0.0.0:4433", "quic://0.0.0.0:4433"), "listen", "quic://0.0.0.0:4433");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "tls", "ws", "wss"})
    void quicSharesPortWithTcpBasedListener(String scheme)
    {
        BusConfig config = listening(scheme + "://0.0.0.0:4433", "quic://0.0.0.0:4433").build();
        assertEquals(2, config.listen().size());
    }

    @Test
    void samePortOnDifferentHostsIsAccepted()
    {
        assertDoesNotThrow(() -> listening("tcp://127.0.0.1:9000", "ws://127.0.0.2:9000").build());
    }

    @Test
    void portZeroNeverCollides()
    {
        assertDoesNotThrow(() -> listening("tcp://127.0.0.1:0", "ws://127.0.0.1:0", "tcp://127.0.0.1:0").build());
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://localhost:80", "udp://localhost:9000", "//localhost:9000"})
    void unknownSchemeIsRejected(String uri)
    {
        InvalidConfigException e = assertRejected(listening(uri), "listen", uri);
        assertTrue(e.getMessage().contains("tcp, tls, ws, wss, quic"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "tcp://localhost", "tcp://:9000", "tcp:localhost:9000", "tcp://bad_host:9000", "tcp://localhost:65536",
        "ws://localhost:9000/bus", "tcp://user@localhost:9000", "tcp://localhost:9000?x=1", "tcp://localhost:9000#f"
    })
    void listenerWithoutHostAndPortOnlyIsRejected(String uri)
    {
        assertRejected(listening(uri), "listen", uri);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp://[::1]:9000", "wss://example.com:65535", "tls://host:1/", "TCP://host:0"})
    void wellFormedListenerIsAccepted(String uri)
    {
        assertEquals(List.of(URI.create(uri)), listening(uri).build().listen());
    }

    @Test
    void listenIsCopiedAndUnmodifiable()
    {
        List<URI> source = new ArrayList<>(List.of(URI.create("tcp://localhost:9000")));
        BusConfig config = BusConfig.builder().listen(source).build();
        source.add(URI.create("ws://localhost:9001"));
        assertEquals(1, config.listen().size());
        assertThrows(UnsupportedOperationException.class, () -> config.listen().add(URI.create("tcp://x:1")));
    }

    // ---- WebSocket -----------------------------------------------------------------------------

    @Test
    void wsFrameSizeAboveWsMessageSizeIsRejected()
    {
        WebSocketConfig ws = WebSocketConfig.builder().maxFrameSize(2048).maxMessageSize(1024).build();
        InvalidConfigException e = assertRejected(BusConfig.builder().webSocket(ws), "ws_max_frame_size", 2048);
        assertEquals("ws_max_frame_size = 2048: must be <= ws_max_message_size (1024)", e.getMessage());
    }

    @Test
    void wsMessageSizeAboveMaxMessageSizeIsRejected()
    {
        WebSocketConfig ws = WebSocketConfig.builder().maxMessageSize(2 * MIB).build();
        InvalidConfigException e = assertRejected(
                BusConfig.builder().maxMessageSize(MIB).webSocket(ws), "ws_max_message_size", 2 * MIB);
        assertTrue(e.getMessage().contains("max_message_size (" + MIB + ")"), e.getMessage());
    }

    @Test
    void wsSizesEqualToTheBusAreAccepted()
    {
        WebSocketConfig ws = WebSocketConfig.builder().maxFrameSize(MIB).maxMessageSize(MIB).build();
        BusConfig config = BusConfig.builder().maxMessageSize(MIB).webSocket(ws).build();
        assertEquals(MIB, config.webSocket().maxFrameSize());
        assertEquals(MIB, config.webSocket().maxMessageSize());
    }

    @Test
    void unsetWsSizesFollowTheBusMaxMessageSize()
    {
        BusConfig small = BusConfig.builder().maxMessageSize(MIB).build();
        assertEquals(MIB, small.webSocket().maxMessageSize());
        assertEquals(MIB, small.webSocket().maxFrameSize());

        BusConfig large = small.toBuilder().maxMessageSize(128 * MIB).build();
        assertEquals(128 * MIB, large.webSocket().maxMessageSize());
        assertEquals(128 * MIB, large.webSocket().maxFrameSize());
    }

    @Test
    void unsetWsFrameSizeFollowsAnExplicitWsMessageSize()
    {
        WebSocketConfig ws = WebSocketConfig.builder().maxMessageSize(4096).build();
        BusConfig config = BusConfig.builder().webSocket(ws).build();
        assertEquals(4096, config.webSocket().maxFrameSize());
        assertEquals(4096, config.webSocket().maxMessageSize());
    }

    @Test
    void explicitWsFrameSizeAboveInheritedMessageSizeIsRejected()
    {
        WebSocketConfig ws = WebSocketConfig.builder().maxFrameSize(64 * MIB).build();
        assertRejected(BusConfig.builder().maxMessageSize(MIB).webSocket(ws), "ws_max_frame_size", 64 * MIB);
    }

    @Test
    void explicitWsFrameSizeBelowTheBusIsKept()
    {
        WebSocketConfig ws = WebSocketConfig.builder().maxFrameSize(4096).build();
        BusConfig config = BusConfig.builder().maxMessageSize(MIB).webSocket(ws).build();
        assertEquals(4096, config.webSocket().maxFrameSize());
        assertEquals(MIB, config.webSocket().maxMessageSize());
    }

    // ---- null arguments ------------------------------------------------------------------------

    static Stream<Arguments> nullSetters()
    {
        Map<String, Function<BusConfig.Builder, BusConfig.Builder>> setters = new LinkedHashMap<>();
        setters.put("closeGrace", b -> b.closeGrace(null));
        setters.put("handshakeGrace", b -> b.handshakeGrace(null));
        setters.put("reconnectBackoffMin", b -> b.reconnectBackoffMin(null));
        setters.put("reconnectBackoffMax", b -> b.reconnectBackoffMax(null));
        setters.put("dedupTtl", b -> b.dedupTtl(null));
        setters.put("backend", b -> b.backend(null));
        setters.put("idleMode", b -> b.idleMode(null));
        setters.put("webSocket", b -> b.webSocket(null));
        setters.put("listen", b -> b.listen(null));
        setters.put("replicas", b -> b.replicas(null));
        return setters.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nullSetters")
    void nullArgumentIsRejectedNamingTheParameter(
            String parameter, Function<BusConfig.Builder, BusConfig.Builder> setter)
    {
        NullPointerException e = assertThrows(NullPointerException.class, () -> setter.apply(BusConfig.builder()));
        assertEquals(parameter, e.getMessage());
    }

    @Test
    void nullListenElementIsRejected()
    {
        List<URI> withNull = Arrays.asList(URI.create("tcp://localhost:1"), null);
        NullPointerException e = assertThrows(NullPointerException.class, () -> BusConfig.builder().listen(withNull));
        assertTrue(e.getMessage().startsWith("listen"), e.getMessage());
    }

    @Test
    void nullReplicaAddressIsRejected()
    {
        Map<Integer, InetSocketAddress> withNull = new HashMap<>();
        withNull.put(0, null);
        NullPointerException e = assertThrows(NullPointerException.class, () -> BusConfig.builder().replicas(withNull));
        assertTrue(e.getMessage().startsWith("replicas"), e.getMessage());
    }

    // ---- copying and rendering -----------------------------------------------------------------

    private static BusConfig customised()
    {
        return BusConfig.builder()
                .shards(3)
                .maxMessageSize(MIB)
                .maxBatch(32)
                .peerQueueCapacity(64)
                .closeGrace(Duration.ofMillis(500))
                .handshakeGrace(Duration.ofSeconds(3))
                .reconnectBackoffMin(Duration.ofMillis(10))
                .reconnectBackoffMax(Duration.ofSeconds(1))
                .cluster(0x0123456789abcdefL, 42L)
                .replicas(replicaMap(0, 1, 2))
                .replicaId(2)
                .listen(List.of(URI.create("tcp://localhost:7000"), URI.create("quic://localhost:7000")))
                .backend(Backend.NIO)
                .idleMode(IdleMode.SPINNING)
                .mailboxCapacity(1024)
                .mailboxDrainLimit(16)
                .receiveBufferSize(8192)
                .dedupCapacityPerClient(8)
                .dedupTtl(Duration.ofSeconds(5))
                .dedupMaxClients(100)
                .webSocket(WebSocketConfig.builder().maxFrameSize(4096).allowedPaths(Set.of("/bus")).build())
                .build();
    }

    @Test
    void toBuilderCopiesEveryField()
    {
        BusConfig original = customised();
        BusConfig copy = original.toBuilder().build();

        assertEquals(original, copy);
        assertEquals(original.hashCode(), copy.hashCode());
        assertEquals(original.toString(), copy.toString());
    }

    @Test
    void toBuilderChangesOnlyWhatIsSet()
    {
        BusConfig original = customised();
        BusConfig changed = original.toBuilder().maxBatch(64).build();

        assertEquals(32, original.maxBatch());
        assertEquals(64, changed.maxBatch());
        assertNotEquals(original, changed);
        assertEquals(original, changed.toBuilder().maxBatch(32).build());
    }

    @Test
    void toStringNamesFieldsAndValues()
    {
        String text = customised().toString();

        assertTrue(text.startsWith("BusConfig{shards=3, max_message_size=1048576, max_batch=32"), text);
        assertTrue(text.contains("close_grace=PT0.5S"), text);
        assertTrue(text.contains("reconnect_backoff=PT0.01S..PT1S"), text);
        assertTrue(text.contains("cluster=0123456789abcdef000000000000002a"), text);
        assertTrue(text.contains("replica_id=2"), text);
        assertTrue(text.contains("listen=[tcp://localhost:7000, quic://localhost:7000]"), text);
        assertTrue(text.contains("backend=NIO"), text);
        assertTrue(text.contains("ws_max_frame_size=4096"), text);
        assertTrue(text.contains("ws_allowed_paths=[/bus]"), text);
    }
}
