package io.ringbus.sim;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * One side of a simulated TCP connection: what the kernel holds for a socket (state, receive
 * buffer, flags), apart from the {@link SimChannel} the application holds. Simulation thread only.
 */
final class Endpoint
{
    /** The kernel's view of the socket. */
    enum State
    {
        /** SYN sent, no answer yet. */
        CONNECTING,
        /** Established (possibly half-closed in either direction). */
        OPEN,
        /** Closed by the application with a FIN; the kernel still delivers what was written (an orphan). */
        CLOSED,
        /** No kernel state any more (reset, timed out, crashed): any segment but an RST reaching it is answered by an RST. */
        GONE
    }

    static final int NO_RESULT = Integer.MIN_VALUE;

    final SimStream stream;
    /** 0 client (dialer), 1 server (accepted). */
    final int side;
    final SimHost host;
    final InetSocketAddress local;
    final InetSocketAddress remote;
    final ArrayDeque<byte[]> received = new ArrayDeque<>();
    State state;
    Pipe in;
    Pipe out;
    SimChannel channel;
    int receivedHeadOffset;
    long receivedBytes;
    boolean finReceived;
    boolean outputShut;
    /** An error the reads report (and the next write, once): RESET after an RST or a user timeout. */
    int pendingError;
    boolean writeErrorReported;
    int connectResult = NO_RESULT;
    /** What {@link SimChannel#failure()} says after a failure the result code cannot tell (a timeout), else null. */
    String failure;
    long connectDeadlineNs;

    Endpoint(final SimStream stream, final int side, final SimHost host, final InetSocketAddress local,
        final InetSocketAddress remote, final State state)
    {
        this.stream = stream;
        this.side = side;
        this.host = host;
        this.local = local;
        this.remote = remote;
        this.state = state;
    }

    void dropReceived()
    {
        received.clear();
        receivedHeadOffset = 0;
        receivedBytes = 0;
    }

    boolean isDone()
    {
        return state == State.CLOSED || state == State.GONE;
    }
}
