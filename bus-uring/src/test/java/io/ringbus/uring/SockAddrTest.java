package io.ringbus.uring;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** sockaddr_in / sockaddr_in6 as the kernel reads them for IORING_OP_CONNECT. */
class SockAddrTest
{
    @Test
    void ipv4() throws Exception
    {
        final UnsafeBuffer memory = new UnsafeBuffer(ByteBuffer.allocateDirect(SockAddr.CAPACITY));
        memory.setMemory(0, SockAddr.CAPACITY, (byte)0x5A);
        final int length = SockAddr.write(memory, new InetSocketAddress(InetAddress.getByName("10.1.2.3"), 0x1F90));
        assertEquals(16, length);
        assertEquals(SockAddr.AF_INET, memory.getShort(0, ByteOrder.nativeOrder()));
        assertEquals(0x1F, memory.getByte(2) & 0xFF, "port high byte first (network order)");
        assertEquals(0x90, memory.getByte(3) & 0xFF);
        final byte[] ip = new byte[4];
        memory.getBytes(4, ip);
        assertArrayEquals(new byte[] {10, 1, 2, 3}, ip);
        assertEquals(0, memory.getLong(8), "sin_zero");
    }

    @Test
    void ipv6WithScope() throws Exception
    {
        final UnsafeBuffer memory = new UnsafeBuffer(ByteBuffer.allocateDirect(SockAddr.CAPACITY));
        final InetAddress loopback = InetAddress.getByName("::1");
        final int length = SockAddr.write(memory, new InetSocketAddress(loopback, 443));
        assertEquals(28, length);
        assertEquals(SockAddr.AF_INET6, memory.getShort(0, ByteOrder.nativeOrder()));
        assertEquals(443, memory.getShort(2, ByteOrder.BIG_ENDIAN));
        assertEquals(0, memory.getInt(4), "flowinfo");
        final byte[] ip = new byte[16];
        memory.getBytes(8, ip);
        assertArrayEquals(loopback.getAddress(), ip);
        assertEquals(0, memory.getInt(24), "scope id");
    }
}
