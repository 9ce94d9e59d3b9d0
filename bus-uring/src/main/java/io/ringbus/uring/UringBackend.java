package io.ringbus.uring;

import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoRegistration;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringIoHandlerConfig;
import io.netty.util.concurrent.ThreadAwareExecutor;
import io.ringbus.core.backend.AcceptedSocket;
import io.ringbus.core.backend.IoBackend;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.IoChannelHandler;
import io.ringbus.core.backend.IoDatagramSocket;
import io.ringbus.core.backend.IoListener;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * The io_uring backend of one shard: one ring, driven by Netty 4.2's {@link IoUringIoHandler} from
 * the shard's own thread (no Netty event loop). {@link #poll(long)} is one {@link RingDriver} poll:
 * one {@code io_uring_enter} at most that submits the SQEs queued since the last poll and, when asked
 * to block, waits in the same call (until a completion, {@link #wakeup()} through the ring's eventfd,
 * or the timeout); none when nothing is queued and the kernel flags no work. Then it delivers each
 * completion to its {@link UringChannel} or {@link UringListener}, which turns it into one
 * {@code IoChannelHandler} call; what those calls queue goes out with the next poll. Polling
 * allocates nothing. (With another Netty whose internals {@link RingDriver} does not find, a poll is
 * one {@code IoUringIoHandler.run}.) See the package documentation for the user_data layout and the
 * buffers.
 *
 * <p>The ring is set up with {@code IORING_SETUP_SINGLE_ISSUER} and, where the kernel has it,
 * {@code DEFER_TASKRUN} (Netty's defaults), so it is enabled lazily by the first call from the shard
 * thread, which from then on is the only thread that may submit. Shard thread only, except
 * {@link #wakeup()} (any thread); the constructor runs on the thread that builds the bus.
 */
public final class UringBackend implements IoBackend
{
    private static final System.Logger LOG = System.getLogger(UringBackend.class.getName());
    private static final int LISTEN_BACKLOG = 1024;
    private static final long TEARDOWN_NS = 1_000_000_000L;
    private static final long TEARDOWN_POLL_NS = 1_000_000L;

    private final int shardIndex;
    private final ShardExecutor executor;
    private final IoHandler ring;
    /** Polls the ring with one io_uring_enter at most and no allocation; null: Netty's {@code run} does. */
    private final RingDriver driver;
    private final PollContext context = new PollContext();
    private final Set<UringHandle> handles = new HashSet<>();
    private final ArrayDeque<UringListener> rearms = new ArrayDeque<>();
    private boolean started;
    private boolean closed;
    private long callbackFailures;
    private long acceptFailures;
    private long unexpectedCompletions;
    private int lastAcceptErrno;

    /** A backend for shard {@code shardIndex} with Netty's default ring sizes. */
    public UringBackend(final int shardIndex)
    {
        this(shardIndex, new IoUringIoHandlerConfig());
    }

    /** A backend for shard {@code shardIndex} with the given ring configuration. */
    public UringBackend(final int shardIndex, final IoUringIoHandlerConfig config)
    {
        IoUring.ensureAvailability();
        this.shardIndex = shardIndex;
        this.executor = new ShardExecutor(shardIndex);
        this.ring = IoUringIoHandler.newFactory(config).newHandler(executor);
        this.driver = RingDriver.of(ring);
        if (driver == null)
        {
            LOG.log(Level.WARNING, "shard " + shardIndex + ": polling through IoUringIoHandler.run (allocates per " +
                "poll, enters the ring more than once per cycle): " + RingDriver.UNAVAILABILITY);
        }
    }

    @Override
    public String name()
    {
        return UringBackendProvider.NAME;
    }

    @Override
    public int poll(final long timeoutNs) throws IOException
    {
        if (closed)
        {
            return 0;
        }
        ensureStarted();
        for (int i = rearms.size(); i > 0; i--)
        {
            rearms.poll().arm();
        }
        try
        {
            if (driver != null)
            {
                return driver.poll(timeoutNs);
            }
            context.arm(timeoutNs);
            return ring.run(context);
        }
        catch (final UncheckedIOException ex)
        {
            throw ex.getCause(); // io_uring_enter failed
        }
    }

    @Override
    public void wakeup()
    {
        ring.wakeup();
    }

    @Override
    public IoListener listen(final InetSocketAddress address, final Consumer<AcceptedSocket> onAccept)
        throws IOException
    {
        ensureStarted();
        checkResolved(address);
        final UringSocket socket = UringSocket.newStream(address.getAddress());
        try
        {
            socket.setReuseAddress(true);
            socket.bind(address);
            socket.listen(LISTEN_BACKLOG);
            final UringListener listener = new UringListener(this, socket.intValue(), socket.localAddress(), onAccept,
                IoUring.isAcceptMultishotEnabled());
            listener.registration = registerHandle(listener);
            listener.arm();
            return listener;
        }
        catch (final IOException | RuntimeException ex)
        {
            UringSocket.closeQuietly(socket.intValue());
            throw ex;
        }
    }

    @Override
    public IoChannel register(final AcceptedSocket socket, final IoChannelHandler handler) throws IOException
    {
        ensureStarted();
        if (!(socket instanceof UringAcceptedSocket))
        {
            throw new IllegalArgumentException("not a socket accepted by an io_uring backend: " + socket);
        }
        final UringAcceptedSocket accepted = (UringAcceptedSocket)socket;
        final InetSocketAddress remote = accepted.remoteAddress();
        final UringSocket acceptedSocket = accepted.socket();
        final int fd = accepted.take();
        try
        {
            try
            {
                acceptedSocket.setTcpNoDelay(true);
            }
            catch (final IOException ignore)
            {
                // A peer already gone: the first read reports how, as on NIO.
            }
            final UringChannel channel = new UringChannel(this, fd, handler, remote, true);
            channel.registration = registerHandle(channel);
            return channel;
        }
        catch (final IOException | RuntimeException ex)
        {
            UringSocket.closeQuietly(fd);
            throw ex;
        }
    }

    @Override
    public IoChannel connect(final InetSocketAddress address, final IoChannelHandler handler) throws IOException
    {
        ensureStarted();
        checkResolved(address);
        final UringSocket socket = UringSocket.newStream(address.getAddress());
        try
        {
            socket.setTcpNoDelay(true);
            final UringChannel channel = new UringChannel(this, socket.intValue(), handler, address, false);
            channel.registration = registerHandle(channel);
            channel.startConnect(address);
            return channel;
        }
        catch (final IOException | RuntimeException ex)
        {
            UringSocket.closeQuietly(socket.intValue());
            throw ex;
        }
    }

    /**
     * A UDP socket watched by a POLL_ADD(POLLIN) on this ring: multishot where Netty enables it
     * ({@link IoUring#isPollAddMultishotEnabled()}), else re-armed after each completion. See
     * {@link UringDatagramSocket}.
     */
    @Override
    public IoDatagramSocket openDatagram(final InetSocketAddress address, final InetSocketAddress connectTo,
        final Runnable onReadable) throws IOException
    {
        return openDatagram(address, connectTo, onReadable, IoUring.isPollAddMultishotEnabled());
    }

    /** {@link #openDatagram(InetSocketAddress, InetSocketAddress, Runnable)} with the poll mode chosen (tests). */
    UringDatagramSocket openDatagram(final InetSocketAddress address, final InetSocketAddress connectTo,
        final Runnable onReadable, final boolean multishot) throws IOException
    {
        ensureStarted();
        final UringSocket socket = UringDatagramSocket.newSocket(address, connectTo);
        try
        {
            final UringDatagramSocket datagram = new UringDatagramSocket(this, socket, onReadable, connectTo != null,
                multishot);
            datagram.registration = registerHandle(datagram);
            datagram.arm();
            return datagram;
        }
        catch (final IOException | RuntimeException ex)
        {
            UringSocket.closeQuietly(socket.intValue());
            throw ex;
        }
    }

    /**
     * Close every handle still registered (cancel, then CLOSE through the ring) and run the ring
     * until they are gone (at most a second), then let Netty tear the ring down
     * ({@code prepareToDestroy}/{@code destroy}), and close at once any descriptor whose CLOSE never
     * reached the ring. A descriptor whose CLOSE was queued but not seen to complete is left alone
     * rather than closed twice: its number may already belong to another shard's socket. Each
     * channel whose CLOSE completes here tells its handler it is quiescent (the pump's buffers go
     * back to the pool); one that never got there does not, so its buffers stay unreleased rather
     * than be reused while the kernel may still hold them.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            ensureStarted();
            drainHandles();
            ring.prepareToDestroy();
            ring.destroy();
        }
        catch (final RuntimeException ex)
        {
            LOG.log(Level.ERROR, "shard " + shardIndex + ": io_uring teardown failed", ex);
        }
        finally
        {
            for (final UringHandle handle : new ArrayList<>(handles))
            {
                handle.ops.releaseFdNow();
            }
            handles.clear();
            rearms.clear();
        }
    }

    /**
     * Close every handle and run the ring until their CLOSEs completed (bounded by
     * {@link #TEARDOWN_NS}). Netty's own teardown stops processing once the completion queue is
     * momentarily empty, which can strand a CLOSE queued in answer to a late -ECANCELED.
     */
    private void drainHandles()
    {
        for (final UringHandle handle : new ArrayList<>(handles))
        {
            handle.close();
        }
        final long deadlineNs = System.nanoTime() + TEARDOWN_NS;
        while (!handles.isEmpty() && System.nanoTime() - deadlineNs < 0)
        {
            context.arm(TEARDOWN_POLL_NS);
            ring.run(context);
        }
        if (!handles.isEmpty())
        {
            LOG.log(Level.WARNING, "shard " + shardIndex + ": " + handles.size() +
                " io_uring handle(s) still open after " + TEARDOWN_NS / 1_000_000 + " ms of teardown");
        }
    }

    /** Completions a channel handler threw on (logged). Shard thread; others read a snapshot. */
    public long callbackFailures()
    {
        return callbackFailures;
    }

    /** Failed accepts (EMFILE and the like; logged when the errno changes). */
    public long acceptFailures()
    {
        return acceptFailures;
    }

    /** Completions no in-flight operation was waiting for (a bug if ever non-zero). */
    public long unexpectedCompletions()
    {
        return unexpectedCompletions;
    }

    /** {@code io_uring_enter} calls made by polls ({@link RingDriver}), -1 without it (tests). Shard thread. */
    long pollEnters()
    {
        return driver == null ? -1 : driver.enters();
    }

    /** Descriptors (channels, listeners and datagram sockets) registered with this ring now. Shard thread. */
    public int registeredHandles()
    {
        return handles.size();
    }

    // ---------------------------------------------------------------------------------------------
    // Called by the handles, on the shard thread

    void track(final UringHandle handle)
    {
        handles.add(handle);
    }

    void untrack(final UringHandle handle)
    {
        handles.remove(handle);
    }

    void rearmLater(final UringListener listener)
    {
        rearms.add(listener);
    }

    void onCallbackFailure(final UringHandle handle, final long data, final RuntimeException ex)
    {
        callbackFailures++;
        LOG.log(Level.ERROR, "shard " + shardIndex + ": " + handle + " failed handling its " +
            OpData.kindName(OpData.kind(data)) + " completion", ex);
    }

    void onAcceptFailure(final UringListener listener, final int res)
    {
        acceptFailures++;
        if (res != lastAcceptErrno)
        {
            lastAcceptErrno = res;
            LOG.log(Level.WARNING, "shard " + shardIndex + ": accept on " + listener.localAddress() +
                " failed, errno " + -res + " (retrying on the next poll)");
        }
    }

    void onCloseFailure(final UringHandle handle, final int res)
    {
        LOG.log(Level.DEBUG, () -> "shard " + shardIndex + ": close of " + handle + " returned errno " + -res);
    }

    void onUnexpectedCompletion(final UringHandle handle, final int res, final long data)
    {
        unexpectedCompletions++;
        LOG.log(Level.WARNING, "shard " + shardIndex + ": " + handle + ": unexpected " +
            OpData.kindName(OpData.kind(data)) + " completion (sequence " + OpData.sequence(data) + ", res " + res + ")");
    }

    // ---------------------------------------------------------------------------------------------

    private void ensureStarted()
    {
        final Thread current = Thread.currentThread();
        if (!started)
        {
            // SINGLE_ISSUER: the thread that enables the ring is the only one that may submit to it.
            executor.thread = current;
            ring.initialize();
            started = true;
        }
        else if (current != executor.thread)
        {
            throw new IllegalStateException("io_uring backend of shard " + shardIndex + " used from " +
                current.getName() + ", not from its shard thread " + executor.thread.getName());
        }
    }

    private IoRegistration registerHandle(final UringHandle handle) throws IOException
    {
        try
        {
            return ring.register(handle);
        }
        catch (final Exception ex)
        {
            throw new IOException("io_uring registration failed: " + ex.getMessage(), ex);
        }
    }

    private static void checkResolved(final InetSocketAddress address) throws IOException
    {
        if (address.isUnresolved())
        {
            throw new IOException("unresolved address: " + address);
        }
    }

    /** Tells Netty which thread is ours; nothing is ever handed to it to run. */
    private static final class ShardExecutor implements ThreadAwareExecutor
    {
        private final int shardIndex;
        volatile Thread thread;

        ShardExecutor(final int shardIndex)
        {
            this.shardIndex = shardIndex;
        }

        @Override
        public boolean isExecutorThread(final Thread candidate)
        {
            return candidate == thread;
        }

        @Override
        public void execute(final Runnable command)
        {
            // Netty only hands work here when a submission comes from another thread, which our
            // contract forbids: fail loudly instead of queueing it where nothing would run it.
            throw new RejectedExecutionException("io_uring backend of shard " + shardIndex +
                ": submissions only from the shard thread");
        }
    }

    /** The one {@link IoHandlerContext}, re-armed for each poll (no allocation). */
    private static final class PollContext implements IoHandlerContext
    {
        private static final long NO_DEADLINE = -1;
        private boolean canBlock;
        private long deadlineNs = NO_DEADLINE;

        void arm(final long timeoutNs)
        {
            canBlock = timeoutNs != 0;
            if (timeoutNs <= 0)
            {
                deadlineNs = NO_DEADLINE; // 0: irrelevant, never blocks; negative: block without bound
            }
            else
            {
                final long deadline = System.nanoTime() + timeoutNs;
                deadlineNs = deadline == NO_DEADLINE ? deadline - 1 : deadline;
            }
        }

        @Override
        public boolean canBlock()
        {
            return canBlock;
        }

        @Override
        public long delayNanos(final long currentTimeNanos)
        {
            return deadlineNs == NO_DEADLINE ? Long.MAX_VALUE : Math.max(0, deadlineNs - currentTimeNanos);
        }

        @Override
        public long deadlineNanos()
        {
            return deadlineNs;
        }
    }
}
