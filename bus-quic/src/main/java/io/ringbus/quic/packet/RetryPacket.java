package io.ringbus.quic.packet;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The QUIC v1 Retry packet (RFC 9000 17.2.5): writing one (server) and reading and authenticating
 * one (client). Its Retry Integrity Tag (RFC 9001 5.8) is the AES-128-GCM tag, under the fixed v1
 * key and nonce, of the Retry pseudo-packet: the client's Original Destination Connection ID
 * (length-prefixed) followed by the Retry packet without its tag. Static methods: any thread
 * (each call makes its own cipher, since a GCM cipher refuses to encrypt twice with one key and nonce).
 */
public final class RetryPacket
{
    /** Bytes of the Retry Integrity Tag. */
    public static final int TAG_LENGTH = 16;
    /** RFC 9001 5.8: the v1 Retry key and nonce. */
    private static final byte[] KEY_V1 = PacketProtection.hex("be0c690b9f66575a1d766b54e368c84e");
    private static final byte[] NONCE_V1 = PacketProtection.hex("461599d35d632bf2239825bb");
    private static final int RETRY_TYPE_BITS = 0xF0; // long header, fixed bit, type 3

    private RetryPacket()
    {
    }

    /** True if {@code datagram} (position to limit) opens with a QUIC v1 Retry packet. */
    public static boolean isRetry(final ByteBuffer datagram)
    {
        final int start = datagram.position();
        return datagram.remaining() >= 7 && (datagram.get(start) & 0xF0) == RETRY_TYPE_BITS &&
            datagram.getInt(start + 1) == LongHeader.VERSION_1;
    }

    /**
     * Write a Retry packet into {@code out} at {@code offset}.
     *
     * @param clientScid  the client's Source Connection ID: the Retry's Destination Connection ID
     * @param retryScid   the server's new connection ID: the Retry's Source Connection ID, the client's next DCID
     * @param token       the address validation token the client echoes in its next Initials
     * @param originalDcid the Destination Connection ID of the client's Initial (for the tag only)
     * @param unusedBits  the four unused bits of the first byte (RFC 9000 17.2.5: random)
     * @return the packet's length
     */
    public static int write(final byte[] out, final int offset, final byte[] clientScid, final byte[] retryScid,
        final byte[] token, final byte[] originalDcid, final int unusedBits)
    {
        final ByteBuffer buffer = ByteBuffer.wrap(out, offset, out.length - offset);
        buffer.put((byte)(RETRY_TYPE_BITS | (unusedBits & 0x0F)));
        buffer.putInt(LongHeader.VERSION_1);
        buffer.put((byte)clientScid.length).put(clientScid);
        buffer.put((byte)retryScid.length).put(retryScid);
        buffer.put(token);
        final int withoutTag = buffer.position() - offset;
        final byte[] tag = tag(out, offset, withoutTag, originalDcid, null);
        buffer.put(tag);
        return withoutTag + TAG_LENGTH;
    }

    /**
     * The parts of a Retry packet a client needs, once {@link #read} authenticated it.
     *
     * @param destinationConnectionId the Retry's DCID (the client's SCID)
     * @param sourceConnectionId      the server's new connection ID (the client's next DCID)
     * @param token                   the token for the client's next Initials (at least one byte)
     */
    public record Retry(byte[] destinationConnectionId, byte[] sourceConnectionId, byte[] token)
    {
    }

    /**
     * Read and authenticate the Retry packet filling {@code packet[offset, offset + length)} for a
     * client whose first Initial carried {@code originalDcid}.
     *
     * @return the Retry, or null if it is malformed, carries no token, or its integrity tag does not
     *     match (RFC 9000 17.2.5.2: the client discards such a Retry)
     */
    public static Retry read(final byte[] packet, final int offset, final int length, final byte[] originalDcid)
    {
        if (length < 7 + TAG_LENGTH || (packet[offset] & 0xF0) != RETRY_TYPE_BITS)
        {
            return null;
        }
        final ByteBuffer in = ByteBuffer.wrap(packet, offset, length);
        in.position(offset + 5);
        final int dcidLength = in.get() & 0xFF;
        if (dcidLength > LongHeader.MAX_CID_LENGTH || in.remaining() < dcidLength + 1)
        {
            return null;
        }
        final byte[] dcid = new byte[dcidLength];
        in.get(dcid);
        final int scidLength = in.get() & 0xFF;
        if (scidLength > LongHeader.MAX_CID_LENGTH || in.remaining() < scidLength + 1 + TAG_LENGTH)
        {
            return null; // no room for a token of at least one byte and the tag
        }
        final byte[] scid = new byte[scidLength];
        in.get(scid);
        final int tokenLength = in.remaining() - TAG_LENGTH;
        final byte[] token = new byte[tokenLength];
        in.get(token);
        final int withoutTag = length - TAG_LENGTH;
        if (tag(packet, offset, withoutTag, originalDcid, Arrays.copyOfRange(packet, offset + withoutTag,
            offset + length)) == null)
        {
            return null;
        }
        return new Retry(dcid, scid, token);
    }

    /**
     * The integrity tag of {@code packet[offset, offset + length)} (the Retry without its tag) for
     * {@code originalDcid}; with {@code expected}, checks it instead and returns null if it differs.
     */
    private static byte[] tag(final byte[] packet, final int offset, final int length, final byte[] originalDcid,
        final byte[] expected)
    {
        try
        {
            final Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(expected == null ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, new SecretKeySpec(KEY_V1, "AES"),
                new GCMParameterSpec(TAG_LENGTH * 8, NONCE_V1));
            cipher.updateAAD(new byte[] {(byte)originalDcid.length});
            cipher.updateAAD(originalDcid);
            cipher.updateAAD(packet, offset, length);
            if (expected == null)
            {
                return cipher.doFinal();
            }
            cipher.doFinal(expected);
            return expected;
        }
        catch (final AEADBadTagException ex)
        {
            return null;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("AES-GCM is unavailable: " + ex.getMessage(), ex);
        }
    }
}
