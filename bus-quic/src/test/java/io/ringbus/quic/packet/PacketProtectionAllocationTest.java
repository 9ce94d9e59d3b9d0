package io.ringbus.quic.packet;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Steady-state packet protection allocates nothing where the engine allows it (issue 16 point 5):
 * ChaCha20-Poly1305 protect and unprotect, and header protection of both suites. Counted with
 * {@link com.sun.management.ThreadMXBean#getThreadAllocatedBytes} on this thread over many
 * packets after a warm-up, with a bound far below one byte per packet (room for JIT noise only).
 */
class PacketProtectionAllocationTest
{
    private static final int WARM_UP_PACKETS = 20_000;
    private static final int PACKETS = 20_000;
    /** A few KB over all packets: class loading or a deoptimisation, never per-packet garbage. */
    private static final long NOISE_BYTES = 16 * 1024;
    private static final int PN_OFFSET = 9;

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
    private final byte[] packet = new byte[1300];
    private long packetNumber;

    @Test
    void chaCha20ProtectAndUnprotectAllocateNothing()
        throws QuicException
    {
        final byte[] secret = new byte[32];
        Arrays.fill(secret, (byte)0x33);
        final PacketProtection sender = new PacketProtection(CipherSuite.CHACHA20_POLY1305_SHA256, secret);
        final PacketProtection receiver = new PacketProtection(CipherSuite.CHACHA20_POLY1305_SHA256, secret);
        for (int i = 0; i < WARM_UP_PACKETS; i++)
        {
            roundTrip(sender, receiver, i % 2 == 0 ? 1200 : 64);
        }
        final long before = allocatedBytes();
        for (int i = 0; i < PACKETS; i++)
        {
            roundTrip(sender, receiver, i % 2 == 0 ? 1200 : 64);
        }
        final long allocated = allocatedBytes() - before;
        assertTrue(allocated < NOISE_BYTES, allocated + " bytes allocated over " + PACKETS + " packets");
    }

    @Test
    void headerProtectionAllocatesNothingForEitherSuite()
        throws QuicException
    {
        final byte[] secret = new byte[32];
        Arrays.fill(secret, (byte)0x44);
        for (final CipherSuite suite : CipherSuite.values())
        {
            final PacketProtection protection = new PacketProtection(suite, secret);
            fillPacket(7, 1200);
            for (int i = 0; i < WARM_UP_PACKETS; i++)
            {
                removeHeaderProtection(protection);
            }
            final long before = allocatedBytes();
            for (int i = 0; i < PACKETS; i++)
            {
                removeHeaderProtection(protection);
            }
            final long allocated = allocatedBytes() - before;
            assertTrue(allocated < NOISE_BYTES, suite + ": " + allocated + " bytes allocated over " + PACKETS +
                " packets");
        }
    }

    /** The header bits drift from round to round (each removal XORs a mask in): only the work counts here. */
    private void removeHeaderProtection(final PacketProtection protection)
        throws QuicException
    {
        protection.removeHeaderProtection(packet, 0, PN_OFFSET, 1200, 6);
    }

    private void roundTrip(final PacketProtection sender, final PacketProtection receiver, final int payloadLength)
        throws QuicException
    {
        final long pn = ++packetNumber;
        fillPacket(pn, payloadLength);
        final int length = sender.protect(packet, 0, PN_OFFSET, 4, pn, payloadLength);
        if (!receiver.unprotect(packet, 0, PN_OFFSET, length, pn - 1) || receiver.packetNumber() != pn ||
            receiver.payloadLength() != payloadLength || packet[PN_OFFSET + 4] != (byte)pn)
        {
            throw new AssertionError("packet " + pn + " did not open as sealed");
        }
    }

    /** A short header (RFC 9000 17.3.1): first byte, an 8-byte DCID, a 4-byte packet number, the payload. */
    private void fillPacket(final long pn, final int payloadLength)
    {
        packet[0] = 0x43;
        for (int i = 0; i < 4; i++)
        {
            packet[PN_OFFSET + i] = (byte)(pn >>> (8 * (3 - i)));
        }
        for (int i = 0; i < payloadLength; i++)
        {
            packet[PN_OFFSET + 4 + i] = (byte)(pn + i);
        }
    }

    private long allocatedBytes()
    {
        return threads.getThreadAllocatedBytes(Thread.currentThread().getId());
    }
}
