package io.ringbus.quic.tls;

import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.interfaces.EdECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Arrays;

/**
 * The signature schemes (RFC 8446 4.2.3) this engine offers in signature_algorithms and can sign or
 * verify a CertificateVerify with, mapped to JDK signature algorithms. The rsa_pkcs1 schemes are
 * offered for certificate signatures only and never accepted in a CertificateVerify. Immutable.
 */
enum SignatureScheme
{
    ECDSA_SECP256R1_SHA256(0x0403, "SHA256withECDSA", null, true),
    RSA_PSS_RSAE_SHA256(0x0804, "RSASSA-PSS", pss("SHA-256", MGF1ParameterSpec.SHA256, 32), true),
    ED25519(0x0807, "Ed25519", null, true),
    ECDSA_SECP384R1_SHA384(0x0503, "SHA384withECDSA", null, true),
    RSA_PSS_RSAE_SHA384(0x0805, "RSASSA-PSS", pss("SHA-384", MGF1ParameterSpec.SHA384, 48), true),
    RSA_PSS_RSAE_SHA512(0x0806, "RSASSA-PSS", pss("SHA-512", MGF1ParameterSpec.SHA512, 64), true),
    RSA_PSS_PSS_SHA256(0x0809, "RSASSA-PSS", pss("SHA-256", MGF1ParameterSpec.SHA256, 32), true),
    RSA_PSS_PSS_SHA384(0x080a, "RSASSA-PSS", pss("SHA-384", MGF1ParameterSpec.SHA384, 48), true),
    RSA_PSS_PSS_SHA512(0x080b, "RSASSA-PSS", pss("SHA-512", MGF1ParameterSpec.SHA512, 64), true),
    RSA_PKCS1_SHA256(0x0401, "SHA256withRSA", null, false),
    RSA_PKCS1_SHA384(0x0501, "SHA384withRSA", null, false),
    RSA_PKCS1_SHA512(0x0601, "SHA512withRSA", null, false);

    private static final SignatureScheme[] VALUES = values();

    private final int code;
    private final String jdkAlgorithm;
    private final AlgorithmParameterSpec params;
    private final boolean forCertificateVerify;

    SignatureScheme(final int code, final String jdkAlgorithm, final AlgorithmParameterSpec params,
        final boolean forCertificateVerify)
    {
        this.code = code;
        this.jdkAlgorithm = jdkAlgorithm;
        this.params = params;
        this.forCertificateVerify = forCertificateVerify;
    }

    private static PSSParameterSpec pss(final String digest, final MGF1ParameterSpec mgf, final int saltLength)
    {
        // RFC 8446 4.2.3: MGF1 with the same digest, salt as long as the digest
        return new PSSParameterSpec(digest, "MGF1", mgf, saltLength, PSSParameterSpec.TRAILER_FIELD_BC);
    }

    int code()
    {
        return code;
    }

    /** True for schemes TLS 1.3 allows in a CertificateVerify (not rsa_pkcs1). */
    boolean forCertificateVerify()
    {
        return forCertificateVerify;
    }

    static SignatureScheme of(final int code)
    {
        for (final SignatureScheme scheme : VALUES)
        {
            if (scheme.code == code)
            {
                return scheme;
            }
        }
        return null;
    }

    /** True if {@code key} (public or private) is of the type and curve this scheme signs with. */
    boolean fits(final Key key)
    {
        switch (this)
        {
            case ECDSA_SECP256R1_SHA256:
                return key instanceof ECKey && ((ECKey)key).getParams().getCurve().getField().getFieldSize() == 256;
            case ECDSA_SECP384R1_SHA384:
                return key instanceof ECKey && ((ECKey)key).getParams().getCurve().getField().getFieldSize() == 384;
            case ED25519:
                return key instanceof EdECKey && "Ed25519".equalsIgnoreCase(((EdECKey)key).getParams().getName());
            case RSA_PSS_RSAE_SHA256:
            case RSA_PSS_RSAE_SHA384:
            case RSA_PSS_RSAE_SHA512:
            case RSA_PKCS1_SHA256:
            case RSA_PKCS1_SHA384:
            case RSA_PKCS1_SHA512:
                return key instanceof RSAKey && "RSA".equals(key.getAlgorithm());
            default:
                return key instanceof RSAKey && "RSASSA-PSS".equals(key.getAlgorithm());
        }
    }

    /** The schemes a server with {@code key} can sign a CertificateVerify with, best first. */
    static SignatureScheme[] forKey(final Key key)
    {
        int count = 0;
        final SignatureScheme[] fitting = new SignatureScheme[VALUES.length];
        for (final SignatureScheme scheme : VALUES)
        {
            if (scheme.forCertificateVerify && scheme.fits(key))
            {
                fitting[count++] = scheme;
            }
        }
        return Arrays.copyOf(fitting, count);
    }

    /** Sign with {@code random} (ECDSA's k, PSS's salt): a seeded one makes the signature, and its DER length, repeatable. */
    byte[] sign(final PrivateKey key, final byte[] content, final SecureRandom random) throws GeneralSecurityException
    {
        final Signature signature = Signature.getInstance(jdkAlgorithm);
        if (params != null)
        {
            signature.setParameter(params);
        }
        signature.initSign(key, random);
        signature.update(content);
        return signature.sign();
    }

    boolean verify(final PublicKey key, final byte[] content, final byte[] signatureBytes) throws GeneralSecurityException
    {
        final Signature signature = Signature.getInstance(jdkAlgorithm);
        if (params != null)
        {
            signature.setParameter(params);
        }
        signature.initVerify(key);
        signature.update(content);
        return signature.verify(signatureBytes);
    }
}
