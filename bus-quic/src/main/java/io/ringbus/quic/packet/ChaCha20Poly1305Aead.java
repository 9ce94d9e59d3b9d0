package io.ringbus.quic.packet;

import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * AEAD_CHACHA20_POLY1305 (RFC 8439 2.8) for QUIC packet protection, so that sealing and opening a
 * packet allocate nothing: the ChaCha20 block function (RFC 8439 2.3) here on ints, its keystream
 * XORed a word at a time, and BouncyCastle's Poly1305 re-keyed per packet through a reused key
 * parameter. (The JDK's ChaCha20-Poly1305 of Java 17 allocates 4-7 KB per packet sealed and
 * opened; BouncyCastle's ChaCha20Poly1305 mode about 450 bytes, and its ChaCha20 engine XORs
 * byte by byte, slower than the JDK's: see PacketProtectionBenchmark.) Works in place on a byte
 * array. Not thread-safe: owned by one {@link PacketProtection}.
 */
final class ChaCha20Poly1305Aead
{
    private static final int TAG_LENGTH = CipherSuite.TAG_LENGTH;
    private static final byte[] ZEROS = new byte[16];
    private static final int SIGMA0 = 0x61707865;
    private static final int SIGMA1 = 0x3320646e;
    private static final int SIGMA2 = 0x79622d32;
    private static final int SIGMA3 = 0x6b206574;
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final int[] key = new int[8];
    /** One keystream block, as 16 words. */
    private final int[] block = new int[16];
    private final Poly1305 mac = new Poly1305();
    /** The per-packet Poly1305 key, written in place ({@link KeyParameter#getKey()} returns BouncyCastle's array). */
    private final KeyParameter macKey = new KeyParameter(new byte[32]);
    private final byte[] lengths = new byte[16];
    private final byte[] tag = new byte[TAG_LENGTH];
    private int nonce0;
    private int nonce1;
    private int nonce2;

    ChaCha20Poly1305Aead(final byte[] key)
    {
        for (int i = 0; i < 8; i++)
        {
            this.key[i] = intLittleEndian(key, 4 * i);
        }
    }

    /**
     * Encrypt {@code packet[payloadOffset, payloadOffset + payloadLength)} in place with
     * {@code packet[aadOffset, payloadOffset)} as associated data and append the tag.
     *
     * @return the sealed length (payload and tag).
     */
    int seal(final byte[] nonce, final byte[] packet, final int aadOffset, final int payloadOffset,
        final int payloadLength)
    {
        start(nonce, packet, aadOffset, payloadOffset);
        xorKeystream(packet, payloadOffset, payloadLength);
        finishMac(packet, payloadOffset, payloadLength, payloadOffset - aadOffset);
        System.arraycopy(tag, 0, packet, payloadOffset + payloadLength, TAG_LENGTH);
        return payloadLength + TAG_LENGTH;
    }

    /**
     * Check the tag of {@code packet[payloadOffset, end)} (ciphertext then tag) and decrypt it in
     * place. A packet that fails is left as it was (so that other keys can be tried on it).
     *
     * @return the plaintext length, or -1 if the tag does not match.
     */
    int open(final byte[] nonce, final byte[] packet, final int aadOffset, final int payloadOffset, final int end)
    {
        final int length = end - payloadOffset - TAG_LENGTH;
        if (length < 0)
        {
            return -1;
        }
        start(nonce, packet, aadOffset, payloadOffset);
        finishMac(packet, payloadOffset, length, payloadOffset - aadOffset);
        int difference = 0;
        for (int i = 0; i < TAG_LENGTH; i++)
        {
            difference |= tag[i] ^ packet[payloadOffset + length + i];
        }
        if (difference != 0)
        {
            return -1;
        }
        xorKeystream(packet, payloadOffset, length);
        return length;
    }

    /** Nonce in, block 0 of the keystream keys Poly1305 (RFC 8439 2.6), the MAC takes the padded AAD. */
    private void start(final byte[] nonce, final byte[] packet, final int aadOffset, final int payloadOffset)
    {
        nonce0 = intLittleEndian(nonce, 0);
        nonce1 = intLittleEndian(nonce, 4);
        nonce2 = intLittleEndian(nonce, 8);
        block(key, 0, nonce0, nonce1, nonce2, block);
        final byte[] macKeyBytes = macKey.getKey();
        for (int i = 0; i < 8; i++)
        {
            INT_LE.set(macKeyBytes, 4 * i, block[i]);
        }
        mac.init(macKey);
        final int aadLength = payloadOffset - aadOffset;
        mac.update(packet, aadOffset, aadLength);
        mac.update(ZEROS, 0, pad16(aadLength));
    }

    /** RFC 8439 2.4: XOR the keystream of blocks 1, 2, ... into {@code data[offset, offset + length)}. */
    private void xorKeystream(final byte[] data, final int offset, final int length)
    {
        int counter = 1;
        int at = offset;
        final int end = offset + length;
        while (end - at >= 64)
        {
            block(key, counter++, nonce0, nonce1, nonce2, block);
            for (int i = 0; i < 16; i++, at += 4)
            {
                INT_LE.set(data, at, (int)INT_LE.get(data, at) ^ block[i]);
            }
        }
        if (at < end)
        {
            block(key, counter, nonce0, nonce1, nonce2, block);
            for (int i = 0; at < end; i++, at++)
            {
                data[at] ^= (byte)(block[i >>> 2] >>> (8 * (i & 3)));
            }
        }
    }

    /** The ChaCha20 block function (RFC 8439 2.3): the 16 output words of block {@code counter} into {@code out}. */
    static void block(final int[] key, final int counter, final int nonce0, final int nonce1, final int nonce2,
        final int[] out)
    {
        int x0 = SIGMA0;
        int x1 = SIGMA1;
        int x2 = SIGMA2;
        int x3 = SIGMA3;
        int x4 = key[0];
        int x5 = key[1];
        int x6 = key[2];
        int x7 = key[3];
        int x8 = key[4];
        int x9 = key[5];
        int x10 = key[6];
        int x11 = key[7];
        int x12 = counter;
        int x13 = nonce0;
        int x14 = nonce1;
        int x15 = nonce2;
        for (int round = 0; round < 10; round++)
        {
            // column rounds: (0, 4, 8, 12) (1, 5, 9, 13) (2, 6, 10, 14) (3, 7, 11, 15)
            x0 += x4; x12 = Integer.rotateLeft(x12 ^ x0, 16); x8 += x12; x4 = Integer.rotateLeft(x4 ^ x8, 12);
            x0 += x4; x12 = Integer.rotateLeft(x12 ^ x0, 8); x8 += x12; x4 = Integer.rotateLeft(x4 ^ x8, 7);
            x1 += x5; x13 = Integer.rotateLeft(x13 ^ x1, 16); x9 += x13; x5 = Integer.rotateLeft(x5 ^ x9, 12);
            x1 += x5; x13 = Integer.rotateLeft(x13 ^ x1, 8); x9 += x13; x5 = Integer.rotateLeft(x5 ^ x9, 7);
            x2 += x6; x14 = Integer.rotateLeft(x14 ^ x2, 16); x10 += x14; x6 = Integer.rotateLeft(x6 ^ x10, 12);
            x2 += x6; x14 = Integer.rotateLeft(x14 ^ x2, 8); x10 += x14; x6 = Integer.rotateLeft(x6 ^ x10, 7);
            x3 += x7; x15 = Integer.rotateLeft(x15 ^ x3, 16); x11 += x15; x7 = Integer.rotateLeft(x7 ^ x11, 12);
            x3 += x7; x15 = Integer.rotateLeft(x15 ^ x3, 8); x11 += x15; x7 = Integer.rotateLeft(x7 ^ x11, 7);
            // diagonal rounds: (0, 5, 10, 15) (1, 6, 11, 12) (2, 7, 8, 13) (3, 4, 9, 14)
            x0 += x5; x15 = Integer.rotateLeft(x15 ^ x0, 16); x10 += x15; x5 = Integer.rotateLeft(x5 ^ x10, 12);
            x0 += x5; x15 = Integer.rotateLeft(x15 ^ x0, 8); x10 += x15; x5 = Integer.rotateLeft(x5 ^ x10, 7);
            x1 += x6; x12 = Integer.rotateLeft(x12 ^ x1, 16); x11 += x12; x6 = Integer.rotateLeft(x6 ^ x11, 12);
            x1 += x6; x12 = Integer.rotateLeft(x12 ^ x1, 8); x11 += x12; x6 = Integer.rotateLeft(x6 ^ x11, 7);
            x2 += x7; x13 = Integer.rotateLeft(x13 ^ x2, 16); x8 += x13; x7 = Integer.rotateLeft(x7 ^ x8, 12);
            x2 += x7; x13 = Integer.rotateLeft(x13 ^ x2, 8); x8 += x13; x7 = Integer.rotateLeft(x7 ^ x8, 7);
            x3 += x4; x14 = Integer.rotateLeft(x14 ^ x3, 16); x9 += x14; x4 = Integer.rotateLeft(x4 ^ x9, 12);
            x3 += x4; x14 = Integer.rotateLeft(x14 ^ x3, 8); x9 += x14; x4 = Integer.rotateLeft(x4 ^ x9, 7);
        }
        out[0] = x0 + SIGMA0;
        out[1] = x1 + SIGMA1;
        out[2] = x2 + SIGMA2;
        out[3] = x3 + SIGMA3;
        out[4] = x4 + key[0];
        out[5] = x5 + key[1];
        out[6] = x6 + key[2];
        out[7] = x7 + key[3];
        out[8] = x8 + key[4];
        out[9] = x9 + key[5];
        out[10] = x10 + key[6];
        out[11] = x11 + key[7];
        out[12] = x12 + counter;
        out[13] = x13 + nonce0;
        out[14] = x14 + nonce1;
        out[15] = x15 + nonce2;
    }

    static int intLittleEndian(final byte[] in, final int offset)
    {
        return (int)INT_LE.get(in, offset);
    }

    /** The ciphertext, its padding and the two lengths (RFC 8439 2.8), then the tag into {@link #tag}. */
    private void finishMac(final byte[] packet, final int ciphertextOffset, final int ciphertextLength,
        final int aadLength)
    {
        mac.update(packet, ciphertextOffset, ciphertextLength);
        mac.update(ZEROS, 0, pad16(ciphertextLength));
        putLongLittleEndian(lengths, 0, aadLength);
        putLongLittleEndian(lengths, 8, ciphertextLength);
        mac.update(lengths, 0, lengths.length);
        mac.doFinal(tag, 0);
    }

    private static int pad16(final int length)
    {
        return (16 - (length & 15)) & 15;
    }

    private static void putLongLittleEndian(final byte[] out, final int offset, final long value)
    {
        for (int i = 0; i < 8; i++)
        {
            out[offset + i] = (byte)(value >>> (8 * i));
        }
    }

    /**
     * ChaCha20 header protection (RFC 9001 5.4.4): mask = the first five bytes of the ChaCha20 block
     * of hp_key with the counter and the nonce taken from the sample. One block, nothing allocated
     * (the JDK's ChaCha20 allocates a parameter spec and clones per packet, and a keyed
     * BouncyCastle engine computes three blocks for it). Not thread-safe.
     */
    static final class HeaderMask
    {
        private final int[] key = new int[8];
        private final int[] block = new int[16];

        HeaderMask(final byte[] hpKey)
        {
            for (int i = 0; i < 8; i++)
            {
                key[i] = intLittleEndian(hpKey, 4 * i);
            }
        }

        /** Write the five mask bytes for the 16-byte sample at {@code packet[sampleOffset]} into {@code mask}. */
        void mask(final byte[] packet, final int sampleOffset, final byte[] mask)
        {
            ChaCha20Poly1305Aead.block(key, intLittleEndian(packet, sampleOffset),
                intLittleEndian(packet, sampleOffset + 4), intLittleEndian(packet, sampleOffset + 8),
                intLittleEndian(packet, sampleOffset + 12), block);
            final int word0 = block[0];
            mask[0] = (byte)word0;
            mask[1] = (byte)(word0 >>> 8);
            mask[2] = (byte)(word0 >>> 16);
            mask[3] = (byte)(word0 >>> 24);
            mask[4] = (byte)block[1];
        }
    }
}
