package io.ringbus.bench.harness;

/**
 * How the load client carries bus frames to an {@link EchoServer}: the two framings of WIRE.md's
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
    WEBSOCKET
}
