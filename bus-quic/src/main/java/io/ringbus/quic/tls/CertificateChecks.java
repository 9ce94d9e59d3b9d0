package io.ringbus.quic.tls;

import io.ringbus.quic.packet.QuicException;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The checks of a peer's certificate chain: PKIX path validation against the configured anchors
 * (revocation off), the leaf's keyUsage and extendedKeyUsage for its role (a TLS server or a TLS
 * client), and, for a server, the name against the leaf's subjectAltName (RFC 6125: dNSName with
 * at most a leftmost wildcard label, iPAddress for IP literals, no CN fallback). Failures are
 * certificate_unknown, certificate_expired or bad_certificate naming the subject and the problem.
 * Stateless; any thread.
 */
final class CertificateChecks
{
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    /** RFC 5280 4.2.1.3: bit 0 of KeyUsage. */
    private static final int DIGITAL_SIGNATURE = 0;
    private static final String ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";
    private static final int SAN_DNS = 2;
    private static final int SAN_IP = 7;

    private CertificateChecks()
    {
    }

    /**
     * Validate {@code chain} (leaf first) up to one of {@code anchors}, and the leaf's key usages
     * for a TLS server ({@code server}) or a TLS client.
     */
    static void validatePath(final X509Certificate[] chain, final X509Certificate[] anchors, final boolean server)
        throws QuicException
    {
        final String subject = subject(chain[0]);
        final Set<TrustAnchor> trustAnchors = new HashSet<>();
        for (final X509Certificate anchor : anchors)
        {
            trustAnchors.add(new TrustAnchor(anchor, null));
        }
        // A server may send its root too: a PKIX path ends below the anchor, so drop trailing anchors.
        int length = chain.length;
        while (length > 1 && isAnchor(chain[length - 1], anchors))
        {
            length--;
        }
        try
        {
            final CertificateFactory factory = CertificateFactory.getInstance("X.509");
            final CertPath path = factory.generateCertPath(Arrays.asList(chain).subList(0, length));
            final PKIXParameters params = new PKIXParameters(trustAnchors);
            params.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(path, params);
        }
        catch (final CertPathValidatorException ex)
        {
            final CertPathValidatorException.Reason reason = ex.getReason();
            final int alert = reason == CertPathValidatorException.BasicReason.EXPIRED ||
                reason == CertPathValidatorException.BasicReason.NOT_YET_VALID ?
                TlsAlert.CERTIFICATE_EXPIRED : TlsAlert.CERTIFICATE_UNKNOWN;
            throw TlsAlert.error(alert, "certificate of " + subject + " is not trusted: " + ex.getMessage());
        }
        catch (final GeneralSecurityException | RuntimeException ex)
        {
            throw TlsAlert.error(TlsAlert.CERTIFICATE_UNKNOWN, "certificate of " + subject + " cannot be validated: " +
                ex.getMessage());
        }
        checkSigningKeyUsage(chain[0]);
        checkExtendedKeyUsage(chain[0], server);
    }

    /**
     * RFC 8446 4.4.2.2 and RFC 5280 4.2.1.3: a TLS 1.3 leaf signs the CertificateVerify, so a
     * keyUsage extension, if present, must assert digitalSignature.
     */
    static void checkSigningKeyUsage(final X509Certificate leaf) throws QuicException
    {
        final boolean[] usage = leaf.getKeyUsage();
        if (usage != null && (usage.length <= DIGITAL_SIGNATURE || !usage[DIGITAL_SIGNATURE]))
        {
            throw TlsAlert.error(TlsAlert.BAD_CERTIFICATE, "certificate of " + subject(leaf) + " cannot sign a " +
                "CertificateVerify: its keyUsage lacks digitalSignature (RFC 8446 4.4.2.2, RFC 5280 4.2.1.3)");
        }
    }

    private static boolean isAnchor(final X509Certificate certificate, final X509Certificate[] anchors)
    {
        for (final X509Certificate anchor : anchors)
        {
            if (anchor.equals(certificate))
            {
                return true;
            }
        }
        return false;
    }

    private static void checkExtendedKeyUsage(final X509Certificate leaf, final boolean server) throws QuicException
    {
        final List<String> usages;
        try
        {
            usages = leaf.getExtendedKeyUsage();
        }
        catch (final CertificateParsingException ex)
        {
            throw TlsAlert.error(TlsAlert.BAD_CERTIFICATE, "certificate of " + subject(leaf) +
                ": unreadable extendedKeyUsage: " + ex.getMessage());
        }
        final String wanted = server ? SERVER_AUTH : CLIENT_AUTH;
        if (usages != null && !usages.contains(wanted) && !usages.contains(ANY_EXTENDED_KEY_USAGE))
        {
            throw TlsAlert.error(TlsAlert.CERTIFICATE_UNKNOWN, "certificate of " + subject(leaf) + " is not for TLS " +
                (server ? "servers: extendedKeyUsage " + usages + " lacks serverAuth" :
                "clients: extendedKeyUsage " + usages + " lacks clientAuth"));
        }
    }

    /** Check that {@code leaf} names {@code serverName} (a host name or an IP literal). */
    static void verifyHostname(final X509Certificate leaf, final String serverName) throws QuicException
    {
        final Collection<List<?>> names;
        try
        {
            names = leaf.getSubjectAlternativeNames();
        }
        catch (final CertificateParsingException ex)
        {
            throw TlsAlert.error(TlsAlert.BAD_CERTIFICATE, "certificate of " + subject(leaf) +
                ": unreadable subjectAltName: " + ex.getMessage());
        }
        final boolean ip = isIpLiteral(serverName);
        final List<String> offered = new ArrayList<>();
        if (names != null)
        {
            final byte[] address = ip ? ipBytes(serverName) : null;
            final String host = ip ? null : normalise(serverName);
            for (final List<?> name : names)
            {
                final int type = (Integer)name.get(0);
                final Object value = name.get(1);
                if (!(value instanceof String))
                {
                    continue;
                }
                offered.add((String)value);
                if (ip && type == SAN_IP && isIpLiteral((String)value) && Arrays.equals(address, ipBytes((String)value)))
                {
                    return;
                }
                if (!ip && type == SAN_DNS && dnsMatches(normalise((String)value), host))
                {
                    return;
                }
            }
        }
        throw TlsAlert.error(TlsAlert.CERTIFICATE_UNKNOWN, "certificate of " + subject(leaf) + " does not name " +
            serverName + " (subjectAltName " + offered + ")");
    }

    private static String normalise(final String name)
    {
        final String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    /** RFC 6125 6.4.3: a wildcard only as the whole leftmost label, matching exactly one label. */
    static boolean dnsMatches(final String pattern, final String host)
    {
        if (pattern.isEmpty() || host.isEmpty())
        {
            return false;
        }
        if (!pattern.startsWith("*."))
        {
            return pattern.indexOf('*') < 0 && pattern.equals(host);
        }
        final String suffix = pattern.substring(1); // ".example.com"
        // at least two labels below the wildcard (no "*.com"), and no further wildcard
        if (suffix.indexOf('*') >= 0 || suffix.indexOf('.', 1) < 0)
        {
            return false;
        }
        final int firstDot = host.indexOf('.');
        return firstDot > 0 && host.substring(firstDot).equals(suffix);
    }

    /** True for an IPv4 dotted quad or an IPv6 literal (optionally in brackets); decided without DNS. */
    static boolean isIpLiteral(final String name)
    {
        if (name.indexOf(':') >= 0)
        {
            for (int i = 0; i < name.length(); i++)
            {
                final char c = name.charAt(i);
                if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.' || c == '[' || c == ']' || c == '%'))
                {
                    return false;
                }
            }
            return true;
        }
        final String[] parts = name.split("\\.", -1);
        if (parts.length != 4)
        {
            return false;
        }
        for (final String part : parts)
        {
            if (part.isEmpty() || part.length() > 3)
            {
                return false;
            }
            for (int i = 0; i < part.length(); i++)
            {
                if (part.charAt(i) < '0' || part.charAt(i) > '9')
                {
                    return false;
                }
            }
            if (Integer.parseInt(part) > 255)
            {
                return false;
            }
        }
        return true;
    }

    private static byte[] ipBytes(final String literal)
    {
        String bare = literal.startsWith("[") && literal.endsWith("]") ? literal.substring(1, literal.length() - 1) : literal;
        final int scope = bare.indexOf('%');
        if (scope >= 0)
        {
            bare = bare.substring(0, scope);
        }
        try
        {
            // a literal: InetAddress parses it without a lookup
            return InetAddress.getByName(bare).getAddress();
        }
        catch (final UnknownHostException ex)
        {
            return new byte[0];
        }
    }

    static String subject(final X509Certificate certificate)
    {
        return certificate.getSubjectX500Principal().getName();
    }
}
