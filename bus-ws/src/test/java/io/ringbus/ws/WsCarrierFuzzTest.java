package io.ringbus.ws;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ringbus.core.config.WebSocketConfig;
import io.ringbus.core.frame.Command;
import io.ringbus.core.frame.FrameCodec;
import io.ringbus.core.frame.FrameDecodeException;
import io.ringbus.core.frame.FrameDecoder;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.FramePool;
import io.ringbus.core.transport.Carrier;
import io.ringbus.core.transport.CarrierException;
import io.ringbus.core.transport.CloseReason;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of the WebSocket frame codec as the server runs it (RFC 6455 section 5
 * in {@link WsCarrier}, over {@link WebSocketCodec}), with the ringbus {@link FrameDecoder} behind
 * it: after a valid upgrade, arbitrary bytes in arbitrary reads end only in the documented
 * refusals ({@link CarrierException}, {@link FrameDecodeException}) or pass, every ringbus frame
 * handed on passes the checks of WIRE.md, what the carrier queues in answer can be written out,
 * and after release no pooled buffer is left.
 *
 * <p>Input layout of the server target: byte 0 is the read size (0 = all at once), byte 1 bit 0
 * picks small limits (ws_max_frame_size 1,024, ws_max_message_size 4,096), bit 1 an end of input
 * at the end; the rest are the client's bytes after its upgrade request. The client role (a server's
 * 101 and frames at a {@link WsCarrier#client} carrier) is the second target.
 */
class WsCarrierFuzzTest
{
    private static final int MAX = 1 << 16;
    /** One pool for every input: its buffers are reused instead of piling up direct memory; each input ends with none out. */
    private static final FramePool POOL = new FramePool(MAX, 1 << 22, true);
    static final byte[] UPGRADE = ("GET /bus HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final URI CLIENT_URI = URI.create("ws://127.0.0.1:9000/bus");
    private static final WebSocketConfig SMALL = WebSocketConfig.builder().maxFrameSize(1024).maxMessageSize(4096).build();

    @FuzzTest(maxDuration = "60s")
    void framesAfterTheUpgradePassOrAreRefusedCleanly(final byte[] input) throws Exception
    {
        if (input.length < 2)
        {
            return;
        }
        final int chunk = (input[0] & 0xFF) == 0 ? Integer.MAX_VALUE : input[0] & 0xFF;
        final boolean small = (input[1] & 1) != 0;
        final boolean eof = (input[1] & 2) != 0;
        final FramePool pool = POOL;
        final FrameDecoder decoder = checkingDecoder(pool);
        final WsCarrier carrier = WsCarrier.server(small ? SMALL : WebSocketConfig.defaults(), MAX);
        try
        {
            carrier.start(new DecodingSink(decoder, pool));
            deliver(carrier, UPGRADE, 0, UPGRADE.length, Integer.MAX_VALUE);
            assertTrue(carrier.isOpen(), "a valid upgrade opens the WebSocket");
            drain(carrier);
            try
            {
                deliver(carrier, input, 2, input.length, chunk);
                if (eof)
                {
                    carrier.onEof();
                }
            }
            catch (final CarrierException | FrameDecodeException ex)
            {
                // The documented refusal: the connection sends its close and goes.
                assertTrue(ex.getMessage() != null && !ex.getMessage().isEmpty(), "a refusal says why");
                carrier.closeOutbound(CloseReason.PROTOCOL_ERROR, null);
            }
            drain(carrier);
        }
        finally
        {
            carrier.release();
            decoder.close();
        }
        pool.assertNoLeaks();
    }

    /**
     * The client role: what a server sends after our upgrade request, its 101 response and then
     * frames (RFC 6455 5.1: unmasked; a masked one is refused), passes or is refused cleanly
     * ({@link CarrierException} with a printable reason, {@link FrameDecodeException}), every
     * ringbus frame handed on passes the checks of WIRE.md, and no pooled buffer is left.
     *
     * <p>Input layout: byte 0 is the read size (0 = all at once), byte 1 bit 0 picks a small
     * message limit (4,096), bit 1 an end of input at the end, bit 2 that the rest is the whole
     * response, head included, with every {@value ClientUpgradeFuzzTest#ACCEPT} (the accept value
     * of RFC 6455's sample key) replaced by the accept value of this carrier's random key; without
     * bit 2 a valid 101 comes first and the rest follows it, in the same reads.
     */
    @FuzzTest(maxDuration = "60s")
    void serverBytesAtAClientPassOrAreRefusedCleanly(final byte[] input) throws Exception
    {
        if (input.length < 2)
        {
            return;
        }
        final int chunk = (input[0] & 0xFF) == 0 ? Integer.MAX_VALUE : input[0] & 0xFF;
        final boolean small = (input[1] & 1) != 0;
        final boolean eof = (input[1] & 2) != 0;
        final boolean rawHead = (input[1] & 4) != 0;
        final FramePool pool = POOL;
        final FrameDecoder decoder = checkingDecoder(pool);
        final WsCarrier carrier = WsCarrier.client(CLIENT_URI, small ? 4096 : MAX);
        try
        {
            carrier.start(new DecodingSink(decoder, pool));
            final String accept = WebSocketCodec.acceptValue(requestKey(carrier));
            final byte[] response = rawHead ? withAccept(input, accept) : withResponse(input, accept);
            try
            {
                deliver(carrier, response, 0, response.length, chunk);
                if (eof)
                {
                    carrier.onEof();
                }
            }
            catch (final CarrierException ex)
            {
                ClientUpgradeFuzzTest.assertReasonLine(ex.getMessage());
                carrier.closeOutbound(CloseReason.PROTOCOL_ERROR, null);
            }
            catch (final FrameDecodeException ex)
            {
                assertTrue(ex.getMessage() != null && !ex.getMessage().isEmpty(), "a refusal says why");
                carrier.closeOutbound(CloseReason.PROTOCOL_ERROR, null);
            }
            drain(carrier);
        }
        finally
        {
            carrier.release();
            decoder.close();
        }
        pool.assertNoLeaks();
    }

    /** RFC 6455 5.1: a client refuses a masked frame from the server (1002), and holds no buffer after. */
    @Test
    void aClientRefusesAMaskedFrameFromTheServer() throws Exception
    {
        final FrameDecoder decoder = checkingDecoder(POOL);
        final WsCarrier carrier = WsCarrier.client(CLIENT_URI, MAX);
        try
        {
            carrier.start(new DecodingSink(decoder, POOL));
            final byte[] maskedPing = {(byte)0x89, (byte)0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2};
            final byte[] bytes = withResponse(concat(new byte[2], maskedPing), WebSocketCodec.acceptValue(requestKey(carrier)));
            final CarrierException ex = assertThrows(CarrierException.class,
                () -> deliver(carrier, bytes, 0, bytes.length, Integer.MAX_VALUE));
            assertTrue(ex.getMessage().contains("masked frame from the server (WebSocket close 1002)"), ex.getMessage());
            assertTrue(carrier.isOpen(), "the upgrade itself was accepted");
        }
        finally
        {
            carrier.release();
            decoder.close();
        }
        POOL.assertNoLeaks();
    }

    private static byte[] concat(final byte[] a, final byte[] b)
    {
        final byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    /** The carrier's upgrade request, written out; returns its Sec-WebSocket-Key. */
    private static String requestKey(final WsCarrier carrier)
    {
        assertTrue(carrier.hasOutbound(), "a client speaks first");
        final ByteBuffer[] out = new ByteBuffer[8];
        final int count = carrier.outbound(out);
        assertEquals(1, count);
        final byte[] request = new byte[out[0].remaining()];
        out[0].get(request);
        carrier.onWritten(request.length);
        assertFalse(carrier.hasOutbound());
        final String head = new String(request, StandardCharsets.US_ASCII);
        final String field = "\r\nSec-WebSocket-Key: ";
        final int at = head.indexOf(field);
        assertTrue(at > 0 && head.startsWith("GET /bus HTTP/1.1\r\n") && head.endsWith("\r\n\r\n"), head);
        return head.substring(at + field.length(), head.indexOf('\r', at + field.length()));
    }

    /** A valid 101 for {@code accept}, then {@code input[2..]}. */
    private static byte[] withResponse(final byte[] input, final String accept)
    {
        final byte[] head = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        final byte[] bytes = new byte[head.length + input.length - 2];
        System.arraycopy(head, 0, bytes, 0, head.length);
        System.arraycopy(input, 2, bytes, head.length, input.length - 2);
        return bytes;
    }

    /** {@code input[2..]} with each {@link ClientUpgradeFuzzTest#ACCEPT} replaced by {@code accept} (same length). */
    private static byte[] withAccept(final byte[] input, final String accept)
    {
        final byte[] sample = ClientUpgradeFuzzTest.ACCEPT.getBytes(StandardCharsets.US_ASCII);
        final byte[] real = accept.getBytes(StandardCharsets.US_ASCII);
        assertEquals(sample.length, real.length);
        final byte[] bytes = new byte[input.length - 2];
        System.arraycopy(input, 2, bytes, 0, bytes.length);
        for (int i = 0; i + sample.length <= bytes.length; i++)
        {
            if (Arrays.equals(bytes, i, i + sample.length, sample, 0, sample.length))
            {
                System.arraycopy(real, 0, bytes, i, real.length);
                i += sample.length - 1;
            }
        }
        return bytes;
    }

    /** A frame decoder that checks every ringbus frame it hands on against WIRE.md. */
    private static FrameDecoder checkingDecoder(final FramePool pool)
    {
        final FrameCodec codec = new FrameCodec();
        return new FrameDecoder(MAX, MAX, 0, 0, pool, (buffer, offset, length) ->
        {
            assertEquals(length, FrameHeader.size(buffer, offset));
            assertTrue(codec.isHeaderValid(buffer, offset) && codec.isBodyValid(buffer, offset, length), "checksums");
            assertTrue(Command.isValid(FrameHeader.command(buffer, offset)), "command");
        });
    }

    /** The connection as a carrier sees it: application bytes go to the frame decoder, offloaded work runs at once. */
    private static final class DecodingSink implements Carrier.Sink
    {
        private final FrameDecoder decoder;
        private final FramePool pool;

        DecodingSink(final FrameDecoder decoder, final FramePool pool)
        {
            this.decoder = decoder;
            this.pool = pool;
        }

        @Override
        public void onApplicationBytes(final DirectBuffer buffer, final int offset, final int length)
            throws FrameDecodeException
        {
            decoder.feed(buffer, offset, length);
        }

        @Override
        public void onPeerClosing(final String detail)
        {
            ClientUpgradeFuzzTest.assertReasonLine(detail);
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

    /** Hand {@code bytes[from, to)} to the carrier in reads of at most {@code chunk}, writing out what it answers. */
    private static void deliver(final WsCarrier carrier, final byte[] bytes, final int from, final int to, final int chunk)
        throws CarrierException, FrameDecodeException
    {
        int position = from;
        for (int reads = 0; position < to && reads <= to; reads++)
        {
            final ByteBuffer space = carrier.inboundSpace();
            final int n = Math.min(Math.min(chunk, space.remaining()), to - position);
            assertTrue(n > 0, "the carrier offers room to read into");
            space.put(bytes, position, n);
            position += n;
            carrier.onInbound(n);
            drain(carrier);
        }
    }

    /** Write out whatever the carrier queued (a pong, a close), as a socket with room would. */
    private static void drain(final WsCarrier carrier)
    {
        final ByteBuffer[] out = new ByteBuffer[8];
        for (int i = 0; i < 1000 && carrier.hasOutbound(); i++)
        {
            final int count = carrier.outbound(out);
            long bytes = 0;
            for (int k = 0; k < count; k++)
            {
                bytes += out[k].remaining();
            }
            carrier.onWritten(bytes);
        }
    }
}
