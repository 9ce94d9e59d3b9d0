package io.ringbus.core.transport;

import io.ringbus.core.frame.FrameDecodeException;
import io.ringbus.core.frame.FrameError;
import io.ringbus.core.frame.FramePool;
import org.agrona.DirectBuffer;

import java.nio.ByteBuffer;
import java.security.cert.X509Certificate;
import java.util.function.BiConsumer;

/**
 * A carrier layer between a connection's socket bytes and its frame stream: TLS, WebSocket, or
 * both stacked. A small state machine over byte ranges that knows nothing of sockets; the
 * {@link Connection} reads net bytes into {@link #inboundSpace()}, writes what
 * {@link #outbound} hands it, and asks it to {@link #wrap} frames and to close.
 *
 * <p>Life: {@link #start} (a client queues its first handshake bytes), handshake until
 * {@link #isOpen()}, application data, {@link #closeOutbound} (close_notify, a WebSocket close
 * frame), then {@link #isOutboundDone()} once FIN may follow. Owned by the connection's shard.
 */
public interface Carrier
{
    /** Where a carrier hands what it decodes. Implemented by {@link Connection}. */
    interface Sink
    {
        /** Decoded application bytes of the frame stream (for WebSocket, one whole message). */
        void onApplicationBytes(DirectBuffer buffer, int offset, int length) throws FrameDecodeException;

        /** The peer began closing (close_notify, a WebSocket close frame): start our close. */
        void onPeerClosing(String detail);

        /**
         * Run a slow task (an SSLEngine delegated task: key exchange, certificate checks) off the
         * shard, so the shard keeps serving other connections; when it is done the carrier's
         * {@link Carrier#onInbound(int) onInbound(0)} is called on the shard to resume.
         */
        void offload(Runnable task);

        /**
         * The bus's pool: a carrier takes its buffers from it while it has bytes to hold and gives
         * them back once they are drained, so an idle connection holds (almost) nothing.
         */
        FramePool pool();
    }

    /** Bind to the connection and begin; a client queues its first handshake bytes here. */
    void start(Sink sink);

    /** The buffer to read net bytes into (from its position to its limit). */
    ByteBuffer inboundSpace();

    /**
     * {@code bytes} net bytes were read into {@link #inboundSpace()}: decode them, handing
     * application bytes to the sink and queueing any bytes to send (handshake, pong).
     *
     * @throws CarrierException on a carrier protocol violation (the message names it).
     * @throws FrameDecodeException from the sink's frame decoder.
     */
    void onInbound(int bytes) throws CarrierException, FrameDecodeException;

    /**
     * True if part of one of the carrier's own units (a TLS record, a WebSocket frame header or
     * control frame) is buffered, waiting for the rest: the connection's partial_frame_timeout
     * bounds how long it may wait. Bytes already passed on to the frame decoder do not count here
     * (the decoder reports its own incomplete frame).
     */
    default boolean isMidRecord()
    {
        return false;
    }

    /** True once the handshake is done and frames may flow both ways. */
    boolean isOpen();

    /**
     * Encode frames: consume bytes from {@code frames[0..count)} (advancing their positions) into
     * net bytes queued for {@link #outbound}. May stop early when its output is full.
     */
    void wrap(ByteBuffer[] frames, int count) throws CarrierException;

    /** True if net bytes wait to be written. */
    boolean hasOutbound();

    /**
     * Fill {@code out} with buffers of net bytes to write, in order.
     *
     * @return how many entries of {@code out} were filled.
     */
    int outbound(ByteBuffer[] out);

    /** {@code bytes} of what {@link #outbound} handed were written. */
    void onWritten(long bytes);

    /**
     * Begin the carrier's close: queue a WebSocket close frame (its code chosen from the reason and
     * frame error), TLS close_notify, or both in order.
     *
     * @param frameError the frame rule broken if the close is for a bad frame, else null.
     */
    void closeOutbound(CloseReason reason, FrameError frameError);

    /** True once the carrier's close is complete enough for FIN (its close bytes queued, peer's close awaited). */
    boolean isOutboundDone();

    /**
     * The peer sent FIN.
     *
     * @return true if the carrier saw the peer's orderly close first (close_notify, a WebSocket
     *         close frame); false for a truncation.
     */
    boolean onEof();

    /** Details for ClientConnMeta (protocol, cipher suite, SNI, ALPN, WebSocket path ...). */
    void describe(BiConsumer<String, String> details);

    /**
     * The leaf certificate the peer presented and the handshake verified (mutual TLS), or null
     * when it presented none or the carrier has no certificates. Asked once the carrier is open.
     */
    default X509Certificate peerCertificate()
    {
        return null;
    }

    /**
     * Release buffers; the connection is closed. Buffers lent to the backend (the one from
     * {@link #inboundSpace()} under a read, what {@link #outbound} handed under a write) go back to
     * the pool here, so call it only once no operation on the socket can still touch them.
     */
    void release();

    /**
     * True once the carrier met an error outside {@link #onInbound} (while advancing after a write
     * completed, say) that it will throw from the next {@code onInbound}: the connection then calls
     * {@code onInbound(0)} at once instead of waiting for bytes the peer may never send.
     */
    default boolean hasFailed()
    {
        return false;
    }
}
