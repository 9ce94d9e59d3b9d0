package io.ringbus.quic.packet;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HKDF (RFC 5869) on HMAC-SHA256, and TLS 1.3's HKDF-Expand-Label (RFC 8446 section 7.1), as QUIC
 * derives its keys (RFC 9001 section 5). Stateless; any thread.
 */
public final class Hkdf
{
    /** Output length of SHA-256. */
    public static final int HASH_LENGTH = 32;
    private static final String HMAC = "HmacSHA256";
    private static final byte[] TLS13_PREFIX = "tls13 ".getBytes(StandardCharsets.US_ASCII);

    private Hkdf()
    {
    }

    /** HKDF-Extract(salt, ikm). */
    public static byte[] extract(final byte[] salt, final byte[] ikm)
    {
        try
        {
            final Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(salt.length == 0 ? new byte[HASH_LENGTH] : salt, HMAC));
            return mac.doFinal(ikm);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("HmacSHA256 unavailable", ex);
        }
    }

    /** HKDF-Expand(prk, info, length). */
    public static byte[] expand(final byte[] prk, final byte[] info, final int length)
    {
        if (length > 255 * HASH_LENGTH)
        {
            throw new IllegalArgumentException("length = " + length + ": above 255 * HashLen");
        }
        try
        {
            final Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(prk, HMAC));
            final byte[] out = new byte[length];
            byte[] block = new byte[0];
            int produced = 0;
            for (int counter = 1; produced < length; counter++)
            {
                mac.update(block);
                mac.update(info);
                mac.update((byte)counter);
                block = mac.doFinal();
                final int take = Math.min(block.length, length - produced);
                System.arraycopy(block, 0, out, produced, take);
                produced += take;
            }
            return out;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("HmacSHA256 unavailable", ex);
        }
    }

    /** HKDF-Expand-Label(secret, label, context, length) with the "tls13 " prefix. */
    public static byte[] expandLabel(final byte[] secret, final String label, final byte[] context, final int length)
    {
        final byte[] labelBytes = label.getBytes(StandardCharsets.US_ASCII);
        final ByteBuffer info = ByteBuffer.allocate(2 + 1 + TLS13_PREFIX.length + labelBytes.length + 1 + context.length);
        info.putShort((short)length);
        info.put((byte)(TLS13_PREFIX.length + labelBytes.length)).put(TLS13_PREFIX).put(labelBytes);
        info.put((byte)context.length).put(context);
        return expand(secret, info.array(), length);
    }
}
