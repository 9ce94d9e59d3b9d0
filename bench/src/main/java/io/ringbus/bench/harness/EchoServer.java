package io.ringbus.bench.harness;

import java.net.InetSocketAddress;

import javax.net.ssl.SSLContext;

/**
 * One node of the "replicated echo" that the harness measures: a server speaking WIRE.md that
 * answers every {@code request} with a {@code reply} carrying the same body and the request's
 * {@code client}, {@code request}, {@code timestamp} and {@code operation}, and every
 * {@code ping_client} with a header-only {@code pong_client}. It verifies both checksums of every
 * frame it receives and closes the connection on any protocol error.
 *
 * <p>Lifecycle: {@link #start()} once, then {@link #close()} once, both from the harness thread.
 * A server is used for one harness run and then discarded; the registry in {@link Harness} holds
 * suppliers, not instances.
 */
public interface EchoServer extends AutoCloseable
{
    /** High 64 bits of the cluster id every echo server and the load client use (ringbus serve's default, 0). */
    long CLUSTER_HI = 0;
    /** Low 64 bits of the cluster id every echo server and the load client use. */
    long CLUSTER_LO = 0;

    /**
     * Bind to 127.0.0.1 on an ephemeral port and start serving.
     *
     * @return the bound address.
     * @throws Exception if the server cannot start (for example, its transport is unavailable here).
     */
    InetSocketAddress start() throws Exception;

    /** Stop accepting, close every connection and release every thread; returns once they are gone. */
    @Override
    void close();

    /** Short name used in the harness's table, equal to its key in {@link Harness#SERVERS}. */
    String name();

    /**
     * True if the server's I/O threads busy-poll when idle (a core each at 100%), false if they
     * block. The harness compares a server with the C floor in the same idle mode (c-floor or
     * c-floor-poll). Any thread.
     */
    default boolean spinsWhenIdle()
    {
        return false;
    }

    /**
     * The process the server's threads run in: this JVM, unless the server runs a process of its own
     * (the C floor). Valid after {@link #start()}; the harness reads its threads' CPU time
     * ({@link ServerCpu}).
     */
    default long processId()
    {
        return ProcessHandle.current().pid();
    }

    /**
     * Prefix of the names of the threads that do the server's I/O (a ringbus shard, a Netty event
     * loop), for the harness's "CPU ns/req (I/O)" column; null if not known. Only the first 15
     * characters count (Linux keeps no more of a thread's name). Any thread.
     */
    default String ioThreadNamePrefix()
    {
        return null;
    }

    /**
     * How a client reaches this server: null for plain TCP, else the TLS context (TLS 1.3,
     * trusting this server's certificate) the client must wrap its socket with. Known before
     * {@link #start()}; any thread.
     */
    default SSLContext clientTls()
    {
        return null;
    }

    /**
     * How a client carries frames to this server: back to back on the stream (tcp, tls), or one
     * per binary message after a WebSocket upgrade (ws, wss). Known before {@link #start()}; any thread.
     */
    default Framing clientFraming()
    {
        return Framing.STREAM;
    }

    /** True when the server sends each request back unchanged (a byte echo) instead of a reply. */
    default boolean echoesRequests()
    {
        return false;
    }
}
