package io.ringbus.uring;

import io.ringbus.core.backend.AcceptedSocket;

import java.net.InetSocketAddress;

/**
 * A descriptor accepted by one shard's ring, on its way to the ring of the shard that owns it (fd
 * delegation): only the int travels, through the owner's mailbox, and nothing has been read from it.
 * Created on the accepting shard; used on the owner (the mailbox orders the hand-over).
 */
final class UringAcceptedSocket implements AcceptedSocket
{
    private final int fd;
    private UringSocket socket;
    private InetSocketAddress remote;
    private boolean released;

    UringAcceptedSocket(final int fd)
    {
        this.fd = fd;
    }

    /** The descriptor number (for tests and logs). */
    int fd()
    {
        return fd;
    }

    /** Netty's socket calls on the descriptor (made once, on the first use). */
    UringSocket socket()
    {
        if (socket == null)
        {
            socket = new UringSocket(fd);
        }
        return socket;
    }

    @Override
    public InetSocketAddress remoteAddress()
    {
        if (remote == null && !released)
        {
            remote = socket().remoteAddress(); // getpeername; null if the peer is already gone
        }
        return remote;
    }

    /** Take the descriptor for registration with the owner's ring; after this, {@link #close()} does nothing. */
    int take()
    {
        if (released)
        {
            throw new IllegalStateException("fd " + fd + " was already registered or closed");
        }
        released = true;
        return fd;
    }

    @Override
    public void close()
    {
        if (!released)
        {
            released = true;
            UringSocket.closeQuietly(fd);
        }
    }

    @Override
    public String toString()
    {
        return "UringAcceptedSocket{fd=" + fd + ", remote=" + remote + "}";
    }
}
