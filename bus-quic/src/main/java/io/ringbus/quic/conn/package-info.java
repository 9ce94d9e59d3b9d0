/**
 * The QUIC v1 connection (RFC 9000, RFC 9001 and a subset of RFC 9002): {@link
 * io.ringbus.quic.conn.QuicConnection} is the per-connection state machine — packet parsing and
 * protection per encryption level, the TLS glue, ACKs, loss detection and probes behind {@code
 * LossDetector}, congestion control behind {@link io.ringbus.quic.conn.CongestionController}, flow
 * control, and the single bidirectional stream the application treats as the connection. It is
 * driven by its owner (shard 0) through datagrams in, a {@link io.ringbus.quic.conn.DatagramSink}
 * out, and an explicit clock; nothing here owns a socket, a thread or a timer.
 */
package io.ringbus.quic.conn;
