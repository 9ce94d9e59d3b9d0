package io.ringbus.quic.bus;

import io.ringbus.core.transport.RawPeer;
import io.ringbus.quic.interop.FirstDatagramDelayingSocket;
import io.ringbus.quic.interop.KwikSendKicker;
import tech.kwik.core.ConnectionTerminatedEvent;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicStream;
import tech.kwik.core.common.EncryptionLevel;
import tech.kwik.core.frame.StreamFrame;
import tech.kwik.core.impl.QuicConnectionImpl;
import tech.kwik.core.log.NullLogger;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The shared suite's byte-level peer over QUIC: a Kwik client with ALPN {@code ringbus} and one
 * client-opened bidirectional stream whose raw bytes the suite writes and reads. It reads only when
 * asked (a peer that never reads holds the server to one stream window, as a TCP peer that never
 * reads holds it to the socket buffers).
 *
 * <p>Two differences from a TCP socket are bridged so that the suite's expectations hold: a
 * CONNECTION_CLOSE may drop stream bytes not yet sent, so {@link #close()} first finishes the
 * stream (FIN after the last byte written, as TCP's close does) and discards what the server still
 * sends until it closes the connection; and a server that closes the connection while a write is
 * under way aborts that write, which {@link #write} then reports as done (the bytes are lost, as
 * bytes written to a TCP socket whose peer has gone are).
 *
 * <p>Two races of Kwik 0.10.8 / Agent15 3.1 are worked around with the interop peers' classes: a
 * lost wake-up of the stream sender ({@link KwikSendKicker}) and a ServerHello that overtakes the
 * client engine ({@link FirstDatagramDelayingSocket}).
 *
 * <p>One thread writes, one thread reads (each call blocks at most its timeout); {@link #close()}
 * from any thread.
 */
final class KwikRawPeer implements RawPeer
{
    /** Bound on a blocking write (Kwik's stream write waits for flow-control credit without one). */
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(20);
    /** Bound on the orderly part of {@link #close()}, after which the connection is closed regardless. */
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final QuicClientConnection connection;
    private final QuicStream stream;
    private final InputStream in;
    private final OutputStream out;
    private final KwikSendKicker kicker = new KwikSendKicker("kwik-raw-kick");
    private final ExecutorService io = Executors.newCachedThreadPool(task ->
    {
        final Thread thread = new Thread(task, "kwik-raw-io");
        thread.setDaemon(true);
        return thread;
    });
    private final CompletableFuture<ConnectionTerminatedEvent> terminated = new CompletableFuture<>();
    private final byte[] chunk = new byte[64 * 1024];
    private volatile boolean closed;

    /** How the QUIC connection ended, as Kwik reports it (code 0 when it carried no error). */
    record Close(boolean byPeer, boolean application, long code, String reason)
    {
    }

    private KwikRawPeer(final InetSocketAddress server, final X509Certificate trusted) throws IOException
    {
        final QuicClientConnection.Builder builder = QuicClientConnection.newBuilder()
            .host("localhost") // Kwik checks the name against DNS SANs only; the certificate has "localhost"
            .port(server.getPort())
            .preferIPv4() // the bus listens on 127.0.0.1
            .applicationProtocol("ringbus")
            .connectTimeout(Duration.ofSeconds(10))
            .maxIdleTimeout(Duration.ofSeconds(30))
            .maxOpenPeerInitiatedBidirectionalStreams(0)
            .maxOpenPeerInitiatedUnidirectionalStreams(0)
            .logger(new NullLogger())
            .socketFactory(destination -> new FirstDatagramDelayingSocket());
        builder.customTrustStore(trustStore(trusted));
        this.connection = builder.build();
        connection.setConnectionListener(terminated::complete);
        try
        {
            connection.connect();
            this.stream = connection.createStream(true);
        }
        catch (final IOException | RuntimeException ex)
        {
            close();
            throw ex;
        }
        kicker.register(connection, stream);
        this.in = stream.getInputStream();
        this.out = stream.getOutputStream();
    }

    /** A peer connected to {@code server}, trusting exactly {@code trusted}; the stream is open (nothing sent yet). */
    static KwikRawPeer connect(final InetSocketAddress server, final X509Certificate trusted) throws IOException
    {
        return new KwikRawPeer(server, trusted);
    }

    private static KeyStore trustStore(final X509Certificate trusted) throws IOException
    {
        try
        {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("server", trusted);
            return store;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IOException("cannot build a trust store: " + ex, ex);
        }
    }

    @Override
    public void write(final byte[] bytes) throws IOException
    {
        try
        {
            await(io.submit(() ->
            {
                out.write(bytes);
                out.flush();
                return null;
            }), WRITE_TIMEOUT, "writing " + bytes.length + " bytes");
        }
        catch (final IOException ex)
        {
            if (!awaitTerminated())
            {
                throw ex;
            }
            // The server closed the connection during the write (it had read enough to refuse it).
        }
    }

    /** Finish the stream (FIN); the connection stays open. */
    void shutdownOutput() throws IOException
    {
        await(io.submit(() ->
        {
            out.close();
            return null;
        }), WRITE_TIMEOUT, "sending FIN");
    }

    @Override
    public byte[] readUntilClosed(final Duration timeout) throws IOException
    {
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        try
        {
            await(io.submit(() ->
            {
                readInto(received, Integer.MAX_VALUE);
                return null;
            }), timeout, "reading until the server closes (" + received.size() + " bytes so far)");
        }
        finally
        {
            close();
        }
        return received.toByteArray();
    }

    @Override
    public byte[] readFully(final int length, final Duration timeout) throws IOException
    {
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        await(io.submit(() ->
        {
            if (readInto(received, length) < length)
            {
                throw new EOFException("the stream ended after " + received.size() + " of " + length + " bytes");
            }
            return null;
        }), timeout, "reading " + length + " bytes");
        return received.toByteArray();
    }

    /**
     * Read into {@code received} until it holds {@code length} bytes or the stream ends (FIN, or
     * the connection closed by the server). Returns the size reached. On an I/O thread.
     */
    private int readInto(final ByteArrayOutputStream received, final int length) throws IOException
    {
        while (received.size() < length)
        {
            final int read;
            try
            {
                read = in.read(chunk, 0, Math.min(chunk.length, length - received.size()));
            }
            catch (final IOException ex)
            {
                if (awaitTerminated())
                {
                    return received.size(); // the connection closed: the end of the stream
                }
                throw ex;
            }
            if (read < 0)
            {
                return received.size();
            }
            received.write(chunk, 0, read);
        }
        return received.size();
    }

    /** Read and discard until the stream ends or the connection closes. On an I/O thread. */
    private void drain() throws IOException
    {
        try
        {
            while (in.read(chunk) >= 0)
            {
                // discarded, as a closed TCP socket discards what still arrives
            }
        }
        catch (final IOException ex)
        {
            if (!awaitTerminated())
            {
                throw ex;
            }
        }
    }

    /**
     * After a failed stream read: true if the connection has ended. Kwik fails the read before it
     * reports the end to the connection listener, so wait for that report (bounded).
     */
    private boolean awaitTerminated()
    {
        try
        {
            terminated.get(5, TimeUnit.SECONDS);
            return true;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
        catch (final ExecutionException | TimeoutException ex)
        {
            return false;
        }
    }

    /**
     * Send a STREAM frame for {@code streamId} in a 1-RTT packet, bypassing Kwik's own stream limits
     * (which would make {@code createStream} wait for credit the server never gives).
     */
    void sendStreamFrame(final int streamId, final byte[] data)
    {
        ((QuicConnectionImpl)connection).send(new StreamFrame(streamId, data, false), EncryptionLevel.App,
            frame ->
            {
                // Lost: the test waits for the server's close, and a retransmission changes nothing.
            }, true);
    }

    /** Wait for the connection to end; fails if it is still open after {@code timeout}. */
    Close awaitClose(final Duration timeout) throws IOException
    {
        final ConnectionTerminatedEvent event;
        try
        {
            event = terminated.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        catch (final TimeoutException ex)
        {
            throw new IOException("the QUIC connection is still open after " + timeout.toMillis() + " ms");
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the close");
        }
        catch (final ExecutionException ex)
        {
            throw new IOException(ex.getCause());
        }
        final boolean application = event.hasApplicationError();
        final Long code = application ? event.applicationErrorCode() : event.transportErrorCode();
        final String description = event.errorDescription();
        return new Close(event.closedByPeer(), application, !event.hasError() ? 0 : code != null ? code : -1,
            (description != null ? description + " " : "") + "(" + event.closeReason().name() + ")");
    }

    /** True once Kwik reported the connection's end. */
    boolean isTerminated()
    {
        return terminated.isDone();
    }

    private static void await(final Future<?> task, final Duration timeout, final String what) throws IOException
    {
        try
        {
            task.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause();
            if (cause instanceof IOException)
            {
                throw (IOException)cause;
            }
            throw new IOException(what + " failed: " + cause, cause);
        }
        catch (final TimeoutException ex)
        {
            task.cancel(true);
            throw new IOException(what + " did not complete within " + timeout.toMillis() + " ms");
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while " + what);
        }
    }

    /**
     * Finish the stream (FIN after the bytes written), discard what the server still sends until it
     * closes the connection (at most {@link #CLOSE_TIMEOUT}), then close the connection. The server
     * sees what a TCP server sees of a peer that closes its socket.
     */
    @Override
    public void close() throws IOException
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            if (stream != null && !terminated.isDone())
            {
                await(io.submit(() ->
                {
                    out.close();
                    drain();
                    return null;
                }), CLOSE_TIMEOUT, "finishing the stream");
            }
        }
        catch (final IOException ex)
        {
            if (!awaitTerminated())
            {
                throw ex; // not because the server closed first
            }
        }
        finally
        {
            kicker.close();
            if (connection != null)
            {
                connection.close();
            }
            io.shutdownNow();
        }
    }
}
