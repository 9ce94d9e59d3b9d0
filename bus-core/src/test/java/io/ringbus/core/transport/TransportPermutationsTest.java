package io.ringbus.core.transport;

import io.ringbus.core.config.Backend;
import io.ringbus.core.config.IdleMode;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The matrix source yields every combination once, and names each one. */
class TransportPermutationsTest
{
    @Test
    void everySchemeOnEveryBackendAndEveryTlsSchemeWithEveryProvider()
    {
        final List<TransportPermutation> all = TransportPermutations.all();
        assertEquals(2 + 2 * 2 + 2 + 2 * 2, all.size(), all.toString());
        assertEquals(all.size(), new HashSet<>(all).size(), "no combination twice");
        final Set<String> names = all.stream().map(TransportPermutation::toString).collect(Collectors.toSet());
        assertEquals(Set.of(
            "tcp · nio", "tcp · io_uring",
            "tls · nio · JDK", "tls · nio · BouncyCastle", "tls · io_uring · JDK", "tls · io_uring · BouncyCastle",
            "ws · nio", "ws · io_uring",
            "wss · nio · JDK", "wss · nio · BouncyCastle", "wss · io_uring · JDK", "wss · io_uring · BouncyCastle"),
            names);
    }

    @Test
    void schemesFilterOnlyByTheBackendsOnTheClassPath()
    {
        // bus-core's class path has no io_uring backend: its tcp combinations run in bus-uring.
        assertEquals(List.of("tcp · nio"), TransportPermutations.of(TransportPermutation.Scheme.TCP)
            .map(TransportPermutation::toString).collect(Collectors.toList()));
        assertEquals(List.of("tls · nio · JDK", "tls · nio · BouncyCastle"),
            TransportPermutations.of(TransportPermutation.Scheme.TLS).map(TransportPermutation::toString)
                .collect(Collectors.toList()));
    }

    @Test
    void spinningIsAVariantOfTheIoUringCombinations()
    {
        final TransportPermutation tcp = TransportPermutations.all().get(1);
        assertEquals(Backend.IO_URING, tcp.backend());
        assertEquals("tcp · io_uring · spinning", tcp.withIdleMode(IdleMode.SPINNING).toString());
        assertTrue(TransportPermutations.spinningOnIoUring(TransportPermutation.Scheme.TCP).allMatch(
            p -> p.backend() == Backend.IO_URING && p.idleMode() == IdleMode.SPINNING));
    }

    @Test
    void aPermutationNamesItsBackendAndMatchesTlsToItsScheme()
    {
        assertThrows(IllegalArgumentException.class, () -> new TransportPermutation(TransportPermutation.Scheme.TCP,
            Backend.AUTO, TransportPermutation.Tls.NONE, IdleMode.BLOCKING));
        assertThrows(IllegalArgumentException.class, () -> new TransportPermutation(TransportPermutation.Scheme.TLS,
            Backend.NIO, TransportPermutation.Tls.NONE, IdleMode.BLOCKING));
        assertThrows(IllegalArgumentException.class, () -> new TransportPermutation(TransportPermutation.Scheme.WS,
            Backend.NIO, TransportPermutation.Tls.JDK, IdleMode.BLOCKING));
    }
}
