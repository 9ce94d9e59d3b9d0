package io.ringbus.quic.tls;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The handshake transcript (RFC 8446 4.4.1): a running SHA-256 over the handshake messages, with a
 * snapshot hash at any point, and the HelloRetryRequest rule that replaces the first ClientHello
 * by a synthetic message_hash message. Not thread-safe.
 */
final class Transcript
{
    private MessageDigest digest;

    Transcript()
    {
        digest = newDigest();
    }

    private static MessageDigest newDigest()
    {
        try
        {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("SHA-256 unavailable", ex);
        }
    }

    /** Add a whole handshake message, header included. */
    void add(final byte[] message, final int offset, final int length)
    {
        digest.update(message, offset, length);
    }

    void add(final byte[] message)
    {
        digest.update(message);
    }

    /** The hash of everything added so far; the transcript goes on. */
    byte[] hash()
    {
        try
        {
            return ((MessageDigest)digest.clone()).digest();
        }
        catch (final CloneNotSupportedException ex)
        {
            throw new IllegalStateException("SHA-256 digest cannot be cloned", ex);
        }
    }

    /**
     * RFC 8446 4.4.1: on a HelloRetryRequest, the transcript so far (ClientHello1) is replaced by
     * message_hash(254) with a 3-byte length of 32 and Hash(ClientHello1).
     */
    void replaceWithMessageHash()
    {
        final byte[] clientHelloHash = hash();
        digest = newDigest();
        digest.update(new byte[] {(byte)Tls13.MESSAGE_HASH, 0, 0, (byte)clientHelloHash.length});
        digest.update(clientHelloHash);
    }
}
