package io.ringbus.core.config;

import io.ringbus.core.transport.TransportProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * BusConfig checks listen URIs by asking the {@link TransportProvider}s on the class path, not by
 * scheme names it knows: a provider registered only inside one test (a class path made here, set
 * as the thread's context class loader, which {@link java.util.ServiceLoader} searches) makes its
 * scheme valid, and its {@link TransportProvider#bindProtocol()} decides which listeners collide.
 */
class ListenSchemeDiscoveryTest
{
    private static final String SERVICES = "META-INF/services/" + TransportProvider.class.getName();

    /** A transport BusConfig has never heard of: SRT runs over UDP, like quic. */
    public static final class SrtTransportProvider implements TransportProvider
    {
        @Override
        public String scheme()
        {
            return "srt";
        }

        @Override
        public String bindProtocol()
        {
            return BIND_UDP;
        }
    }

    @TempDir
    Path classPath;

    private static BusConfig.Builder listening(final String... uris)
    {
        final List<URI> list = new ArrayList<>();
        for (final String uri : uris)
        {
            list.add(URI.create(uri));
        }
        return BusConfig.builder().listen(list);
    }

    /** Build with {@link SrtTransportProvider} registered on a class path only this call sees. */
    private BusConfig buildWithSrt(final BusConfig.Builder builder) throws Exception
    {
        final Path services = classPath.resolve(SERVICES);
        Files.createDirectories(services.getParent());
        Files.writeString(services, SrtTransportProvider.class.getName() + "\n", StandardCharsets.UTF_8);
        final Thread thread = Thread.currentThread();
        final ClassLoader previous = thread.getContextClassLoader();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classPath.toUri().toURL()},
            ListenSchemeDiscoveryTest.class.getClassLoader()))
        {
            thread.setContextClassLoader(loader);
            return builder.build();
        }
        finally
        {
            thread.setContextClassLoader(previous);
        }
    }

    @Test
    void withoutItsProviderTheSchemeIsRejectedNamingTheSchemesAvailable()
    {
        final InvalidConfigException e =
            assertThrows(InvalidConfigException.class, () -> listening("srt://127.0.0.1:9000").build());
        assertEquals("listen", e.field());
        assertEquals("listen = srt://127.0.0.1:9000: scheme must be one of tcp, tls, ws, wss, quic", e.getMessage());
    }

    @Test
    void withItsProviderOnTheClassPathTheSchemeIsAccepted() throws Exception
    {
        final BusConfig config = buildWithSrt(listening("srt://127.0.0.1:9000", "tcp://127.0.0.1:9001"));
        assertEquals(List.of(URI.create("srt://127.0.0.1:9000"), URI.create("tcp://127.0.0.1:9001")), config.listen());
    }

    @Test
    void theProvidersBindProtocolDecidesWhichListenersCollide() throws Exception
    {
        buildWithSrt(listening("srt://127.0.0.1:9000", "tcp://127.0.0.1:9000")); // udp and tcp: no collision
        final InvalidConfigException e = assertThrows(InvalidConfigException.class,
            () -> buildWithSrt(listening("quic://127.0.0.1:9000", "srt://127.0.0.1:9000")));
        assertEquals("listen = srt://127.0.0.1:9000: binds the same udp host:port as quic://127.0.0.1:9000",
            e.getMessage());
    }

    @Test
    void anUnknownSchemeListsTheDiscoveredOnesByBindProtocolThenName() throws Exception
    {
        final InvalidConfigException e = assertThrows(InvalidConfigException.class,
            () -> buildWithSrt(listening("sctp://127.0.0.1:9000")));
        assertTrue(e.getMessage().endsWith("scheme must be one of tcp, tls, ws, wss, quic, srt"), e.getMessage());
    }
}
