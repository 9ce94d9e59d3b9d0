/**
 * The QUIC v1 connection (RFC 9000, RFC 9001 and a subset of RFC 9002). {@link
 * io.ringbus.quic.conn.QuicConnection} is the per-connection state machine (HANDSHAKING,
 * ESTABLISHED, CLOSING, DRAINING, CLOSED), the TLS glue and the timers; it coordinates parts with
 * one job each: {@code PacketOpener} (packets in: header protection, decryption, packet numbers),
 * {@code KeyPhases} (1-RTT key updates), {@code FrameDispatcher} (the frames of a packet to their
 * part), {@code StreamFlow} (the one bidirectional stream and flow control), {@code
 * PeerConnectionIds}, {@code PacketAssembler} (packets out: frames, padding, protection), {@code
 * IdleTimer}, {@code AmplificationLimit}, loss detection and probes behind {@code LossDetector},
 * and congestion control behind {@link io.ringbus.quic.conn.CongestionController}. It is driven by
 * its owner (shard 0) through datagrams in, a {@link io.ringbus.quic.conn.DatagramSink} out, and an
 * explicit clock; nothing here owns a socket, a thread or a timer.
 *
 * <p><b>Internal: no compatibility promise.</b> The QUIC
 * transport's machinery; applications configure QUIC through {@code io.ringbus.quic.QuicSettings}.
 */
package io.ringbus.quic.conn;
