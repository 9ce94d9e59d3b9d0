package io.ringbus.core.client;

import io.ringbus.core.transport.CloseReason;

import java.net.InetSocketAddress;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
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
    private String peerSubject;
    private List<String> peerNames = Collections.emptyList();
    private volatile CloseReason closeReason;
    private volatile String closeDetail;

    /** Internal: made by the bus when it accepts a client connection; no compatibility promise. */
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

    /**
     * Record a transport detail. Owning shard, before the connection is visible to the application.
     * Internal: for the bus and its transports; no compatibility promise.
     */
    public ClientConnMeta detail(final String name, final String value)
    {
        details.put(name, value);
        return this;
    }

    /**
     * The subject of the certificate the client presented (mutual TLS on tls, wss or quic), in
     * RFC 2253 form, e.g. {@code CN=client-7,O=Example}; null when it presented none.
     */
    public String peerSubject()
    {
        return peerSubject;
    }

    /**
     * The subject alternative names of the client's certificate, each as {@code TYPE:value} with
     * TYPE one of DNS, IP, URI, email (e.g. {@code DNS:client-7.example}, {@code IP:10.0.0.7});
     * empty when it presented none or the certificate has none.
     */
    public List<String> peerNames()
    {
        return peerNames;
    }

    /**
     * Record the client's certificate (its subject and subject alternative names). Owning shard,
     * before the connection is visible to the application. Internal: for the bus's TLS transports;
     * no compatibility promise.
     *
     * @param leaf the client's leaf certificate, already verified by the transport
     * @return this
     */
    public ClientConnMeta peerCertificate(final X509Certificate leaf)
    {
        this.peerSubject = leaf.getSubjectX500Principal().getName();
        this.peerNames = subjectAlternativeNames(leaf);
        return this;
    }

    /** The SANs of {@code certificate} as {@code TYPE:value} strings (RFC 5280 4.2.1.6 GeneralName tags). */
    static List<String> subjectAlternativeNames(final X509Certificate certificate)
    {
        final Collection<List<?>> entries;
        try
        {
            entries = certificate.getSubjectAlternativeNames();
        }
        catch (final CertificateParsingException ex)
        {
            return Collections.emptyList();
        }
        if (entries == null)
        {
            return Collections.emptyList();
        }
        final List<String> names = new ArrayList<>(entries.size());
        for (final List<?> entry : entries)
        {
            final int tag = (Integer)entry.get(0);
            final Object value = entry.get(1);
            final String type;
            switch (tag)
            {
                case 1:
                    type = "email";
                    break;
                case 2:
                    type = "DNS";
                    break;
                case 6:
                    type = "URI";
                    break;
                case 7:
                    type = "IP";
                    break;
                default:
                    continue; // otherName, x400Address, directoryName, ediPartyName, registeredID
            }
            if (value instanceof String)
            {
                names.add(type + ':' + value);
            }
        }
        return Collections.unmodifiableList(names);
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

    /** Record the close; called by the bus before {@code onClientClosed}. Internal: no compatibility promise. */
    public void closed(final CloseReason reason, final String detail)
    {
        this.closeDetail = detail;
        this.closeReason = reason;
    }

    @Override
    public String toString()
    {
        return "ClientConnMeta{id=" + Long.toHexString(clientId) + ", peer=" + peerAddress + ", transport=" +
            transport + ", details=" + details +
            (peerSubject != null ? ", peerSubject=" + peerSubject + ", peerNames=" + peerNames : "") + '}';
    }
}
