package io.ringbus.quic.conn;

/**
 * The states of a {@link QuicConnection} (RFC 9000 sections 4.1.2 and 10). Data flows in
 * HANDSHAKING once the TLS handshake is complete and in ESTABLISHED; the last three carry no data.
 */
public enum ConnectionState
{
    /** The TLS handshake runs; a client may already send on its stream once it is complete. */
    HANDSHAKING,
    /** The handshake is confirmed (RFC 9001 4.1.2): the server completed it, or the client got HANDSHAKE_DONE. */
    ESTABLISHED,
    /** We sent CONNECTION_CLOSE and answer further packets with it until the closing period ends (10.2.1). */
    CLOSING,
    /** The peer sent CONNECTION_CLOSE: we send nothing until the draining period ends (10.2.2). */
    DRAINING,
    /** Terminal: the owner forgets the connection. */
    CLOSED
}
