package io.ringbus.quic.conn;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

import static io.ringbus.quic.conn.TestNetwork.MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuicConnectionTransferTest
{
    private static final int TEN_MIB = 10 << 20;

    @Test
    void thousandRequestReplyRoundTrips()
    {
        final TestNetwork net = new TestNetwork(3);
        assertTrue(net.handshake());
        final int messageBytes = 100;
        final int rounds = 1000;
        // the server echoes every byte; replies queue when the stream is full
        final ArrayDeque<ByteBuffer> pending = new ArrayDeque<>();
        final Runnable drain = () ->
        {
            while (!pending.isEmpty())
            {
                net.server.write(pending.peek());
                if (pending.peek().hasRemaining())
                {
                    return;
                }
                pending.poll();
            }
        };
        net.server.onData = data ->
        {
            final ByteBuffer copy = ByteBuffer.allocate(data.remaining());
            copy.put(data).flip();
            pending.add(copy);
            drain.run();
        };
        net.server.onWritableAction = drain;
        final int[] round = {0};
        final ByteBuffer reply = ByteBuffer.allocate(messageBytes);
        final Runnable sendRequest = () ->
        {
            final ByteBuffer request = ByteBuffer.allocate(messageBytes);
            for (int i = 0; i < messageBytes; i++)
            {
                request.put(i, (byte)(round[0] * 7 + i));
            }
            assertEquals(messageBytes, net.client.write(request));
        };
        net.client.onData = data ->
        {
            while (data.hasRemaining())
            {
                reply.put(data.get());
                if (!reply.hasRemaining())
                {
                    for (int i = 0; i < messageBytes; i++)
                    {
                        assertEquals((byte)(round[0] * 7 + i), reply.get(i), "round " + round[0] + " byte " + i);
                    }
                    reply.clear();
                    round[0]++;
                    if (round[0] < rounds)
                    {
                        sendRequest.run();
                    }
                }
            }
        };
        sendRequest.run();
        assertTrue(net.runUntil(() -> round[0] == rounds, 600_000 * MS), () -> "round " + round[0] + " " + net.client);
        assertFalse(net.client.closed);
        assertFalse(net.server.closed);
    }

    @ParameterizedTest(name = "loss {0}, jitter {1} ms, duplicates {2}")
    @CsvSource({"0.0, 0, 0.0", "0.1, 4, 0.02"})
    void tenMebibytesEachWay(final double loss, final long jitterMs, final double duplicates)
    {
        final TestNetwork net = new TestNetwork(4);
        net.lossRate = loss;
        net.jitterNs = jitterMs * MS;
        net.duplicateRate = duplicates;
        final StreamPump toServer = new StreamPump(net.client, TEN_MIB);
        final StreamPump toClient = new StreamPump(net.server, TEN_MIB);
        final StreamPump.Checker atServer = new StreamPump.Checker();
        final StreamPump.Checker atClient = new StreamPump.Checker();
        net.server.onData = atServer::check;
        net.client.onData = atClient::check;
        net.onStep = () ->
        {
            toServer.pump();
            if (net.server.received > 0 || net.server.fin)
            {
                toClient.pump(); // the server writes once the client opened the stream
            }
        };
        assertTrue(net.runUntil(() -> net.client.fin && net.server.fin, 3_600_000 * MS),
            () -> net.client + " / " + net.server);
        assertEquals(TEN_MIB, atServer.offset);
        assertEquals(TEN_MIB, atClient.offset);
        assertFalse(net.client.closed, net.client::toString);
        assertFalse(net.server.closed, net.server::toString);
        if (loss > 0)
        {
            assertTrue(net.client.connection.stats().packetsLost() > 0);
        }
    }

    @Test
    void flowControlBlocksAndResumes()
    {
        final QuicConnectionConfig config = QuicConnectionConfig.builder().streamWindowBytes(16 << 10)
            .connectionWindowBytes(32 << 10).build();
        final TestNetwork net = new TestNetwork(5, config, 30_000, 2000);
        assertTrue(net.handshake());
        final int total = 1 << 20;
        final StreamPump pump = new StreamPump(net.client, total);
        final StreamPump.Checker checker = new StreamPump.Checker();
        net.server.onData = checker::check;
        pump.pump();
        assertEquals(16 << 10, pump.written(), "the first write stops at the server's stream window");
        net.client.onWritableAction = pump::pump;
        assertTrue(net.runUntil(() -> net.server.fin, 600_000 * MS), net.client::toString);
        assertEquals(total, checker.offset);
        assertTrue(net.client.writableCalls > 10, "onWritable after each MAX_STREAM_DATA: " + net.client.writableCalls);
    }

    @Test
    void finAloneAfterData()
    {
        final TestNetwork net = new TestNetwork(6);
        assertTrue(net.handshake());
        net.client.write(ByteBuffer.wrap(new byte[3000]));
        assertTrue(net.runUntil(() -> net.server.received == 3000, 5_000 * MS));
        assertFalse(net.server.fin);
        net.client.connection.shutdownOutput();
        assertTrue(net.runUntil(() -> net.server.fin, 5_000 * MS));
        net.server.connection.shutdownOutput();
        assertTrue(net.runUntil(() -> net.client.fin, 5_000 * MS));
        assertEquals(0, net.client.received);
    }
}
