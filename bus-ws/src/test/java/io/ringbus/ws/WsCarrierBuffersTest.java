package io.ringbus.ws;

import io.ringbus.core.config.WebSocketConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameDecodeException;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.frame.TestFrames;
import io.ringbus.core.transport.Carrier;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The WebSocket carrier's buffers, driven by hand: a client and a server carrier back to back in
 * memory, net bytes moved in reads of a chosen size. What each holds is read after every step.
 */
class WsCarrierBuffersTest
{
    private static final int MAX = 1 << 20;

    private final FramePool pool = new FramePool(MAX, 1 << 22, true);
    private final End server = new End(WsCarrier.server(WebSocketConfig.defaults(), MAX));
    private final End client = new End(WsCarrier.client(URI.create("ws://localhost:1/"), MAX));

    @AfterEach
    void noLeaks()
    {
        server.carrier.release();
        client.carrier.release();
        pool.assertNoLeaks();
    }

    @Test
    void nothingIsHeldOnceTheUpgradeAndEachMessageAreThrough() throws Exception
    {
        client.carrier.start(client);
        server.carrier.start(server);
        move(client, server, 64 * 1024);
        move(server, client, 64 * 1024);
        assertTrue(client.carrier.isOpen() && server.carrier.isOpen(), "upgraded");
        assertEquals(0, server.carrier.heldCapacity(), "the upgrade is through: nothing held");
        assertEquals(0, client.carrier.heldCapacity());

        final byte[] small = TestFrames.frame(Command.REQUEST, 100, 1);
        final byte[] large = TestFrames.frame(Command.REQUEST, 300_000, 2);
        for (final byte[] frame : new byte[][] {small, large, small})
        {
            final ByteBuffer source = ByteBuffer.allocateDirect(frame.length).put(frame).flip();
            int largest = 0;
            for (int i = 0; i < 10_000 && (source.hasRemaining() || client.carrier.hasOutbound()); i++)
            {
                if (!client.carrier.hasOutbound())
                {
                    client.carrier.wrap(new ByteBuffer[] {source}, 1);
                    largest = Math.max(largest, client.carrier.heldCapacity());
                }
                move(client, server, 1_500);
            }
            assertArrayEquals(frame, server.received(), "the message arrived whole and in order");
            assertTrue(largest <= 128 * 1024, "the output buffer stays within its bound: " + largest);
            assertEquals(0, client.carrier.heldCapacity(), "written: the output buffer went back");
            assertEquals(0, server.carrier.heldCapacity(), "passed on: the receive buffer went back");
        }
        assertEquals(0, pool.outstanding());
    }

    /** Move what {@code from} has queued into {@code to}, at most {@code chunk} bytes per read. */
    private static void move(final End from, final End to, final int chunk) throws Exception
    {
        final ByteBuffer[] out = new ByteBuffer[1];
        for (int i = 0; i < 100_000 && from.carrier.hasOutbound(); i++)
        {
            from.carrier.outbound(out);
            final ByteBuffer bytes = out[0];
            final ByteBuffer space = to.carrier.inboundSpace();
            final int n = Math.min(Math.min(bytes.remaining(), chunk), space.remaining());
            final int at = space.position();
            for (int k = 0; k < n; k++)
            {
                space.put(at + k, bytes.get(bytes.position() + k));
            }
            from.carrier.onWritten(n);
            to.carrier.onInbound(n);
        }
    }

    /** One side: its carrier and what it hands on. */
    private final class End implements Carrier.Sink
    {
        final WsCarrier carrier;
        final ByteArrayOutputStream application = new ByteArrayOutputStream();

        End(final WsCarrier carrier)
        {
            this.carrier = carrier;
        }

        byte[] received()
        {
            final byte[] bytes = application.toByteArray();
            application.reset();
            return bytes;
        }

        @Override
        public void onApplicationBytes(final DirectBuffer buffer, final int offset, final int length)
            throws FrameDecodeException
        {
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            application.writeBytes(bytes);
        }

        @Override
        public void onPeerClosing(final String detail)
        {
        }

        @Override
        public void offload(final Runnable task)
        {
            task.run();
        }

        @Override
        public FramePool pool()
        {
            return pool;
        }
    }
}
