package io.ringbus.tls;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ringbus.core.frame.FrameDecodeException;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.transport.Carrier;
import io.ringbus.core.transport.CarrierException;
import io.ringbus.core.transport.CloseReason;
import org.agrona.DirectBuffer;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of TLS record handling in {@link TlsCarrier}, server side and client side:
 * arbitrary bytes arriving in arbitrary reads either as the client's first flight (garbage inside
 * the handshake) or after a real handshake with a client carrier (garbage records on an open
 * connection). The carrier refuses with a {@link CarrierException} or takes the bytes, never
 * throws anything else, can still queue its close and write it out, and leaves no pooled buffer
 * once released.
 *
 * <p>Input layout: byte 0 is the read size (0 = all at once), byte 1 bit 0 handshakes first; the
 * rest arrives at the server (or, in {@link #garbageAtAClientIsRefusedCleanly}, at the client).
 */
class TlsCarrierFuzzTest
{
    /** One pool for every input: its buffers are reused instead of piling up direct memory; each input ends with none out. */
    private static final FramePool POOL = new FramePool(1 << 20, 1 << 22, true);
    private static final TlsSettings SERVER = TlsTransportTest.CERTIFICATE.serverSettings().build();
    private static final TlsSettings CLIENT = TlsSettings.builder().trust(TlsTransportTest.CERTIFICATE.certificate()).build();

    @FuzzTest(maxDuration = "60s")
    void garbageIsRefusedCleanly(final byte[] input) throws Exception
    {
        garbageAt(false, input);
    }

    /**
     * The same at a client carrier: the rest arrives as the server's first flight after our
     * ClientHello, or (byte 1 bit 0) as records after a real handshake.
     */
    @FuzzTest(maxDuration = "60s")
    void garbageAtAClientIsRefusedCleanly(final byte[] input) throws Exception
    {
        garbageAt(true, input);
    }

    private static void garbageAt(final boolean atClient, final byte[] input) throws Exception
    {
        if (input.length < 2)
        {
            return;
        }
        final int chunk = (input[0] & 0xFF) == 0 ? Integer.MAX_VALUE : input[0] & 0xFF;
        final boolean handshakeFirst = (input[1] & 1) != 0;
        final End server = handshakeFirst || !atClient ?
            new End(new TlsCarrier(TlsTransportProvider.serverEngine(SERVER), false)) : null;
        final End client = handshakeFirst || atClient ?
            new End(new TlsCarrier(TlsTransportProvider.clientEngine(CLIENT, "localhost", 443), true)) : null;
        final End target = atClient ? client : server;
        try
        {
            if (server != null)
            {
                server.carrier.start(server);
            }
            if (client != null)
            {
                client.carrier.start(client);
            }
            if (handshakeFirst)
            {
                handshake(client, server);
            }
            else
            {
                target.runTasks();
                drain(target); // a client's ClientHello goes out: what arrives is the server's answer
            }
            try
            {
                int position = 2;
                for (int reads = 0; position < input.length && reads <= input.length; reads++)
                {
                    final ByteBuffer space = target.carrier.inboundSpace();
                    final int n = Math.min(Math.min(chunk, space.remaining()), input.length - position);
                    assertTrue(n > 0, "the carrier offers room to read into");
                    space.put(input, position, n);
                    position += n;
                    target.carrier.onInbound(n);
                    target.runTasks();
                    drain(target);
                }
                target.carrier.onEof();
            }
            catch (final CarrierException ex)
            {
                // The documented refusal: the connection sends what it can (an alert) and goes.
                assertTrue(ex.getMessage() != null && !ex.getMessage().isEmpty(), "a refusal says why");
            }
            target.carrier.closeOutbound(CloseReason.PROTOCOL_ERROR, null);
            drain(target);
        }
        finally
        {
            if (server != null)
            {
                server.carrier.release();
            }
            if (client != null)
            {
                client.carrier.release();
            }
        }
        POOL.assertNoLeaks();
    }

    private static void handshake(final End client, final End server) throws Exception
    {
        for (int i = 0; i < 100 && !(client.carrier.isOpen() && server.carrier.isOpen() && !client.carrier.hasOutbound() &&
            !server.carrier.hasOutbound()); i++)
        {
            client.runTasks();
            server.runTasks();
            move(client, server);
            move(server, client);
        }
        assertTrue(client.carrier.isOpen() && server.carrier.isOpen(), "handshake done");
        move(server, client); // TLS 1.3 session tickets may follow the handshake
    }

    private static void move(final End from, final End to) throws Exception
    {
        final ByteBuffer[] out = new ByteBuffer[1];
        for (int i = 0; i < 1000 && from.carrier.hasOutbound(); i++)
        {
            from.carrier.outbound(out);
            final ByteBuffer bytes = out[0];
            final ByteBuffer space = to.carrier.inboundSpace();
            final int n = Math.min(bytes.remaining(), space.remaining());
            final int at = space.position();
            for (int k = 0; k < n; k++)
            {
                space.put(at + k, bytes.get(bytes.position() + k));
            }
            from.carrier.onWritten(n);
            to.carrier.onInbound(n);
            to.runTasks();
        }
    }

    /** Write out whatever the carrier queued (handshake messages, an alert), as a socket with room would. */
    private static void drain(final End end)
    {
        final ByteBuffer[] out = new ByteBuffer[8];
        for (int i = 0; i < 1000 && end.carrier.hasOutbound(); i++)
        {
            final int count = end.carrier.outbound(out);
            long bytes = 0;
            for (int k = 0; k < count; k++)
            {
                bytes += out[k].remaining();
            }
            end.carrier.onWritten(bytes);
        }
    }

    /** One side: its carrier; delegated tasks run inline. */
    private static final class End implements Carrier.Sink
    {
        final TlsCarrier carrier;
        final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

        End(final TlsCarrier carrier)
        {
            this.carrier = carrier;
        }

        void runTasks() throws CarrierException, FrameDecodeException
        {
            Runnable task;
            for (int i = 0; i < 1000 && (task = tasks.poll()) != null; i++)
            {
                task.run();
                carrier.onInbound(0);
            }
        }

        @Override
        public void onApplicationBytes(final DirectBuffer buffer, final int offset, final int length)
        {
        }

        @Override
        public void onPeerClosing(final String detail)
        {
        }

        @Override
        public void offload(final Runnable task)
        {
            tasks.add(task);
        }

        @Override
        public FramePool pool()
        {
            return POOL;
        }
    }
}
