/**
 * The TLS 1.3 side of QUIC (RFC 9001): the handshake engines ({@link io.ringbus.quic.tls.QuicTls}),
 * their configuration, the key schedule, certificate checks and transport parameters.
 *
 * <p><b>Internal: no compatibility promise.</b> The QUIC
 * transport's machinery; applications configure QUIC through {@code io.ringbus.quic.QuicSettings}.
 */
package io.ringbus.quic.tls;
