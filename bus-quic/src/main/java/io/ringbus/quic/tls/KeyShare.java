package io.ringbus.quic.tls;

import io.ringbus.quic.packet.QuicException;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.XECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.EllipticCurve;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;

import javax.crypto.KeyAgreement;

/**
 * One ephemeral (EC)DHE key pair of a {@link NamedGroup} (RFC 8446 4.2.8): its key_share encoding
 * and the shared secret with a peer's share. Peer shares of the wrong length or not on the curve
 * are an illegal_parameter. Used once; not thread-safe.
 */
final class KeyShare
{
    private static final int P256_COORDINATE = 32;

    private final NamedGroup group;
    private final KeyPair keyPair;
    private final byte[] encoded;

    private KeyShare(final NamedGroup group, final KeyPair keyPair, final byte[] encoded)
    {
        this.group = group;
        this.keyPair = keyPair;
        this.encoded = encoded;
    }

    /** A fresh key pair for {@code group}, drawn from {@code random}. */
    static KeyShare generate(final NamedGroup group, final SecureRandom random) throws QuicException
    {
        try
        {
            if (group == NamedGroup.X25519)
            {
                final KeyPairGenerator generator = KeyPairGenerator.getInstance("XDH");
                generator.initialize(NamedParameterSpec.X25519, random);
                final KeyPair pair = generator.generateKeyPair();
                return new KeyShare(group, pair, encodeU(((XECPublicKey)pair.getPublic()).getU()));
            }
            final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), random);
            final KeyPair pair = generator.generateKeyPair();
            final ECPoint point = ((ECPublicKey)pair.getPublic()).getW();
            final byte[] encoded = new byte[1 + 2 * P256_COORDINATE];
            encoded[0] = 0x04;
            unsigned(point.getAffineX(), encoded, 1, P256_COORDINATE);
            unsigned(point.getAffineY(), encoded, 1 + P256_COORDINATE, P256_COORDINATE);
            return new KeyShare(group, pair, encoded);
        }
        catch (final GeneralSecurityException ex)
        {
            throw TlsAlert.error(TlsAlert.INTERNAL_ERROR, "cannot generate a " + group.tlsName() + " key: " + ex);
        }
    }

    /**
     * An X25519 share from a known private scalar and public key (both as RFC 7748 encodes them),
     * for known-answer tests such as RFC 8448's traces.
     */
    static KeyShare x25519(final byte[] privateScalar, final byte[] publicKey) throws QuicException
    {
        try
        {
            final PrivateKey privateKey = KeyFactory.getInstance("XDH").generatePrivate(
                new XECPrivateKeySpec(NamedParameterSpec.X25519, privateScalar.clone()));
            final PublicKey key = x25519Key(publicKey);
            return new KeyShare(NamedGroup.X25519, new KeyPair(key, privateKey), encodeU(((XECPublicKey)key).getU()));
        }
        catch (final GeneralSecurityException ex)
        {
            throw TlsAlert.error(TlsAlert.INTERNAL_ERROR, "cannot build an x25519 key: " + ex);
        }
    }

    NamedGroup group()
    {
        return group;
    }

    /** The key_exchange bytes of our key_share entry. */
    byte[] encoded()
    {
        return encoded.clone();
    }

    /** The (EC)DHE shared secret with the peer's key_exchange bytes. */
    byte[] sharedSecret(final byte[] peer) throws QuicException
    {
        if (peer.length != group.keyShareLength())
        {
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, group.tlsName() + " key_share of " + peer.length +
                " bytes: must be " + group.keyShareLength());
        }
        final PublicKey peerKey = group == NamedGroup.X25519 ? x25519Key(peer) : p256Key(peer);
        try
        {
            final KeyAgreement agreement = KeyAgreement.getInstance(group == NamedGroup.X25519 ? "XDH" : "ECDH");
            agreement.init(keyPair.getPrivate());
            agreement.doPhase(peerKey, true);
            final byte[] secret = agreement.generateSecret();
            if (secret.length == P256_COORDINATE || group == NamedGroup.X25519)
            {
                return secret;
            }
            // RFC 8446 7.4.2: the x-coordinate as a fixed-length big-endian octet string
            final byte[] padded = new byte[P256_COORDINATE];
            System.arraycopy(secret, 0, padded, P256_COORDINATE - secret.length, secret.length);
            return padded;
        }
        catch (final GeneralSecurityException | RuntimeException ex)
        {
            // the JDK refuses small-order X25519 points (an all-zero secret, RFC 7748 6.1) this way
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "peer " + group.tlsName() + " key_share rejected: " +
                ex.getMessage());
        }
    }

    private static PublicKey x25519Key(final byte[] peer) throws QuicException
    {
        // RFC 7748 5: little-endian, the most significant bit of the last byte masked
        final byte[] bigEndian = new byte[peer.length];
        for (int i = 0; i < peer.length; i++)
        {
            bigEndian[i] = peer[peer.length - 1 - i];
        }
        bigEndian[0] &= 0x7F;
        try
        {
            return KeyFactory.getInstance("XDH").generatePublic(
                new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(1, bigEndian)));
        }
        catch (final GeneralSecurityException | RuntimeException ex)
        {
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "bad x25519 key_share: " + ex.getMessage());
        }
    }

    private PublicKey p256Key(final byte[] peer) throws QuicException
    {
        if (peer[0] != 0x04)
        {
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "secp256r1 key_share is not an uncompressed point (first byte 0x" +
                Integer.toHexString(peer[0] & 0xFF) + ")");
        }
        final BigInteger x = new BigInteger(1, Arrays.copyOfRange(peer, 1, 1 + P256_COORDINATE));
        final BigInteger y = new BigInteger(1, Arrays.copyOfRange(peer, 1 + P256_COORDINATE, peer.length));
        final ECParameterSpec params = ((ECPublicKey)keyPair.getPublic()).getParams();
        final EllipticCurve curve = params.getCurve();
        final BigInteger p = ((ECFieldFp)curve.getField()).getP();
        // RFC 8446 4.2.8.2: the peer's point must be validated (SEC 1 3.2.2.1)
        final boolean onCurve = x.compareTo(p) < 0 && y.compareTo(p) < 0 &&
            y.multiply(y).subtract(x.multiply(x).multiply(x).add(curve.getA().multiply(x)).add(curve.getB())).mod(p).signum() == 0;
        if (!onCurve)
        {
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "secp256r1 key_share is not a point on the curve");
        }
        try
        {
            return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(x, y), params));
        }
        catch (final GeneralSecurityException | RuntimeException ex)
        {
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "bad secp256r1 key_share: " + ex.getMessage());
        }
    }

    /** The u-coordinate as 32 little-endian bytes (RFC 7748 5). */
    static byte[] encodeU(final BigInteger u)
    {
        final byte[] bigEndian = new byte[32];
        unsigned(u, bigEndian, 0, 32);
        final byte[] littleEndian = new byte[32];
        for (int i = 0; i < 32; i++)
        {
            littleEndian[i] = bigEndian[31 - i];
        }
        return littleEndian;
    }

    /** {@code value} as exactly {@code length} unsigned big-endian bytes at {@code offset}. */
    private static void unsigned(final BigInteger value, final byte[] out, final int offset, final int length)
    {
        final byte[] raw = value.toByteArray(); // may carry a leading sign byte or be shorter
        final int copy = Math.min(raw.length, length);
        System.arraycopy(raw, raw.length - copy, out, offset + length - copy, copy);
    }
}
