package io.ringbus.core.transport;

/** Why a connection closed. Every close is logged once with its reason and a detail. */
public enum CloseReason
{
    /** The application closed it. */
    LOCAL(false),
    /** The bus is shutting down. */
    SHUTDOWN(false),
    /** The peer closed its side at a frame boundary. */
    PEER_CLOSED(false),
    /** The peer reset the connection. */
    PEER_RESET(true),
    /** The peer closed in the middle of a frame. */
    PEER_VANISHED_MID_FRAME(true),
    /** The peer broke WIRE.md (bad size, checksum, command, cluster, a command not allowed here). */
    PROTOCOL_ERROR(true),
    /** The peer did not complete its handshake within handshake_grace. */
    HANDSHAKE_TIMEOUT(true),
    /** A second connection for a replica pair that already has one; the newcomer loses. */
    DUPLICATE(true),
    /** A frame (or a carrier's record) began and did not complete within partial_frame_timeout. */
    PARTIAL_FRAME_TIMEOUT(true),
    /** A write made no progress within partial_frame_timeout: the peer reads nothing. */
    WRITE_STALLED(true),
    /** Nothing was read or written within idle_timeout. */
    IDLE_TIMEOUT(false),
    /** A buffer for a received frame (or its answer) would have taken the pool over direct_memory_budget. */
    MEMORY_BUDGET(true),
    /** Connecting failed (expected while a peer is down: the dialer retries). */
    CONNECT_FAILED(false),
    /** Any other I/O error. */
    IO_ERROR(true),
    /** The bus (or client) stopped because one of its shards failed: a throwable escaped its duty cycle. */
    BUS_FAILURE(true);

    private final boolean abnormal;

    CloseReason(final boolean abnormal)
    {
        this.abnormal = abnormal;
    }

    /** True if this reason deserves a warning rather than an informational log line. */
    public boolean isAbnormal()
    {
        return abnormal;
    }
}
