package io.ringbus.quic.bus;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;

/**
 * A UDP relay between one QUIC client and a server, on loopback: the client talks to
 * {@link #address()}, the server sees every datagram coming from the relay's one server-side socket.
 * It keeps a copy of the first client datagrams ({@link #clientDatagrams()}) and can {@link #inject}
 * datagrams into the server from that same socket, so that to the server they come from the
 * client's address (as an on-path attacker or a corrupting network would send them).
 *
 * <p>One relay thread; {@link #inject} and {@link #clientDatagrams()} from any thread.
 */
final class UdpRelay implements AutoCloseable
{
    private static final int MAX_KEPT = 256;

    private final DatagramChannel clientSide;
    private final DatagramChannel serverSide;
    private final Selector selector;
    private final Thread thread;
    private final List<byte[]> clientDatagrams = new ArrayList<>();
    private volatile SocketAddress client;
    /** Where client datagrams go: the server, or another one after {@link #retarget}. */
    private volatile InetSocketAddress server;
    private volatile IOException failure;

    UdpRelay(final InetSocketAddress server) throws IOException
    {
        this.clientSide = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.serverSide = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.server = server;
        clientSide.configureBlocking(false);
        serverSide.configureBlocking(false);
        this.selector = Selector.open();
        clientSide.register(selector, SelectionKey.OP_READ);
        serverSide.register(selector, SelectionKey.OP_READ);
        this.thread = new Thread(this::run, "udp-relay");
        thread.setDaemon(true);
        thread.start();
    }

    /** Where the client should send. */
    InetSocketAddress address() throws IOException
    {
        return (InetSocketAddress)clientSide.getLocalAddress();
    }

    /** Copies of the first datagrams the client sent, in order. */
    List<byte[]> clientDatagrams()
    {
        synchronized (clientDatagrams)
        {
            return new ArrayList<>(clientDatagrams);
        }
    }

    /** Send {@code datagram} to the server from the relay's server-side socket (the client's address, to the server). */
    void inject(final byte[] datagram) throws IOException
    {
        serverSide.send(ByteBuffer.wrap(datagram), server);
    }

    /** From now on relay the client's datagrams to {@code other} (a server that never saw the client). */
    void retarget(final InetSocketAddress other)
    {
        server = other;
    }

    private void run()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(65_536);
        try
        {
            while (selector.isOpen())
            {
                selector.select();
                selector.selectedKeys().clear();
                SocketAddress from;
                while ((from = clientSide.receive(buffer.clear())) != null)
                {
                    client = from;
                    buffer.flip();
                    keep(buffer);
                    serverSide.send(buffer, server);
                }
                while (serverSide.receive(buffer.clear()) != null)
                {
                    buffer.flip();
                    final SocketAddress to = client;
                    if (to != null)
                    {
                        clientSide.send(buffer, to);
                    }
                }
            }
        }
        catch (final ClosedSelectorException ex)
        {
            // closed: the relay is done
        }
        catch (final IOException ex)
        {
            if (selector.isOpen())
            {
                failure = ex;
            }
        }
    }

    private void keep(final ByteBuffer datagram)
    {
        synchronized (clientDatagrams)
        {
            if (clientDatagrams.size() < MAX_KEPT)
            {
                final byte[] copy = new byte[datagram.remaining()];
                datagram.duplicate().get(copy);
                clientDatagrams.add(copy);
            }
        }
    }

    @Override
    public void close() throws IOException
    {
        selector.close();
        try
        {
            thread.join(5_000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        clientSide.close();
        serverSide.close();
        if (failure != null)
        {
            throw new IOException("the relay failed", failure);
        }
    }
}
