package io.ringbus.quic.interop;

/**
 * How a client peer's QUIC connection ended, as far as its library tells.
 *
 * @param byPeer      true if the peer sent CONNECTION_CLOSE (false: closed locally, idle timeout, lost).
 * @param application true for an application close (frame type 0x1d), false for a transport close (0x1c).
 * @param code        the error code (application or transport), -1 if none was received.
 * @param reason      the reason phrase, "" if none; or a description of a close that had no frame.
 */
public record PeerClose(boolean byPeer, boolean application, long code, String reason)
{
}
