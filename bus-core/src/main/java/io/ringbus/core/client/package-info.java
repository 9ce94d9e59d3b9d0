/**
 * The client side of the client plane: {@link io.ringbus.core.client.BusClient}, the SDK that connects
 * to a bus over tcp, tls, ws, wss or quic and sends requests (blocking or pipelined), its
 * {@link io.ringbus.core.client.ClientOptions} and {@link io.ringbus.core.client.Reply}; and
 * {@link io.ringbus.core.client.ClientConnMeta}, what a server's handler knows about one client
 * connection.
 *
 * <p>Public API. The mutating members of {@code ClientConnMeta} (its constructor, {@code detail(name,
 * value)}, {@code peerCertificate}, {@code closed}) are for the bus and its transports only.
 */
package io.ringbus.core.client;
