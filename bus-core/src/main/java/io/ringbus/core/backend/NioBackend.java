package io.ringbus.core.backend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The NIO backend: a {@link Selector} per shard, adapted to completions. A read waits for
 * readiness, then reads once and completes. A write is attempted on the next poll without waiting
 * for readiness (the common case on a socket with send-buffer room) and waits for OP_WRITE only
 * when the kernel took nothing.
 */
public final class NioBackend implements IoBackend
{
    /** Socket buffer size asked for datagram sockets: room for bursts of a few hundred datagrams. */
    private static final int DATAGRAM_BUFFER_SIZE = 4 << 20;

    private final Selector selector;
    private final ArrayDeque<NioChannel> writesToTry = new ArrayDeque<>();
    private final Consumer<SelectionKey> keyHandler = this::onSelected; // one instance: no allocation per poll
    private int dispatched;

    public NioBackend()
    {
        try
        {
            selector = Selector.open();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open a selector", ex);
        }
    }

    @Override
    public String name()
    {
        return "nio";
    }

    @Override
    public int poll(final long timeoutNs) throws IOException
    {
        dispatched = tryWrites();
        if (dispatched > 0 || timeoutNs == 0)
        {
            selector.selectNow(keyHandler);
        }
        else if (timeoutNs < 0)
        {
            selector.select(keyHandler);
        }
        else
        {
            selector.select(keyHandler, Math.max(1, timeoutNs / 1_000_000));
        }
        // Writes submitted by the handlers just called (a reply to a request read) completed at
        // submission: deliver them now rather than costing the next poll a select of its own.
        dispatched += tryWrites();
        return dispatched;
    }

    private void onSelected(final SelectionKey key)
    {
        dispatched += dispatch(key);
    }

    private int tryWrites()
    {
        int work = 0;
        for (int i = writesToTry.size(); i > 0; i--)
        {
            final NioChannel channel = writesToTry.poll();
            work += channel.attemptWrite(false);
        }
        return work;
    }

    private static int dispatch(final SelectionKey key)
    {
        final Object attachment = key.attachment();
        if (!key.isValid())
        {
            return 0;
        }
        if (attachment instanceof NioListener)
        {
            return ((NioListener)attachment).acceptAll();
        }
        if (attachment instanceof NioDatagramSocket)
        {
            ((NioDatagramSocket)attachment).onReadable.run();
            return 1;
        }
        final NioChannel channel = (NioChannel)attachment;
        int work = 0;
        final int ready = key.readyOps();
        if ((ready & SelectionKey.OP_CONNECT) != 0)
        {
            work += channel.finishConnect();
        }
        if ((ready & SelectionKey.OP_WRITE) != 0 && key.isValid())
        {
            work += channel.attemptWrite(true);
        }
        if ((ready & SelectionKey.OP_READ) != 0 && key.isValid())
        {
            work += channel.attemptRead();
        }
        return work;
    }

    @Override
    public void wakeup()
    {
        selector.wakeup();
    }

    @Override
    public IoListener listen(final InetSocketAddress address, final Consumer<AcceptedSocket> onAccept) throws IOException
    {
        final ServerSocketChannel server = ServerSocketChannel.open();
        try
        {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(address, 1024);
            server.configureBlocking(false);
            final NioListener listener = new NioListener(server, onAccept);
            server.register(selector, SelectionKey.OP_ACCEPT, listener);
            return listener;
        }
        catch (final IOException ex)
        {
            server.close();
            throw ex;
        }
    }

    @Override
    public IoChannel register(final AcceptedSocket socket, final IoChannelHandler handler) throws IOException
    {
        final SocketChannel channel = ((NioAcceptedSocket)socket).channel;
        final NioChannel nioChannel = new NioChannel(this, channel, handler);
        nioChannel.key = channel.register(selector, 0, nioChannel);
        return nioChannel;
    }

    @Override
    public IoChannel connect(final InetSocketAddress address, final IoChannelHandler handler) throws IOException
    {
        final SocketChannel channel = SocketChannel.open();
        try
        {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            final NioChannel nioChannel = new NioChannel(this, channel, handler);
            nioChannel.key = channel.register(selector, SelectionKey.OP_CONNECT, nioChannel);
            nioChannel.remote = address;
            if (channel.connect(address))
            {
                nioChannel.key.interestOps(0);
                writesToTry.add(nioChannel.connectedAtOnce());
            }
            return nioChannel;
        }
        catch (final IOException ex)
        {
            channel.close();
            throw ex;
        }
    }

    @Override
    public IoDatagramSocket openDatagram(final InetSocketAddress address, final InetSocketAddress connectTo,
        final Runnable onReadable) throws IOException
    {
        final DatagramChannel channel = DatagramChannel.open();
        try
        {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, DATAGRAM_BUFFER_SIZE);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, DATAGRAM_BUFFER_SIZE);
            channel.bind(address);
            if (connectTo != null)
            {
                channel.connect(connectTo);
            }
            channel.configureBlocking(false);
            final NioDatagramSocket socket = new NioDatagramSocket(channel, onReadable);
            channel.register(selector, SelectionKey.OP_READ, socket);
            return socket;
        }
        catch (final IOException ex)
        {
            channel.close();
            throw ex;
        }
    }

    @Override
    public void close()
    {
        for (final SelectionKey key : selector.keys())
        {
            closeQuietly(key.channel());
        }
        closeQuietly(selector);
    }

    static void closeQuietly(final AutoCloseable closeable)
    {
        try
        {
            closeable.close();
        }
        catch (final Exception ignore)
        {
            // Closing is best effort: the descriptor is released either way.
        }
    }

    private static final class NioAcceptedSocket implements AcceptedSocket
    {
        final SocketChannel channel;
        final InetSocketAddress remote;

        NioAcceptedSocket(final SocketChannel channel, final InetSocketAddress remote)
        {
            this.channel = channel;
            this.remote = remote;
        }

        @Override
        public InetSocketAddress remoteAddress()
        {
            return remote;
        }

        @Override
        public void close()
        {
            closeQuietly(channel);
        }
    }

    private static final class NioDatagramSocket implements IoDatagramSocket
    {
        private final DatagramChannel channel;
        private final Runnable onReadable;
        private final InetSocketAddress local;

        NioDatagramSocket(final DatagramChannel channel, final Runnable onReadable) throws IOException
        {
            this.channel = channel;
            this.onReadable = onReadable;
            this.local = (InetSocketAddress)channel.getLocalAddress();
        }

        @Override
        public InetSocketAddress receive(final ByteBuffer dst) throws IOException
        {
            return (InetSocketAddress)channel.receive(dst);
        }

        @Override
        public boolean send(final ByteBuffer src, final InetSocketAddress target) throws IOException
        {
            if (channel.isConnected())
            {
                return channel.write(src) > 0 || !src.hasRemaining();
            }
            return channel.send(src, target) > 0 || !src.hasRemaining();
        }

        @Override
        public InetSocketAddress localAddress()
        {
            return local;
        }

        @Override
        public void close()
        {
            closeQuietly(channel);
        }
    }

    private static final class NioListener implements IoListener
    {
        private final ServerSocketChannel server;
        private final Consumer<AcceptedSocket> onAccept;
        private final InetSocketAddress local;

        NioListener(final ServerSocketChannel server, final Consumer<AcceptedSocket> onAccept) throws IOException
        {
            this.server = server;
            this.onAccept = onAccept;
            this.local = (InetSocketAddress)server.getLocalAddress();
        }

        int acceptAll()
        {
            int accepted = 0;
            while (true)
            {
                final SocketChannel channel;
                try
                {
                    channel = server.accept();
                    if (channel == null)
                    {
                        return accepted;
                    }
                    channel.configureBlocking(false);
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                }
                catch (final IOException ex)
                {
                    // EMFILE and the like: stop this round; the key stays registered for the next one.
                    return accepted;
                }
                InetSocketAddress remote = null;
                try
                {
                    remote = (InetSocketAddress)channel.getRemoteAddress();
                }
                catch (final IOException ignore)
                {
                    // A peer already gone: the owner will see the error on its first read.
                }
                accepted++;
                onAccept.accept(new NioAcceptedSocket(channel, remote));
            }
        }

        @Override
        public InetSocketAddress localAddress()
        {
            return local;
        }

        @Override
        public void close()
        {
            closeQuietly(server);
        }
    }

    private static final class NioChannel implements IoChannel
    {
        private final NioBackend backend;
        private final SocketChannel channel;
        private final IoChannelHandler handler;
        SelectionKey key;
        InetSocketAddress remote;
        private ByteBuffer readBuffer;
        private boolean writePending;
        private long writeResult;
        private boolean connectPending;
        private boolean closed;

        NioChannel(final NioBackend backend, final SocketChannel channel, final IoChannelHandler handler)
        {
            this.backend = backend;
            this.channel = channel;
            this.handler = handler;
        }

        NioChannel connectedAtOnce()
        {
            connectPending = true;
            return this;
        }

        int finishConnect()
        {
            int result;
            try
            {
                channel.finishConnect();
                result = 0;
            }
            catch (final IOException ex)
            {
                result = IoResult.of(ex);
            }
            updateInterest();
            handler.onConnect(result);
            return 1;
        }

        @Override
        public void read(final ByteBuffer dst)
        {
            if (readBuffer != null)
            {
                throw new IllegalStateException("a read is already pending");
            }
            if (!dst.hasRemaining())
            {
                throw new IllegalArgumentException("a read needs room in its buffer");
            }
            if (closed)
            {
                return;
            }
            readBuffer = dst;
            updateInterest();
        }

        int attemptRead()
        {
            final ByteBuffer dst = readBuffer;
            if (dst == null)
            {
                return 0;
            }
            int result;
            try
            {
                result = channel.read(dst);
                if (result == 0)
                {
                    return 0; // spurious wake-up: keep waiting
                }
            }
            catch (final IOException ex)
            {
                result = IoResult.of(ex);
            }
            readBuffer = null;
            updateInterest();
            handler.onRead(result);
            return 1;
        }

        /**
         * The write happens here, at submission, while the buffers' positions are the ones the
         * caller just set (a frame shared by several connections of one shard has one view per
         * shard, so its position must be consumed before the next connection sets it). Only the
         * completion waits: for the next poll, or for OP_WRITE when the kernel took less than all.
         */
        @Override
        public void writev(final ByteBuffer[] srcs, final int count)
        {
            if (writePending)
            {
                throw new IllegalStateException("a write is already pending");
            }
            if (closed)
            {
                return;
            }
            writePending = true;
            long result;
            try
            {
                result = channel.write(srcs, 0, count);
                if (hasRemaining(srcs, count))
                {
                    writeResult = result;
                    updateInterest(SelectionKey.OP_WRITE); // complete once the socket has room again
                    return;
                }
            }
            catch (final IOException ex)
            {
                result = IoResult.of(ex);
            }
            writeResult = result;
            backend.writesToTry.add(this);
        }

        int attemptWrite(final boolean fromReadiness)
        {
            if (connectPending)
            {
                connectPending = false;
                handler.onConnect(closed ? IoResult.CLOSED : 0);
                if (!writePending)
                {
                    return 1;
                }
            }
            if (!writePending || closed)
            {
                return 0;
            }
            final long result = writeResult;
            writePending = false;
            writeResult = 0;
            updateInterest();
            handler.onWrite(result);
            return 1;
        }

        private static boolean hasRemaining(final ByteBuffer[] srcs, final int count)
        {
            for (int i = 0; i < count; i++)
            {
                if (srcs[i].hasRemaining())
                {
                    return true;
                }
            }
            return false;
        }

        private void updateInterest()
        {
            updateInterest(0);
        }

        private void updateInterest(final int extra)
        {
            if (closed || !key.isValid())
            {
                return;
            }
            int ops = extra;
            if (readBuffer != null)
            {
                ops |= SelectionKey.OP_READ;
            }
            if (writePending && ((extra & SelectionKey.OP_WRITE) != 0 || (key.interestOps() & SelectionKey.OP_WRITE) != 0))
            {
                ops |= SelectionKey.OP_WRITE;
            }
            if (!channel.isConnected() && channel.isConnectionPending())
            {
                ops |= SelectionKey.OP_CONNECT;
            }
            if (key.interestOps() != ops)
            {
                key.interestOps(ops);
            }
        }

        @Override
        public void shutdownOutput()
        {
            if (closed)
            {
                return;
            }
            try
            {
                channel.shutdownOutput();
            }
            catch (final IOException ignore)
            {
                // The connection is already gone; the next read reports how.
            }
        }

        @Override
        public void close()
        {
            if (closed)
            {
                return;
            }
            closed = true;
            readBuffer = null;
            writePending = false;
            key.cancel();
            closeQuietly(channel);
        }

        @Override
        public boolean isClosed()
        {
            return closed;
        }

        /**
         * Quiescent as soon as closed: reads and writes copy inside this thread's own calls
         * (attemptRead, writev), and close drops the buffers it held, so nothing touches them later
         * and {@link IoChannelHandler#onQuiescent()} is never needed.
         */
        @Override
        public boolean isQuiescent()
        {
            return closed;
        }

        @Override
        public InetSocketAddress remoteAddress()
        {
            if (remote == null)
            {
                try
                {
                    remote = (InetSocketAddress)channel.getRemoteAddress();
                }
                catch (final IOException ignore)
                {
                    // Unknown once the socket is closed.
                }
            }
            return remote;
        }
    }
}
