package io.ringbus.core.config;

import io.ringbus.core.frame.FramePool;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 11: peer_queue_max_bytes, direct_memory_budget, partial_frame_timeout and idle_timeout. */
class BusConfigLimitsTest
{
    private static final int MIB = 1024 * 1024;

    private static void assertRejected(BusConfig.Builder builder, String field, Object value)
    {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, builder::build);
        assertEquals(field, e.field());
        assertTrue(e.getMessage().startsWith(field + " = " + value + ": "), e.getMessage());
    }

    @Test
    void defaults()
    {
        BusConfig config = BusConfig.builder().build();
        assertEquals(16L * MIB, config.peerQueueMaxBytes());
        assertEquals(Duration.ofSeconds(30), config.partialFrameTimeout());
        assertEquals(Duration.ZERO, config.idleTimeout(), "off");
        assertTrue(config.directMemoryBudget() >= FramePool.classCapacity(config.maxMessageSize()),
            "the auto budget serves a max_message_size frame: " + config.directMemoryBudget());
        assertTrue(config.toString().contains("direct_memory_budget=" + config.directMemoryBudget()), config.toString());
    }

    @Test
    void theAutoBudgetIsHalfTheJvmDirectMemoryLimitAndAtLeastTheLargestBuffer()
    {
        long auto = BusConfig.builder().maxMessageSize(64 * 1024).build().directMemoryBudget();
        // The JVM's limit is MaxDirectMemorySize or, when not given, the maximum heap.
        assertTrue(auto >= 64 * 1024 && auto <= Math.max(64 * 1024, Runtime.getRuntime().maxMemory()), "auto " + auto);
        long huge = BusConfig.builder().maxMessageSize(BusConfig.MAX_MESSAGE_SIZE_LIMIT).build().directMemoryBudget();
        assertTrue(huge >= BusConfig.MAX_MESSAGE_SIZE_LIMIT, "at least one largest buffer: " + huge);
    }

    @Test
    void settingsAreKeptAndCopied()
    {
        BusConfig config = BusConfig.builder().maxMessageSize(MIB).peerQueueMaxBytes(2 * MIB).directMemoryBudget(8 * MIB)
            .partialFrameTimeout(Duration.ofMillis(1500)).idleTimeout(Duration.ofMinutes(5)).build();
        assertEquals(2 * MIB, config.peerQueueMaxBytes());
        assertEquals(8 * MIB, config.directMemoryBudget());
        assertEquals(Duration.ofMillis(1500), config.partialFrameTimeout());
        assertEquals(Duration.ofMinutes(5), config.idleTimeout());
        assertEquals(config, config.toBuilder().build());
        assertEquals(BusConfig.builder().build(), BusConfig.builder().build().toBuilder().build());
    }

    @Test
    void zeroTurnsTheTimeoutsOff()
    {
        BusConfig config = BusConfig.builder().partialFrameTimeout(Duration.ZERO).idleTimeout(Duration.ZERO).build();
        assertEquals(Duration.ZERO, config.partialFrameTimeout());
    }

    @Test
    void invalidValuesAreRejectedNamingTheField()
    {
        assertRejected(BusConfig.builder().peerQueueMaxBytes(4095), "peer_queue_max_bytes", 4095);
        assertRejected(BusConfig.builder().maxMessageSize(100_000).directMemoryBudget(100_000),
            "direct_memory_budget", 100000);
        assertRejected(BusConfig.builder().directMemoryBudget(-1), "direct_memory_budget", -1);
        assertRejected(BusConfig.builder().partialFrameTimeout(Duration.ofMillis(-1)), "partial_frame_timeout",
            Duration.ofMillis(-1));
        assertRejected(BusConfig.builder().idleTimeout(Duration.ofSeconds(-1)), "idle_timeout", Duration.ofSeconds(-1));
        assertEquals(131072, BusConfig.builder().maxMessageSize(100_000).directMemoryBudget(131072).build()
            .directMemoryBudget(), "the budget may be exactly one largest buffer");
    }
}
