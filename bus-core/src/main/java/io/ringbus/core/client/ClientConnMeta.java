package io.ringbus.core.client;

import io.ringbus.core.transport.CloseReason;

import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the bus knows about one client connection: its id (which carries the owning shard), the
 * peer's address, the transport scheme, and each transport's details (TLS protocol and cipher,
 * WebSocket path, ...) as named values. Written on the owning shard before the first request is
 * delivered; read-only afterwards.
 */
public final class ClientConnMeta
{
    private final long clientId;
    private final InetSocketAddress peerAddress;
    private final String transport;
    private final Map<String, String> details = new LinkedHashMap<>();
    private volatile CloseReason closeReason;
    private volatile String closeDetail;

    public ClientConnMeta(final long clientId, final InetSocketAddress peerAddress, final String transport)
    {
        this.clientId = clientId;
        this.peerAddress = peerAddress;
        this.transport = transport;
    }

    /** The bus's id for this connection; its top bits name the owning shard. */
    public long clientId()
    {
        return clientId;
    }

    /** The peer's address. */
    public InetSocketAddress peerAddress()
    {
        return peerAddress;
    }

    /** The scheme the client came in on: tcp, tls, ws, wss or quic. */
    public String transport()
    {
        return transport;
    }

    /** A transport detail by name (e.g. "tls.protocol", "ws.path"), or null. */
    public String detail(final String name)
    {
        return details.get(name);
    }

    /** All transport details, in the order they were recorded. */
    public Map<String, String> details()
    {
        return Collections.unmodifiableMap(details);
    }

    /** Record a transport detail. Owning shard, before the connection is visible to the application. */
    public ClientConnMeta detail(final String name, final String value)
    {
        details.put(name, value);
        return this;
    }

    /** Why the connection closed, or null while it is open. */
    public CloseReason closeReason()
    {
        return closeReason;
    }

    /** The detail logged with the close reason, or null. */
    public String closeDetail()
    {
        return closeDetail;
    }

    /** Record the close; called by the bus before {@code onClientClosed}. */
    public void closed(final CloseReason reason, final String detail)
    {
        this.closeDetail = detail;
        this.closeReason = reason;
    }

    @Override
    public String toString()
    {
        return "ClientConnMeta{id=" + Long.toHexString(clientId) + ", peer=" + peerAddress + ", transport=" +
            transport + ", details=" + details + '}';
    }
}
