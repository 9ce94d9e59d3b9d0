package io.ringbus.bench.harness;

/**
 * How the load client carries bus frames to an {@link EchoServer}: the framings of WIRE.md's
 * transport table. Immutable; any thread.
 */
public enum Framing
{
    /** {@code tcp} and {@code tls}: frames back to back on the (decrypted) byte stream. */
    STREAM,
    /**
     * {@code ws} and {@code wss}: an RFC 6455 opening handshake first, then exactly one binary
     * message per frame, masked from the client ({@link WebSocketClientCodec}).
     */
    WEBSOCKET,
    /**
     * {@code quic}: QUIC v1 with ALPN {@code ringbus}; the client opens one bidirectional stream and
     * the frames go back to back on it ({@link QuicLoadLink}, a Netty QUIC client over quiche).
     * TLS is part of QUIC here: a server with this framing asks for no {@link EchoServer#clientTls()}.
     */
    QUIC
}
