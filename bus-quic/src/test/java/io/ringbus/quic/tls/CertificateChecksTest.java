package io.ringbus.quic.tls;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Name matching (RFC 6125) and IP literal detection, without DNS. */
class CertificateChecksTest
{
    @Test
    void exactNames()
    {
        assertTrue(CertificateChecks.dnsMatches("example.com", "example.com"));
        assertFalse(CertificateChecks.dnsMatches("example.com", "www.example.com"));
        assertFalse(CertificateChecks.dnsMatches("", "example.com"));
    }

    @Test
    void aWildcardIsOneWholeLeftmostLabel()
    {
        assertTrue(CertificateChecks.dnsMatches("*.example.com", "api.example.com"));
        assertFalse(CertificateChecks.dnsMatches("*.example.com", "example.com"));
        assertFalse(CertificateChecks.dnsMatches("*.example.com", "a.b.example.com"));
        assertFalse(CertificateChecks.dnsMatches("*.example.com", ".example.com"));
        assertFalse(CertificateChecks.dnsMatches("*.com", "example.com"), "no wildcard over a public suffix");
        assertFalse(CertificateChecks.dnsMatches("a*.example.com", "ab.example.com"), "no partial-label wildcard");
        assertFalse(CertificateChecks.dnsMatches("*.*.example.com", "a.b.example.com"));
        assertFalse(CertificateChecks.dnsMatches("www.*.com", "www.example.com"));
    }

    @Test
    void ipLiterals()
    {
        assertTrue(CertificateChecks.isIpLiteral("127.0.0.1"));
        assertTrue(CertificateChecks.isIpLiteral("::1"));
        assertTrue(CertificateChecks.isIpLiteral("[2001:db8::1]"));
        assertFalse(CertificateChecks.isIpLiteral("256.0.0.1"));
        assertFalse(CertificateChecks.isIpLiteral("1.2.3"));
        assertFalse(CertificateChecks.isIpLiteral("localhost"));
        assertFalse(CertificateChecks.isIpLiteral("1.2.3.example"));
    }
}
