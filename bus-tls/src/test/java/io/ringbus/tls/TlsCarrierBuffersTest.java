package io.ringbus.tls;

import io.ringbus.core.frame.FrameDecodeException;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.transport.Carrier;
import io.ringbus.core.transport.CarrierException;
import io.ringbus.core.transport.CloseReason;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TLS carrier's buffers, driven by hand: a client and a server carrier back to back in memory,
 * net bytes moved between them in chunks of a chosen size, delegated tasks run inline. No socket,
 * no timing: what each carrier holds is read after every step.
 */
class TlsCarrierBuffersTest
{
    private static final int RECORD_PAYLOAD = 16 * 1024; // RFC 8446 5.1: the largest plaintext per record

    private final FramePool pool = new FramePool(1 << 20, 1 << 22, true);
    private final End server = new End(new TlsCarrier(TlsTransportProvider.serverEngine(
        TlsTransportTest.CERTIFICATE.serverSettings().build()), false));
    private final End client = new End(new TlsCarrier(TlsTransportProvider.clientEngine(
        TlsSettings.builder().trust(TlsTransportTest.CERTIFICATE.certificate()).build(), "localhost", 443), true));

    @AfterEach
    void noLeaks()
    {
        server.carrier.release();
        client.carrier.release();
        pool.assertNoLeaks();
    }

    @Test
    void anIdleConnectionHoldsNoBufferOnceItsBytesAreDrained() throws Exception
    {
        handshake();
        assertEquals(0, server.carrier.heldCapacity(), "after the handshake the server holds no buffer");
        assertEquals(0, client.carrier.heldCapacity(), "after the handshake the client holds no buffer");
        final byte[] message = random(100);
        client.send(message);
        assertTrue(client.carrier.heldCapacity() > 0, "records wait in a pooled buffer until written");
        move(client, server, 64 * 1024);
        assertArrayEquals(message, server.received());
        assertEquals(0, client.carrier.heldCapacity(), "written: the send buffer went back");
        assertEquals(0, server.carrier.heldCapacity(), "unwrapped: the receive buffer went back");
        assertEquals(0, pool.outstanding());
    }

    @Test
    void aFullRecordArrivingInSmallPiecesGrowsTheReceiveBufferToTheRecordOnly() throws Exception
    {
        handshake();
        final byte[] message = random(3 * RECORD_PAYLOAD);
        client.send(message);
        int largest = 0;
        while (client.carrier.hasOutbound())
        {
            move(client, server, 1_000);
            largest = Math.max(largest, server.carrier.heldCapacity());
        }
        assertArrayEquals(message, server.received(), "every byte arrived, in order");
        assertTrue(largest >= RECORD_PAYLOAD, "a whole record was held: " + largest);
        assertTrue(largest <= 32 * 1024, "no more than the record's size class: " + largest);
        assertEquals(0, server.carrier.heldCapacity());
    }

    @Test
    void closeNotifyStillGoesOutAndComesInWithPooledBuffers() throws Exception
    {
        handshake();
        client.carrier.closeOutbound(CloseReason.SHUTDOWN, null);
        assertTrue(client.carrier.hasOutbound(), "close_notify queued");
        move(client, server, 64 * 1024);
        assertTrue(server.peerClosing != null && server.peerClosing.contains("close_notify"), server.peerClosing);
        assertTrue(client.carrier.isOutboundDone());
    }

    private void handshake() throws Exception
    {
        client.carrier.start(client);
        server.carrier.start(server);
        for (int i = 0; i < 100 && !(client.carrier.isOpen() && server.carrier.isOpen() && !client.carrier.hasOutbound() &&
            !server.carrier.hasOutbound()); i++)
        {
            client.runTasks();
            server.runTasks();
            move(client, server, 64 * 1024);
            move(server, client, 64 * 1024);
        }
        assertTrue(client.carrier.isOpen() && server.carrier.isOpen(), "handshake done");
        // TLS 1.3 session tickets may follow the handshake: let them through.
        move(server, client, 64 * 1024);
        client.received();
        server.received();
    }

    /** Write what {@code from} has queued into {@code to}'s receive space, at most {@code chunk} bytes per read. */
    private static void move(final End from, final End to, final int chunk) throws Exception
    {
        final ByteBuffer[] out = new ByteBuffer[1];
        while (from.carrier.hasOutbound())
        {
            from.carrier.outbound(out);
            final ByteBuffer bytes = out[0];
            final int length = Math.min(bytes.remaining(), chunk);
            final ByteBuffer space = to.carrier.inboundSpace();
            final int n = Math.min(length, space.remaining());
            final int at = space.position();
            for (int i = 0; i < n; i++)
            {
                space.put(at + i, bytes.get(bytes.position() + i));
            }
            from.carrier.onWritten(n);
            to.carrier.onInbound(n);
            to.runTasks();
            if (chunk < 64 * 1024)
            {
                return; // one small read per call
            }
        }
    }

    private static byte[] random(final int length)
    {
        final byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        return bytes;
    }

    /** One side: its carrier and what the carrier hands it. */
    private final class End implements Carrier.Sink
    {
        final TlsCarrier carrier;
        final ByteArrayOutputStream application = new ByteArrayOutputStream();
        final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
        String peerClosing;

        End(final TlsCarrier carrier)
        {
            this.carrier = carrier;
        }

        void send(final byte[] message) throws CarrierException
        {
            final ByteBuffer frame = ByteBuffer.allocateDirect(message.length).put(message).flip();
            for (int i = 0; i < 1_000 && frame.hasRemaining(); i++)
            {
                carrier.wrap(new ByteBuffer[] {frame}, 1);
                if (frame.hasRemaining())
                {
                    move(this, client == this ? server : client, 64 * 1024);
                }
            }
        }

        private void move(final End from, final End to, final int chunk) throws CarrierException
        {
            try
            {
                TlsCarrierBuffersTest.move(from, to, chunk);
            }
            catch (final CarrierException ex)
            {
                throw ex;
            }
            catch (final Exception ex)
            {
                throw new AssertionError(ex);
            }
        }

        void runTasks() throws CarrierException, FrameDecodeException
        {
            Runnable task;
            while ((task = tasks.poll()) != null)
            {
                task.run();
                carrier.onInbound(0);
            }
        }

        byte[] received()
        {
            final byte[] bytes = application.toByteArray();
            application.reset();
            return bytes;
        }

        @Override
        public void onApplicationBytes(final DirectBuffer buffer, final int offset, final int length)
        {
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            application.writeBytes(bytes);
        }

        @Override
        public void onPeerClosing(final String detail)
        {
            peerClosing = detail;
        }

        @Override
        public void offload(final Runnable task)
        {
            tasks.add(task);
        }

        @Override
        public FramePool pool()
        {
            return pool;
        }
    }
}
