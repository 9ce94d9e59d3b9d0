/**
 * The completion-shaped I/O backend of the shard runtime (DESIGN.md, "Backends"):
 * {@link io.ringbus.core.backend.IoBackend} and its channels, listeners and datagram sockets, the NIO
 * implementation ({@link io.ringbus.core.backend.NioBackend}), and
 * {@link io.ringbus.core.backend.IoBackendProvider}, through which bus-uring (and bus-sim) plug in.
 *
 * <p><b>Internal: no compatibility promise.</b> This is the SPI between bus-core and Ringbus's own backend
 * modules; an application chooses a backend with {@code BusConfig.Builder.backend} and never calls
 * it. It may change in any release.
 */
package io.ringbus.core.backend;
