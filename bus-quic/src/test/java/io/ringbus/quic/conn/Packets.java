package io.ringbus.quic.conn;

import io.ringbus.quic.frame.FrameReader;
import io.ringbus.quic.frame.FrameVisitor;
import io.ringbus.quic.frame.PacketKind;
import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.packet.PacketProtection;
import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.packet.VarInt;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** Builds and opens QUIC packets in tests, with the Initial keys or the fixed secrets of {@link FakeTls}. */
final class Packets
{
    private Packets()
    {
    }

    /** A client Initial packet with {@code payload}, its datagram padded with PADDING frames to {@code datagramSize}. */
    static byte[] clientInitial(final byte[] dcid, final byte[] scid, final long packetNumber, final byte[] payload,
        final int datagramSize) throws QuicException
    {
        final int headerLength = 1 + 4 + 1 + dcid.length + 1 + scid.length + 1 + 2;
        final int payloadLength = Math.max(payload.length, datagramSize - headerLength - 4 - CipherSuite.TAG_LENGTH);
        final ByteBuffer out = ByteBuffer.allocate(headerLength + 4 + payloadLength + CipherSuite.TAG_LENGTH);
        out.put((byte)(0xC0 | 3)).putInt(1);
        out.put((byte)dcid.length).put(dcid).put((byte)scid.length).put(scid).put((byte)0);
        VarInt.write(out, 4 + payloadLength + CipherSuite.TAG_LENGTH, 2);
        final int pnOffset = out.position();
        out.putInt((int)packetNumber);
        out.put(payload);
        final byte[] packet = out.array();
        PacketProtection.initial(dcid, true).protect(packet, 0, pnOffset, 4, packetNumber, payloadLength);
        return packet;
    }

    /** A 1-RTT packet to {@code dcid} protected with the packet keys of {@code secret}. */
    static byte[] shortHeader(final byte[] secret, final byte[] dcid, final long packetNumber, final byte[] payload)
        throws QuicException
    {
        return shortHeader(secret, 0, secret, dcid, packetNumber, payload);
    }

    /**
     * A 1-RTT packet of key phase bit {@code keyPhase} protected with the packet keys of
     * {@code packetSecret} and the header protection key of {@code headerSecret} (the first
     * generation's: RFC 9001 6.1, header protection keys are not updated).
     */
    static byte[] shortHeader(final byte[] packetSecret, final int keyPhase, final byte[] headerSecret,
        final byte[] dcid, final long packetNumber, final byte[] payload) throws QuicException
    {
        final byte[] padded = payload.length < 4 ? Arrays.copyOf(payload, 4) : payload;
        final ByteBuffer out = ByteBuffer.allocate(1 + dcid.length + 4 + padded.length + CipherSuite.TAG_LENGTH);
        out.put((byte)(0x40 | keyPhase << 2 | 3)).put(dcid);
        final int pnOffset = out.position();
        out.putInt((int)packetNumber).put(padded);
        final byte[] packet = out.array();
        new PacketProtection(CipherSuite.AES_128_GCM_SHA256, headerSecret).withPacketKeys(packetSecret)
            .protect(packet, 0, pnOffset, 4, packetNumber, padded.length);
        return packet;
    }

    /** The traffic secret of the next key phase (RFC 9001 6.1: "quic ku"). */
    static byte[] nextSecret(final byte[] secret)
    {
        return io.ringbus.quic.packet.Hkdf.expandLabel(secret, "quic ku", new byte[0], io.ringbus.quic.packet.Hkdf.HASH_LENGTH);
    }

    /**
     * Open the 1-RTT packet at the end of {@code datagram} (after any long-header packets), sent to
     * a connection id of {@code dcidLength} bytes, and hand its frames to {@code visitor}.
     *
     * @return false if there is no 1-RTT packet or it does not open.
     */
    static boolean readShortHeader(final byte[] datagram, final byte[] secret, final int dcidLength,
        final boolean toServer, final FrameVisitor visitor) throws QuicException
    {
        int offset = 0;
        while (offset < datagram.length && (datagram[offset] & 0x80) != 0)
        {
            final ByteBuffer in = ByteBuffer.wrap(datagram);
            in.position(offset + 5);
            final int dcid = in.get() & 0xFF;
            in.position(in.position() + dcid);
            final int scid = in.get() & 0xFF;
            in.position(in.position() + scid);
            if (((datagram[offset] & 0x30) >>> 4) == 0)
            {
                final long token = VarInt.read(in, "token length");
                in.position(in.position() + (int)token);
            }
            final long length = VarInt.read(in, "length");
            offset = in.position() + (int)length;
        }
        if (offset >= datagram.length)
        {
            return false;
        }
        final byte[] packet = Arrays.copyOfRange(datagram, offset, datagram.length);
        final PacketProtection keys = new PacketProtection(CipherSuite.AES_128_GCM_SHA256, secret);
        if (!keys.unprotect(packet, 0, 1 + dcidLength, packet.length, -1 + 0))
        {
            return false;
        }
        new FrameReader().read(ByteBuffer.wrap(packet, keys.payloadOffset(), keys.payloadLength()), PacketKind.ONE_RTT,
            toServer, visitor);
        return true;
    }
}
