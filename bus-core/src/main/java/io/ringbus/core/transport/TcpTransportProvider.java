package io.ringbus.core.transport;

/** The tcp transport: frames back to back on the byte stream, no carrier layer. */
public final class TcpTransportProvider implements TransportProvider
{
    @Override
    public String scheme()
    {
        return "tcp";
    }
}
