package io.ringbus.tls;

import java.nio.ByteBuffer;

/**
 * Heap buffers the {@code SSLEngine}s of one thread (a shard) work in, so that a TLS connection
 * holds none of its own between records: the ciphertext being unwrapped and the plaintext it
 * yields (the input side, held by one {@link TlsCarrier} while it advances its engine, since the
 * plaintext is handed on to the frame decoder from there), and the records being wrapped (the
 * output side, copied out to the connection's send buffer before the wrapping call returns, so it
 * is never held across a call).
 *
 * <p>A carrier that advances its engine while another one on the same thread holds the input side
 * (a frame handler closing another TLS connection) gets a private set for that call. Each set only
 * grows, to the largest record batch its thread has seen. Thread-confined.
 */
final class TlsScratch
{
    private static final ThreadLocal<TlsScratch> THREAD = ThreadLocal.withInitial(TlsScratch::new);

    private ByteBuffer in = ByteBuffer.allocate(0);
    private ByteBuffer app = ByteBuffer.allocate(0);
    private ByteBuffer out = ByteBuffer.allocate(0);
    private boolean inputHeld;

    /** This thread's set with its input side held, or a private set if it is held already. */
    static TlsScratch forInput()
    {
        final TlsScratch scratch = THREAD.get();
        if (scratch.inputHeld)
        {
            return new TlsScratch(); // nested: rare, and never on the frame path of one connection
        }
        scratch.inputHeld = true;
        return scratch;
    }

    /** This thread's output buffer, cleared, with room for {@code capacity} bytes (its limit). */
    static ByteBuffer output(final int capacity)
    {
        final TlsScratch scratch = THREAD.get();
        if (scratch.out.capacity() < capacity)
        {
            scratch.out = ByteBuffer.allocate(capacity);
        }
        scratch.out.clear().limit(capacity);
        return scratch.out;
    }

    /** Done with the input side. */
    void releaseInput()
    {
        inputHeld = false;
    }

    /** The ciphertext buffer, cleared, with room for {@code capacity} bytes. */
    ByteBuffer in(final int capacity)
    {
        if (in.capacity() < capacity)
        {
            in = ByteBuffer.allocate(Math.max(capacity, 2 * in.capacity()));
        }
        in.clear();
        return in;
    }

    /** The plaintext buffer with room for {@code capacity} bytes, positioned after what it holds. */
    ByteBuffer app(final int capacity)
    {
        if (app.capacity() < capacity)
        {
            final ByteBuffer larger = ByteBuffer.allocate(capacity);
            app.flip();
            larger.put(app);
            app = larger;
        }
        return app;
    }
}
