package io.ringbus.core.jfr;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.SendResult;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.Await;
import io.ringbus.core.transport.TcpTransportTest;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15, point 7: the io.ringbus.* JFR events of a real tcp connection, recorded to a file and
 * read back, and nothing allocated while they are disabled.
 */
class JfrEventsTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final String[] NAMES = {"io.ringbus.ConnectionOpened", "io.ringbus.ConnectionClosed",
        "io.ringbus.Backpressure", "io.ringbus.ProtocolError"};

    @TempDir
    Path dir;

    private final Queue<ClientConnMeta> closed = new ConcurrentLinkedQueue<>();
    private final AtomicInteger backpressured = new AtomicInteger();
    private volatile int repliesPerRequest = 1;
    private MessageBus bus;

    private final BusHandler echo = new BusHandler()
    {
        @Override
        public void onClientRequest(final MessageBus bus, final ClientConnMeta client, final DirectBuffer buffer,
            final int offset, final int length)
        {
            for (int i = 0; i < repliesPerRequest; i++)
            {
                final FrameBuffer reply = Frames.reply(bus.pool(), buffer, offset, buffer,
                    offset + FrameHeader.HEADER_SIZE, length - FrameHeader.HEADER_SIZE, FrameHeader.REPLICA_NONE);
                if (bus.sendToClient(client.clientId(), reply) == SendResult.BACKPRESSURE)
                {
                    backpressured.incrementAndGet();
                }
            }
        }

        @Override
        public void onClientClosed(final MessageBus bus, final ClientConnMeta client)
        {
            closed.add(client);
        }
    };

    @AfterEach
    void tearDown()
    {
        if (bus != null)
        {
            bus.close();
            bus.pool().assertNoLeaks();
        }
    }

    private static Recording recording()
    {
        final Recording recording = new Recording();
        for (final String name : NAMES)
        {
            recording.enable(name);
        }
        return recording;
    }

    /** The recorded io.ringbus.* events of role "client" (the bus's side), in the order committed. */
    private List<RecordedEvent> readBack(final Recording recording) throws Exception
    {
        recording.stop();
        final Path file = dir.resolve("bus.jfr");
        recording.dump(file);
        final List<RecordedEvent> events = new ArrayList<>();
        for (final RecordedEvent event : RecordingFile.readAllEvents(file))
        {
            if (event.getEventType().getName().startsWith("io.ringbus.") && "client".equals(event.getString("role")))
            {
                events.add(event);
            }
        }
        events.sort((a, b) -> a.getStartTime().compareTo(b.getStartTime()));
        return events;
    }

    private InetSocketAddress startBus(final BusConfig.Builder builder)
    {
        bus = MessageBus.start(builder.build(), echo);
        return bus.listen(URI.create("tcp://127.0.0.1:0"));
    }

    @Test
    void aConnectionThatOpensSendsABadFrameAndClosesIsRecorded() throws Exception
    {
        try (Recording recording = recording())
        {
            recording.start();
            final InetSocketAddress address = startBus(BusConfig.builder().shards(1));
            final byte[] good = TestFrames.frame(Command.REQUEST, 16, 1);
            final byte[] bad = TestFrames.frame(Command.REQUEST, 16, 2);
            bad[FrameHeader.VIEW_OFFSET] ^= 1;
            try (TcpTransportTest.SocketPeer peer = new TcpTransportTest.SocketPeer(
                new Socket(address.getAddress(), address.getPort())))
            {
                peer.write(good);
                assertEquals(good.length, peer.readFully(good.length, TIMEOUT).length, "the reply");
                peer.write(bad);
                peer.readUntilClosed(TIMEOUT);
            }
            Await.until(TIMEOUT, () -> !closed.isEmpty(), "the close");
            final ClientConnMeta meta = closed.peek();
            final String id = Long.toHexString(meta.clientId());

            final List<RecordedEvent> events = readBack(recording);
            final List<String> names = new ArrayList<>();
            for (final RecordedEvent event : events)
            {
                names.add(event.getEventType().getName());
                assertEquals(id, event.getString("connectionId"));
                assertEquals("tcp", event.getString("scheme"));
            }
            assertEquals(List.of("io.ringbus.ConnectionOpened", "io.ringbus.ProtocolError", "io.ringbus.ConnectionClosed"),
                names);

            final RecordedEvent opened = events.get(0);
            assertEquals(String.valueOf(meta.peerAddress()), opened.getString("remoteAddress"));
            assertEquals(0, opened.getInt("shard"));
            assertEquals("Ringbus", opened.getEventType().getCategoryNames().get(0));

            final RecordedEvent error = events.get(1);
            assertEquals("HEADER_CHECKSUM", error.getString("kind"));
            assertEquals(meta.closeDetail(), error.getString("detail"));

            final RecordedEvent closedEvent = events.get(2);
            assertEquals("PROTOCOL_ERROR", closedEvent.getString("reason"));
            assertEquals(meta.closeDetail(), closedEvent.getString("detail"));
            assertEquals(1, closedEvent.getLong("framesIn"), "the bad frame is not a frame received");
            assertEquals(1, closedEvent.getLong("framesOut"));
            assertEquals(good.length, closedEvent.getLong("bytesIn"));
            assertEquals(good.length, closedEvent.getLong("bytesOut"));
        }
    }

    @Test
    void aBackpressureRefusalIsRecorded() throws Exception
    {
        repliesPerRequest = 12; // all sent in one callback, before any write: 8 queued, 4 refused
        try (Recording recording = recording())
        {
            recording.start();
            final InetSocketAddress address = startBus(BusConfig.builder().shards(1).peerQueueCapacity(8));
            final byte[] request = TestFrames.frame(Command.REQUEST, 16, 1);
            try (TcpTransportTest.SocketPeer peer = new TcpTransportTest.SocketPeer(
                new Socket(address.getAddress(), address.getPort())))
            {
                peer.write(request);
                assertEquals(8 * request.length, peer.readFully(8 * request.length, TIMEOUT).length);
            }
            Await.until(TIMEOUT, () -> !closed.isEmpty(), "the close");
            assertEquals(4, backpressured.get());

            final List<RecordedEvent> refusals = new ArrayList<>();
            for (final RecordedEvent event : readBack(recording))
            {
                if (event.getEventType().getName().equals("io.ringbus.Backpressure"))
                {
                    refusals.add(event);
                }
            }
            assertEquals(4, refusals.size());
            for (final RecordedEvent event : refusals)
            {
                assertEquals(Long.toHexString(closed.peek().clientId()), event.getString("connectionId"));
                assertEquals(8, event.getInt("queuedFrames"));
                assertEquals(bus.config().peerQueueMaxBytes(), event.getLong("maxQueuedBytes"));
                assertTrue(event.getLong("frameBytes") >= request.length, "the refused frame's pooled bytes");
                assertTrue(event.getLong("queuedBytes") >= 8L * request.length);
            }
        }
    }

    @Test
    void disabledEventsAllocateNothing()
    {
        // JFR on in this process, our events off: the state where a careless check would allocate.
        try (Recording others = new Recording())
        {
            others.enable("jdk.CPULoad");
            for (final String name : NAMES)
            {
                others.disable(name); // events are enabled by default in any recording that does not say otherwise
            }
            others.start();
            final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
            callAll(1_000); // load and link everything first
            final long before = threads.getCurrentThreadAllocatedBytes();
            callAll(100_000);
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            // One event object each would be more than 400,000 objects: anything above noise is an allocation per call.
            assertTrue(allocated < 1024, "bytes allocated by 400,000 calls of disabled events: " + allocated);
        }
    }

    private static void callAll(final int times)
    {
        for (int i = 0; i < times; i++)
        {
            // Disabled, they return before touching the connection.
            JfrEvents.connectionOpened(null);
            JfrEvents.protocolError(null, "PLANE");
            JfrEvents.backpressure(null, 64);
            JfrEvents.connectionClosed(null);
        }
    }
}
