/**
 * The per-connection pump and what plugs into it (DESIGN.md, "Per-connection pump"):
 * {@link io.ringbus.core.transport.Connection} (inbound bytes through the carrier layers to the frame
 * decoder, the bounded outbound queue, the bounded close), the connection table and limits,
 * handshake_grace, and the transport SPI, {@link io.ringbus.core.transport.TransportProvider} and
 * {@link io.ringbus.core.transport.Carrier}, through which bus-tls, bus-ws and bus-quic add their schemes.
 *
 * <p><b>Internal: no compatibility promise.</b> Only {@link io.ringbus.core.transport.CloseReason} is
 * public API (it is how {@code ClientConnMeta.closeReason()} says why a connection closed); the rest is
 * the bus's machinery and the SPI of Ringbus's own transport modules, and may change in any release.
 */
package io.ringbus.core.transport;
