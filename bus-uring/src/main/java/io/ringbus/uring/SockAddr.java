package io.ringbus.uring;

import org.agrona.MutableDirectBuffer;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;

/**
 * Writes a {@code struct sockaddr_in} or {@code sockaddr_in6} for IORING_OP_CONNECT into native
 * memory: family in host order, port in network order (Linux {@code <netinet/in.h>}). Pure
 * functions; any thread.
 */
final class SockAddr
{
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    /** Bytes a buffer needs for either family ({@code sizeof(struct sockaddr_in6)} = 28, rounded up). */
    static final int CAPACITY = 32;

    private static final int FAMILY_OFFSET = 0;
    private static final int PORT_OFFSET = 2;
    private static final int IN_ADDR_OFFSET = 4;
    private static final int IN_SIZE = 16;
    private static final int IN6_FLOWINFO_OFFSET = 4;
    private static final int IN6_ADDR_OFFSET = 8;
    private static final int IN6_SCOPE_ID_OFFSET = 24;
    private static final int IN6_SIZE = 28;

    private SockAddr()
    {
    }

    /**
     * Encode {@code address} at offset 0 of {@code memory}.
     *
     * @return the length to pass as {@code addrlen}.
     */
    static int write(final MutableDirectBuffer memory, final InetSocketAddress address)
    {
        final InetAddress ip = address.getAddress();
        memory.setMemory(0, CAPACITY, (byte)0);
        memory.putShort(PORT_OFFSET, (short)address.getPort(), ByteOrder.BIG_ENDIAN);
        if (ip instanceof Inet4Address)
        {
            memory.putShort(FAMILY_OFFSET, (short)AF_INET, ByteOrder.nativeOrder());
            memory.putBytes(IN_ADDR_OFFSET, ip.getAddress());
            return IN_SIZE;
        }
        memory.putShort(FAMILY_OFFSET, (short)AF_INET6, ByteOrder.nativeOrder());
        memory.putInt(IN6_FLOWINFO_OFFSET, 0);
        memory.putBytes(IN6_ADDR_OFFSET, ip.getAddress());
        memory.putInt(IN6_SCOPE_ID_OFFSET, ((Inet6Address)ip).getScopeId(), ByteOrder.nativeOrder());
        return IN6_SIZE;
    }
}
