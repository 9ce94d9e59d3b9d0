package io.ringbus.core.transport;

/** The tcp transport: frames back to back on the byte stream, no carrier layer. */
public final class TcpTransportProvider implements TransportProvider
{
    @Override
    public String scheme()
    {
        return "tcp";
    }

    /** {@value TransportProvider#BIND_TCP}: the backend's TCP sockets. */
    @Override
    public String bindProtocol()
    {
        return BIND_TCP;
    }
}
