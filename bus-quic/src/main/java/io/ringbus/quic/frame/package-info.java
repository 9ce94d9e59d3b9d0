/**
 * QUIC frames (RFC 9000 section 19): a zero-copy reader that checks each frame against the packet
 * type it arrived in and the receiver's role, and writers for every frame the transport sends.
 *
 * <p><b>Internal: no compatibility promise.</b> The QUIC
 * transport's machinery; applications configure QUIC through {@code io.ringbus.quic.QuicSettings}.
 */
package io.ringbus.quic.frame;
