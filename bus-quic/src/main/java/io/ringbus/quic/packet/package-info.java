/**
 * QUIC v1 packets and their protection (RFC 9000 section 17, RFC 9001 section 5): variable-length
 * integers, packet numbers, long headers, Initial secrets, AES-128-GCM and ChaCha20-Poly1305 packet
 * protection with AES and ChaCha20 header protection. The first layer of the hand-written QUIC
 * transport; the TLS handshake, frames, streams and the connection state machine build on it.
 *
 * <p><b>Internal: no compatibility promise.</b> Except
 * {@link io.ringbus.quic.packet.CipherSuite}, which {@code QuicSettings.Builder.cipherSuites} takes, this
 * package is the QUIC transport's machinery and may change in any release.
 */
package io.ringbus.quic.packet;
