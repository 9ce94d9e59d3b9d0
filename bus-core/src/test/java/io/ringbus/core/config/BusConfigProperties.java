package io.ringbus.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class BusConfigProperties
{
    @Property
    void maxBatchIsAcceptedExactlyWithinOneTo512(@ForAll int maxBatch)
    {
        BusConfig.Builder builder = BusConfig.builder().maxBatch(maxBatch);
        if (maxBatch >= 1 && maxBatch <= 512)
        {
            assertEquals(maxBatch, builder.build().maxBatch());
        }
        else
        {
            assertEquals("max_batch", assertThrows(InvalidConfigException.class, builder::build).field());
        }
    }

    @Property
    void mailboxCapacityIsAcceptedExactlyForPowersOfTwoFromTwo(@ForAll int capacity)
    {
        BusConfig.Builder builder = BusConfig.builder().mailboxCapacity(capacity);
        boolean powerOfTwo = capacity >= 2 && (capacity & (capacity - 1)) == 0;
        if (powerOfTwo)
        {
            assertEquals(capacity, builder.build().mailboxCapacity());
        }
        else
        {
            assertEquals("mailbox_capacity", assertThrows(InvalidConfigException.class, builder::build).field());
        }
    }

    @Property
    void replicaSetOfAnySizeRoundTripsThroughToBuilder(@ForAll("replicaCounts") int count, @ForAll long clusterLo)
    {
        Map<Integer, InetSocketAddress> replicas = new HashMap<>();
        for (int id = count - 1; id >= 0; id--)
        {
            replicas.put(id, InetSocketAddress.createUnresolved("r" + id, 4000 + id));
        }
        BusConfig config = BusConfig.builder().replicas(replicas).replicaId(count - 1).cluster(1L, clusterLo).build();
        assertEquals(config, config.toBuilder().build());
        assertEquals(count, config.replicas().size());
        assertEquals(count - 1, config.replicas().lastKey().intValue());
    }

    @Provide
    Arbitrary<Integer> replicaCounts()
    {
        return Arbitraries.integers().between(1, BusConfig.MAX_REPLICAS);
    }
}
