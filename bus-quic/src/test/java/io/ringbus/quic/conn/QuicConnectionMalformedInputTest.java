package io.ringbus.quic.conn;

import io.ringbus.quic.packet.QuicException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

import static io.ringbus.quic.conn.QuicConnectionFuzzTest.assertNoInternalError;
import static io.ringbus.quic.conn.TestNetwork.MS;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile input to established connections, and damaged datagrams in a real exchange: never an
 * escaping exception, never an INTERNAL_ERROR, and an exchange either completes or closes. Seeded
 * loops (these need a handshaken pair or a whole transfer, too slow and too stateful for a fuzz target).
 */
class QuicConnectionMalformedInputTest
{
    @Test
    void randomFramesInValidOneRttPackets() throws QuicException
    {
        final Random random = new Random(9);
        TestNetwork net = null;
        long packetNumber = 10_000;
        for (int i = 0; i < 200; i++)
        {
            if (net == null || net.server.closed || net.client.closed)
            {
                final TestNetwork fresh = new TestNetwork(9);
                assertTrue(fresh.handshake());
                fresh.client.write(ByteBuffer.allocate(100));
                assertTrue(fresh.runUntil(() -> fresh.server.received == 100, 5_000 * MS));
                net = fresh;
            }
            final byte[] payload = new byte[1 + random.nextInt(1100)];
            random.nextBytes(payload);
            final boolean toServer = random.nextBoolean();
            final TestPeer target = toServer ? net.server : net.client;
            net.inject(toServer, Packets.shortHeader(toServer ? FakeTls.CLIENT_APP_SECRET : FakeTls.SERVER_APP_SECRET,
                target.connection.localConnectionId(), packetNumber++, payload));
            net.runUntil(() -> false, 50 * MS);
            assertNoInternalError(net.client);
            assertNoInternalError(net.server);
        }
    }

    @Test
    void mutatedDatagramsOfARealExchange()
    {
        for (long seed = 0; seed < 100; seed++)
        {
            final Random random = new Random(seed);
            final int which = random.nextInt(31);
            final int position = random.nextInt(1200);
            final byte xor = (byte)random.nextInt(256);
            final int truncateTo = random.nextInt(1201);
            final TestNetwork net = new TestNetwork(11);
            final int[] count = {0};
            net.mutator = (fromClient, datagram) ->
            {
                if (count[0]++ != which)
                {
                    return datagram;
                }
                final byte[] mutated = Arrays.copyOf(datagram, Math.min(datagram.length, Math.max(1, truncateTo)));
                mutated[position % mutated.length] ^= xor == 0 ? 1 : xor;
                return mutated;
            };
            final StreamPump pump = new StreamPump(net.client, 20_000);
            net.onStep = pump::pump;
            net.runUntil(() -> net.server.fin, 120_000 * MS);
            assertNoInternalError(net.client);
            assertNoInternalError(net.server);
            final long failedSeed = seed;
            assertTrue(net.server.fin || net.server.closed || net.client.closed,
                () -> "seed " + failedSeed + ": " + net.client + " / " + net.server);
        }
    }
}
