package io.ringbus.ws;

import io.ringbus.core.MessageBus;
import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.client.ClientOptions;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.config.WebSocketConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.Await;
import io.ringbus.core.transport.CloseReason;
import io.ringbus.core.transport.TransportPermutation;
import io.ringbus.core.transport.TransportPermutations;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.ringbus.ws.WebSocketCodec.OPCODE_BINARY;
import static io.ringbus.ws.WebSocketCodec.OPCODE_CLOSE;
import static io.ringbus.ws.WebSocketCodec.OPCODE_CONTINUATION;
import static io.ringbus.ws.WebSocketCodec.OPCODE_PING;
import static io.ringbus.ws.WebSocketCodec.OPCODE_PONG;
import static io.ringbus.ws.WebSocketCodec.OPCODE_TEXT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 6455 and WIRE.md rules, one test each, against our server: violations close with the code
 * the rule names (and only that connection), legal variations (fragments, interleaved control
 * frames, one byte per write) deliver the frame. Run for ws and wss on every backend and (wss)
 * every TLS provider; for wss the certificate is registered under "tls" (wss falls back to it).
 */
@ParameterizedClass(name = "{0}")
@MethodSource("permutations")
class WsRulesTest
{
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    final TransportPermutation permutation;
    RecordingHandler handler = new RecordingHandler();
    MessageBus bus;
    InetSocketAddress address;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    WsRulesTest(final TransportPermutation permutation)
    {
        this.permutation = permutation;
    }

    static Stream<TransportPermutation> permutations()
    {
        return TransportPermutations.of(TransportPermutation.Scheme.WS, TransportPermutation.Scheme.WSS);
    }

    @BeforeEach
    void assumeRunnable()
    {
        permutation.assumeRunnable();
    }

    private boolean secure()
    {
        return permutation.scheme() == TransportPermutation.Scheme.WSS;
    }

    String scheme()
    {
        return permutation.scheme().uri();
    }

    Socket connect(final InetSocketAddress address) throws IOException
    {
        return secure() ? TestTls.socket(address) : new Socket(address.getAddress(), address.getPort());
    }

    /** The backend and, for wss, the certificate: under "tls", which wss falls back to. */
    BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return secure() ? permutation.configure(builder).transportSettings("tls", TestTls.serverSettings(permutation)) :
            permutation.configure(builder);
    }

    ClientOptions clientOptions()
    {
        return secure() ? ClientOptions.defaults().withTransportSettings("wss", TestTls.clientSettings(permutation)) :
            ClientOptions.defaults();
    }

    void start(final BusConfig.Builder builder)
    {
        bus = MessageBus.start(configure(builder.shards(1)).build(), handler);
        address = bus.listen(URI.create(scheme() + "://127.0.0.1:0"));
    }

    void start()
    {
        start(BusConfig.builder().maxMessageSize(1 << 20));
    }

    WsTestPeer peer() throws IOException
    {
        return peer("/", "");
    }

    WsTestPeer peer(final String path, final String headers) throws IOException
    {
        final WsTestPeer peer = WsTestPeer.upgrade(connect(address), path, headers);
        toClose.add(peer);
        return peer;
    }

    WsTestPeer rawPeer() throws IOException
    {
        final WsTestPeer peer = WsTestPeer.raw(connect(address));
        toClose.add(peer);
        return peer;
    }

    @AfterEach
    void tearDown() throws Exception
    {
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
    }

    static byte[] request(final int bodyLength, final long seed)
    {
        return TestFrames.frame(Command.REQUEST, bodyLength, seed);
    }

    /** Read the next binary message and check it is the reply to {@code request}. */
    static void expectReply(final WsTestPeer peer, final byte[] request) throws IOException
    {
        final WsTestPeer.Frame frame = peer.read(TIMEOUT);
        assertNotNull(frame, "a reply before end of stream");
        assertEquals(OPCODE_BINARY, frame.opcode);
        assertTrue(frame.fin, "one frame per message");
        final UnsafeBuffer reply = new UnsafeBuffer(frame.payload);
        assertEquals(frame.payload.length, FrameHeader.size(reply, 0), "size field equals the message length");
        assertEquals(Command.REPLY.code(), FrameHeader.command(reply, 0));
        assertArrayEquals(Arrays.copyOfRange(request, FrameHeader.HEADER_SIZE, request.length),
            Arrays.copyOfRange(frame.payload, FrameHeader.HEADER_SIZE, frame.payload.length), "reply body");
    }

    /** The server closes with {@code code}; returns what it recorded about the closed connection. */
    ClientConnMeta expectClose(final WsTestPeer peer, final int code) throws IOException
    {
        assertEquals(code, peer.awaitClose(TIMEOUT), "close code");
        Await.until(TIMEOUT, () -> !handler.closed.isEmpty(), "the server recorded the close");
        return handler.closed.peek();
    }

    ClientConnMeta expectProtocolClose(final WsTestPeer peer, final int code, final String detail) throws IOException
    {
        final ClientConnMeta meta = expectClose(peer, code);
        assertEquals(CloseReason.PROTOCOL_ERROR, meta.closeReason());
        assertTrue(meta.closeDetail().contains(detail), meta.closeDetail());
        return meta;
    }

    // ---------------------------------------------------------------------------------------------
    // Framing violations: 1002

    @Test
    void unmaskedClientFrameClosesWith1002() throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        peer.writeRaw(peer.encode(0x80 | OPCODE_BINARY, request(10, 1), false));
        expectProtocolClose(peer, 1002, "unmasked frame from the client");
    }

    @ParameterizedTest
    @ValueSource(ints = {0x10, 0x20, 0x40, 0x70})
    void rsvBitsCloseWith1002(final int rsv) throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        peer.writeRaw(peer.encode(0x80 | rsv | OPCODE_BINARY, request(10, 1), true));
        expectProtocolClose(peer, 1002, "RSV bits");
    }

    @ParameterizedTest
    @ValueSource(ints = {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF})
    void reservedOpcodesCloseWith1002(final int opcode) throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        peer.writeRaw(peer.encode(0x80 | opcode, new byte[0], true));
        expectProtocolClose(peer, 1002, "reserved opcode");
    }

    @Test
    void controlFrameOver125BytesClosesWith1002() throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        peer.send(true, OPCODE_PING, new byte[126]);
        expectProtocolClose(peer, 1002, "control frame of 126 bytes");
    }

    @Test
    void fragmentedControlFrameClosesWith1002() throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        peer.send(false, OPCODE_PING, new byte[] {1});
        expectProtocolClose(peer, 1002, "fragmented control frame");
    }

    @Test
    void continuationWithoutAMessageClosesWith1002() throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        peer.send(true, OPCODE_CONTINUATION, request(10, 1));
        expectProtocolClose(peer, 1002, "continuation frame outside");
    }

    @Test
    void newMessageInsideAFragmentedOneClosesWith1002() throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        final byte[] request = request(100, 1);
        peer.send(false, OPCODE_BINARY, Arrays.copyOf(request, 100));
        peer.send(true, OPCODE_BINARY, request);
        expectProtocolClose(peer, 1002, "inside a fragmented message");
    }

    // ---------------------------------------------------------------------------------------------
    // WIRE.md message rules: 1003, 1008, 1009

    @Test
    void textMessageClosesWith1003() throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        peer.send(true, OPCODE_TEXT, "Hello".getBytes(StandardCharsets.UTF_8));
        expectProtocolClose(peer, 1003, "text message");
    }

    @Test
    void messageLongerThanItsSizeFieldClosesWith1008() throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        final byte[] request = request(100, 1);
        peer.send(true, OPCODE_BINARY, Arrays.copyOf(request, request.length + 1));
        expectProtocolClose(peer, 1008, "size = " + request.length + ": differs from the WebSocket message length " +
            (request.length + 1));
        assertTrue(handler.requesters.isEmpty(), "the frame was not delivered");
    }

    @Test
    void messageShorterThanItsSizeFieldClosesWith1008() throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        final byte[] request = request(100, 1);
        peer.send(true, OPCODE_BINARY, Arrays.copyOf(request, request.length - 1));
        expectProtocolClose(peer, 1008, "size = " + request.length + ": differs");
    }

    @Test
    void fragmentsLongerThanTheSizeFieldCloseWith1008BeforeDelivery() throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        final byte[] request = request(100, 1);
        peer.send(false, OPCODE_BINARY, request);
        peer.send(true, OPCODE_CONTINUATION, request);
        expectProtocolClose(peer, 1008, "size = " + request.length);
        assertTrue(handler.requesters.isEmpty(), "nothing delivered");
    }

    @Test
    void badFrameHeaderChecksumClosesWith1008() throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        final byte[] request = request(100, 1);
        request[FrameHeader.VIEW_OFFSET] ^= 1;
        peer.send(true, OPCODE_BINARY, request);
        expectProtocolClose(peer, 1008, "checksum = ");
    }

    @Test
    void messageExactlyAtTheLimitPassesAndOneByteMoreClosesWith1009() throws Exception
    {
        final int limit = 4096;
        start(BusConfig.builder().maxMessageSize(1 << 20).webSocket(WebSocketConfig.builder().maxMessageSize(limit).build()));
        final WsTestPeer peer = peer();
        final byte[] atLimit = request(limit - FrameHeader.HEADER_SIZE, 1);
        peer.send(true, OPCODE_BINARY, atLimit);
        expectReply(peer, atLimit);
        peer.send(true, OPCODE_BINARY, request(limit - FrameHeader.HEADER_SIZE + 1, 2));
        expectProtocolClose(peer, 1009, "size = " + (limit + 1));
        assertEquals(1, handler.requesters.size(), "only the message at the limit was delivered");
    }

    @Test
    void busMaxMessageSizeLimitsWebSocketMessagesToo() throws Exception
    {
        final int limit = 2048;
        start(BusConfig.builder().maxMessageSize(limit)); // ws_max_message_size unset: follows the bus
        final WsTestPeer peer = peer();
        final byte[] atLimit = request(limit - FrameHeader.HEADER_SIZE, 1);
        peer.send(true, OPCODE_BINARY, atLimit);
        expectReply(peer, atLimit);
        peer.send(true, OPCODE_BINARY, request(limit - FrameHeader.HEADER_SIZE + 1, 2));
        expectProtocolClose(peer, 1009, "size = " + (limit + 1));
    }

    @Test
    void oversizedMessageIsRefusedFromItsHeaderBeforeThePayload() throws Exception
    {
        start(BusConfig.builder().maxMessageSize(4096));
        final WsTestPeer peer = peer();
        // Only the header of a 1 GiB message is sent: the close must not wait for the payload.
        peer.writeRaw(new byte[] {(byte)0x82, (byte)(0x80 | 127), 0, 0, 0, 0, 0x40, 0, 0, 0, 1, 2, 3, 4});
        expectProtocolClose(peer, 1009, "size = " + (1L << 30));
    }

    @Test
    void frameOverMaxFrameSizeClosesWith1009() throws Exception
    {
        start(BusConfig.builder().maxMessageSize(1 << 20)
            .webSocket(WebSocketConfig.builder().maxFrameSize(1024).maxMessageSize(4096).build()));
        final WsTestPeer peer = peer();
        final byte[] request = request(2048 - FrameHeader.HEADER_SIZE, 1);
        peer.send(false, OPCODE_BINARY, Arrays.copyOf(request, 1024));
        peer.send(true, OPCODE_CONTINUATION, Arrays.copyOfRange(request, 1024, 2048));
        expectReply(peer, request);
        peer.send(true, OPCODE_BINARY, request(1025 - FrameHeader.HEADER_SIZE, 2));
        expectProtocolClose(peer, 1009, "above ws_max_frame_size 1024");
    }

    // ---------------------------------------------------------------------------------------------
    // Legal variations deliver the frame

    @Test
    void fragmentedMessageWithInterleavedPingIsReassembled() throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        final byte[] request = request(1000, 1);
        peer.send(false, OPCODE_BINARY, Arrays.copyOfRange(request, 0, 30)); // ends inside the size field
        peer.send(true, OPCODE_PING, "ping!".getBytes(StandardCharsets.US_ASCII));
        peer.send(false, OPCODE_CONTINUATION, Arrays.copyOfRange(request, 30, 50));
        peer.send(false, OPCODE_CONTINUATION, new byte[0]);
        peer.send(true, OPCODE_PONG, new byte[0]); // unsolicited: ignored (RFC 6455 5.5.3)
        peer.send(true, OPCODE_CONTINUATION, Arrays.copyOfRange(request, 50, request.length));
        final WsTestPeer.Frame pong = peer.read(TIMEOUT);
        assertEquals(OPCODE_PONG, pong.opcode);
        assertArrayEquals("ping!".getBytes(StandardCharsets.US_ASCII), pong.payload);
        expectReply(peer, request);
    }

    @Test
    void pingIsAnsweredWithAnUnmaskedPongOfTheSamePayload() throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        // RFC 6455 5.7: a masked ping "Hello" from the client; the unmasked pong has the same payload.
        peer.writeRaw(new byte[] {(byte)0x89, (byte)0x85, 0x37, (byte)0xfa, 0x21, 0x3d, 0x7f, (byte)0x9f, 0x4d, 0x51, 0x58});
        final WsTestPeer.Frame pong = peer.read(TIMEOUT);
        assertEquals(OPCODE_PONG, pong.opcode);
        assertFalse(pong.masked);
        assertArrayEquals("Hello".getBytes(StandardCharsets.US_ASCII), pong.payload);
    }

    @Test
    void upgradeAndMessageDeliveredOneBytePerWrite() throws Exception
    {
        start();
        final WsTestPeer peer = rawPeer();
        peer.writeBytewise(("GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
        final String head = peer.readHead(TIMEOUT);
        assertTrue(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), head);
        final byte[] request = request(300, 1);
        peer.writeBytewise(peer.encode(0x80 | OPCODE_BINARY, request, true));
        expectReply(peer, request);
    }

    @Test
    void largeMessagesCrossManyReadsAndWrites() throws Exception
    {
        start(BusConfig.builder().maxMessageSize(4 << 20));
        final WsTestPeer peer = peer();
        final byte[] request = request(3 << 20, 1);
        peer.send(true, OPCODE_BINARY, request);
        expectReply(peer, request);
        final BusClient client = BusClient.connect(URI.create(scheme() + "://127.0.0.1:" + address.getPort() + "/big"),
            clientOptions().withMaxMessageSize(4 << 20));
        toClose.add(client);
        final byte[] body = Arrays.copyOfRange(request, FrameHeader.HEADER_SIZE, request.length);
        assertArrayEquals(body, client.request(1, body, TIMEOUT).body());
    }

    // ---------------------------------------------------------------------------------------------
    // Close handshake (RFC 6455 5.5.1, 7.4)

    @ParameterizedTest
    @ValueSource(ints = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999})
    void validCloseCodesAreEchoed(final int code) throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        peer.sendClose(code, "bye".getBytes(StandardCharsets.UTF_8));
        final ClientConnMeta meta = expectClose(peer, code);
        assertEquals(CloseReason.PEER_CLOSED, meta.closeReason());
        assertTrue(meta.closeDetail().contains("WebSocket close " + code), meta.closeDetail());
    }

    @Test
    void closeWithoutAPayloadIsAnsweredWith1000() throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        peer.send(true, OPCODE_CLOSE, new byte[0]);
        assertEquals(CloseReason.PEER_CLOSED, expectClose(peer, 1000).closeReason());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535})
    void invalidCloseCodesCloseWith1002(final int code) throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        peer.sendClose(code, new byte[0]);
        expectProtocolClose(peer, 1002, "close code " + code);
    }

    @Test
    void closeWithOneBytePayloadClosesWith1002() throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        peer.send(true, OPCODE_CLOSE, new byte[] {3});
        expectProtocolClose(peer, 1002, "1-byte payload");
    }

    @Test
    void closeReasonThatIsNotUtf8ClosesWith1007() throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        // Autobahn 7.5.1: "κόσμε" followed by an encoded surrogate (ED A0 80), then "edited".
        final byte[] reason = {(byte)0xce, (byte)0xba, (byte)0xe1, (byte)0xbd, (byte)0xb9, (byte)0xcf, (byte)0x83,
            (byte)0xce, (byte)0xbc, (byte)0xce, (byte)0xb5, (byte)0xed, (byte)0xa0, (byte)0x80, 0x65, 0x64, 0x69, 0x74,
            0x65, 0x64};
        peer.sendClose(1000, reason);
        expectProtocolClose(peer, 1007, "not valid UTF-8");
    }

    @Test
    void shutdownClosesWith1001AndAwaitsThePeersClose() throws Exception
    {
        start();
        final WsTestPeer peer = peer();
        final MessageBus stopping = bus;
        bus = null;
        final CompletableFuture<Void> stopped = CompletableFuture.runAsync(stopping::close);
        final WsTestPeer.Frame close = peer.read(TIMEOUT);
        assertEquals(OPCODE_CLOSE, close.opcode);
        assertEquals(1001, close.closeCode());
        peer.sendClose(1001, new byte[0]);
        assertEquals(null, peer.read(TIMEOUT), "end of stream after the close handshake");
        peer.close();
        stopped.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(0, stopping.stats().openConnections());
    }

    @Test
    void ourClientClosesWithTheCloseHandshake() throws Exception
    {
        start();
        final BusClient client = BusClient.connect(URI.create(scheme() + "://127.0.0.1:" + address.getPort() + "/"),
            clientOptions());
        assertArrayEquals(new byte[] {7}, client.request(1, new byte[] {7}, TIMEOUT).body());
        client.close();
        Await.until(TIMEOUT, () -> !handler.closed.isEmpty(), "the server saw the close");
        assertEquals(CloseReason.PEER_CLOSED, handler.closed.peek().closeReason());
        assertTrue(handler.closed.peek().closeDetail().contains("WebSocket close 1000"), handler.closed.peek().closeDetail());
    }

    // ---------------------------------------------------------------------------------------------
    // Opening handshake (RFC 6455 section 4)

    static final String GOOD_KEY = "dGhlIHNhbXBsZSBub25jZQ==";

    String exchange(final String request) throws IOException
    {
        final WsTestPeer peer = rawPeer();
        peer.writeRaw(request.getBytes(StandardCharsets.ISO_8859_1));
        return peer.readAll(TIMEOUT);
    }

    static String requestWith(final String requestLine, final String headers)
    {
        return requestLine + "\r\n" + headers + "\r\n";
    }

    static void assertRefused(final String response, final int status)
    {
        assertTrue(response.startsWith("HTTP/1.1 " + status + " "), response);
        final String body = response.substring(response.indexOf("\r\n\r\n") + 4);
        assertTrue(body.endsWith("\n") && body.indexOf('\n') == body.length() - 1 && body.length() > 1,
            "a one-line reason: " + body);
    }

    @ParameterizedTest
    @ValueSource(strings = {"method", "version", "upgrade", "connection", "host", "key", "key-twice", "target"})
    void badUpgradeRequestsGet400(final String broken) throws Exception
    {
        start();
        String line = "GET / HTTP/1.1";
        String host = "Host: localhost\r\n";
        String upgrade = "Upgrade: websocket\r\n";
        String connection = "Connection: keep-alive, Upgrade\r\n";
        String key = "Sec-WebSocket-Key: " + GOOD_KEY + "\r\n";
        switch (broken)
        {
            case "method":
                line = "POST / HTTP/1.1";
                break;
            case "version":
                line = "GET / HTTP/1.0";
                break;
            case "target":
                line = "GET http://localhost/ HTTP/1.1";
                break;
            case "upgrade":
                upgrade = "Upgrade: h2c\r\n";
                break;
            case "connection":
                connection = "Connection: keep-alive\r\n";
                break;
            case "host":
                host = "";
                break;
            case "key":
                key = "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA\r\n"; // 15 bytes
                break;
            case "key-twice":
                key = key + key;
                break;
            default:
                throw new IllegalArgumentException(broken);
        }
        assertRefused(exchange(requestWith(line, host + upgrade + connection + key + "Sec-WebSocket-Version: 13\r\n")), 400);
        Await.until(TIMEOUT, () -> bus.stats().openConnections() == 0, "the refused connection closed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"8", "14", ""})
    void unsupportedVersionGets426WithTheSupportedVersion(final String version) throws Exception
    {
        start();
        final String versionHeader = version.isEmpty() ? "" : "Sec-WebSocket-Version: " + version + "\r\n";
        final String response = exchange(requestWith("GET / HTTP/1.1", "Host: localhost\r\nUpgrade: websocket\r\n" +
            "Connection: Upgrade\r\nSec-WebSocket-Key: " + GOOD_KEY + "\r\n" + versionHeader));
        assertRefused(response, 426);
        assertTrue(response.contains("\r\nSec-WebSocket-Version: 13\r\n"), response);
    }

    @Test
    void headBlockOver8KiBGets400() throws Exception
    {
        start();
        final String filler = "X-Filler: " + "a".repeat(8 * 1024) + "\r\n";
        assertRefused(exchange(requestWith("GET / HTTP/1.1", "Host: localhost\r\n" + filler)), 400);
    }

    @Test
    void moreThan100HeaderLinesGet400() throws Exception
    {
        start();
        final StringBuilder headers = new StringBuilder("Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: " + GOOD_KEY + "\r\nSec-WebSocket-Version: 13\r\n");
        for (int i = 0; i < 96; i++)
        {
            headers.append("X-").append(i).append(": 1\r\n");
        }
        assertRefused(exchange(requestWith("GET / HTTP/1.1", headers.toString())), 400); // 101 lines
    }

    @Test
    void exactly100HeaderLinesAreAccepted() throws Exception
    {
        start();
        final StringBuilder headers = new StringBuilder();
        for (int i = 0; i < 95; i++)
        {
            headers.append("X-").append(i).append(": 1\r\n");
        }
        final WsTestPeer peer = peer("/", headers.toString()); // 5 of the upgrade + 95 = 100
        final byte[] request = request(10, 1);
        peer.send(true, OPCODE_BINARY, request);
        expectReply(peer, request);
    }

    @Test
    void pathAndOriginAllowListsAndClientMeta() throws Exception
    {
        start(BusConfig.builder().webSocket(WebSocketConfig.builder().allowedPaths(Set.of("/bus"))
            .allowedOrigins(Set.of("https://app.example")).build()));
        final String upgrade = "Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
            GOOD_KEY + "\r\nSec-WebSocket-Version: 13\r\n";
        assertRefused(exchange(requestWith("GET /other HTTP/1.1", upgrade)), 404);
        assertRefused(exchange(requestWith("GET /bus HTTP/1.1", upgrade + "Origin: https://evil.example\r\n")), 403);
        final IOException refused = assertThrows(IOException.class, () -> BusClient.connect(
            URI.create(scheme() + "://127.0.0.1:" + address.getPort() + "/other"), clientOptions()));
        assertTrue(refused.getMessage().contains("404"), refused.getMessage());

        final WsTestPeer peer = peer("/bus?token=1", "Origin: https://app.example\r\nUser-Agent: test-agent/1\r\n");
        final byte[] request = request(10, 1);
        peer.send(true, OPCODE_BINARY, request);
        expectReply(peer, request);
        final ClientConnMeta meta = handler.requesters.peek();
        assertEquals(scheme(), meta.transport());
        assertEquals("/bus", meta.detail("ws.path"));
        assertEquals("https://app.example", meta.detail("ws.origin"));
        assertEquals("test-agent/1", meta.detail("ws.user_agent"));
    }
}
