package io.ringbus.quic.bus;

import io.ringbus.quic.conn.DatagramSink;
import io.ringbus.quic.conn.QuicConnection;
import io.ringbus.quic.conn.QuicConnectionConfig;
import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.packet.LongHeader;
import io.ringbus.quic.packet.PacketProtection;
import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.packet.VarInt;
import io.ringbus.quic.tls.QuicTls;
import io.ringbus.quic.tls.QuicTlsConfig;
import io.ringbus.quic.tls.TransportParameters;

import java.util.concurrent.TimeUnit;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.function.Consumer;
import java.util.function.BooleanSupplier;
import java.time.Duration;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Our own {@link QuicConnection} as a client, driven by hand on the test thread: the test decides
 * when it runs ({@link #service}), what it receives ({@link #deliver}) and what happens to what it
 * sends ({@link Mode}), so it can start a handshake and stop, or have its first Initial rebuilt
 * at another size ({@link #rebuildInitial}). Its datagrams go out on a channel the test owns
 * (several clients may share one). Test thread only.
 */
final class HandClient implements QuicConnection.Listener, DatagramSink
{
    /** What happens to the datagrams the connection sends. */
    enum Mode
    {
        /** Kept in {@link #captured()}, not sent. */
        CAPTURE,
        /** Sent on the channel. */
        SEND,
        /** Dropped: the client has stopped talking. */
        MUTE
    }

    private static final int CID_LENGTH = 8;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DatagramChannel channel;
    private final QuicConnection connection;
    private final byte[] localCid = new byte[CID_LENGTH];
    private final byte[] initialDcid = new byte[CID_LENGTH];
    private final List<byte[]> captured = new ArrayList<>();
    private Mode mode = Mode.SEND;
    private boolean established;
    private boolean closed;
    private long closeCode = -1;
    private String closeReason;
    private boolean closedByPeer;

    /** A client of a server with {@code trusted}'s certificate (name "localhost"), sending on {@code channel}. */
    HandClient(final DatagramChannel channel, final X509Certificate trusted)
    {
        this.channel = channel;
        RANDOM.nextBytes(localCid);
        RANDOM.nextBytes(initialDcid);
        final QuicTlsConfig tls = QuicTlsConfig.builder().trust(trusted).build();
        final TransportParameters params = new TransportParameters();
        params.maxIdleTimeoutMs = 30_000;
        params.disableActiveMigration = true;
        this.connection = QuicConnection.client(QuicConnectionConfig.DEFAULT, localCid, initialDcid, params,
            listener -> QuicTls.client(tls, "localhost", params, listener), this, this);
    }

    /** Set what happens to what the connection sends from now on. */
    HandClient mode(final Mode mode)
    {
        this.mode = mode;
        return this;
    }

    /** Our Source Connection ID: the server's packets to us carry it as their Destination Connection ID. */
    byte[] localCid()
    {
        return localCid.clone();
    }

    /** Start the handshake (the first flush sends the ClientHello in an Initial). */
    void start()
    {
        final long nowNs = System.nanoTime();
        connection.onTimeout(nowNs);
        connection.flush(nowNs);
    }

    /** A datagram from the server. */
    void deliver(final ByteBuffer datagram)
    {
        final long nowNs = System.nanoTime();
        connection.onDatagram(datagram, nowNs);
        connection.flush(nowNs);
    }

    /** Run due timers and send what is due. */
    void service()
    {
        final long nowNs = System.nanoTime();
        if (nowNs - connection.nextTimeoutNs() >= 0)
        {
            connection.onTimeout(nowNs);
        }
        connection.flush(nowNs);
    }

    /** When {@link #service} is next due (System.nanoTime clock). */
    long nextTimeoutNs()
    {
        return connection.nextTimeoutNs();
    }

    /** The datagrams sent in {@link Mode#CAPTURE}. */
    List<byte[]> captured()
    {
        return captured;
    }

    boolean isEstablished()
    {
        return established;
    }

    boolean isClosed()
    {
        return closed;
    }

    long closeCode()
    {
        return closeCode;
    }

    String closeReason()
    {
        return closeReason;
    }

    boolean closedByPeer()
    {
        return closedByPeer;
    }

    @Override
    public void send(final ByteBuffer datagram)
    {
        switch (mode)
        {
            case CAPTURE:
                final byte[] copy = new byte[datagram.remaining()];
                datagram.duplicate().get(copy);
                captured.add(copy);
                break;
            case SEND:
                try
                {
                    channel.write(datagram);
                }
                catch (final IOException ex)
                {
                    throw new IllegalStateException("sending a datagram of the hand-driven client failed", ex);
                }
                break;
            default:
                break; // MUTE: the client has stopped
        }
    }

    @Override
    public void onEstablished()
    {
        established = true;
    }

    @Override
    public void onStreamData(final ByteBuffer data)
    {
        // the tests of this client never open the stream
    }

    @Override
    public void onStreamFin()
    {
        // as above
    }

    @Override
    public void onWritable()
    {
        // as above
    }

    @Override
    public void onClosed(final long errorCode, final String reason, final boolean byPeer)
    {
        closed = true;
        closeCode = errorCode;
        closeReason = reason;
        closedByPeer = byPeer;
    }

    /**
     * The client Initial {@code original} (a whole datagram holding one Initial packet, as our
     * client's first flight is) rebuilt with the same connection ids, packet number and CRYPTO data,
     * but PADDING to make the datagram exactly {@code datagramSize} bytes: a valid packet that
     * differs only in size.
     */
    static byte[] rebuildInitial(final byte[] original, final int datagramSize) throws QuicException
    {
        final byte[] packet = original.clone();
        final LongHeader header = new LongHeader().parse(ByteBuffer.wrap(packet));
        if (header.type() != LongHeader.Type.INITIAL || header.tokenLength() != 0)
        {
            throw new IllegalArgumentException("not a token-less Initial: " + header.type());
        }
        final byte[] dcid = header.destinationConnectionId();
        final byte[] scid = header.sourceConnectionId();
        final PacketProtection opener = PacketProtection.initial(dcid, true);
        if (!opener.unprotect(packet, 0, header.packetNumberOffset(), header.packetEnd(), -1))
        {
            throw new IllegalArgumentException("the Initial does not open with its Initial keys");
        }
        final long packetNumber = opener.packetNumber();
        final byte[] crypto = cryptoFrames(packet, opener.payloadOffset(), opener.payloadLength());

        final int headerLength = 1 + 4 + 1 + dcid.length + 1 + scid.length + 1 + 2 + 4;
        final int payloadLength = datagramSize - headerLength - CipherSuite.TAG_LENGTH;
        if (payloadLength < crypto.length)
        {
            throw new IllegalArgumentException(datagramSize + " bytes cannot hold the " + crypto.length +
                " bytes of CRYPTO frames");
        }
        final ByteBuffer out = ByteBuffer.allocate(datagramSize);
        out.put((byte)(0xC0 | 3)).putInt(LongHeader.VERSION_1); // Initial, 4-byte packet number
        out.put((byte)dcid.length).put(dcid).put((byte)scid.length).put(scid).put((byte)0);
        VarInt.write(out, 4 + payloadLength + CipherSuite.TAG_LENGTH, 2);
        final int pnOffset = out.position();
        out.putInt((int)packetNumber);
        out.put(crypto); // then PADDING: the zeros already there
        final byte[] rebuilt = out.array();
        final int length = PacketProtection.initial(dcid, true).protect(rebuilt, 0, pnOffset, 4, packetNumber, payloadLength);
        if (length != datagramSize)
        {
            throw new IllegalStateException("rebuilt " + length + " bytes, wanted " + datagramSize);
        }
        return rebuilt;
    }

    /** The CRYPTO frames of a payload made of CRYPTO and PADDING frames only. */
    private static byte[] cryptoFrames(final byte[] packet, final int offset, final int length) throws QuicException
    {
        final ByteBuffer in = ByteBuffer.wrap(packet, offset, length);
        final ByteBuffer out = ByteBuffer.allocate(length);
        while (in.hasRemaining())
        {
            final int type = in.get(in.position()) & 0xFF;
            if (type == 0x00)
            {
                in.get(); // PADDING
                continue;
            }
            if (type != 0x06)
            {
                throw new IllegalArgumentException("frame type 0x" + Integer.toHexString(type) + " in the first Initial");
            }
            final int start = in.position();
            in.get();
            VarInt.read(in, "crypto offset");
            final long dataLength = VarInt.read(in, "crypto length");
            in.position(in.position() + (int)dataLength);
            out.put(Arrays.copyOfRange(packet, start, in.position()));
        }
        return Arrays.copyOf(out.array(), out.position());
    }

    /**
     * Receive datagrams from the server on {@code channel} and hand each to {@code onDatagram}, running
     * the clients' timers, until {@code done} holds; fails after {@code timeout}.
     */
    static void pump(final DatagramChannel channel, final Duration timeout, final BooleanSupplier done,
        final Consumer<ByteBuffer> onDatagram, final HandClient... clients) throws IOException
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        final ByteBuffer buffer = ByteBuffer.allocate(65_536);
        try (Selector selector = Selector.open())
        {
            channel.register(selector, SelectionKey.OP_READ);
            while (!done.getAsBoolean())
            {
                final long nowNs = System.nanoTime();
                if (nowNs - deadlineNs > 0)
                {
                    throw new AssertionError("timed out after " + timeout.toMillis() + " ms");
                }
                long waitNs = deadlineNs - nowNs;
                for (final HandClient client : clients)
                {
                    waitNs = Math.min(waitNs, client.nextTimeoutNs() - nowNs);
                }
                if (waitNs > 0)
                {
                    selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNs)));
                    selector.selectedKeys().clear();
                }
                while (channel.receive(buffer.clear()) != null)
                {
                    onDatagram.accept(buffer.flip());
                }
                for (final HandClient client : clients)
                {
                    client.service();
                }
            }
        }
    }
}
