package io.ringbus.quic.tls;

import io.ringbus.quic.packet.Hkdf;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The TLS 1.3 key schedule (RFC 8446 section 7.1) for SHA-256 suites without a PSK, as QUIC uses it
 * (RFC 9001 section 5.1: the handshake and application traffic secrets become QUIC packet keys).
 * Holds the secrets of one connection; not thread-safe.
 */
public final class KeySchedule
{
    private static final byte[] ZEROS = new byte[Hkdf.HASH_LENGTH];
    private static final byte[] EMPTY_HASH = sha256(new byte[0]);

    private final byte[] earlySecret;
    private byte[] handshakeSecret;
    private byte[] masterSecret;
    private byte[] clientHandshakeTrafficSecret;
    private byte[] serverHandshakeTrafficSecret;
    private byte[] clientApplicationTrafficSecret;
    private byte[] serverApplicationTrafficSecret;

    /** Start a schedule with no PSK: the early secret is HKDF-Extract(0, 0). */
    public KeySchedule()
    {
        this.earlySecret = Hkdf.extract(ZEROS, ZEROS);
    }

    /** Derive-Secret(secret, label, messages) given the transcript hash of the messages. */
    public static byte[] deriveSecret(final byte[] secret, final String label, final byte[] transcriptHash)
    {
        return Hkdf.expandLabel(secret, label, transcriptHash, Hkdf.HASH_LENGTH);
    }

    /** SHA-256 of {@code bytes}. */
    public static byte[] sha256(final byte[] bytes)
    {
        try
        {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("SHA-256 unavailable", ex);
        }
    }

    public byte[] earlySecret()
    {
        return earlySecret.clone();
    }

    /**
     * The (EC)DHE shared secret is known and the transcript runs to ServerHello: derive the
     * handshake secret and both handshake traffic secrets.
     */
    public void onServerHello(final byte[] sharedSecret, final byte[] transcriptHashThroughServerHello)
    {
        handshakeSecret = Hkdf.extract(deriveSecret(earlySecret, "derived", EMPTY_HASH), sharedSecret);
        clientHandshakeTrafficSecret = deriveSecret(handshakeSecret, "c hs traffic", transcriptHashThroughServerHello);
        serverHandshakeTrafficSecret = deriveSecret(handshakeSecret, "s hs traffic", transcriptHashThroughServerHello);
    }

    /** The transcript runs to the server's Finished: derive the master secret and application traffic secrets. */
    public void onServerFinished(final byte[] transcriptHashThroughServerFinished)
    {
        masterSecret = Hkdf.extract(deriveSecret(handshakeSecret, "derived", EMPTY_HASH), ZEROS);
        clientApplicationTrafficSecret = deriveSecret(masterSecret, "c ap traffic", transcriptHashThroughServerFinished);
        serverApplicationTrafficSecret = deriveSecret(masterSecret, "s ap traffic", transcriptHashThroughServerFinished);
    }

    /** The Finished verify_data for {@code baseKey} (a handshake traffic secret) over a transcript hash. */
    public static byte[] finishedVerifyData(final byte[] baseKey, final byte[] transcriptHash)
    {
        final byte[] finishedKey = Hkdf.expandLabel(baseKey, "finished", new byte[0], Hkdf.HASH_LENGTH);
        try
        {
            final javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(finishedKey, "HmacSHA256"));
            return mac.doFinal(transcriptHash);
        }
        catch (final java.security.GeneralSecurityException ex)
        {
            throw new IllegalStateException("HmacSHA256 unavailable", ex);
        }
    }

    public byte[] handshakeSecret()
    {
        return handshakeSecret.clone();
    }

    public byte[] masterSecret()
    {
        return masterSecret.clone();
    }

    public byte[] clientHandshakeTrafficSecret()
    {
        return clientHandshakeTrafficSecret.clone();
    }

    public byte[] serverHandshakeTrafficSecret()
    {
        return serverHandshakeTrafficSecret.clone();
    }

    public byte[] clientApplicationTrafficSecret()
    {
        return clientApplicationTrafficSecret.clone();
    }

    public byte[] serverApplicationTrafficSecret()
    {
        return serverApplicationTrafficSecret.clone();
    }
}
