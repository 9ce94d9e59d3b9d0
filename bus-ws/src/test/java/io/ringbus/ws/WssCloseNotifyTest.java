package io.ringbus.ws;

import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.CloseReason;
import io.ringbus.core.transport.TransportPermutation;
import io.ringbus.core.transport.TransportPermutations;
import io.ringbus.tls.CloseNotifySuite;
import io.ringbus.tls.TlsWireObserver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * close_notify before FIN on wss, every backend and provider: the WebSocket close handshake runs
 * first (RFC 6455 7.1.1: the server closes the TCP connection after it), then TLS close_notify,
 * then FIN. A JDK {@code SSLSocket} under a WebSocket client would accept a bare FIN, so nothing
 * else in the tests would notice close_notify missing here.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("permutations")
class WssCloseNotifyTest extends CloseNotifySuite
{
    WssCloseNotifyTest(final TransportPermutation permutation)
    {
        super(permutation);
    }

    static Stream<TransportPermutation> permutations()
    {
        return TransportPermutations.of(TransportPermutation.Scheme.WSS);
    }

    @Override
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return builder.transportSettings("wss", TestTls.serverSettings(permutation));
    }

    @Override
    protected Observed open(final TlsWireObserver observer) throws IOException
    {
        return new WebSocketOverObserver(WsTestPeer.upgrade(observer.asSocket()));
    }

    @Test
    void closeNotifyBeforeFinOnAWebSocketProtocolErrorClose() throws Exception
    {
        startBus();
        final TlsWireObserver observer = observer();
        final WebSocketOverObserver observed = new WebSocketOverObserver(WsTestPeer.upgrade(observer.asSocket()));
        exchange(observed, 31);

        final WsTestPeer peer = observed.peer;
        peer.writeRaw(peer.encode(0x80 | WebSocketCodec.OPCODE_BINARY, new byte[] {1, 2, 3}, false)); // unmasked
        assertEquals(WebSocketCodec.CLOSE_PROTOCOL_ERROR, observed.readCloseFrame().closeCode());
        final TlsWireObserver.Ending ending = observer.readToEndOfStream();
        assertCloseNotifyBeforeFin(ending);
        assertEquals(0, ending.applicationBytes, "nothing after the close frame: " + ending);
        final ClientConnMeta meta = handler.awaitClose();
        assertEquals(CloseReason.PROTOCOL_ERROR, meta.closeReason());
        assertTrue(meta.closeDetail().contains("unmasked"), meta.closeDetail());
    }

    /** The frame stream in binary messages over {@link WsTestPeer} on the observer's application bytes. */
    private static final class WebSocketOverObserver implements Observed
    {
        final WsTestPeer peer;

        WebSocketOverObserver(final WsTestPeer peer)
        {
            this.peer = peer;
        }

        @Override
        public void send(final byte[] frames) throws IOException
        {
            peer.send(true, WebSocketCodec.OPCODE_BINARY, frames);
        }

        @Override
        public byte[] receive(final int length) throws IOException
        {
            final ByteArrayOutputStream stream = new ByteArrayOutputStream();
            while (stream.size() < length)
            {
                final WsTestPeer.Frame frame = peer.read(TIMEOUT);
                if (frame == null)
                {
                    throw new EOFException("end of stream after " + stream.size() + " of " + length + " bytes");
                }
                assertEquals(WebSocketCodec.OPCODE_BINARY, frame.opcode, "a binary message");
                stream.write(frame.payload);
            }
            return stream.toByteArray();
        }

        @Override
        public void closeFirst() throws IOException
        {
            peer.sendClose(WebSocketCodec.CLOSE_NORMAL, new byte[0]);
        }

        @Override
        public void readTheServersClose() throws IOException
        {
            readCloseFrame();
        }

        @Override
        public void answerTheServersClose() throws IOException
        {
            final WsTestPeer.Frame close = readCloseFrame();
            peer.send(true, WebSocketCodec.OPCODE_CLOSE, close.payload.length >= 2 ?
                new byte[] {close.payload[0], close.payload[1]} : new byte[0]);
        }

        /** The server's close frame (RFC 6455 5.5.1), skipping nothing else: the tests leave no replies unread. */
        WsTestPeer.Frame readCloseFrame() throws IOException
        {
            final WsTestPeer.Frame frame = peer.read(TIMEOUT);
            if (frame == null)
            {
                throw new AssertionError("end of stream (close_notify or FIN) before the server's close frame");
            }
            assertEquals(WebSocketCodec.OPCODE_CLOSE, frame.opcode, "the server's close frame");
            return frame;
        }
    }
}
