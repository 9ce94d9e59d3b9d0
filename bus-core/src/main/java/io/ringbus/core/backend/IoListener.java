package io.ringbus.core.backend;

import java.net.InetSocketAddress;

/** A listening socket on a backend. Owner thread. */
public interface IoListener
{
    /** The bound address (with the real port when 0 was asked). */
    InetSocketAddress localAddress();

    /** Stop accepting and close the socket. */
    void close();
}
