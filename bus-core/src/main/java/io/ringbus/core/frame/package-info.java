/**
 * Frames (docs/wire.md): the 256-byte header ({@link io.ringbus.core.frame.FrameHeader}), the codec and
 * streaming decoder, CRC32C, the pooled buffers frames live in ({@link io.ringbus.core.frame.FramePool},
 * {@link io.ringbus.core.frame.FrameBuffer}) and {@link io.ringbus.core.frame.Frames}, which builds the
 * frames a handler sends (a reply, a replica frame).
 *
 * <p>Public API: the bottom layer of bus-core, depending on nothing above it (pinned by bus-core's
 * {@code LayeringTest}). A pooled buffer belongs to one owner at a time: whoever holds a reference
 * releases it, or hands it on (sending a frame hands it to the bus).
 */
package io.ringbus.core.frame;
