package io.ringbus.bench.harness;

import io.ringbus.core.BusHandler;
import io.ringbus.core.MessageBus;
import io.ringbus.core.SendResult;
import io.ringbus.core.client.ClientConnMeta;
import io.ringbus.core.config.Backend;
import io.ringbus.core.config.BusConfig;
import io.ringbus.core.config.IdleMode;
import io.ringbus.core.frame.FrameBuffer;
import io.ringbus.core.frame.FrameHeader;
import io.ringbus.core.frame.Frames;
import io.ringbus.quic.QuicSettings;
import io.ringbus.quic.packet.CipherSuite;
import org.agrona.DirectBuffer;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLContext;

/**
 * The replicated echo on Ringbus itself: a {@link MessageBus} on the NIO or the io_uring backend,
 * listening on {@code tcp://}, (bus-tls) {@code tls://}, (bus-ws) {@code ws://} or
 * {@code wss://}, or (bus-quic) {@code quic://}, with blocking idle by default (a spinning shard takes a core
 * from the load client on a 2-core machine; {@link IdleMode#SPINNING} is the {@code -spin} servers,
 * measured one at a time), whose {@link BusHandler} answers each
 * request with {@link Frames#reply} (a pooled frame carrying the request's body, sealed) and
 * {@link MessageBus#sendToClient}. The bus's own decoder does what {@link EchoResponder} does for
 * the other servers: it checks size, both checksums, command and cluster, closes the connection on
 * a bad frame, and answers {@code ping_client} with {@code pong_client} itself.
 *
 * <p>{@link #start()} and {@link #close()} from one thread (the harness's); the handler runs on
 * the shard that owns the connection.
 */
public final class RingbusEchoServer implements EchoServer
{
    /**
     * Outbound frames a connection may queue. The bus drops a reply that finds the queue full
     * (BACKPRESSURE), which the load client would see as a missing reply; this is far above the
     * harness's windows (128 small requests, 16 bulk ones in flight).
     */
    public static final int PEER_QUEUE_CAPACITY = 4096;

    /** The name of every shard thread begins so (bus-core's default thread factory: ringbus-shard-N). */
    public static final String SHARD_THREAD_PREFIX = "ringbus-shard-";

    /**
     * QUIC flow-control windows of the ringbus-quic listener, the same as the netty-quic and
     * kwik-quic peers advertise and the load client ({@link QuicLoadLink}): 8 MiB per stream,
     * 16 MiB per connection, far above the bulk test's 1 MiB in flight, so that no server is held
     * back by a smaller window than another.
     */
    public static final int QUIC_STREAM_WINDOW = (int)QuicLoadLink.STREAM_WINDOW;
    /** Connection flow-control window of the ringbus-quic listener; see {@link #QUIC_STREAM_WINDOW}. */
    public static final int QUIC_CONNECTION_WINDOW = (int)QuicLoadLink.CONNECTION_WINDOW;
    /**
     * The one TLS 1.3 suite the ringbus-quic listener accepts: AES-128-GCM, what BoringSSL
     * (netty-quic) picks on a CPU with AES instructions, so that the QUIC servers encrypt alike.
     */
    public static final CipherSuite QUIC_CIPHER_SUITE = CipherSuite.AES_128_GCM_SHA256;

    /** The schemes this server can listen on; bus-tls, bus-ws and bus-quic provide all but tcp. */
    public enum Scheme
    {
        TCP("tcp", false, Framing.STREAM),
        TLS("tls", true, Framing.STREAM),
        WS("ws", false, Framing.WEBSOCKET),
        WSS("wss", true, Framing.WEBSOCKET),
        /** QUIC v1 over UDP; TLS 1.3 is QUIC's own, so the load client needs no SSLContext. */
        QUIC("quic", false, Framing.QUIC);

        private final String uriScheme;
        private final boolean tls;
        private final Framing framing;

        Scheme(final String uriScheme, final boolean tls, final Framing framing)
        {
            this.uriScheme = uriScheme;
            this.tls = tls;
            this.framing = framing;
        }
    }

    private final Backend backend;
    private final int shards;
    private final Scheme scheme;
    private final IdleMode idleMode;
    private final String name;
    private final AtomicLong droppedReplies = new AtomicLong();
    private MessageBus bus;

    /** A plain tcp:// server. */
    public RingbusEchoServer(final Backend backend, final int shards)
    {
        this(backend, shards, Scheme.TCP);
    }

    /**
     * @param backend NIO or IO_URING (AUTO would make the name lie).
     * @param shards  shard threads; the listener accepts on shard 0 and connections are spread over all.
     * @param tls     listen on tls:// (TLS 1.3, JDK provider, {@link BenchTls}'s certificate) instead of tcp://.
     */
    public RingbusEchoServer(final Backend backend, final int shards, final boolean tls)
    {
        this(backend, shards, tls ? Scheme.TLS : Scheme.TCP);
    }

    /**
     * @param backend NIO or IO_URING (AUTO would make the name lie).
     * @param shards  shard threads; the listener accepts on shard 0 and connections are spread over all.
     * @param scheme  what to listen on; tls and wss present {@link BenchTls}'s certificate (TLS 1.3,
     *                JDK provider); ws and wss use the default WebSocket limits, which follow the
     *                bus max_message_size, and accept any path; quic presents the same certificate
     *                through bus-quic's own TLS 1.3 engine ({@link #QUIC_CIPHER_SUITE} only, windows
     *                {@link #QUIC_STREAM_WINDOW} and {@link #QUIC_CONNECTION_WINDOW}).
     */
    public RingbusEchoServer(final Backend backend, final int shards, final Scheme scheme)
    {
        this(backend, shards, scheme, IdleMode.BLOCKING);
    }

    /**
     * As {@link #RingbusEchoServer(Backend, int, Scheme)} with the shards' idle mode: BLOCKING, or
     * SPINNING (name suffix {@code -spin}; each shard takes a core).
     */
    public RingbusEchoServer(final Backend backend, final int shards, final Scheme scheme, final IdleMode idleMode)
    {
        if (backend != Backend.NIO && backend != Backend.IO_URING)
        {
            throw new IllegalArgumentException("backend = " + backend + ": NIO or IO_URING");
        }
        if (shards < 1)
        {
            throw new IllegalArgumentException("shards = " + shards + ": at least 1");
        }
        this.backend = backend;
        this.shards = shards;
        this.scheme = scheme;
        this.idleMode = idleMode;
        final String spin = idleMode == IdleMode.SPINNING ? "-spin" : "";
        final String backendName = backend == Backend.IO_URING ? "uring" : "nio";
        if (scheme == Scheme.TCP)
        {
            this.name = "ringbus-" + backendName + spin;
        }
        else
        {
            // ringbus-tls, ringbus-ws, ringbus-wss on NIO; ringbus-tls-uring and so on.
            this.name = "ringbus-" + scheme.uriScheme + (backend == Backend.NIO ? "" : "-" + backendName) + spin;
        }
    }

    @Override
    public InetSocketAddress start()
    {
        if (bus != null)
        {
            throw new IllegalStateException(name + " already started");
        }
        final BusConfig.Builder config = BusConfig.builder()
            .shards(shards)
            .backend(backend)
            .cluster(CLUSTER_HI, CLUSTER_LO)
            .maxMessageSize(EchoResponder.MAX_FRAME_SIZE)
            .peerQueueCapacity(PEER_QUEUE_CAPACITY)
            .idleMode(idleMode);
        if (scheme.tls)
        {
            // wss reads its certificate under "wss" first, then "tls" (bus-ws WssTransportProvider).
            config.transportSettings(scheme.uriScheme, BenchTls.ringbusServerSettings());
        }
        else if (scheme == Scheme.QUIC)
        {
            config.transportSettings(scheme.uriScheme, QuicSettings.builder()
                .tls(BenchTls.ringbusServerSettings())
                .cipherSuites(QUIC_CIPHER_SUITE)
                .streamWindow(QUIC_STREAM_WINDOW)
                .connectionWindow(QUIC_CONNECTION_WINDOW)
                .build());
        }
        bus = MessageBus.start(config.build(), new EchoHandler(droppedReplies));
        try
        {
            return bus.listen(URI.create(scheme.uriScheme + "://127.0.0.1:0"));
        }
        catch (final RuntimeException ex)
        {
            close();
            throw ex;
        }
    }

    @Override
    public void close()
    {
        if (bus != null)
        {
            bus.close();
            bus = null;
        }
        final long dropped = droppedReplies.get();
        if (dropped > 0)
        {
            System.err.println(name + ": " + dropped + " replies dropped (backpressure or closed connection)");
        }
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public boolean spinsWhenIdle()
    {
        return idleMode == IdleMode.SPINNING;
    }

    @Override
    public String ioThreadNamePrefix()
    {
        return SHARD_THREAD_PREFIX;
    }

    @Override
    public SSLContext clientTls()
    {
        return scheme.tls ? BenchTls.clientContext() : null;
    }

    @Override
    public Framing clientFraming()
    {
        return scheme.framing;
    }

    /** Replies the bus refused (queue full, connection gone) since construction. */
    public long droppedReplies()
    {
        return droppedReplies.get();
    }

    /** Stateless apart from the drop counter: one instance serves every shard. */
    private static final class EchoHandler implements BusHandler
    {
        private final AtomicLong droppedReplies;

        EchoHandler(final AtomicLong droppedReplies)
        {
            this.droppedReplies = droppedReplies;
        }

        @Override
        public void onClientRequest(
            final MessageBus bus,
            final ClientConnMeta client,
            final DirectBuffer buffer,
            final int offset,
            final int length)
        {
            final FrameBuffer reply = Frames.reply(bus.pool(), buffer, offset, buffer,
                offset + FrameHeader.HEADER_SIZE, length - FrameHeader.HEADER_SIZE, FrameHeader.REPLICA_NONE);
            if (bus.sendToClient(client.clientId(), reply) != SendResult.OK)
            {
                droppedReplies.incrementAndGet();
            }
        }
    }
}
