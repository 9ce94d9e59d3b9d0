package io.ringbus.core.config;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 13: cluster_key, max_connections and max_connections_per_address. */
class BusConfigAccessTest
{
    @Test
    void defaultsAreNoKeyAndATotalLimitWithoutAPerAddressOne()
    {
        BusConfig config = BusConfig.builder().build();
        assertNull(config.clusterKey());
        assertFalse(config.hasClusterKey());
        assertEquals(BusConfig.DEFAULT_MAX_CONNECTIONS, config.maxConnections());
        assertEquals(0, config.maxConnectionsPerAddress());
        assertTrue(config.toString().contains("cluster_key=none"), config.toString());
    }

    @Test
    void theClusterKeyIsCopiedInAndOutAndNeverPrinted()
    {
        byte[] key = new byte[32];
        key[0] = 42;
        BusConfig config = BusConfig.builder().clusterKey(key).build();
        key[0] = 0;
        assertEquals(42, config.clusterKey()[0], "the builder copied the key");
        config.clusterKey()[0] = 7;
        assertEquals(42, config.clusterKey()[0], "the accessor returns a copy");
        assertTrue(config.toString().contains("cluster_key=(32 bytes)"), config.toString());
        assertEquals(config, config.toBuilder().build());
        assertArrayEquals(config.clusterKey(), config.toBuilder().build().clusterKey());
        assertNotEquals(config, config.toBuilder().clusterKey(new byte[32]).build());
    }

    @Test
    void aShortKeyOrANonPositiveLimitIsRefusedByName()
    {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
            () -> BusConfig.builder().clusterKey(new byte[31]).build());
        assertEquals("cluster_key", e.field());
        assertTrue(e.getMessage().contains("at least 32"), e.getMessage());
        assertEquals("max_connections", assertThrows(InvalidConfigException.class,
            () -> BusConfig.builder().maxConnections(0).build()).field());
        assertEquals("max_connections_per_address", assertThrows(InvalidConfigException.class,
            () -> BusConfig.builder().maxConnectionsPerAddress(-1).build()).field());
        assertEquals(5, BusConfig.builder().maxConnectionsPerAddress(5).build().maxConnectionsPerAddress());
    }
}
