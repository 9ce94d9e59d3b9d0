package io.ringbus.quic.tls;

import io.ringbus.quic.packet.CipherSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.security.cert.X509Certificate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The configuration's defaults and its validation messages, which name the field at fault. */
class QuicTlsConfigTest
{
    @Test
    void defaults()
    {
        final QuicTlsConfig config = QuicTlsConfig.builder().build();
        assertArrayEquals(new CipherSuite[] {CipherSuite.AES_128_GCM_SHA256, CipherSuite.CHACHA20_POLY1305_SHA256},
            config.cipherSuites());
        assertArrayEquals(new NamedGroup[] {NamedGroup.X25519, NamedGroup.SECP256R1}, config.groups());
        assertEquals("ringbus", config.applicationProtocol());
        assertTrue(config.hostnameVerification());
        assertFalse(config.isInsecure());
        assertFalse(config.hasKeyMaterial());
        assertFalse(config.canVerifyServers());
    }

    @Test
    void invalidSettingsNameTheirField()
    {
        assertMessage("cipherSuites", () -> QuicTlsConfig.builder().cipherSuites());
        assertMessage("cipherSuites", () -> QuicTlsConfig.builder().cipherSuites(CipherSuite.AES_128_GCM_SHA256,
            CipherSuite.AES_128_GCM_SHA256));
        assertMessage("groups", () -> QuicTlsConfig.builder().groups());
        assertMessage("groups", () -> QuicTlsConfig.builder().groups(NamedGroup.X25519, null));
        assertMessage("applicationProtocol", () -> QuicTlsConfig.builder().applicationProtocol(""));
        assertMessage("applicationProtocol", () -> QuicTlsConfig.builder().applicationProtocol("a b"));
        assertMessage("keyMaterial", () -> QuicTlsConfig.builder().keyMaterial(new X509Certificate[0],
            TestCertificates.EC_LEAF.key));
        assertMessage("keyMaterial", () -> QuicTlsConfig.builder().keyMaterial(TestCertificates.EC_LEAF.chain, null));
        assertMessage("trust", () -> QuicTlsConfig.builder().trust((X509Certificate)null));
    }

    @Test
    void aKeyThatDoesNotMatchTheCertificateIsRefused()
    {
        final TestCertificates.Identity other = TestCertificates.leaf(TestCertificates.CA, "CN=other",
            TestCertificates.ecKey(), false, "localhost");
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> QuicTlsConfig.builder().keyMaterial(TestCertificates.EC_LEAF.chain, other.key).build());
        assertTrue(ex.getMessage().startsWith("keyMaterial") && ex.getMessage().contains("does not match"),
            ex.getMessage());
        assertMessage("keyMaterial", () -> QuicTlsConfig.builder().keyMaterial(TestCertificates.EC_LEAF.chain,
            TestCertificates.ed25519Leaf().key).build());
    }

    @Test
    void enginesNeedTheirHalfOfTheConfiguration()
    {
        assertMessage("trust", () -> QuicTls.client(QuicTlsConfig.builder().build(), "localhost",
            new TransportParameters(), new HandshakePump.Side("c")));
        assertMessage("serverName", () -> QuicTls.client(QuicTlsConfig.builder().trust(TestCertificates.CA.leaf()).build(),
            null, new TransportParameters(), new HandshakePump.Side("c")));
        assertMessage("keyMaterial", () -> QuicTls.server(QuicTlsConfig.builder().build(), new TransportParameters(),
            new HandshakePump.Side("s")));
    }

    private static void assertMessage(final String field, final Executable executable)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, executable);
        assertTrue(ex.getMessage().startsWith(field), ex.getMessage());
    }
}
