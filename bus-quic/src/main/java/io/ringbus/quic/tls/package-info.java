/**
 * The TLS 1.3 side of QUIC (RFC 9001): transport parameters now; the handshake (key schedule,
 * messages in CRYPTO frames, certificate checks) builds here.
 */
package io.ringbus.quic.tls;
