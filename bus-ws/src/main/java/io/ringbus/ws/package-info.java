/** RFC 6455 WebSocket layer (opening handshake, framing, close handshake) and the ws and wss transports. */
package io.ringbus.ws;
