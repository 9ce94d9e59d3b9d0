package io.ringbus.core;

import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.client.ConnectionClosedException;
import io.ringbus.core.client.Reply;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.Await;
import io.ringbus.core.transport.CloseReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11, point 6: a throwable that escapes a shard's duty cycle stops the whole bus (every
 * connection closed with a reason, clients' pending futures failed, the handler told) instead of
 * leaving the shard thread dead and the process half alive.
 */
public class BusFailureTest
{
    /** Adjust the configuration (a subclass per backend). */
    protected BusConfig.Builder configure(final BusConfig.Builder builder)
    {
        return builder;
    }

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final AtomicReference<Throwable> told = new AtomicReference<>();
    private final AtomicInteger toldTimes = new AtomicInteger();
    private final GateHandler handler = new GateHandler()
    {
        @Override
        public void onBusFailure(final MessageBus bus, final Throwable failure)
        {
            toldTimes.incrementAndGet();
            told.set(failure);
        }
    };
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private MessageBus bus;
    private InetSocketAddress address;

    @AfterEach
    void tearDown() throws Exception
    {
        for (final AutoCloseable closeable : toClose)
        {
            closeable.close();
        }
        if (bus != null)
        {
            AcceptStormTest.closeWithin(bus, TIMEOUT);
            assertEquals(0, bus.stats().openConnections(), "every connection closed");
            assertEquals(0, bus.stats().limitedConnections(), "every place in the connection limits given back");
            bus.pool().assertNoLeaks();
        }
    }

    private BusClient client() throws IOException
    {
        final BusClient client = BusClient.connect(URI.create("tcp://127.0.0.1:" + address.getPort()));
        toClose.add(client);
        return client;
    }

    @ParameterizedTest(name = "shard {0} fails")
    @ValueSource(ints = {0, 1})
    void anErrorEscapingAShardStopsTheBusAndClosesEveryConnectionWithAReason(final int failing) throws Exception
    {
        bus = MessageBus.start(configure(BusConfig.builder().shards(2)).build(), handler);
        address = bus.listen(URI.create("tcp://127.0.0.1:0"));
        final BusClient[] clients = {client(), client()}; // accepts alternate: the first on shard 0, the next on 1
        final CompletableFuture<Reply> held0 = clients[0].requestAsync(GateHandler.HOLD, new byte[0]);
        final CompletableFuture<Reply> held1 = clients[1].requestAsync(GateHandler.HOLD, new byte[0]);
        Await.until(TIMEOUT, () -> handler.held.get() == 2, "both held requests reached the bus");

        clients[failing].requestAsync(GateHandler.BOOM, new byte[0]);

        for (final CompletableFuture<Reply> held : List.of(held0, held1))
        {
            final ExecutionException ex = assertThrows(ExecutionException.class,
                () -> held.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "a pending request fails");
            assertInstanceOf(ConnectionClosedException.class, ex.getCause());
        }
        Await.until(TIMEOUT, () -> toldTimes.get() == 1, "the handler was told");
        assertInstanceOf(GateHandler.InjectedError.class, told.get());
        assertSame(told.get(), bus.failure());
        assertFalse(bus.isRunning());
        Await.until(TIMEOUT, () -> handler.closed.size() == 2, "both connections closed");
        for (final ClientConnMeta meta : handler.closed)
        {
            assertEquals(CloseReason.BUS_FAILURE, meta.closeReason(), meta.toString());
            assertTrue(meta.closeDetail().contains("injected shard failure"), meta.closeDetail());
        }
        assertFalse(clients[0].isConnected());
        assertFalse(clients[1].isConnected());
        Await.until(TIMEOUT, () -> bus.stats().openConnections() == 0, "no connection left open");
        assertThrows(IOException.class, this::client, "the listener is closed: the bus no longer accepts");
        assertEquals(1, toldTimes.get(), "told once");
    }
}
