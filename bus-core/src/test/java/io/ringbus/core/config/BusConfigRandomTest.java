package io.ringbus.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Builder validation over many values (was a jqwik property): fixed seeds, bounded iterations,
 * plus the edge values a random int rarely hits.
 */
class BusConfigRandomTest
{
    private static final int CASES = 1000;
    private static final int[] EDGES = {Integer.MIN_VALUE, -1, 0, 1, 2, 3, 4, 511, 512, 513, 1 << 30, Integer.MAX_VALUE};

    @Test
    void maxBatchIsAcceptedExactlyWithinOneTo512()
    {
        final Random random = new Random(0xBA7C4L);
        for (int i = 0; i < CASES + EDGES.length; i++)
        {
            final int maxBatch = i < EDGES.length ? EDGES[i] : i % 2 == 0 ? random.nextInt() : random.nextInt(1030) - 5;
            final BusConfig.Builder builder = BusConfig.builder().maxBatch(maxBatch);
            if (maxBatch >= 1 && maxBatch <= 512)
            {
                assertEquals(maxBatch, builder.build().maxBatch());
            }
            else
            {
                assertEquals("max_batch", assertThrows(InvalidConfigException.class, builder::build).field(), "" + maxBatch);
            }
        }
    }

    @Test
    void mailboxCapacityIsAcceptedExactlyForPowersOfTwoFromTwo()
    {
        final Random random = new Random(0x3A1BL);
        for (int i = 0; i < CASES + EDGES.length + 32; i++)
        {
            final int capacity;
            if (i < EDGES.length)
            {
                capacity = EDGES[i];
            }
            else if (i < EDGES.length + 32)
            {
                capacity = 1 << (i - EDGES.length); // every power of two, and MIN_VALUE again
            }
            else
            {
                capacity = i % 2 == 0 ? random.nextInt() : random.nextInt(5000) - 5;
            }
            final BusConfig.Builder builder = BusConfig.builder().mailboxCapacity(capacity);
            final boolean powerOfTwo = capacity >= 2 && (capacity & (capacity - 1)) == 0;
            if (powerOfTwo)
            {
                assertEquals(capacity, builder.build().mailboxCapacity());
            }
            else
            {
                assertEquals("mailbox_capacity", assertThrows(InvalidConfigException.class, builder::build).field(),
                    "" + capacity);
            }
        }
    }

    @Test
    void replicaSetOfAnySizeRoundTripsThroughToBuilder()
    {
        final Random random = new Random(0x4E91CAL);
        for (int count = 1; count <= BusConfig.MAX_REPLICAS; count++)
        {
            for (int k = 0; k < 4; k++)
            {
                final long clusterLo = k == 0 ? 0 : k == 1 ? -1 : random.nextLong();
                final Map<Integer, InetSocketAddress> replicas = new HashMap<>();
                for (int id = count - 1; id >= 0; id--)
                {
                    replicas.put(id, InetSocketAddress.createUnresolved("r" + id, 4000 + id));
                }
                final BusConfig config = BusConfig.builder().replicas(replicas).replicaId(count - 1).cluster(1L, clusterLo).build();
                assertEquals(config, config.toBuilder().build());
                assertEquals(count, config.replicas().size());
                assertEquals(count - 1, config.replicas().lastKey().intValue());
            }
        }
    }
}
