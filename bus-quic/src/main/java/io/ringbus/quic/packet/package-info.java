/**
 * QUIC v1 packets and their protection (RFC 9000 section 17, RFC 9001 section 5): variable-length
 * integers, packet numbers, long headers, Initial secrets, AES-128-GCM and ChaCha20-Poly1305 packet
 * protection with AES and ChaCha20 header protection. The first layer of the hand-written QUIC
 * transport; the TLS handshake, frames, streams and the connection state machine build on it.
 */
package io.ringbus.quic.packet;
