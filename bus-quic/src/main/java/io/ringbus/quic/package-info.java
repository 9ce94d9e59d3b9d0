/**
 * The {@code quic} transport of the client plane: QUIC v1 (RFC 9000/9001) written in the project,
 * ALPN {@code ringbus}, one client-opened bidirectional stream per connection carrying the frames
 * exactly as TCP does (WIRE.md).
 *
 * <p>How it meets the bus: {@link io.ringbus.quic.QuicTransportProvider} is a transport that brings
 * its own socket. A listener is one UDP socket on shard 0 ({@link io.ringbus.quic.QuicServerEndpoint}:
 * connection-id demux, handshake_grace, bounded handshakes); once a connection's handshake is done its
 * stream is handed to the bus as an {@code AcceptedStream}, and from then on
 * {@link io.ringbus.quic.QuicSession} makes it an {@code IoChannel} like a TCP socket, so the same pump
 * applies the same limits, bounded close and back-pressure. Reads are pulled, so QUIC flow-control
 * credit follows what the bus has read. {@link io.ringbus.quic.QuicClientEndpoint} does the same for
 * {@code BusClient}.
 *
 * <p>Below it: {@code packet} (headers, packet numbers, packet protection), {@code frame} (every
 * RFC 9000 frame), {@code tls} (the TLS 1.3 handshake engines) and {@code conn} (the connection state
 * machine: ACKs, loss recovery and congestion control behind interfaces, the stream, close and drain).
 *
 * <p>Public API: {@link io.ringbus.quic.QuicSettings} and {@link io.ringbus.quic.RetryMode}
 * (registered with {@code BusConfig.Builder.transportSettings("quic", ...)} or
 * {@code ClientOptions.withTransportSettings}), and {@code packet.CipherSuite}, which they name. The
 * other classes here and the four packages below are <b>internal: no compatibility promise</b>; the bus
 * finds the transport through {@code ServiceLoader}.
 */
package io.ringbus.quic;
