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

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of the WebSocket frame codec as the server runs it (RFC 6455 section 5
 * in {@link WsCarrier}, over {@link WebSocketCodec}), with the ringbus {@link FrameDecoder} behind
 * it: after a valid upgrade, arbitrary bytes in arbitrary reads end only in the documented
 * refusals ({@link CarrierException}, {@link FrameDecodeException}) or pass, every ringbus frame
 * handed on passes the checks of WIRE.md, what the carrier queues in answer can be written out,
 * and after release no pooled buffer is left.
 *
 * <p>Input layout: byte 0 is the read size (0 = all at once), byte 1 bit 0 picks small limits
 * (ws_max_frame_size 1,024, ws_max_message_size 4,096), bit 1 an end of input at the end; the
 * rest are the client's bytes after its upgrade request.
 */
class WsCarrierFuzzTest
{
    private static final int MAX = 1 << 16;
    /** One pool for every input: its buffers are reused instead of piling up direct memory; each input ends with none out. */
    private static final FramePool POOL = new FramePool(MAX, 1 << 22, true);
    static final byte[] UPGRADE = ("GET /bus HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
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
        final FrameCodec codec = new FrameCodec();
        final FrameDecoder decoder = new FrameDecoder(MAX, MAX, 0, 0, pool, (buffer, offset, length) ->
        {
            assertEquals(length, FrameHeader.size(buffer, offset));
            assertTrue(codec.isHeaderValid(buffer, offset) && codec.isBodyValid(buffer, offset, length), "checksums");
            assertTrue(Command.isValid(FrameHeader.command(buffer, offset)), "command");
        });
        final WsCarrier carrier = WsCarrier.server(small ? SMALL : WebSocketConfig.defaults(), MAX);
        final Carrier.Sink sink = new Carrier.Sink()
        {
            @Override
            public void onApplicationBytes(final DirectBuffer buffer, final int offset, final int length)
                throws FrameDecodeException
            {
                decoder.feed(buffer, offset, length);
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
        };
        try
        {
            carrier.start(sink);
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
