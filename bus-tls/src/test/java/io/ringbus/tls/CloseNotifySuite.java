package io.ringbus.tls;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.Await;
import io.ringbus.core.transport.CloseReason;
import io.ringbus.core.transport.TransportPermutation;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * close_notify before FIN, as seen on the wire by a {@link TlsWireObserver}, on every graceful close
 * of the bus's side of a TLS connection: the bus shutting down, a protocol error, the peer closing
 * first (orderly, or with a bare FIN). A JDK {@code SSLSocket} would accept a bare FIN, so only an
 * engine over a raw socket notices a missing close_notify. A subclass per TLS scheme (tls, wss) says
 * how the frame stream rides on the observer; each runs every combination of its scheme.
 */
public abstract class CloseNotifySuite
{
    protected static final Duration TIMEOUT = Duration.ofSeconds(20);
    protected static final SelfSignedCertificate CERTIFICATE = TlsTransportTest.CERTIFICATE;

    protected final TransportPermutation permutation;
    protected final Recorder handler = new Recorder();
    protected MessageBus bus;
    protected InetSocketAddress address;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    /** The frame stream over one observed connection, in the scheme's carrier. */
    protected interface Observed
    {
        /** Send bytes of the frame stream (for wss: one binary message). */
        void send(byte[] frames) throws IOException;

        /** Exactly {@code length} bytes of the frame stream. */
        byte[] receive(int length) throws IOException;

        /** Begin the peer's orderly close above TCP: tls close_notify, a WebSocket close frame (wss). */
        void closeFirst() throws IOException;

        /** Read up to the server's own carrier close above TLS, if the scheme has one (a WebSocket close frame). */
        void readTheServersClose() throws IOException;

        /** {@link #readTheServersClose()} and answer it, as the scheme asks of a peer (RFC 6455 5.5.1). */
        void answerTheServersClose() throws IOException;
    }

    protected CloseNotifySuite(final TransportPermutation permutation)
    {
        this.permutation = permutation;
    }

    /** The scheme's TLS settings (certificate, provider) in the bus configuration. */
    protected abstract BusConfig.Builder configure(BusConfig.Builder builder);

    /** The scheme's layer over the observer (for wss, the WebSocket upgrade). */
    protected abstract Observed open(TlsWireObserver observer) throws IOException;

    @BeforeEach
    void assumeRunnable()
    {
        permutation.assumeRunnable();
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

    protected void startBus()
    {
        bus = MessageBus.start(configure(permutation.configure(BusConfig.builder().shards(1))).build(), handler);
        address = bus.listen(URI.create(permutation.scheme().uri() + "://127.0.0.1:0"));
    }

    protected TlsWireObserver observer() throws IOException
    {
        final TlsWireObserver observer = TlsWireObserver.connect(address, CERTIFICATE.certificate(), TIMEOUT);
        toClose.add(observer);
        return observer;
    }

    /** A request and its reply, so the connection is known to be open end to end. */
    protected static void exchange(final Observed observed, final long seed) throws IOException
    {
        final byte[] request = TestFrames.frame(Command.REQUEST, 300, seed);
        observed.send(request);
        final byte[] reply = observed.receive(request.length);
        assertEquals(Command.REPLY.code(), reply[FrameHeader.COMMAND_OFFSET]);
        assertArrayEquals(java.util.Arrays.copyOfRange(request, FrameHeader.HEADER_SIZE, request.length),
            java.util.Arrays.copyOfRange(reply, FrameHeader.HEADER_SIZE, reply.length), "reply body");
    }

    /** The verdict: close_notify came before FIN, nothing after it, no alert, no reset. */
    protected static void assertCloseNotifyBeforeFin(final TlsWireObserver.Ending ending)
    {
        assertNull(ending.alert, "no alert in place of close_notify: " + ending);
        assertFalse(ending.reset, "ended by FIN, not a reset: " + ending);
        assertNull(ending.truncation, "the FIN came without close_notify: " + ending);
        assertTrue(ending.closeNotify, "close_notify arrived before FIN: " + ending);
        assertEquals(0, ending.bytesAfterCloseNotify, "nothing followed close_notify: " + ending);
    }

    @Test
    void closeNotifyBeforeFinOnBusShutdown() throws Exception
    {
        startBus();
        final TlsWireObserver observer = observer();
        final Observed observed = open(observer);
        exchange(observed, 14);

        final CompletableFuture<Void> closing = CompletableFuture.runAsync(bus::close);
        observed.answerTheServersClose();
        final TlsWireObserver.Ending ending = observer.readToEndOfStream();
        observer.close();
        closing.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertCloseNotifyBeforeFin(ending);
        assertEquals(0, ending.applicationBytes, "nothing but the carrier's close: " + ending);
        assertEquals(CloseReason.SHUTDOWN, handler.awaitClose().closeReason());
    }

    @Test
    void closeNotifyBeforeFinOnAProtocolErrorClose() throws Exception
    {
        startBus();
        final TlsWireObserver observer = observer();
        final Observed observed = open(observer);
        exchange(observed, 15);

        final byte[] bad = TestFrames.frame(Command.REQUEST, 300, 16);
        bad[bad.length - 1] ^= 1;
        observed.send(bad);
        observed.readTheServersClose();
        final TlsWireObserver.Ending ending = observer.readToEndOfStream();
        assertCloseNotifyBeforeFin(ending);
        assertEquals(0, ending.applicationBytes, "no reply to the bad frame: " + ending);
        final ClientConnMeta meta = handler.awaitClose();
        assertEquals(CloseReason.PROTOCOL_ERROR, meta.closeReason());
        assertTrue(meta.closeDetail().contains("checksum_body"), meta.closeDetail());
    }

    @Test
    void closeNotifyBeforeFinWhenThePeerClosesFirst() throws Exception
    {
        startBus();
        final TlsWireObserver observer = observer();
        final Observed observed = open(observer);
        exchange(observed, 17);

        observed.closeFirst();
        observed.readTheServersClose();
        final TlsWireObserver.Ending ending = observer.readToEndOfStream();
        assertCloseNotifyBeforeFin(ending);
        final ClientConnMeta meta = handler.awaitClose();
        assertEquals(CloseReason.PEER_CLOSED, meta.closeReason(), meta.closeDetail());
        assertFalse(meta.closeDetail() != null && meta.closeDetail().contains("truncation"), meta.closeDetail());
    }

    @Test
    void closeNotifyBeforeFinAfterThePeersBareFin() throws Exception
    {
        startBus();
        final TlsWireObserver observer = observer();
        final Observed observed = open(observer);
        exchange(observed, 24);

        observer.finWithoutCloseNotify();
        observed.readTheServersClose();
        final TlsWireObserver.Ending ending = observer.readToEndOfStream();
        assertCloseNotifyBeforeFin(ending);
        final ClientConnMeta meta = handler.awaitClose();
        assertEquals(CloseReason.PEER_CLOSED, meta.closeReason(), meta.closeDetail());
        assertTrue(meta.closeDetail() != null && meta.closeDetail().contains("truncation"), meta.closeDetail());
    }

    /** Echoes each request; records closed connections. */
    protected static final class Recorder implements BusHandler
    {
        private final Queue<ClientConnMeta> closed = new ConcurrentLinkedQueue<>();

        @Override
        public void onClientRequest(final MessageBus bus, final ClientConnMeta client, final DirectBuffer buffer,
            final int offset, final int length)
        {
            final FrameBuffer reply = Frames.reply(bus.pool(), buffer, offset, buffer, offset + FrameHeader.HEADER_SIZE,
                length - FrameHeader.HEADER_SIZE, FrameHeader.REPLICA_NONE);
            bus.sendToClient(client.clientId(), reply);
        }

        @Override
        public void onClientClosed(final MessageBus bus, final ClientConnMeta client)
        {
            closed.add(client);
        }

        /** The first connection the bus closed. */
        public ClientConnMeta awaitClose()
        {
            Await.until(TIMEOUT, () -> !closed.isEmpty(), "the bus closed a connection");
            return closed.peek();
        }
    }
}
