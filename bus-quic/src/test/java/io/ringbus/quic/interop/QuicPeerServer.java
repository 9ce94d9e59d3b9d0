package io.ringbus.quic.interop;

import java.net.InetSocketAddress;

/**
 * A third-party QUIC server that speaks Ringbus as a bus would to a client: it accepts one
 * client-opened bidirectional stream per connection (ALPN {@code ringbus}) and answers each
 * {@code request} frame with the reply bus-core's test {@code EchoHandler} would send (same header
 * fields, same body), each {@code ping_client} with a {@code pong_client}. Any other command, or a
 * frame that fails WIRE.md's checks, closes the connection with application error 0x1 and a reason.
 * When the client finishes its stream (FIN), the server finishes its side too.
 *
 * <p>Bound to 127.0.0.1 on an ephemeral port. Thread-safe; {@link #close()} is idempotent.
 */
public interface QuicPeerServer extends AutoCloseable
{
    /** The bound UDP port. */
    int port();

    /** The bound address (127.0.0.1 and {@link #port()}). */
    InetSocketAddress address();

    /** What the server saw. */
    EchoStats stats();

    /** Stop accepting and close every connection; blocks for at most a few seconds. */
    @Override
    void close();
}
