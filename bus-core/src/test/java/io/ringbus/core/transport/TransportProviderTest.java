package io.ringbus.core.transport;

import io.ringbus.core.client.BusClient;
import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransportProviderTest
{
    @Test
    void tcpIsFoundByScheme()
    {
        assertEquals("tcp", TransportProvider.forScheme("tcp").scheme());
        assertEquals(9000, TransportProvider.forScheme("TCP").address(URI.create("tcp://127.0.0.1:9000")).getPort());
    }

    @Test
    void anUnknownSchemeNamesItselfAndTheAvailableOnes()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> BusClient.connect(URI.create("carrier-pigeon://127.0.0.1:1")));
        assertTrue(ex.getMessage().contains("carrier-pigeon") && ex.getMessage().contains("tcp"), ex.getMessage());
    }

    @Test
    void aUriWithoutPortIsRefused()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> TransportProvider.forScheme("tcp").address(URI.create("tcp://127.0.0.1")));
        assertTrue(ex.getMessage().contains("port"), ex.getMessage());
    }
}
