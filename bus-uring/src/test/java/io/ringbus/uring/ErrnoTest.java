package io.ringbus.uring;

import io.ringbus.core.backend.IoResult;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** cqe->res to the IoResult codes NIO gives for the same failure. */
class ErrnoTest
{
    private static final int ENOMEM = 12;
    private static final int ENETUNREACH = 101;

    @Test
    void readBytesPassThroughAndZeroIsEndOfStream()
    {
        assertEquals(1, Errno.readResult(1));
        assertEquals(65536, Errno.readResult(65536));
        assertEquals(IoResult.EOF, Errno.readResult(0));
    }

    @Test
    void readAndWriteErrorsMapLikeNio()
    {
        assertEquals(IoResult.RESET, Errno.readResult(-Errno.ECONNRESET));
        assertEquals(IoResult.RESET, Errno.writeResult(-Errno.ECONNRESET));
        assertEquals(IoResult.BROKEN_PIPE, Errno.writeResult(-Errno.EPIPE));
        assertEquals(IoResult.REFUSED, Errno.readResult(-Errno.ECONNREFUSED));
        assertEquals(IoResult.CLOSED, Errno.readResult(-Errno.ECANCELED));
        assertEquals(IoResult.CLOSED, Errno.writeResult(-Errno.EBADF));
        assertEquals(IoResult.ERROR, Errno.readResult(-Errno.ETIMEDOUT));
        assertEquals(IoResult.ERROR, Errno.readResult(-Errno.ECONNABORTED));
        assertEquals(IoResult.ERROR, Errno.writeResult(-ENOMEM));
    }

    @Test
    void writesMayBeShortOrEmpty()
    {
        assertEquals(0, Errno.writeResult(0));
        assertEquals(7, Errno.writeResult(7));
    }

    @Test
    void connectFailuresMapLikeTheJdksConnectException()
    {
        assertEquals(0, Errno.connectResult(0));
        assertEquals(IoResult.REFUSED, Errno.connectResult(-Errno.ECONNREFUSED));
        assertEquals(IoResult.REFUSED, Errno.connectResult(-Errno.ETIMEDOUT));
        assertEquals(IoResult.REFUSED, Errno.connectResult(-Errno.ENOTCONN));
        assertEquals(IoResult.RESET, Errno.connectResult(-Errno.ECONNRESET));
        assertEquals(IoResult.CLOSED, Errno.connectResult(-Errno.ECANCELED));
        assertEquals(IoResult.ERROR, Errno.connectResult(-Errno.EHOSTUNREACH));
        assertEquals(IoResult.ERROR, Errno.connectResult(-ENETUNREACH));
    }

    @Test
    void onlyEagainAndEintrAreRetried()
    {
        assertTrue(Errno.isRetry(-Errno.EAGAIN));
        assertTrue(Errno.isRetry(-Errno.EINTR));
        assertFalse(Errno.isRetry(-Errno.ECONNRESET));
        assertFalse(Errno.isRetry(0));
        assertFalse(Errno.isRetry(Errno.EAGAIN));
    }

    @Test
    void everyMappedCodeHasADescription()
    {
        final int[] errnos = {Errno.ECONNRESET, Errno.EPIPE, Errno.ECONNREFUSED, Errno.ECANCELED, ENOMEM};
        for (final int errno : errnos)
        {
            final int code = Errno.ioError(-errno);
            assertTrue(code < 0 && !IoResult.describe(code).isEmpty());
        }
    }
}
