package io.ringbus.uring;

import io.netty.channel.ChannelException;
import io.netty.channel.unix.Socket;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * Netty's native socket calls (bind, listen, getpeername, setsockopt, shutdown, close) on a
 * descriptor whose address family we choose: an IPv4 address gets an AF_INET socket, so addresses
 * read back are plain IPv4 as on NIO. Used for set-up and tear-down only; data moves through the
 * ring. Owner thread.
 */
final class UringSocket extends Socket
{
    UringSocket(final int fd)
    {
        super(fd);
    }

    /** A new stream socket of the family of {@code address}. */
    static UringSocket newStream(final InetAddress address) throws IOException
    {
        try
        {
            return new UringSocket(newSocketStream0(address instanceof Inet6Address));
        }
        catch (final ChannelException ex)
        {
            throw new IOException("socket(): " + ex.getMessage(), ex);
        }
    }

    /** A new non-blocking datagram (UDP) socket of the family of {@code address}. */
    static UringSocket newDatagram(final InetAddress address) throws IOException
    {
        try
        {
            return new UringSocket(newSocketDgram0(address instanceof Inet6Address));
        }
        catch (final ChannelException ex)
        {
            throw new IOException("socket(): " + ex.getMessage(), ex);
        }
    }

    /** Close {@code fd} now; errors are reported by the return value only (teardown path). */
    static boolean closeQuietly(final int fd)
    {
        try
        {
            new io.netty.channel.unix.FileDescriptor(fd).close();
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }
}
