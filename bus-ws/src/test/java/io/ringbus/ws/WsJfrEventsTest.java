package io.ringbus.ws;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.Await;
import io.ringbus.core.transport.CloseReason;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import static io.ringbus.ws.WebSocketCodec.OPCODE_BINARY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 15, point 7, on ws: a WebSocket rule broken is recorded as a protocol error of kind CARRIER. */
class WsJfrEventsTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final Queue<ClientConnMeta> closed = new ConcurrentLinkedQueue<>();
    private MessageBus bus;

    @AfterEach
    void tearDown()
    {
        if (bus != null)
        {
            bus.close();
            bus.pool().assertNoLeaks();
        }
    }

    @Test
    void aWebSocketProtocolErrorIsRecordedWithKindCarrier() throws Exception
    {
        try (Recording recording = new Recording())
        {
            recording.enable("io.ringbus.ProtocolError");
            recording.enable("io.ringbus.ConnectionClosed");
            recording.start();
            bus = MessageBus.start(BusConfig.builder().shards(1).build(), new BusHandler()
            {
                @Override
                public void onClientClosed(final MessageBus bus, final ClientConnMeta client)
                {
                    closed.add(client);
                }
            });
            final InetSocketAddress address = bus.listen(URI.create("ws://127.0.0.1:0"));
            try (WsTestPeer peer = WsTestPeer.upgrade(new Socket(address.getAddress(), address.getPort())))
            {
                // RSV1 set without an extension that defines it (RFC 6455 5.2): the carrier refuses it.
                peer.writeRaw(peer.encode(0x80 | 0x40 | OPCODE_BINARY, TestFrames.frame(Command.REQUEST, 10, 1), true));
                Await.until(TIMEOUT, () -> !closed.isEmpty(), "the close");
            }
            final ClientConnMeta meta = closed.peek();
            assertEquals(CloseReason.PROTOCOL_ERROR, meta.closeReason());
            recording.stop();
            final Path file = dir.resolve("ws.jfr");
            recording.dump(file);

            final List<RecordedEvent> errors = new ArrayList<>();
            for (final RecordedEvent event : RecordingFile.readAllEvents(file))
            {
                if (event.getEventType().getName().equals("io.ringbus.ProtocolError") &&
                    "client".equals(event.getString("role")))
                {
                    errors.add(event);
                }
            }
            assertEquals(1, errors.size());
            final RecordedEvent error = errors.get(0);
            assertEquals(Long.toHexString(meta.clientId()), error.getString("connectionId"));
            assertEquals("ws", error.getString("scheme"));
            assertEquals("CARRIER", error.getString("kind"));
            assertTrue(error.getString("detail").contains("RSV bits"), error.getString("detail"));
        }
    }
}
