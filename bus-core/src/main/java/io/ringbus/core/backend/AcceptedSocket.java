package io.ringbus.core.backend;

import java.net.InetSocketAddress;

/**
 * An accepted socket in transit from the accepting shard to its owner (fd delegation): nothing has
 * been read from it. Each backend has its own implementation and only accepts its own.
 */
public interface AcceptedSocket
{
    /** The peer's address. */
    InetSocketAddress remoteAddress();

    /** Close it without registering it (the owner refused or is stopping). */
    void close();
}
