package io.ringbus.core.backend;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;

/**
 * Negative completion results shared by every backend, so that a connection sees the same close
 * reason whatever carried its bytes. A non-negative result is a byte count (reads: 0 never
 * happens; {@link #EOF} says the peer closed its side).
 */
public final class IoResult
{
    /** The peer closed its sending side (read returned end of stream). */
    public static final int EOF = -1;
    /** The peer reset the connection (ECONNRESET). */
    public static final int RESET = -2;
    /** Write to a connection the peer has closed (EPIPE). */
    public static final int BROKEN_PIPE = -3;
    /** Connect refused (ECONNREFUSED). */
    public static final int REFUSED = -4;
    /** The channel was closed locally while the operation was pending. */
    public static final int CLOSED = -5;
    /** Any other I/O error. */
    public static final int ERROR = -6;

    private IoResult()
    {
    }

    /** A readable name for a result code. */
    public static String describe(final long result)
    {
        if (result >= 0)
        {
            return result + " bytes";
        }
        switch ((int)result)
        {
            case EOF: return "end of stream";
            case RESET: return "connection reset by peer";
            case BROKEN_PIPE: return "broken pipe";
            case REFUSED: return "connection refused";
            case CLOSED: return "channel closed";
            default: return "I/O error";
        }
    }

    /** Map an exception of a NIO call to a result code. */
    public static int of(final IOException ex)
    {
        if (ex instanceof ClosedChannelException)
        {
            return CLOSED;
        }
        if (ex instanceof ConnectException)
        {
            return REFUSED;
        }
        final String message = ex.getMessage();
        if (message != null)
        {
            if (message.contains("reset"))
            {
                return RESET;
            }
            if (message.contains("Broken pipe"))
            {
                return BROKEN_PIPE;
            }
            if (message.contains("refused"))
            {
                return REFUSED;
            }
        }
        return ERROR;
    }
}
