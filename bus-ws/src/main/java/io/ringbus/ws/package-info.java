/**
 * RFC 6455 WebSocket layer (opening handshake, framing, close handshake) and the ws and wss transports.
 *
 * <p><b>Internal: no compatibility promise.</b> Applications put bus-ws on the class path and use the
 * {@code ws://} and {@code wss://} schemes (configured through {@code BusConfig}'s {@code WebSocketConfig}
 * and, for wss, bus-tls's {@code TlsSettings}); the bus finds the transports through
 * {@code ServiceLoader}. No class here is for direct use, and any may change in any release.
 */
package io.ringbus.ws;
