package io.ringbus.uring;

import io.netty.channel.uring.IoUring;
import io.ringbus.core.backend.AcceptedSocket;
import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.IoChannelHandler;
import io.ringbus.core.backend.IoListener;
import io.ringbus.core.backend.IoResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The backend driven by hand on the test thread (which becomes the ring's single issuer): each
 * operation, its completion and its IoResult, against plain blocking JDK sockets as peers.
 */
class UringBackendTest
{
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(20);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private UringBackend backend;

    /** Records completions; touched only by the thread polling its backend. */
    static final class Recorder implements IoChannelHandler
    {
        final List<Integer> connects = new CopyOnWriteArrayList<>();
        final List<Integer> reads = new CopyOnWriteArrayList<>();
        final List<Long> writes = new CopyOnWriteArrayList<>();
        int quiescent;

        @Override
        public void onConnect(final int result)
        {
            connects.add(result);
        }

        @Override
        public void onQuiescent()
        {
            quiescent++;
        }

        @Override
        public void onRead(final int result)
        {
            reads.add(result);
        }

        @Override
        public void onWrite(final long result)
        {
            writes.add(result);
        }
    }

    @BeforeEach
    void setUp()
    {
        assumeTrue(IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
        backend = new UringBackend(0);
    }

    @AfterEach
    void tearDown() throws Exception
    {
        for (final AutoCloseable closeable : toClose)
        {
            closeable.close();
        }
        if (backend != null)
        {
            backend.close();
            assertEquals(0, backend.callbackFailures());
            assertEquals(0, backend.unexpectedCompletions());
        }
    }

    private void pollUntil(final BooleanSupplier condition, final String what) throws IOException
    {
        pollUntil(backend, condition, what);
    }

    private static void pollUntil(final UringBackend backend, final BooleanSupplier condition, final String what)
        throws IOException
    {
        final long deadline = System.nanoTime() + TIMEOUT_NS;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("timed out waiting for: " + what);
            }
            backend.poll(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    private Socket peer(final InetSocketAddress address) throws IOException
    {
        final Socket socket = new Socket(address.getAddress(), address.getPort());
        toClose.add(socket);
        return socket;
    }

    /** A listener, one peer connected to it, and the accepted side registered with {@code handler}. */
    private IoChannel acceptOne(final List<AcceptedSocket> accepted, final IoListener listener, final Socket peer,
        final IoChannelHandler handler) throws IOException
    {
        final int before = accepted.size();
        pollUntil(() -> accepted.size() > before, "the connection was accepted");
        final AcceptedSocket socket = accepted.get(before);
        assertEquals(peer.getLocalPort(), socket.remoteAddress().getPort(), "the accepted socket knows its peer");
        final IoChannel channel = backend.register(socket, handler);
        assertEquals(socket.remoteAddress(), channel.remoteAddress());
        return channel;
    }

    private static ByteBuffer direct(final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        final ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length + 8);
        buffer.position(3);
        buffer.put(bytes).flip().position(3); // a non-zero position: the backend must add it to the address
        return buffer;
    }

    private static byte[] readFully(final InputStream in, final int length) throws IOException
    {
        final byte[] bytes = in.readNBytes(length);
        assertEquals(length, bytes.length, "the peer received everything");
        return bytes;
    }

    @Test
    void acceptShortReadWritevEofAndFin() throws Exception
    {
        final List<AcceptedSocket> accepted = new ArrayList<>();
        final IoListener listener = backend.listen(LOOPBACK, accepted::add);
        assertTrue(listener.localAddress().getPort() > 0, "the real port is reported");
        final Socket peer = peer(listener.localAddress());
        final Recorder recorder = new Recorder();
        final IoChannel channel = acceptOne(accepted, listener, peer, recorder);

        final ByteBuffer dst = ByteBuffer.allocateDirect(64);
        dst.position(10);
        channel.read(dst);
        assertThrows(IllegalStateException.class, () -> channel.read(dst), "one read at a time");
        peer.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
        pollUntil(() -> !recorder.reads.isEmpty(), "the short read");
        assertEquals(5, recorder.reads.get(0), "a short read completes with what arrived");
        final byte[] got = new byte[5];
        dst.get(10, got);
        assertEquals("hello", new String(got, StandardCharsets.US_ASCII), "bytes land at the buffer's position");

        final ByteBuffer[] srcs = {direct("ab"), direct("cde"), direct("f")};
        channel.writev(srcs, 3);
        pollUntil(() -> !recorder.writes.isEmpty(), "the writev");
        assertEquals(6L, recorder.writes.get(0));
        assertEquals("abcdef", new String(readFully(peer.getInputStream(), 6), StandardCharsets.US_ASCII));
        assertEquals(3, srcs[0].position(), "positions are not moved");

        peer.shutdownOutput();
        channel.read(dst.clear());
        pollUntil(() -> recorder.reads.size() == 2, "the peer's FIN");
        assertEquals(IoResult.EOF, recorder.reads.get(1));

        channel.shutdownOutput();
        pollUntil(() -> false || readEof(peer), "our FIN");

        channel.close();
        assertTrue(channel.isClosed());
        pollUntil(() -> backend.registeredHandles() == 1, "the channel's CLOSE completed");
        listener.close();
        pollUntil(() -> backend.registeredHandles() == 0, "the listener's CLOSE completed");
        assertEquals(2, recorder.reads.size(), "nothing delivered after close");
    }

    private static boolean readEof(final Socket peer)
    {
        try
        {
            peer.setSoTimeout(1);
            return peer.getInputStream().read() < 0;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    @Test
    void aShortWritevReportsWhatWentAndTheRestFollowsExactly() throws Exception
    {
        final List<AcceptedSocket> accepted = new ArrayList<>();
        final IoListener listener = backend.listen(LOOPBACK, accepted::add);
        final Socket peer = new Socket();
        toClose.add(peer);
        peer.setReceiveBufferSize(64 * 1024);
        peer.connect(listener.localAddress());
        final Recorder recorder = new Recorder();
        final IoChannel channel = acceptOne(accepted, listener, peer, recorder);

        final int frames = 512;
        final int frameSize = 64 * 1024; // 32 MiB in one writev: more than the socket buffers hold
        final ByteBuffer[] srcs = new ByteBuffer[frames];
        long total = 0;
        for (int i = 0; i < frames; i++)
        {
            srcs[i] = ByteBuffer.allocateDirect(frameSize);
            for (int j = 0; j < frameSize; j += 4)
            {
                srcs[i].putInt(j, i * frameSize + j);
            }
            total += frameSize;
        }
        channel.writev(srcs, frames);
        pollUntil(() -> !recorder.writes.isEmpty(), "the first writev");
        final long first = recorder.writes.get(0);
        assertTrue(first > 0 && first < total, "a partial completion: " + first + " of " + total);

        final long expected = total;
        final CompletableFuture<Boolean> verified = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                final InputStream in = new java.io.BufferedInputStream(peer.getInputStream(), 1 << 20);
                final byte[] chunk = new byte[frameSize];
                final ByteBuffer view = ByteBuffer.wrap(chunk);
                boolean inOrder = true;
                for (long offset = 0; offset < expected; offset += frameSize)
                {
                    if (in.readNBytes(chunk, 0, frameSize) != frameSize)
                    {
                        return false;
                    }
                    for (int j = 0; j < frameSize; j += 4)
                    {
                        inOrder &= view.getInt(j) == (int)(offset + j);
                    }
                }
                if (!inOrder)
                {
                    return false;
                }
                return true;
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException(ex);
            }
        });

        // Resume exactly as the pump does: skip what went, move the first buffer's position.
        long written = first;
        int head = 0;
        while (written < total)
        {
            long skip = written;
            head = 0;
            while (skip >= frameSize)
            {
                skip -= frameSize;
                head++;
            }
            final ByteBuffer[] rest = new ByteBuffer[frames - head];
            for (int i = 0; i < rest.length; i++)
            {
                rest[i] = srcs[head + i].duplicate().position(i == 0 ? (int)skip : 0);
            }
            final int before = recorder.writes.size();
            channel.writev(rest, rest.length);
            pollUntil(() -> recorder.writes.size() > before, "a resumed writev");
            final long result = recorder.writes.get(before);
            assertTrue(result > 0, "progress: " + result);
            written += result;
        }
        assertEquals(total, written);
        assertTrue(verified.get(20, TimeUnit.SECONDS), "every byte arrived once, in order");
        assertTrue(((UringChannel)channel).iovecCapacity() >= frames, "one SQE carried every frame");
    }

    @Test
    void aResetPeerGivesResetOnReadAndAnErrorOnWrite() throws Exception
    {
        final List<AcceptedSocket> accepted = new ArrayList<>();
        final IoListener listener = backend.listen(LOOPBACK, accepted::add);
        final Socket peer = peer(listener.localAddress());
        final Recorder recorder = new Recorder();
        final IoChannel channel = acceptOne(accepted, listener, peer, recorder);
        channel.read(ByteBuffer.allocateDirect(64));
        peer.setSoLinger(true, 0);
        peer.close(); // RST
        pollUntil(() -> !recorder.reads.isEmpty(), "the reset");
        assertEquals(IoResult.RESET, recorder.reads.get(0));

        channel.writev(new ByteBuffer[] {direct("late")}, 1);
        pollUntil(() -> !recorder.writes.isEmpty(), "the write after the reset");
        final long result = recorder.writes.get(0);
        assertTrue(result == IoResult.BROKEN_PIPE || result == IoResult.RESET, IoResult.describe(result));
    }

    @Test
    void connectToAClosedPortIsRefused() throws Exception
    {
        final int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            port = probe.getLocalPort();
        }
        final Recorder recorder = new Recorder();
        final IoChannel channel = backend.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), recorder);
        pollUntil(() -> !recorder.connects.isEmpty(), "the refusal");
        assertEquals(IoResult.REFUSED, recorder.connects.get(0));
        channel.close();
        pollUntil(() -> backend.registeredHandles() == 0, "the failed channel closed");
    }

    @Test
    void connectWriteAndReadAgainstAJdkServer() throws Exception
    {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            final Recorder recorder = new Recorder();
            final InetSocketAddress address = (InetSocketAddress)server.getLocalSocketAddress();
            final IoChannel channel = backend.connect(address, recorder);
            assertEquals(address, channel.remoteAddress());
            assertThrows(IllegalStateException.class, () -> channel.read(ByteBuffer.allocateDirect(8)),
                "nothing before the connect completes");
            pollUntil(() -> !recorder.connects.isEmpty(), "the connect");
            assertEquals(0, recorder.connects.get(0));
            final Socket peer = server.accept();
            toClose.add(peer);

            channel.writev(new ByteBuffer[] {direct("ping")}, 1);
            pollUntil(() -> !recorder.writes.isEmpty(), "the write");
            assertEquals("ping", new String(readFully(peer.getInputStream(), 4), StandardCharsets.US_ASCII));

            final ByteBuffer dst = ByteBuffer.allocateDirect(16);
            channel.read(dst);
            peer.getOutputStream().write(new byte[] {1, 2, 3});
            pollUntil(() -> !recorder.reads.isEmpty(), "the read");
            assertEquals(3, recorder.reads.get(0));
            channel.close();
            pollUntil(() -> backend.registeredHandles() == 0, "closed");
        }
    }

    @Test
    void closeWithOperationsInFlightDeliversNothingAndTheSocketIsReleased() throws Exception
    {
        final List<AcceptedSocket> accepted = new ArrayList<>();
        final IoListener listener = backend.listen(LOOPBACK, accepted::add);
        final Socket peer = peer(listener.localAddress());
        final Recorder recorder = new Recorder();
        final IoChannel channel = acceptOne(accepted, listener, peer, recorder);
        channel.read(ByteBuffer.allocateDirect(64));
        backend.poll(0); // the RECV is in the kernel now
        channel.close();
        channel.close(); // idempotent
        assertEquals(UringChannel.State.CLOSING, ((UringChannel)channel).state(), "waiting for the cancelled RECV");
        pollUntil(() -> backend.registeredHandles() == 1, "cancelled, then closed");
        assertEquals(UringChannel.State.CLOSED, ((UringChannel)channel).state());
        assertTrue(recorder.reads.isEmpty(), "a cancelled read completes not at all");
        assertTrue(channel.isQuiescent());
        assertEquals(1, recorder.quiescent, "told once that the buffers are its own again");
        peer.setSoTimeout((int)TimeUnit.NANOSECONDS.toMillis(TIMEOUT_NS));
        assertEquals(-1, peer.getInputStream().read(), "the peer sees our FIN: the descriptor really closed");
    }

    /**
     * Closes {@link #other} from its first read completion, as a pump does when one completion of a
     * batch ends a connection whose own RECV already completed in the kernel (its CQE is next in
     * the batch); snapshots its watched buffer when it becomes quiescent.
     */
    static final class CrossCloser implements IoChannelHandler
    {
        final List<Integer> reads = new ArrayList<>();
        IoChannel other;
        boolean otherQuiescentAtClose = true;
        IoChannel self;
        ByteBuffer watched;
        byte[] atQuiescent;
        UringChannel.State stateAtQuiescent;
        int quiescent;

        @Override
        public void onConnect(final int result)
        {
        }

        @Override
        public void onRead(final int result)
        {
            reads.add(result);
            if (!other.isClosed())
            {
                other.close();
                otherQuiescentAtClose = other.isQuiescent();
            }
        }

        @Override
        public void onWrite(final long result)
        {
        }

        @Override
        public void onQuiescent()
        {
            quiescent++;
            stateAtQuiescent = ((UringChannel)self).state();
            atQuiescent = new byte[watched.capacity()];
            watched.get(0, atQuiescent);
        }
    }

    /**
     * Issue 11, correctness 1, on a real ring: the cancel of a RECV loses the race (the RECV had
     * completed in the kernel, its CQE not yet delivered, when close() was called). The bytes land
     * in the buffer it was given after close() returned, so the channel must not call itself
     * quiescent before that completion: it does so once, after the CLOSE that follows it.
     */
    @Test
    void aRecvThatCompletesAfterCloseIsWaitedForBeforeTheChannelIsQuiescent() throws Exception
    {
        final List<AcceptedSocket> accepted = new ArrayList<>();
        final IoListener listener = backend.listen(LOOPBACK, accepted::add);
        final CrossCloser a = new CrossCloser();
        final CrossCloser b = new CrossCloser();
        final Socket peerA = peer(listener.localAddress());
        final IoChannel channelA = acceptOne(accepted, listener, peerA, a);
        final Socket peerB = peer(listener.localAddress());
        final IoChannel channelB = acceptOne(accepted, listener, peerB, b);
        a.self = channelA;
        a.other = channelB;
        b.self = channelB;
        b.other = channelA;
        a.watched = ByteBuffer.allocateDirect(32);
        b.watched = ByteBuffer.allocateDirect(32);
        final byte[] bytesA = "data for A, sent before close".getBytes(StandardCharsets.US_ASCII);
        final byte[] bytesB = "data for B, sent before close".getBytes(StandardCharsets.US_ASCII);
        peerA.getOutputStream().write(bytesA);
        peerB.getOutputStream().write(bytesB);
        // Both sockets hold their bytes before either RECV is submitted: the next poll issues both,
        // both complete in the kernel, and their CQEs come back in one batch.
        final int port = listener.localAddress().getPort();
        awaitUnread(port, peerA.getLocalPort(), bytesA.length);
        awaitUnread(port, peerB.getLocalPort(), bytesB.length);
        channelA.read(a.watched);
        channelB.read(b.watched);
        pollUntil(() -> a.quiescent + b.quiescent == 1, "the closed channel is quiescent");

        final CrossCloser first = a.reads.isEmpty() ? b : a;
        final CrossCloser second = first == a ? b : a;
        final byte[] secondBytes = second == a ? bytesA : bytesB;
        assertEquals(1, first.reads.size(), "the first completion of the batch was delivered");
        assertTrue(second.reads.isEmpty(), "the completion after close() is not delivered");
        assertFalse(first.otherQuiescentAtClose, "not quiescent at close(): its RECV was still out");
        assertEquals(UringChannel.State.CLOSED, second.stateAtQuiescent, "quiescent once the CLOSE completed");
        assertArrayEquals(secondBytes, java.util.Arrays.copyOf(second.atQuiescent, secondBytes.length),
            "the cancel lost the race: the RECV wrote its bytes into the buffer after close() was called");
        assertEquals(0, first.quiescent);

        first.self.close();
        pollUntil(() -> first.quiescent == 1, "the other channel is quiescent too");
        assertEquals(1, second.quiescent, "told once");
    }

    /** Wait until the accepted socket on {@code localPort} from {@code remotePort} holds {@code bytes} unread. */
    private static void awaitUnread(final int localPort, final int remotePort, final int bytes) throws IOException
    {
        final long deadline = System.nanoTime() + TIMEOUT_NS;
        while (unreadBytes(localPort, remotePort) < bytes)
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("the socket from port " + remotePort + " never held " + bytes + " bytes");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** rx_queue of a TCP socket in /proc/net/tcp{,6}: bytes received and not yet read. */
    private static long unreadBytes(final int localPort, final int remotePort) throws IOException
    {
        final String local = String.format(":%04X", localPort);
        final String remote = String.format(":%04X", remotePort);
        for (final String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"})
        {
            final java.nio.file.Path path = java.nio.file.Path.of(table);
            if (!java.nio.file.Files.exists(path))
            {
                continue;
            }
            for (final String line : java.nio.file.Files.readAllLines(path))
            {
                final String[] fields = line.trim().split("\\s+");
                if (fields.length > 4 && fields[1].endsWith(local) && fields[2].endsWith(remote))
                {
                    return Long.parseLong(fields[4].substring(fields[4].indexOf(':') + 1), 16);
                }
            }
        }
        return 0;
    }

    @Test
    void aCancelledRecvAndWritevAreWaitedForBeforeTheChannelIsQuiescent() throws Exception
    {
        final List<AcceptedSocket> accepted = new ArrayList<>();
        final IoListener listener = backend.listen(LOOPBACK, accepted::add);
        final Socket peer = new Socket();
        toClose.add(peer);
        peer.setReceiveBufferSize(16 * 1024);
        peer.connect(listener.localAddress());
        final Recorder recorder = new Recorder();
        final IoChannel channel = acceptOne(accepted, listener, peer, recorder);
        channel.read(ByteBuffer.allocateDirect(64));
        final ByteBuffer[] srcs = new ByteBuffer[64];
        for (int i = 0; i < srcs.length; i++)
        {
            srcs[i] = ByteBuffer.allocateDirect(64 * 1024); // 4 MiB: more than the peer, never reading, takes
        }
        channel.writev(srcs, srcs.length);
        pollUntil(() -> !recorder.writes.isEmpty(), "the first, short, writev");
        final long first = recorder.writes.get(0);
        assertTrue(first < 64L * 64 * 1024, "the socket is full: " + first);
        channel.writev(new ByteBuffer[] {ByteBuffer.allocateDirect(64 * 1024)}, 1); // waits for room that never comes
        backend.poll(0);

        channel.close();
        assertFalse(channel.isQuiescent(), "a RECV and a WRITEV are in flight");
        pollUntil(() -> recorder.quiescent > 0, "quiescent");
        assertEquals(UringChannel.State.CLOSED, ((UringChannel)channel).state());
        assertTrue(channel.isQuiescent());
        assertEquals(1, recorder.quiescent);
        assertEquals(1, recorder.writes.size(), "the cancelled writev completes not at all");
        assertTrue(recorder.reads.isEmpty(), "the cancelled read completes not at all");
    }

    @Test
    void everyConnectionIsAcceptedAndMultishotIsUsedWhereAvailable() throws Exception
    {
        final List<AcceptedSocket> accepted = new ArrayList<>();
        final UringListener listener = (UringListener)backend.listen(LOOPBACK, accepted::add);
        assertEquals(IoUring.isAcceptMultishotEnabled(), listener.isMultishot());
        final int count = 50;
        for (int i = 0; i < count; i++)
        {
            peer(listener.localAddress());
        }
        pollUntil(() -> accepted.size() == count, "all " + count + " accepted");
        for (final AcceptedSocket socket : accepted)
        {
            socket.close();
        }
        listener.close();
        pollUntil(() -> backend.registeredHandles() == 0, "the listener closed");
        final Socket late = new Socket();
        assertThrows(IOException.class, () -> late.connect(listener.localAddress(), 5_000),
            "the port is closed once the listener's CLOSE completed");
    }

    @Test
    void wakeupEndsABlockingPoll() throws Exception
    {
        backend.poll(0); // binds the ring to this thread
        final AtomicBoolean returned = new AtomicBoolean();
        final Thread waker = new Thread(() ->
        {
            while (!returned.get())
            {
                backend.wakeup();
                // Keep waking until the poll has returned: a wakeup that lands before the poll
                // blocks is consumed by an earlier, non-blocking pass.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        });
        waker.start();
        final long startNs = System.nanoTime();
        backend.poll(TimeUnit.SECONDS.toNanos(60));
        returned.set(true);
        waker.join();
        assertTrue(System.nanoTime() - startNs < TimeUnit.SECONDS.toNanos(50), "woken, not timed out");
    }

    @Test
    void anotherThreadMayNotDriveTheRing() throws Exception
    {
        backend.poll(0);
        final CompletableFuture<Throwable> failure = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                backend.listen(LOOPBACK, socket -> { });
                return null;
            }
            catch (final Throwable ex)
            {
                return ex;
            }
        });
        assertTrue(failure.get(20, TimeUnit.SECONDS) instanceof IllegalStateException);
    }

    @Test
    void anAcceptedDescriptorIsRegisteredWithAnotherShardsRing() throws Exception
    {
        final List<AcceptedSocket> accepted = new ArrayList<>();
        final IoListener listener = backend.listen(LOOPBACK, accepted::add);
        final Socket peer = peer(listener.localAddress());
        pollUntil(() -> accepted.size() == 1, "accepted on shard 0");

        // Shard 1: its own thread and ring, fed through a queue as a shard's mailbox would.
        final UringBackend owner = new UringBackend(1);
        final ConcurrentLinkedQueue<Runnable> mailbox = new ConcurrentLinkedQueue<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final Recorder recorder = new Recorder();
        final CompletableFuture<Void> ownerThread = CompletableFuture.runAsync(() ->
        {
            try
            {
                while (!stop.get())
                {
                    Runnable task;
                    while ((task = mailbox.poll()) != null)
                    {
                        task.run();
                    }
                    owner.poll(TimeUnit.MILLISECONDS.toNanos(1));
                }
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException(ex);
            }
            finally
            {
                owner.close();
            }
        });
        final AcceptedSocket inTransit = accepted.get(0);
        final ByteBuffer dst = ByteBuffer.allocateDirect(16);
        final List<IoChannel> channels = new CopyOnWriteArrayList<>();
        mailbox.add(() ->
        {
            try
            {
                final IoChannel channel = owner.register(inTransit, recorder);
                channels.add(channel);
                channel.read(dst);
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException(ex);
            }
        });
        owner.wakeup();
        peer.getOutputStream().write(new byte[] {42});
        final long deadline = System.nanoTime() + TIMEOUT_NS;
        while (recorder.reads.isEmpty() && System.nanoTime() < deadline)
        {
            backend.poll(TimeUnit.MILLISECONDS.toNanos(1));
        }
        assertEquals(List.of(1), recorder.reads, "the owner's ring read the byte");
        assertArrayEquals(new byte[] {42}, new byte[] {dst.get(0)});
        mailbox.add(() -> channels.get(0).close());
        owner.wakeup();
        peer.setSoTimeout((int)TimeUnit.NANOSECONDS.toMillis(TIMEOUT_NS));
        assertEquals(-1, peer.getInputStream().read(), "closed by the owner");
        stop.set(true);
        owner.wakeup();
        ownerThread.get(20, TimeUnit.SECONDS);
        assertEquals(0, owner.callbackFailures());
    }

    @Test
    void ipv6LoopbackConnectsThroughASockaddrIn6() throws Exception
    {
        final InetAddress ipv6Loopback = InetAddress.getByName("::1");
        try (ServerSocket probe = new ServerSocket(0, 1, ipv6Loopback))
        {
            assumeTrue(probe.isBound(), "no IPv6 loopback");
        }
        catch (final IOException ex)
        {
            assumeTrue(false, "no IPv6 loopback: " + ex);
        }
        final List<AcceptedSocket> accepted = new ArrayList<>();
        final IoListener listener = backend.listen(new InetSocketAddress(ipv6Loopback, 0), accepted::add);
        final Recorder client = new Recorder();
        final IoChannel outbound = backend.connect(listener.localAddress(), client);
        pollUntil(() -> !client.connects.isEmpty() && accepted.size() == 1, "connected over ::1");
        assertEquals(0, client.connects.get(0));
        final Recorder server = new Recorder();
        final IoChannel inbound = backend.register(accepted.get(0), server);
        final ByteBuffer dst = ByteBuffer.allocateDirect(8);
        inbound.read(dst);
        outbound.writev(new ByteBuffer[] {direct("v6")}, 1);
        pollUntil(() -> !server.reads.isEmpty(), "the bytes over ::1");
        assertEquals(2, server.reads.get(0));
        outbound.close();
        inbound.close();
        listener.close();
        pollUntil(() -> backend.registeredHandles() == 0, "all closed");
    }

    @Test
    void noDescriptorOutlivesItsChannelOrTheBackend() throws Exception
    {
        final long before = openDescriptors();
        final UringBackend local = new UringBackend(7);
        final List<AcceptedSocket> accepted = new ArrayList<>();
        final IoListener listener = local.listen(LOOPBACK, accepted::add);
        final List<IoChannel> channels = new ArrayList<>();
        final Recorder recorder = new Recorder();
        for (int i = 0; i < 20; i++)
        {
            channels.add(local.connect(listener.localAddress(), recorder));
        }
        pollUntil(local, () -> recorder.connects.size() == 20 && accepted.size() == 20, "20 pairs");
        for (final AcceptedSocket socket : accepted)
        {
            final IoChannel channel = local.register(socket, new Recorder());
            channel.read(ByteBuffer.allocateDirect(16)); // left in flight: the teardown must cancel it
            channels.add(channel);
        }
        for (int i = 0; i < 10; i++)
        {
            channels.get(i).close(); // some closed by their owner, the rest by the teardown
        }
        pollUntil(local, () -> local.registeredHandles() == 31, "ten closed through the ring");
        local.close();
        assertEquals(before, openDescriptors(), () -> "sockets, ring and eventfd all released: " + describeDescriptors());
    }

    private static String describeDescriptors()
    {
        final StringBuilder out = new StringBuilder();
        try (java.util.stream.Stream<java.nio.file.Path> fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd")))
        {
            fds.forEach(fd ->
            {
                try
                {
                    out.append(fd.getFileName()).append("->").append(java.nio.file.Files.readSymbolicLink(fd)).append(' ');
                }
                catch (final IOException ex)
                {
                    out.append(fd.getFileName()).append("->? ");
                }
            });
        }
        catch (final IOException ex)
        {
            out.append(ex);
        }
        return out.toString();
    }

    private static long openDescriptors() throws IOException
    {
        try (java.util.stream.Stream<java.nio.file.Path> fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd")))
        {
            return fds.count();
        }
    }

    @Test
    void heapBuffersGoThroughTheBounceBuffers() throws Exception
    {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            final Recorder recorder = new Recorder();
            final IoChannel channel = backend.connect((InetSocketAddress)server.getLocalSocketAddress(), recorder);
            pollUntil(() -> !recorder.connects.isEmpty(), "the connect");
            final Socket peer = server.accept();
            toClose.add(peer);

            final ByteBuffer heap = ByteBuffer.allocate(32);
            heap.position(5);
            channel.read(heap);
            peer.getOutputStream().write("tls record".getBytes(StandardCharsets.US_ASCII));
            pollUntil(() -> !recorder.reads.isEmpty(), "the heap read");
            assertEquals(10, recorder.reads.get(0));
            assertEquals("tls record", new String(heap.array(), 5, 10, StandardCharsets.US_ASCII),
                "copied from the bounce at the buffer's position");

            // Heap and direct sources mixed, heap ones at non-zero positions.
            final ByteBuffer heapA = ByteBuffer.wrap("xxHEAP-".getBytes(StandardCharsets.US_ASCII)).position(2);
            final ByteBuffer heapB = ByteBuffer.wrap("-tail".getBytes(StandardCharsets.US_ASCII));
            channel.writev(new ByteBuffer[] {heapA, direct("direct"), heapB}, 3);
            pollUntil(() -> !recorder.writes.isEmpty(), "the mixed write");
            assertEquals(16L, recorder.writes.get(0));
            assertEquals("HEAP-direct-tail", new String(readFully(peer.getInputStream(), 16), StandardCharsets.US_ASCII));
            assertEquals(2, heapA.position(), "positions are not moved");

            // More heap bytes than the bounce holds: a short write, exact up to the cut.
            final byte[] big = new byte[UringChannel.MAX_BOUNCE + 1000];
            for (int i = 0; i < big.length; i++)
            {
                big[i] = (byte)(i * 31);
            }
            channel.writev(new ByteBuffer[] {ByteBuffer.wrap(big)}, 1);
            pollUntil(() -> recorder.writes.size() == 2, "the long heap write");
            final long sent = recorder.writes.get(1);
            assertTrue(sent > 0 && sent <= UringChannel.MAX_BOUNCE, "cut at the bounce: " + sent);
            final byte[] received = readFully(peer.getInputStream(), (int)sent);
            assertArrayEquals(java.util.Arrays.copyOf(big, (int)sent), received);
            channel.close();
            pollUntil(() -> backend.registeredHandles() == 0, "closed");
        }
    }
}
