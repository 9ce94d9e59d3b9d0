package io.ringbus.quic.packet;

import java.security.GeneralSecurityException;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Packet protection for one direction at one encryption level (RFC 9001 section 5): the AEAD over
 * the payload with the header as associated data and a nonce of IV XOR packet number (5.3), then
 * header protection of the first byte's low bits and the packet number (5.4), and the reverse.
 * Works in place on a byte array. AES-128-GCM runs on the JDK's intrinsified cipher (about 1 KB
 * allocated per packet by Cipher.init), ChaCha20-Poly1305 on BouncyCastle's engines keyed once
 * (nothing allocated per packet); header protection allocates nothing for either. Not
 * thread-safe: one per connection, direction and level.
 */
public final class PacketProtection
{
    /** RFC 9001 5.2: the initial salt of QUIC v1. */
    private static final byte[] INITIAL_SALT_V1 = hex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");
    private static final int SAMPLE_LENGTH = 16;
    private static final int MAX_PN_LENGTH = 4;

    private final CipherSuite suite;
    private final byte[] key;
    private final byte[] iv;
    private final byte[] hp;
    /** AES-128-GCM: the JDK's (intrinsified) cipher, inited per packet; null for ChaCha20. */
    private final Cipher aead;
    /** AES-128-GCM: AES-ECB keyed with the header protection key, one block per packet; null for ChaCha20. */
    private final Cipher headerCipher;
    private final SecretKeySpec aeadKey;
    /** ChaCha20-Poly1305 on BouncyCastle's engines, reused: nothing allocated per packet; null for AES. */
    private final ChaCha20Poly1305Aead chachaAead;
    private final ChaCha20Poly1305Aead.HeaderMask chachaMask;
    private final byte[] nonce = new byte[CipherSuite.IV_LENGTH];
    private final byte[] mask = new byte[5];
    private final byte[] maskBlock = new byte[16];
    private long lastPacketNumber;
    private int lastPacketNumberLength;
    private int lastPayloadOffset;
    private int lastPayloadLength;

    /** Keys for {@code suite} derived from a traffic {@code secret} (RFC 9001 5.1: "quic key", "quic iv", "quic hp"). */
    public PacketProtection(final CipherSuite suite, final byte[] secret)
    {
        this(suite, Hkdf.expandLabel(secret, "quic key", new byte[0], suite.keyLength()),
            Hkdf.expandLabel(secret, "quic iv", new byte[0], CipherSuite.IV_LENGTH),
            Hkdf.expandLabel(secret, "quic hp", new byte[0], suite.keyLength()));
    }

    private PacketProtection(final CipherSuite suite, final byte[] key, final byte[] iv, final byte[] hp)
    {
        this.suite = suite;
        this.key = key;
        this.iv = iv;
        this.hp = hp;
        if (suite == CipherSuite.AES_128_GCM_SHA256)
        {
            // The JDK's AES-GCM (AES-NI and PCLMULQDQ intrinsics, constant time) although it allocates
            // about 1 KB per packet in Cipher.init: a GHASH in Java is several times slower at 1200
            // bytes and table-based (see PacketProtectionBenchmark).
            try
            {
                aead = Cipher.getInstance("AES/GCM/NoPadding");
                aeadKey = new SecretKeySpec(key, "AES");
                headerCipher = Cipher.getInstance("AES/ECB/NoPadding");
                headerCipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(hp, "AES"));
            }
            catch (final GeneralSecurityException ex)
            {
                throw new IllegalStateException("the JDK lacks a cipher for " + suite + ": " + ex.getMessage(), ex);
            }
            chachaAead = null;
            chachaMask = null;
        }
        else
        {
            aead = null;
            aeadKey = null;
            headerCipher = null;
            chachaAead = new ChaCha20Poly1305Aead(key);
            chachaMask = new ChaCha20Poly1305Aead.HeaderMask(hp);
        }
    }

    /** The initial secret of RFC 9001 5.2 from the client's first Destination Connection ID. */
    public static byte[] initialSecret(final byte[] clientDestinationConnectionId)
    {
        return Hkdf.extract(INITIAL_SALT_V1, clientDestinationConnectionId);
    }

    /** Initial packet protection for the client's ("client in") or the server's ("server in") packets. */
    public static PacketProtection initial(final byte[] clientDestinationConnectionId, final boolean clientPackets)
    {
        final byte[] secret = Hkdf.expandLabel(initialSecret(clientDestinationConnectionId),
            clientPackets ? "client in" : "server in", new byte[0], Hkdf.HASH_LENGTH);
        return new PacketProtection(CipherSuite.AES_128_GCM_SHA256, secret);
    }

    public CipherSuite suite()
    {
        return suite;
    }

    /** The packet key (for tests against published vectors). */
    public byte[] key()
    {
        return key.clone();
    }

    /** The IV. */
    public byte[] iv()
    {
        return iv.clone();
    }

    /** The header protection key. */
    public byte[] hp()
    {
        return hp.clone();
    }

    /**
     * Protect a packet in place. {@code packet[start, pnOffset + pnLength)} is the header with the
     * packet number written in {@code pnLength} bytes; the plaintext payload of {@code payloadLength}
     * bytes follows it, and the array has room for the 16-byte tag after it.
     *
     * @return the protected packet's length.
     */
    public int protect(final byte[] packet, final int start, final int pnOffset, final int pnLength,
        final long packetNumber, final int payloadLength) throws QuicException
    {
        final int payloadOffset = pnOffset + pnLength;
        try
        {
            computeNonce(packetNumber);
            final int sealed;
            if (chachaAead != null)
            {
                sealed = chachaAead.seal(nonce, packet, start, payloadOffset, payloadLength);
            }
            else
            {
                aead.init(Cipher.ENCRYPT_MODE, aeadKey, new GCMParameterSpec(8 * CipherSuite.TAG_LENGTH, nonce));
                aead.updateAAD(packet, start, payloadOffset - start);
                sealed = aead.doFinal(packet, payloadOffset, payloadLength, packet, payloadOffset);
            }
            final int end = payloadOffset + sealed;
            if (pnOffset + MAX_PN_LENGTH + SAMPLE_LENGTH > end)
            {
                throw new QuicException(QuicException.INTERNAL_ERROR,
                    "packet too short to sample for header protection (RFC 9001 5.4.2): pad the payload");
            }
            computeMask(packet, pnOffset + MAX_PN_LENGTH);
            applyMask(packet, start, pnOffset, pnLength);
            return end - start;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new QuicException(QuicException.INTERNAL_ERROR, "packet protection failed: " + ex.getMessage());
        }
    }

    /**
     * Remove protection in place from the packet in {@code packet[start, end)} whose packet number
     * starts at {@code pnOffset}; {@code largestReceived} is the largest packet number received in
     * its space (-1 if none). On success the packet number, its length and the payload position are
     * available from the accessors.
     *
     * @return false if the packet fails authentication (it is dropped: RFC 9001 5.5, not an error).
     * @throws QuicException PROTOCOL_VIOLATION if it is too short to carry a sample.
     */
    public boolean unprotect(final byte[] packet, final int start, final int pnOffset, final int end,
        final long largestReceived) throws QuicException
    {
        final long packetNumber = removeHeaderProtection(packet, start, pnOffset, end, largestReceived);
        return openPayload(packet, start, pnOffset + lastPacketNumberLength, end, packetNumber) >= 0;
    }

    /**
     * The first half of {@link #unprotect}: remove header protection in place (RFC 9001 5.4) from the
     * packet in {@code packet[start, end)} whose packet number starts at {@code pnOffset}, and decode
     * the packet number against {@code largestReceived} (-1 if none). Afterwards the first byte's low
     * bits (key phase, reserved bits) are readable and {@link #packetNumberLength()} is set. Used
     * with {@link #openPayload} by a receiver that picks the packet keys by the key phase (RFC 9001 6).
     *
     * @return the full packet number.
     * @throws QuicException PROTOCOL_VIOLATION if the packet is too short to carry a sample or the tag.
     */
    public long removeHeaderProtection(final byte[] packet, final int start, final int pnOffset, final int end,
        final long largestReceived) throws QuicException
    {
        if (pnOffset + MAX_PN_LENGTH + SAMPLE_LENGTH > end)
        {
            throw new QuicException(QuicException.PROTOCOL_VIOLATION,
                "packet of " + (end - start) + " bytes is too short for a header protection sample");
        }
        try
        {
            computeMask(packet, pnOffset + MAX_PN_LENGTH);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new QuicException(QuicException.INTERNAL_ERROR, "header unprotection failed: " + ex.getMessage());
        }
        final boolean longHeader = (packet[start] & 0x80) != 0;
        packet[start] ^= (byte)(mask[0] & (longHeader ? 0x0F : 0x1F));
        final int pnLength = (packet[start] & 0x03) + 1;
        long truncated = 0;
        for (int i = 0; i < pnLength; i++)
        {
            packet[pnOffset + i] ^= mask[1 + i];
            truncated = (truncated << 8) | (packet[pnOffset + i] & 0xFF);
        }
        final long packetNumber = PacketNumber.decode(largestReceived, truncated, pnLength);
        if (end - (pnOffset + pnLength) < CipherSuite.TAG_LENGTH)
        {
            throw new QuicException(QuicException.PROTOCOL_VIOLATION, "payload shorter than the AEAD tag");
        }
        lastPacketNumber = packetNumber;
        lastPacketNumberLength = pnLength;
        return packetNumber;
    }

    /**
     * The second half of {@link #unprotect}: open the AEAD payload in place, {@code packet[start,
     * payloadOffset)} being the (unprotected) header used as associated data. On success the
     * payload position and length are available from the accessors.
     *
     * @return the plaintext length, or -1 if the packet fails authentication (RFC 9001 5.5: dropped).
     */
    public int openPayload(final byte[] packet, final int start, final int payloadOffset, final int end,
        final long packetNumber) throws QuicException
    {
        try
        {
            computeNonce(packetNumber);
            final int opened;
            if (chachaAead != null)
            {
                opened = chachaAead.open(nonce, packet, start, payloadOffset, end);
                if (opened < 0)
                {
                    return -1;
                }
            }
            else
            {
                aead.init(Cipher.DECRYPT_MODE, aeadKey, new GCMParameterSpec(8 * CipherSuite.TAG_LENGTH, nonce));
                aead.updateAAD(packet, start, payloadOffset - start);
                try
                {
                    opened = aead.doFinal(packet, payloadOffset, end - payloadOffset, packet, payloadOffset);
                }
                catch (final AEADBadTagException ex)
                {
                    return -1;
                }
            }
            lastPacketNumber = packetNumber;
            lastPayloadOffset = payloadOffset;
            lastPayloadLength = opened;
            return opened;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new QuicException(QuicException.INTERNAL_ERROR, "packet unprotection failed: " + ex.getMessage());
        }
    }

    /**
     * Protection for the next key phase (RFC 9001 6.1): packet key and IV derived from
     * {@code secret} (the next generation's traffic secret), the header protection key kept.
     */
    public PacketProtection withPacketKeys(final byte[] secret)
    {
        return new PacketProtection(suite, Hkdf.expandLabel(secret, "quic key", new byte[0], suite.keyLength()),
            Hkdf.expandLabel(secret, "quic iv", new byte[0], CipherSuite.IV_LENGTH), hp);
    }

    /** Packet number of the last packet unprotected. */
    public long packetNumber()
    {
        return lastPacketNumber;
    }

    /** Encoded packet number length of the last packet unprotected. */
    public int packetNumberLength()
    {
        return lastPacketNumberLength;
    }

    /** Offset of the last unprotected payload. */
    public int payloadOffset()
    {
        return lastPayloadOffset;
    }

    /** Length of the last unprotected payload. */
    public int payloadLength()
    {
        return lastPayloadLength;
    }

    /** RFC 9001 5.3: the nonce is the IV XORed with the packet number, left-padded. */
    private void computeNonce(final long packetNumber)
    {
        System.arraycopy(iv, 0, nonce, 0, nonce.length);
        for (int i = 0; i < 8; i++)
        {
            nonce[nonce.length - 1 - i] ^= (byte)(packetNumber >>> (8 * i));
        }
    }

    private void computeMask(final byte[] packet, final int sampleOffset) throws GeneralSecurityException
    {
        if (chachaMask == null)
        {
            // RFC 9001 5.4.3: mask = AES-ECB(hp_key, sample)
            headerCipher.doFinal(packet, sampleOffset, SAMPLE_LENGTH, maskBlock, 0);
            System.arraycopy(maskBlock, 0, mask, 0, mask.length);
        }
        else
        {
            // RFC 9001 5.4.4: counter = sample[0..4] little-endian, nonce = sample[4..16],
            // mask = ChaCha20(hp_key, counter, nonce, {0,0,0,0,0})
            chachaMask.mask(packet, sampleOffset, mask);
        }
    }

    private void applyMask(final byte[] packet, final int start, final int pnOffset, final int pnLength)
    {
        final boolean longHeader = (packet[start] & 0x80) != 0;
        packet[start] ^= (byte)(mask[0] & (longHeader ? 0x0F : 0x1F));
        for (int i = 0; i < pnLength; i++)
        {
            packet[pnOffset + i] ^= mask[1 + i];
        }
    }

    static byte[] hex(final String hex)
    {
        final String clean = hex.replaceAll("\\s", "");
        final byte[] out = new byte[clean.length() / 2];
        for (int i = 0; i < out.length; i++)
        {
            out[i] = (byte)Integer.parseInt(clean.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }
}
