package io.ringbus.core.client;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.transport.Await;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 11, point 6 on the SDK side: a throwable escaping the client's I/O thread fails the client as a whole. */
class BusClientFailureTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @Test
    void anErrorOnTheIoThreadFailsPendingAndLaterRequestsAndClosesTheConnection() throws Exception
    {
        final AtomicInteger requests = new AtomicInteger();
        final Queue<ClientConnMeta> closed = new ConcurrentLinkedQueue<>();
        final BusHandler silent = new BusHandler()
        {
            @Override
            public void onClientRequest(final MessageBus bus, final ClientConnMeta client, final DirectBuffer buffer,
                final int offset, final int length)
            {
                requests.incrementAndGet(); // never answered: the client's future stays pending
            }

            @Override
            public void onClientClosed(final MessageBus bus, final ClientConnMeta client)
            {
                closed.add(client);
            }
        };
        try (MessageBus bus = MessageBus.start(BusConfig.builder().shards(1).build(), silent))
        {
            final InetSocketAddress address = bus.listen(URI.create("tcp://127.0.0.1:0"));
            final BusClient client = BusClient.connect(URI.create("tcp://127.0.0.1:" + address.getPort()));
            try
            {
                final CompletableFuture<Reply> pending = client.requestAsync(1, new byte[8]);
                Await.until(TIMEOUT, () -> requests.get() == 1, "the request reached the bus");

                assertTrue(client.runOnIoThread(() ->
                {
                    throw new OutOfMemoryError("injected client failure");
                }));

                final ExecutionException ex = assertThrows(ExecutionException.class,
                    () -> pending.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
                assertInstanceOf(ConnectionClosedException.class, ex.getCause());
                assertTrue(ex.getCause().getMessage().contains("injected client failure"), ex.getCause().getMessage());
                assertFalse(client.isConnected());
                final ExecutionException later = assertThrows(ExecutionException.class,
                    () -> client.requestAsync(1, new byte[8]).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
                assertInstanceOf(ConnectionClosedException.class, later.getCause());
                assertTrue(later.getCause().getMessage().contains("injected client failure"),
                    later.getCause().getMessage());
                Await.until(TIMEOUT, () -> closed.size() == 1, "the bus saw the connection close");
                assertEquals(0, client.pendingRequests());
                Await.until(TIMEOUT, () -> !client.runOnIoThread(() -> { }), "the failed I/O thread takes no more tasks");
            }
            finally
            {
                client.close();
            }
            assertTrue(bus.isRunning(), "a client's failure is its own");
        }
    }
}
