package io.ringbus.quic.conn;

/**
 * The anti-amplification limit of a server (RFC 9000 8.1): until the client's address is
 * validated, at most three times the bytes received may be sent. A client counts too, but is never
 * limited. Connection thread only: {@link PacketOpener} counts what arrives and validates,
 * {@link PacketAssembler} counts what leaves and asks for the budget.
 */
final class AmplificationLimit
{
    /** RFC 9000 8.1: at most three times the bytes received before the client's address is validated. */
    static final int FACTOR = 3;

    private final boolean applies;
    private boolean validated;
    private long received;
    private long sent;

    /** @param server true for a server's connection, the only side the limit applies to. */
    AmplificationLimit(final boolean server)
    {
        this.applies = server;
    }

    void onReceived(final int bytes)
    {
        received += bytes;
    }

    void onSent(final int bytes)
    {
        sent += bytes;
    }

    /** The client's address is validated (a Handshake packet from it opened): no more limit. */
    void validate()
    {
        validated = true;
    }

    /** True while sending is limited. */
    boolean limits()
    {
        return applies && !validated;
    }

    /** Bytes that may still be sent while {@link #limits()}. */
    long budget()
    {
        return FACTOR * received - sent;
    }

    /** True if sending is limited and less than {@code minBytes} may go. */
    boolean isBlocked(final int minBytes)
    {
        return limits() && budget() < minBytes;
    }
}
