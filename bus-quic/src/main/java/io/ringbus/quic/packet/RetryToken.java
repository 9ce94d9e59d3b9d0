package io.ringbus.quic.packet;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The address validation tokens a listener puts in its Retry packets (RFC 9000 8.1.2, 8.1.4):
 * AES-128-GCM under a random key of this instance (so only this listener can mint or read them),
 * sealing the client's IP address and port, the Original Destination Connection ID, the Retry's
 * Source Connection ID and the time it was issued. A token opens only for the same address and
 * port, within {@link #lifetimeNs()} of being issued: a token seen from another address, a stale
 * one or a forged one is refused with a reason.
 *
 * <p>Layout: nonce (12) | sealed { issuedNs (8) | port (2) | ip length (1) | ip | odcid length (1) |
 * odcid | retry scid length (1) | retry scid } | tag (16). The clock is the caller's (a monotonic
 * {@code nowNs}: tokens never outlive the process that holds the key). Listener thread only.
 */
public final class RetryToken
{
    /** Default lifetime: long enough for a client's next Initial after a Retry, short enough to be useless later. */
    public static final long DEFAULT_LIFETIME_NS = 10_000_000_000L;
    private static final int NONCE_LENGTH = 12;
    private static final int TAG_LENGTH = 16;
    /** Largest token we issue: nonce, 8 + 2 + 1 + 16 + 1 + 20 + 1 + 20, tag. */
    public static final int MAX_LENGTH = NONCE_LENGTH + 69 + TAG_LENGTH;

    /** A token that opened: the connection ids it carries. */
    public record Validated(byte[] originalDestinationConnectionId, byte[] retrySourceConnectionId)
    {
    }

    private final SecretKeySpec key;
    private final long lifetimeNs;
    private final SecureRandom random;
    private final Cipher cipher;
    private String failure;

    /** Tokens under a fresh random key. */
    public RetryToken(final SecureRandom random, final long lifetimeNs)
    {
        if (lifetimeNs <= 0)
        {
            throw new IllegalArgumentException("lifetimeNs = " + lifetimeNs + ": must be positive");
        }
        final byte[] raw = new byte[16];
        random.nextBytes(raw);
        this.key = new SecretKeySpec(raw, "AES");
        this.lifetimeNs = lifetimeNs;
        this.random = random;
        try
        {
            this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("AES-GCM is unavailable: " + ex.getMessage(), ex);
        }
    }

    /** How long a token is accepted after it was issued. */
    public long lifetimeNs()
    {
        return lifetimeNs;
    }

    /** Why the last {@link #open} refused, for logs and tests. */
    public String failure()
    {
        return failure;
    }

    /** A token for a client at {@code client} whose Initial carried {@code originalDcid}, retried to {@code retryScid}. */
    public byte[] seal(final InetSocketAddress client, final byte[] originalDcid, final byte[] retryScid, final long nowNs)
    {
        final byte[] ip = client.getAddress().getAddress();
        final ByteBuffer plain = ByteBuffer.allocate(8 + 2 + 1 + ip.length + 1 + originalDcid.length + 1 + retryScid.length);
        plain.putLong(nowNs).putShort((short)client.getPort());
        plain.put((byte)ip.length).put(ip);
        plain.put((byte)originalDcid.length).put(originalDcid);
        plain.put((byte)retryScid.length).put(retryScid);
        final byte[] token = new byte[NONCE_LENGTH + plain.capacity() + TAG_LENGTH];
        final byte[] nonce = new byte[NONCE_LENGTH];
        random.nextBytes(nonce);
        System.arraycopy(nonce, 0, token, 0, NONCE_LENGTH);
        try
        {
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, token, 0, NONCE_LENGTH));
            cipher.doFinal(plain.array(), 0, plain.capacity(), token, NONCE_LENGTH);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("sealing a retry token: " + ex.getMessage(), ex);
        }
        return token;
    }

    /**
     * Open the token {@code token[offset, offset + length)} that arrived from {@code client} at {@code nowNs}.
     *
     * @return its connection ids, or null (then {@link #failure()} says why) if it does not
     *     authenticate, was issued to another address or port, or is older than the lifetime
     */
    public Validated open(final byte[] token, final int offset, final int length, final InetSocketAddress client,
        final long nowNs)
    {
        if (length < NONCE_LENGTH + TAG_LENGTH + 8 + 2 + 1 || length > MAX_LENGTH)
        {
            failure = "token of " + length + " bytes: not one of ours";
            return null;
        }
        final byte[] plain;
        try
        {
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, token, offset, NONCE_LENGTH));
            plain = cipher.doFinal(token, offset + NONCE_LENGTH, length - NONCE_LENGTH);
        }
        catch (final AEADBadTagException ex)
        {
            failure = "token does not authenticate: not issued by this listener";
            return null;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("opening a retry token: " + ex.getMessage(), ex);
        }
        final ByteBuffer in = ByteBuffer.wrap(plain);
        final long issuedNs = in.getLong();
        final int port = in.getShort() & 0xFFFF;
        final byte[] ip = new byte[in.get() & 0xFF];
        in.get(ip);
        final byte[] odcid = new byte[in.get() & 0xFF];
        in.get(odcid);
        final byte[] rscid = new byte[in.get() & 0xFF];
        in.get(rscid);
        final long ageNs = nowNs - issuedNs;
        if (ageNs < 0 || ageNs > lifetimeNs)
        {
            failure = "token expired: issued " + ageNs / 1_000_000 + " ms ago, lifetime " + lifetimeNs / 1_000_000 + " ms";
            return null;
        }
        if (port != client.getPort() || !Arrays.equals(ip, client.getAddress().getAddress()))
        {
            failure = "token issued to another address";
            return null;
        }
        failure = null;
        return new Validated(odcid, rscid);
    }
}
