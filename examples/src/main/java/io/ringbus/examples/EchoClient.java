package io.ringbus.examples;

import io.ringbus.core.client.BusClient;
import io.ringbus.core.client.Reply;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The README's client, as it is printed there: one blocking request, then one pipelined. A
 * {@link BusClient} may be used from any thread; the blocking {@code request} waits on the caller's.
 */
public final class EchoClient
{
    private EchoClient()
    {
    }

    /**
     * Connect to {@code server}, send "hello" and wait for its reply, then send {@code body} without
     * waiting and collect that reply too.
     *
     * @return the two replies, in the order sent
     */
    public static List<Reply> run(final URI server, final byte[] body)
        throws IOException, InterruptedException, TimeoutException, ExecutionException
    {
        // --- README: a client ---
        try (BusClient client = BusClient.connect(server)) {
            Reply reply = client.request(1, "hello".getBytes(), Duration.ofSeconds(5));
            CompletableFuture<Reply> pipelined = client.requestAsync(1, body);
            // ... more requests in flight while the first replies travel back ...
            return List.of(reply, pipelined.get(5, TimeUnit.SECONDS));
        }
        // --- end ---
    }

    /** Send to {@code tcp://127.0.0.1:9000} (or the URI given as the first argument) and print the replies. */
    public static void main(final String[] args) throws Exception
    {
        final URI server = URI.create(args.length > 0 ? args[0] : "tcp://127.0.0.1:9000");
        for (final Reply reply : run(server, "world".getBytes()))
        {
            System.out.println("reply to request " + reply.request() + ": " + new String(reply.body()));
        }
    }
}
