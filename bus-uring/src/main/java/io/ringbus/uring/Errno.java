package io.ringbus.uring;

import io.ringbus.core.backend.IoResult;

/**
 * Maps the negative errno of a completion ({@code cqe->res}) to the {@link IoResult} code the NIO
 * backend gives for the same failure, so a connection logs the same close reason on either backend.
 * NIO's mapping goes through the JDK's exceptions: ECONNREFUSED, ETIMEDOUT and ENOTCONN from a
 * connect become {@code ConnectException} (REFUSED); ECONNRESET says "reset" (RESET); EPIPE says
 * "Broken pipe" (BROKEN_PIPE); an operation on a closed descriptor is a
 * {@code ClosedChannelException} (CLOSED); the rest is ERROR. Linux x86-64 and arm64 errno values.
 * Pure functions; any thread.
 */
final class Errno
{
    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int EPIPE = 32;
    static final int ECONNABORTED = 103;
    static final int ECONNRESET = 104;
    static final int ENOTCONN = 107;
    static final int ETIMEDOUT = 110;
    static final int ECONNREFUSED = 111;
    static final int EHOSTUNREACH = 113;
    static final int ECANCELED = 125;

    private Errno()
    {
    }

    /** True if {@code res} asks to submit the operation again rather than complete it. */
    static boolean isRetry(final int res)
    {
        return res == -EAGAIN || res == -EINTR;
    }

    /** A RECV result: bytes (> 0), {@link IoResult#EOF} for 0 (the peer's FIN), or an error code. */
    static int readResult(final int res)
    {
        if (res > 0)
        {
            return res;
        }
        if (res == 0)
        {
            return IoResult.EOF;
        }
        return ioError(res);
    }

    /** A WRITEV result: bytes (>= 0, possibly fewer than asked) or an error code. */
    static long writeResult(final int res)
    {
        return res >= 0 ? res : ioError(res);
    }

    /** A CONNECT result: 0 on success, else an error code. */
    static int connectResult(final int res)
    {
        if (res >= 0)
        {
            return 0;
        }
        switch (-res)
        {
            case ECONNREFUSED:
            case ETIMEDOUT:
            case ENOTCONN:
                return IoResult.REFUSED; // the JDK throws ConnectException for these
            default:
                return ioError(res);
        }
    }

    /** A negative errno of a read or write. */
    static int ioError(final int res)
    {
        switch (-res)
        {
            case ECONNRESET:
                return IoResult.RESET;
            case EPIPE:
                return IoResult.BROKEN_PIPE;
            case ECONNREFUSED:
                return IoResult.REFUSED;
            case ECANCELED:
            case EBADF:
                return IoResult.CLOSED;
            default:
                return IoResult.ERROR;
        }
    }
}
