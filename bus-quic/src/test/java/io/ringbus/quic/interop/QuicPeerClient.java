package io.ringbus.quic.interop;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * A third-party QUIC client connected with ALPN {@code ringbus}, holding ONE client-opened
 * bidirectional stream (id 0), as WIRE.md's {@code quic} transport prescribes. Bytes go out as
 * given; bytes coming back are reassembled into frames and verified (size, checksums, command,
 * cluster) before {@link #receiveFrame} hands them out.
 *
 * <p>{@link #send} may be called by one thread while another calls {@link #receiveFrame}
 * (pipelining); neither method is meant for concurrent callers of its own. {@link #close()} may be
 * called from any thread and is idempotent.
 */
public interface QuicPeerClient extends AutoCloseable
{
    /**
     * Write {@code bytes} to the stream as they are: one frame, several back to back, or a part of
     * one. Blocks until the library has taken them (flow control may hold it), at most the
     * configured send timeout.
     */
    void send(byte[] bytes) throws IOException;

    /**
     * The next whole, verified frame from the server.
     *
     * @throws TimeoutException if none arrived within {@code timeout}.
     * @throws IOException      if the stream ended, the connection closed, or the server sent a frame
     *                          that broke WIRE.md (the message says which).
     */
    byte[] receiveFrame(Duration timeout) throws IOException, TimeoutException;

    /** Finish the stream (send FIN); the connection stays open. */
    void shutdownOutput() throws IOException;

    /**
     * Wait for the connection to end (the server closing it, or an idle timeout).
     *
     * @throws TimeoutException if it is still open after {@code timeout}.
     */
    PeerClose awaitClose(Duration timeout) throws TimeoutException, InterruptedException;

    /** The TLS cipher suite negotiated, where the library tells it; else null. */
    String cipherSuite();

    /** Close the connection (application error 0, no reason) and free the peer's threads. */
    @Override
    void close();
}
