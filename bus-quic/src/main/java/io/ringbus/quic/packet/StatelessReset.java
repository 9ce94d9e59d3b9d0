package io.ringbus.quic.packet;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Stateless resets (RFC 9000 10.3): the token of a connection ID, derived from a static key so that
 * an endpoint that lost the connection's state (a restart, another instance with the same key) can
 * still prove it was the peer's endpoint (10.3.2: HMAC of the connection ID under a static key);
 * the reset packet itself; and a client's check of a datagram's last 16 bytes.
 *
 * <p>One instance per listener, used on its thread (the MAC is not thread-safe); the static methods
 * are any thread.
 */
public final class StatelessReset
{
    /** Bytes of a stateless reset token. */
    public static final int TOKEN_LENGTH = 16;
    /** RFC 9000 10.3: a reset is at least 21 bytes (5 unpredictable bytes and the token). */
    public static final int MIN_LENGTH = 21;
    /**
     * RFC 9000 10.3: a reset answering a packet of up to 43 bytes should be one byte shorter;
     * ours are at most this long, which stays unpredictable enough and far below any amplification.
     */
    public static final int MAX_LENGTH = 43;
    /** Minimum length of a key. */
    public static final int MIN_KEY_LENGTH = 32;

    private final Mac mac;
    private final byte[] digest = new byte[32];

    /** @param key the listener's static reset key, at least {@value #MIN_KEY_LENGTH} bytes (not kept beyond the MAC) */
    public StatelessReset(final byte[] key)
    {
        if (key.length < MIN_KEY_LENGTH)
        {
            throw new IllegalArgumentException("stateless reset key of " + key.length + " bytes: at least " +
                MIN_KEY_LENGTH + " are needed");
        }
        try
        {
            mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("HmacSHA256 is unavailable: " + ex.getMessage(), ex);
        }
    }

    /** The token of connection ID {@code cid[offset, offset + length)}: the first 16 bytes of HMAC-SHA256(key, cid). */
    public byte[] token(final byte[] cid, final int offset, final int length)
    {
        final byte[] token = new byte[TOKEN_LENGTH];
        tokenInto(cid, offset, length, token, 0);
        return token;
    }

    private void tokenInto(final byte[] cid, final int offset, final int length, final byte[] out, final int outOffset)
    {
        try
        {
            mac.update(cid, offset, length);
            mac.doFinal(digest, 0);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
        System.arraycopy(digest, 0, out, outOffset, TOKEN_LENGTH);
    }

    /**
     * The length of the reset answering a {@code triggerLength}-byte datagram, or 0 if none may be
     * sent: RFC 9000 10.3.3 loop prevention, every reset is smaller than the packet that triggered
     * it, so two endpoints answering each other's resets stop once under {@value #MIN_LENGTH} bytes
     * (and 10.3: one byte shorter up to 43 bytes).
     */
    public static int lengthFor(final int triggerLength)
    {
        final int length = Math.min(triggerLength - 1, MAX_LENGTH);
        return length < MIN_LENGTH ? 0 : length;
    }

    /**
     * Write the reset answering a {@code triggerLength}-byte short-header packet to connection ID
     * {@code cid[cidOffset, cidOffset + cidLength)} into {@code out[0, length)}: a short-header first
     * byte (fixed bit set), unpredictable bytes from {@code randomBytes}, then the token.
     *
     * @param randomBytes at least {@link #MAX_LENGTH} random bytes
     * @return the length written, 0 if {@link #lengthFor} allows none
     */
    public int write(final byte[] out, final int triggerLength, final byte[] cid, final int cidOffset,
        final int cidLength, final byte[] randomBytes)
    {
        final int length = lengthFor(triggerLength);
        if (length == 0)
        {
            return 0;
        }
        System.arraycopy(randomBytes, 0, out, 0, length - TOKEN_LENGTH);
        out[0] = (byte)(0x40 | (randomBytes[0] & 0x3F)); // RFC 9000 10.3: looks like a short header
        tokenInto(cid, cidOffset, cidLength, out, length - TOKEN_LENGTH);
        return length;
    }

    /**
     * True if {@code datagram} (position to limit) could be a stateless reset carrying {@code token}:
     * a short-header first byte, at least {@value #MIN_LENGTH} bytes, and its last 16 bytes equal to
     * the token (compared in constant time, RFC 9000 10.3.1).
     */
    public static boolean matches(final ByteBuffer datagram, final byte[] token)
    {
        final int length = datagram.remaining();
        if (token == null || length < MIN_LENGTH || (datagram.get(datagram.position()) & 0x80) != 0)
        {
            return false;
        }
        final byte[] tail = new byte[TOKEN_LENGTH];
        datagram.get(datagram.limit() - TOKEN_LENGTH, tail);
        return MessageDigest.isEqual(tail, token);
    }
}
