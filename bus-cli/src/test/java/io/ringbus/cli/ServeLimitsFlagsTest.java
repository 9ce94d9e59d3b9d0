package io.ringbus.cli;

import io.ringbus.core.config.BusConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 11: the serve flags of the memory and stall bounds reach BusConfig, and bad values name the flag or field. */
class ServeLimitsFlagsTest
{
    @Test
    void defaultsAreBusConfigs() throws UsageException
    {
        final BusConfig config = ServeOptions.parse(List.of("--tcp", "127.0.0.1:0")).config();
        assertEquals(BusConfig.DEFAULT_PEER_QUEUE_MAX_BYTES, config.peerQueueMaxBytes());
        assertEquals(BusConfig.DEFAULT_PARTIAL_FRAME_TIMEOUT, config.partialFrameTimeout());
        assertEquals(Duration.ofSeconds(60), config.idleTimeout(), "a node closes dead client connections (issue 14)");
        assertEquals(BusConfig.builder().build().directMemoryBudget(), config.directMemoryBudget(), "auto");
        assertEquals(BusConfig.DEFAULT_MAX_CONNECTIONS, config.maxConnections());
        assertEquals(0, config.maxConnectionsPerAddress(), "no per-address limit unless asked");
    }

    @Test
    void connectionLimitFlagsReachTheConfigurationAndTheUsage() throws UsageException
    {
        final BusConfig config = ServeOptions.parse(List.of("--tcp", "127.0.0.1:0", "--max-connections", "1000",
            "--max-connections-per-address", "16")).config();
        assertEquals(1000, config.maxConnections());
        assertEquals(16, config.maxConnectionsPerAddress());
        assertTrue(ServeOptions.USAGE.contains("[--max-connections N] [--max-connections-per-address N]"));
        assertMessage("--max-connections = 0: must be within 1..", "--max-connections", "0");
        assertMessage("--max-connections-per-address = -1: must be within 0..", "--max-connections-per-address", "-1");
    }

    @Test
    void flagsReachTheConfiguration() throws UsageException
    {
        final BusConfig config = ServeOptions.parse(List.of("--tcp", "127.0.0.1:0", "--max-message-size", "1048576",
            "--peer-queue-max-bytes", "2097152", "--direct-memory-budget", "268435456",
            "--partial-frame-timeout", "1500", "--idle-timeout", "90000")).config();
        assertEquals(2097152, config.peerQueueMaxBytes());
        assertEquals(268435456L, config.directMemoryBudget());
        assertEquals(Duration.ofMillis(1500), config.partialFrameTimeout());
        assertEquals(Duration.ofSeconds(90), config.idleTimeout());
        assertEquals(Duration.ZERO, ServeOptions.parse(List.of("--tcp", "127.0.0.1:0", "--partial-frame-timeout", "0"))
            .config().partialFrameTimeout(), "0 turns it off");
    }

    @Test
    void badValuesAreUsageErrorsNamingWhatIsWrong()
    {
        assertMessage("--peer-queue-max-bytes = 100: must be within 4096..", "--peer-queue-max-bytes", "100");
        assertMessage("--idle-timeout = -1: must be within 0..", "--idle-timeout", "-1");
        assertMessage("--partial-frame-timeout = soon: not a whole number", "--partial-frame-timeout", "soon");
        // Below one buffer of max_message_size (64 MiB): BusConfig names its field.
        assertMessage("direct_memory_budget = 1048576: must be >= 67108864", "--direct-memory-budget", "1048576");
    }

    private static void assertMessage(final String expected, final String flag, final String value)
    {
        final UsageException ex = assertThrows(UsageException.class,
            () -> ServeOptions.parse(List.of("--tcp", "127.0.0.1:0", flag, value)));
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
    }
}
