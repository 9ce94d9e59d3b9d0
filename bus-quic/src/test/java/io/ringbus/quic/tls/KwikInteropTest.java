package io.ringbus.quic.tls;

import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.packet.QuicException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tech.kwik.agent15.ProtectionKeysType;
import tech.kwik.agent15.TlsConstants;
import tech.kwik.agent15.TlsProtocolException;
import tech.kwik.agent15.engine.ClientMessageSender;
import tech.kwik.agent15.engine.ServerMessageSender;
import tech.kwik.agent15.engine.TlsEngine;
import tech.kwik.agent15.engine.TlsMessageParser;
import tech.kwik.agent15.engine.TlsStatusEventHandler;
import tech.kwik.agent15.engine.impl.TlsClientEngineImpl;
import tech.kwik.agent15.engine.impl.TlsServerEngineImpl;
import tech.kwik.agent15.extension.ApplicationLayerProtocolNegotiationExtension;
import tech.kwik.agent15.extension.Extension;
import tech.kwik.agent15.extension.UnknownExtension;
import tech.kwik.agent15.handshake.CertificateMessage;
import tech.kwik.agent15.handshake.CertificateVerifyMessage;
import tech.kwik.agent15.handshake.ClientHello;
import tech.kwik.agent15.handshake.EncryptedExtensions;
import tech.kwik.agent15.handshake.FinishedMessage;
import tech.kwik.agent15.handshake.NewSessionTicketMessage;
import tech.kwik.agent15.handshake.ServerHello;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Interop with an independent TLS 1.3 implementation: Kwik's agent15 engines (the TLS of the Kwik
 * QUIC stack), in memory. Our client against its server and its client against our server must
 * derive the same handshake and application secrets and agree on ALPN and transport parameters.
 */
class KwikInteropTest
{
    private static final int QUIC_TRANSPORT_PARAMETERS = 0x39;

    /** An extension Kwik sends verbatim: type, length, data. */
    private static final class RawExtension extends Extension
    {
        private final int type;
        private final byte[] data;

        RawExtension(final int type, final byte[] data)
        {
            this.type = type;
            this.data = data;
        }

        @Override
        public byte[] getBytes()
        {
            final ByteBuffer out = ByteBuffer.allocate(4 + data.length);
            out.putShort((short)type).putShort((short)data.length).put(data);
            return out.array();
        }
    }

    /** Kwik's status callbacks: collects the extensions it received, answers ALPN and transport parameters. */
    private static class KwikStatus implements TlsStatusEventHandler
    {
        final List<Extension> received = new ArrayList<>();
        TlsServerEngineImpl server;
        byte[] serverParameters;
        boolean finished;

        @Override
        public void earlySecretsKnown()
        {
        }

        @Override
        public void handshakeSecretsKnown()
        {
        }

        @Override
        public void handshakeFinished()
        {
            finished = true;
        }

        @Override
        public void newSessionTicketReceived(final tech.kwik.agent15.NewSessionTicket ticket)
        {
        }

        @Override
        public void extensionsReceived(final List<Extension> extensions) throws TlsProtocolException
        {
            received.addAll(extensions);
            if (server != null)
            {
                // what Kwik's QUIC server does: answer ALPN and send its transport parameters
                server.addServerExtensions(new ApplicationLayerProtocolNegotiationExtension("ringbus"));
                server.addServerExtensions(new RawExtension(QUIC_TRANSPORT_PARAMETERS, serverParameters));
            }
        }

        @Override
        public boolean isEarlyDataAccepted()
        {
            return false;
        }

        byte[] extensionData(final int type)
        {
            for (final Extension extension : received)
            {
                if (extension instanceof UnknownExtension && ((UnknownExtension)extension).getType() == type)
                {
                    // agent15 keeps the extension header (type, length) in the data
                    final byte[] data = ((UnknownExtension)extension).getData();
                    return java.util.Arrays.copyOfRange(data, 4, data.length);
                }
            }
            return null;
        }

        String alpn()
        {
            for (final Extension extension : received)
            {
                if (extension instanceof ApplicationLayerProtocolNegotiationExtension)
                {
                    return ((ApplicationLayerProtocolNegotiationExtension)extension).getProtocols().get(0);
                }
            }
            return null;
        }
    }

    private static byte[] encode(final TransportParameters parameters)
    {
        final ByteBuffer out = ByteBuffer.allocate(512);
        parameters.encode(out);
        out.flip();
        final byte[] bytes = new byte[out.remaining()];
        out.get(bytes);
        return bytes;
    }

    /** Feed whole handshake messages to a Kwik engine. */
    private static void feed(final TlsEngine kwik, final byte[] bytes, final ProtectionKeysType keys)
        throws TlsProtocolException, IOException
    {
        final ByteBuffer buffer = ByteBuffer.wrap(bytes);
        final TlsMessageParser parser = new TlsMessageParser();
        while (buffer.hasRemaining())
        {
            parser.parseAndProcessHandshakeMessage(buffer, kwik, keys);
        }
    }

    private static X509TrustManager trusting(final X509Certificate anchor) throws Exception
    {
        final KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        store.setCertificateEntry("ca", anchor);
        final TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
        factory.init(store);
        return (X509TrustManager)factory.getTrustManagers()[0];
    }

    private static TlsConstants.CipherSuite kwikSuite(final CipherSuite suite)
    {
        return suite == CipherSuite.AES_128_GCM_SHA256 ?
            TlsConstants.CipherSuite.TLS_AES_128_GCM_SHA256 : TlsConstants.CipherSuite.TLS_CHACHA20_POLY1305_SHA256;
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void ourClientAgainstKwikServer(final CipherSuite suite) throws Exception
    {
        runOurClientAgainstKwikServer(suite, NamedGroup.X25519, TestCertificates.EC_LEAF,
            TlsConstants.SignatureScheme.ecdsa_secp256r1_sha256);
    }

    @Test
    void ourClientAgainstKwikServerWithSecp256r1AndRsa() throws Exception
    {
        runOurClientAgainstKwikServer(CipherSuite.AES_128_GCM_SHA256, NamedGroup.SECP256R1, TestCertificates.rsaLeaf(),
            TlsConstants.SignatureScheme.rsa_pss_rsae_sha256);
    }

    private void runOurClientAgainstKwikServer(final CipherSuite suite, final NamedGroup group,
        final TestCertificates.Identity identity, final TlsConstants.SignatureScheme scheme) throws Exception
    {
        final HandshakePump.Side ours = new HandshakePump.Side("client");
        final io.ringbus.quic.tls.TlsEngine client = QuicTls.client(QuicTlsHandshakeTest.clientConfig().cipherSuites(suite)
            .groups(group).build(), "localhost", HandshakePump.clientParameters(), ours);
        final KwikStatus status = new KwikStatus();
        status.serverParameters = encode(HandshakePump.serverParameters());
        final List<byte[]> toClientInitial = new ArrayList<>();
        final List<byte[]> toClientHandshake = new ArrayList<>();
        final TlsServerEngineImpl server = new TlsServerEngineImpl(List.of(identity.chain), identity.key, List.of(scheme),
            new ServerMessageSender()
            {
                @Override
                public void send(final ServerHello message)
                {
                    toClientInitial.add(message.getBytes());
                }

                @Override
                public void send(final EncryptedExtensions message)
                {
                    toClientHandshake.add(message.getBytes());
                }

                @Override
                public void send(final CertificateMessage message)
                {
                    toClientHandshake.add(message.getBytes());
                }

                @Override
                public void send(final CertificateVerifyMessage message)
                {
                    toClientHandshake.add(message.getBytes());
                }

                @Override
                public void send(final FinishedMessage message)
                {
                    toClientHandshake.add(message.getBytes());
                }

                @Override
                public void send(final NewSessionTicketMessage message)
                {
                }
            }, status, null);
        server.addSupportedCiphers(List.of(TlsConstants.CipherSuite.TLS_AES_128_GCM_SHA256,
            TlsConstants.CipherSuite.TLS_CHACHA20_POLY1305_SHA256));
        status.server = server;

        client.start();
        feed(server, ours.sent.get(EncryptionLevel.INITIAL).get(0), ProtectionKeysType.None);
        for (final byte[] bytes : toClientInitial)
        {
            client.onHandshakeBytes(EncryptionLevel.INITIAL, ByteBuffer.wrap(bytes));
        }
        for (final byte[] bytes : toClientHandshake)
        {
            client.onHandshakeBytes(EncryptionLevel.HANDSHAKE, ByteBuffer.wrap(bytes));
        }
        assertTrue(client.isHandshakeComplete());
        assertNull(ours.orderViolation);
        feed(server, ours.sent.get(EncryptionLevel.HANDSHAKE).get(0), ProtectionKeysType.Handshake);
        assertTrue(status.finished, "Kwik's server verified our Finished");

        assertEquals(suite, client.cipherSuite());
        assertEquals(kwikSuite(suite), server.getSelectedCipher());
        assertArrayEquals(server.getClientHandshakeTrafficSecret(), ours.writeSecrets.get(EncryptionLevel.HANDSHAKE));
        assertArrayEquals(server.getServerHandshakeTrafficSecret(), ours.readSecrets.get(EncryptionLevel.HANDSHAKE));
        assertArrayEquals(server.getClientApplicationTrafficSecret(), ours.writeSecrets.get(EncryptionLevel.APPLICATION));
        assertArrayEquals(server.getServerApplicationTrafficSecret(), ours.readSecrets.get(EncryptionLevel.APPLICATION));
        assertEquals("ringbus", client.applicationProtocol());
        assertEquals("ringbus", status.alpn());
        assertEquals(1 << 22, client.peerTransportParameters().initialMaxData);
        final TransportParameters atKwik = TransportParameters.decode(
            ByteBuffer.wrap(status.extensionData(QUIC_TRANSPORT_PARAMETERS)), false);
        assertEquals(16, atKwik.initialMaxStreamsBidi);
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void kwikClientAgainstOurServer(final CipherSuite suite) throws Exception
    {
        runKwikClientAgainstOurServer(suite, TlsConstants.NamedGroup.x25519, TestCertificates.EC_LEAF);
    }

    @Test
    void kwikClientAgainstOurServerWithSecp256r1AndRsa() throws Exception
    {
        runKwikClientAgainstOurServer(CipherSuite.AES_128_GCM_SHA256, TlsConstants.NamedGroup.secp256r1,
            TestCertificates.rsaLeaf());
    }

    private void runKwikClientAgainstOurServer(final CipherSuite suite, final TlsConstants.NamedGroup group,
        final TestCertificates.Identity identity) throws Exception
    {
        final HandshakePump.Side ours = new HandshakePump.Side("server");
        final io.ringbus.quic.tls.TlsEngine server = QuicTls.server(QuicTlsHandshakeTest.serverConfig(identity).build(),
            HandshakePump.serverParameters(), ours);
        final KwikStatus status = new KwikStatus();
        final List<byte[]> toServerInitial = new ArrayList<>();
        final List<byte[]> toServerHandshake = new ArrayList<>();
        final TlsClientEngineImpl client = new TlsClientEngineImpl(new ClientMessageSender()
        {
            @Override
            public void send(final ClientHello message)
            {
                toServerInitial.add(message.getBytes());
            }

            @Override
            public void send(final FinishedMessage message)
            {
                toServerHandshake.add(message.getBytes());
            }

            @Override
            public void send(final CertificateMessage message)
            {
                toServerHandshake.add(message.getBytes());
            }

            @Override
            public void send(final CertificateVerifyMessage message)
            {
                toServerHandshake.add(message.getBytes());
            }
        }, status);
        client.setServerName("localhost");
        client.setCompatibilityMode(false); // RFC 9001 8.4
        client.addSupportedCiphers(List.of(kwikSuite(suite)));
        client.add(new ApplicationLayerProtocolNegotiationExtension("ringbus"));
        client.add(new RawExtension(QUIC_TRANSPORT_PARAMETERS, encode(HandshakePump.clientParameters())));
        client.setTrustManager(trusting(TestCertificates.CA.leaf()));

        client.startHandshake(group, List.of(TlsConstants.SignatureScheme.ecdsa_secp256r1_sha256,
            TlsConstants.SignatureScheme.rsa_pss_rsae_sha256));
        server.start();
        for (final byte[] bytes : toServerInitial)
        {
            server.onHandshakeBytes(EncryptionLevel.INITIAL, ByteBuffer.wrap(bytes));
        }
        assertNull(ours.orderViolation);
        feed(client, ours.sent.get(EncryptionLevel.INITIAL).get(0), ProtectionKeysType.None);
        feed(client, ours.sent.get(EncryptionLevel.HANDSHAKE).get(0), ProtectionKeysType.Handshake);
        assertTrue(client.handshakeFinished(), "Kwik's client accepted our flight");
        for (final byte[] bytes : toServerHandshake)
        {
            server.onHandshakeBytes(EncryptionLevel.HANDSHAKE, ByteBuffer.wrap(bytes));
        }
        assertTrue(server.isHandshakeComplete());

        assertEquals(suite, server.cipherSuite());
        assertEquals(kwikSuite(suite), client.getSelectedCipher());
        assertArrayEquals(client.getClientHandshakeTrafficSecret(), ours.readSecrets.get(EncryptionLevel.HANDSHAKE));
        assertArrayEquals(client.getServerHandshakeTrafficSecret(), ours.writeSecrets.get(EncryptionLevel.HANDSHAKE));
        assertArrayEquals(client.getClientApplicationTrafficSecret(), ours.readSecrets.get(EncryptionLevel.APPLICATION));
        assertArrayEquals(client.getServerApplicationTrafficSecret(), ours.writeSecrets.get(EncryptionLevel.APPLICATION));
        assertEquals("ringbus", status.alpn());
        assertEquals("ringbus", server.applicationProtocol());
        assertEquals(16, server.peerTransportParameters().initialMaxStreamsBidi);
        final byte[] atKwik = status.extensionData(QUIC_TRANSPORT_PARAMETERS);
        assertNotNull(atKwik, "Kwik's client received our quic_transport_parameters");
        assertEquals(1 << 22, TransportParameters.decode(ByteBuffer.wrap(atKwik), true).initialMaxData);
    }

    @Test
    void kwikServerWithTheWrongAlpnIsRefused() throws Exception
    {
        final HandshakePump.Side ours = new HandshakePump.Side("client");
        final io.ringbus.quic.tls.TlsEngine client = QuicTls.client(QuicTlsHandshakeTest.clientConfig().build(),
            "localhost", HandshakePump.clientParameters(), ours);
        final KwikStatus status = new KwikStatus()
        {
            @Override
            public void extensionsReceived(final List<Extension> extensions)
            {
                server.addServerExtensions(new ApplicationLayerProtocolNegotiationExtension("h3"));
                server.addServerExtensions(new RawExtension(QUIC_TRANSPORT_PARAMETERS, serverParameters));
            }
        };
        status.serverParameters = encode(HandshakePump.serverParameters());
        final List<byte[]> toClient = new ArrayList<>();
        final TlsServerEngineImpl server = new TlsServerEngineImpl(List.of(TestCertificates.EC_LEAF.chain),
            TestCertificates.EC_LEAF.key, List.of(TlsConstants.SignatureScheme.ecdsa_secp256r1_sha256),
            new ServerMessageSender()
            {
                @Override
                public void send(final ServerHello message)
                {
                    toClient.add(message.getBytes());
                }

                @Override
                public void send(final EncryptedExtensions message)
                {
                    toClient.add(message.getBytes());
                }

                @Override
                public void send(final CertificateMessage message)
                {
                }

                @Override
                public void send(final CertificateVerifyMessage message)
                {
                }

                @Override
                public void send(final FinishedMessage message)
                {
                }

                @Override
                public void send(final NewSessionTicketMessage message)
                {
                }
            }, status, null);
        status.server = server;
        client.start();
        feed(server, ours.sent.get(EncryptionLevel.INITIAL).get(0), ProtectionKeysType.None);
        client.onHandshakeBytes(EncryptionLevel.INITIAL, ByteBuffer.wrap(toClient.get(0)));
        final QuicException ex = org.junit.jupiter.api.Assertions.assertThrows(QuicException.class,
            () -> client.onHandshakeBytes(EncryptionLevel.HANDSHAKE, ByteBuffer.wrap(toClient.get(1))));
        assertEquals(0x178, ex.errorCode(), ex.getMessage());
    }
}
