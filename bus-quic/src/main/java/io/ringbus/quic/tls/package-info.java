/**
 * The TLS 1.3 side of QUIC (RFC 9001): the handshake engines ({@link io.ringbus.quic.tls.QuicTls}),
 * their configuration, the key schedule, certificate checks and transport parameters.
 */
package io.ringbus.quic.tls;
