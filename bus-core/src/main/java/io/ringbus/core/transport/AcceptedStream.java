package io.ringbus.core.transport;

import io.ringbus.core.backend.IoChannel;
import io.ringbus.core.backend.IoChannelHandler;

import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.function.BiConsumer;

/**
 * A client connection of a transport that brings its own sockets (QUIC over UDP), handed to the
 * bus once its handshake is done: the stream that carries the frames, not yet bound to a
 * {@link Connection}. Owned by the shard it was handed on.
 */
public interface AcceptedStream
{
    /** The peer's address. */
    InetSocketAddress remoteAddress();

    /** Bind the stream to {@code handler}: from now on it is an {@link IoChannel} like a TCP socket. */
    IoChannel bind(IoChannelHandler handler);

    /** Refuse the connection (the bus is full or stopping), telling the peer why. */
    void refuse(String reason);

    /** Details for ClientConnMeta (TLS protocol, cipher suite, ALPN ...). */
    void describe(BiConsumer<String, String> details);

    /** The client's verified certificate (mutual TLS), for ClientConnMeta; null when it presented none. */
    default X509Certificate peerCertificate()
    {
        return null;
    }
}
