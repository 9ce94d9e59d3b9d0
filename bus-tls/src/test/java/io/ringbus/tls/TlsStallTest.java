package io.ringbus.tls;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.CloseReason;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11, memory C: in an established TLS session, half a TLS record (RFC 8446 5.1: a 5-byte
 * header announcing more than follows) closes the connection with PARTIAL_FRAME_TIMEOUT; the
 * handshake is bounded by handshake_grace, this bounds the session after it.
 */
class TlsStallTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final Queue<ClientConnMeta> closed = new ConcurrentLinkedQueue<>();
    private MessageBus bus;
    private Socket plain;

    @AfterEach
    void tearDown() throws Exception
    {
        if (plain != null)
        {
            plain.close();
        }
        if (bus != null)
        {
            bus.close();
            assertEquals(0, bus.stats().openConnections(), "every connection closed");
            bus.pool().assertNoLeaks();
        }
    }

    @Test
    void halfARecordInAnEstablishedSessionClosesWithPartialFrameTimeout() throws Exception
    {
        bus = MessageBus.start(BusConfig.builder().shards(1).backend(Backend.NIO)
            .partialFrameTimeout(Duration.ofMillis(100))
            .transportSettings("tls", TlsTransportTest.CERTIFICATE.serverSettings().build()).build(), new BusHandler()
            {
                @Override
                public void onClientRequest(final MessageBus bus, final ClientConnMeta client, final DirectBuffer buffer,
                    final int offset, final int length)
                {
                }

                @Override
                public void onClientClosed(final MessageBus bus, final ClientConnMeta client)
                {
                    closed.add(client);
                }
            });
        final InetSocketAddress address = bus.listen(URI.create("tls://127.0.0.1:0"));
        plain = new Socket(address.getAddress(), address.getPort());
        final SSLSocket tls = (SSLSocket)TlsTransportTest.jdkClientContext(TlsTransportTest.CERTIFICATE.certificate())
            .getSocketFactory().createSocket(plain, "localhost", address.getPort(), false);
        tls.setEnabledProtocols(new String[] {"TLSv1.3"});
        tls.startHandshake();

        // Beside the engine, on the socket itself: application_data, legacy version 3.3, 256 bytes, then 10.
        final OutputStream out = plain.getOutputStream();
        out.write(new byte[] {23, 3, 3, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
        out.flush();

        final long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (closed.isEmpty() && System.nanoTime() < deadline)
        {
            LockSupport.parkNanos(1_000_000L);
        }
        final ClientConnMeta meta = closed.poll();
        assertNotNull(meta, "the connection closed within " + TIMEOUT);
        assertEquals(CloseReason.PARTIAL_FRAME_TIMEOUT, meta.closeReason(), meta.closeDetail());
        assertTrue(meta.closeDetail().startsWith("an incomplete carrier record"), meta.closeDetail());
    }
}
