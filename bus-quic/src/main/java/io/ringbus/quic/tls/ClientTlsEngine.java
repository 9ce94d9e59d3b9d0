package io.ringbus.quic.tls;

import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.packet.QuicException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The client side of the TLS 1.3 handshake for QUIC (RFC 8446 4, RFC 9001 4): ClientHello, an
 * optional HelloRetryRequest, then the server's flight checked message by message (only the
 * extensions the client offered and RFC 8446 4.2 allows; a leaf fit for signing), an optional
 * CertificateRequest answered with the configured key material or an empty Certificate, and the
 * client Finished. Not thread-safe: the connection's thread only.
 */
final class ClientTlsEngine extends AbstractTlsEngine
{
    private static final Logger LOG = Logger.getLogger(QuicTls.class.getName());

    /** The states of the client, in the order RFC 8446 A.1 passes them. */
    private enum State
    {
        START,
        WAIT_SERVER_HELLO,
        WAIT_ENCRYPTED_EXTENSIONS,
        WAIT_CERTIFICATE,
        WAIT_CERTIFICATE_VERIFY,
        WAIT_FINISHED,
        CONNECTED
    }

    private final String verifiedName;
    private final byte[] random = new byte[Tls13.RANDOM_LENGTH];
    private final byte[] localParametersBytes;
    private State state = State.START;
    private KeyShare keyShare;
    private boolean retried;
    private CipherSuite retrySuite;
    private byte[] cookie;
    private X509Certificate[] serverChain;
    /** RFC 8446 4.3.2: the server asked for our certificate; answered after its Finished. */
    private boolean certificateRequested;
    /** The scheme our CertificateVerify uses, or null to answer with an empty Certificate. */
    private SignatureScheme clientScheme;

    ClientTlsEngine(final QuicTlsConfig config, final String serverName, final TransportParameters local,
        final HandshakeListener listener)
    {
        super(config, local, listener);
        if (!config.canVerifyServers())
        {
            throw new IllegalArgumentException("trust: a client configuration needs trust anchors or insecureForTestsOnly()");
        }
        final String name = serverName == null || serverName.isEmpty() ? null : serverName;
        if (name == null && config.hostnameVerification() && !config.isInsecure())
        {
            throw new IllegalArgumentException("serverName: needed for hostname verification " +
                "(or build the configuration with hostnameVerification(false))");
        }
        if (name != null)
        {
            for (int i = 0; i < name.length(); i++)
            {
                if (name.charAt(i) > 0x7E || name.charAt(i) <= 0x20)
                {
                    throw new IllegalArgumentException("serverName: '" + name + "' is not an ASCII host name " +
                        "(pass an internationalised name in its A-label form)");
                }
            }
        }
        this.verifiedName = name;
        // RFC 6066 3: SNI carries host names only, without a trailing dot, never IP literals
        if (name != null && !CertificateChecks.isIpLiteral(name))
        {
            this.serverName = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        }
        this.localParametersBytes = encodedLocalParameters();
    }

    @Override
    EncryptionLevel expectedLevel()
    {
        switch (state)
        {
            case WAIT_SERVER_HELLO:
                return EncryptionLevel.INITIAL;
            case WAIT_ENCRYPTED_EXTENSIONS:
            case WAIT_CERTIFICATE:
            case WAIT_CERTIFICATE_VERIFY:
            case WAIT_FINISHED:
                return EncryptionLevel.HANDSHAKE;
            case CONNECTED:
                return EncryptionLevel.APPLICATION;
            default:
                return null;
        }
    }

    @Override
    String stateName()
    {
        return "the client is in " + state;
    }

    @Override
    void onStart() throws QuicException
    {
        if (state != State.START)
        {
            throw new IllegalStateException("start() called twice");
        }
        config.random().nextBytes(random);
        keyShare = KeyShare.generate(config.groups()[0], config.random());
        sendClientHello();
        state = State.WAIT_SERVER_HELLO;
    }

    /**
     * Known-answer tests only (RFC 8448 traces): act as if {@code clientHello}, made with
     * {@code share}, had been sent instead of calling {@link #start()}.
     */
    void assumeClientHelloSent(final byte[] clientHello, final KeyShare share)
    {
        if (state != State.START)
        {
            throw new IllegalStateException("the ClientHello was sent already");
        }
        keyShare = share;
        transcript.add(clientHello);
        state = State.WAIT_SERVER_HELLO;
    }

    private void sendClientHello()
    {
        final byte[] hello = clientHello();
        transcript.add(hello);
        emitBytes(EncryptionLevel.INITIAL, hello);
    }

    private byte[] clientHello()
    {
        final TlsWriter out = new TlsWriter(512);
        out.u8(Tls13.CLIENT_HELLO);
        final int message = out.begin(3);
        out.u16(Tls13.LEGACY_VERSION).bytes(random);
        out.u8(0); // RFC 9001 8.4: no legacy_session_id (no middlebox compatibility mode)
        final int suites = out.begin(2);
        final CipherSuite[] configured = config.cipherSuites();
        for (int i = 0; i < configured.length; i++)
        {
            out.u16(configured[i].code());
        }
        out.end(suites);
        out.u8(1).u8(0); // legacy_compression_methods: null only
        final int extensions = out.begin(2);
        if (serverName != null)
        {
            out.u16(Tls13.SERVER_NAME);
            final int extension = out.begin(2);
            final int list = out.begin(2);
            out.u8(0); // host_name
            final int name = out.begin(2);
            out.bytes(serverName.getBytes(StandardCharsets.US_ASCII));
            out.end(name);
            out.end(list);
            out.end(extension);
        }
        out.u16(Tls13.SUPPORTED_VERSIONS).u16(3).u8(2).u16(Tls13.VERSION);
        out.u16(Tls13.SUPPORTED_GROUPS);
        final int groupsExtension = out.begin(2);
        final int groupList = out.begin(2);
        final NamedGroup[] groups = config.groups();
        for (int i = 0; i < groups.length; i++)
        {
            out.u16(groups[i].code());
        }
        out.end(groupList);
        out.end(groupsExtension);
        out.u16(Tls13.KEY_SHARE);
        final int shareExtension = out.begin(2);
        final int shares = out.begin(2);
        out.u16(keyShare.group().code());
        final byte[] share = keyShare.encoded();
        out.u16(share.length).bytes(share);
        out.end(shares);
        out.end(shareExtension);
        writeSignatureAlgorithms(out);
        out.u16(Tls13.ALPN);
        final int alpnExtension = out.begin(2);
        final int protocols = out.begin(2);
        final byte[] protocol = config.applicationProtocolBytes();
        out.u8(protocol.length).bytes(protocol);
        out.end(protocols);
        out.end(alpnExtension);
        if (cookie != null)
        {
            out.u16(Tls13.COOKIE).u16(cookie.length + 2).u16(cookie.length).bytes(cookie);
        }
        out.u16(Tls13.QUIC_TRANSPORT_PARAMETERS).u16(localParametersBytes.length).bytes(localParametersBytes);
        out.end(extensions);
        out.end(message);
        return out.toByteArray();
    }

    @Override
    void onMessage(final int type, final byte[] message) throws QuicException
    {
        switch (state)
        {
            case WAIT_SERVER_HELLO:
                expect(type, Tls13.SERVER_HELLO);
                onServerHello(message);
                break;
            case WAIT_ENCRYPTED_EXTENSIONS:
                expect(type, Tls13.ENCRYPTED_EXTENSIONS);
                onEncryptedExtensions(message);
                break;
            case WAIT_CERTIFICATE:
                if (type == Tls13.CERTIFICATE_REQUEST && !certificateRequested)
                {
                    onCertificateRequest(message);
                    break;
                }
                expect(type, Tls13.CERTIFICATE);
                onCertificate(message);
                break;
            case WAIT_CERTIFICATE_VERIFY:
                expect(type, Tls13.CERTIFICATE_VERIFY);
                onCertificateVerify(message);
                break;
            case WAIT_FINISHED:
                expect(type, Tls13.FINISHED);
                onFinished(message);
                break;
            case CONNECTED:
                // RFC 9001 6: KeyUpdate is forbidden in QUIC; only NewSessionTicket may follow
                expect(type, Tls13.NEW_SESSION_TICKET);
                skipNewSessionTicket(message);
                break;
            default:
                throw unexpected(type);
        }
    }

    private void expect(final int type, final int expected) throws QuicException
    {
        if (type != expected)
        {
            throw TlsAlert.error(TlsAlert.UNEXPECTED_MESSAGE, "a " + Tls13.messageName(type) + " while " + stateName() +
                ", expecting a " + Tls13.messageName(expected));
        }
    }

    private void onServerHello(final byte[] message) throws QuicException
    {
        final TlsReader in = new TlsReader(message, 4, message.length - 4);
        final int legacyVersion = in.u16("ServerHello.legacy_version");
        final byte[] serverRandom = in.bytes(Tls13.RANDOM_LENGTH, "ServerHello.random");
        final int sessionIdLength = in.u8("ServerHello.legacy_session_id_echo length");
        in.skip(sessionIdLength, "ServerHello.legacy_session_id_echo");
        final int suiteCode = in.u16("ServerHello.cipher_suite");
        final int compression = in.u8("ServerHello.legacy_compression_method");
        final boolean retry = Arrays.equals(serverRandom, Tls13.HELLO_RETRY_REQUEST_RANDOM);
        final String what = retry ? "HelloRetryRequest" : "ServerHello";
        int version = -1;
        TlsReader share = null;
        byte[] offeredCookie = null;
        if (in.hasRemaining())
        {
            final TlsReader extensions = in.sub16(what + ".extensions");
            final long[] seen = extensionSet();
            while (extensions.hasRemaining())
            {
                final int type = extensions.u16(what + " extension type");
                final TlsReader data = extensions.sub16(what + " extension " + type);
                checkDuplicate(seen, type, what);
                switch (type)
                {
                    case Tls13.SUPPORTED_VERSIONS:
                        version = data.u16(what + ".supported_versions");
                        data.expectEnd(what + ".supported_versions");
                        break;
                    case Tls13.KEY_SHARE:
                        share = data;
                        break;
                    case Tls13.COOKIE:
                        if (!retry)
                        {
                            throw TlsAlert.error(TlsAlert.UNSUPPORTED_EXTENSION, "a cookie in a ServerHello");
                        }
                        offeredCookie = data.vector16("HelloRetryRequest.cookie");
                        data.expectEnd("HelloRetryRequest.cookie");
                        if (offeredCookie.length == 0)
                        {
                            throw TlsAlert.error(TlsAlert.DECODE_ERROR, "an empty HelloRetryRequest cookie");
                        }
                        break;
                    default:
                        // RFC 8446 4.1.4 and 4.2: nothing else was offered (no PSK)
                        throw TlsAlert.error(TlsAlert.UNSUPPORTED_EXTENSION, what + " carries extension " + type +
                            " the client did not offer");
                }
            }
        }
        in.expectEnd(what);
        if (version == -1)
        {
            throw TlsAlert.error(TlsAlert.PROTOCOL_VERSION, "the server chose a version before TLS 1.3 (legacy_version 0x" +
                Integer.toHexString(legacyVersion) + ", no supported_versions); only TLS 1.3 is supported");
        }
        if (version != Tls13.VERSION || legacyVersion != Tls13.LEGACY_VERSION)
        {
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, what + " selects version 0x" + Integer.toHexString(version) +
                " (legacy 0x" + Integer.toHexString(legacyVersion) + "); the client offered only TLS 1.3 (0x0304)");
        }
        if (sessionIdLength != 0)
        {
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, what + " echoes a legacy_session_id the client did not send");
        }
        if (compression != 0)
        {
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, what + " selects compression method " + compression);
        }
        final CipherSuite selected = offeredSuite(suiteCode);
        if (selected == null)
        {
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, what + " selects cipher suite 0x" +
                Integer.toHexString(suiteCode) + " the client did not offer");
        }
        if (retry)
        {
            onHelloRetryRequest(message, selected, share, offeredCookie);
            return;
        }
        if (retried && selected != retrySuite)
        {
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "ServerHello selects " + selected +
                " after the HelloRetryRequest selected " + retrySuite);
        }
        if (share == null)
        {
            throw TlsAlert.error(TlsAlert.MISSING_EXTENSION, "ServerHello without key_share (no PSK was offered)");
        }
        final int groupCode = share.u16("ServerHello.key_share.group");
        final byte[] serverShare = share.vector16("ServerHello.key_share.key_exchange");
        share.expectEnd("ServerHello.key_share");
        if (groupCode != keyShare.group().code())
        {
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "ServerHello key_share for group 0x" +
                Integer.toHexString(groupCode) + "; the client sent a share for " + keyShare.group().tlsName() + " only");
        }
        final byte[] sharedSecret = keyShare.sharedSecret(serverShare);
        transcript.add(message);
        schedule.onServerHello(sharedSecret, transcript.hash());
        suite = selected;
        group = keyShare.group();
        state = State.WAIT_ENCRYPTED_EXTENSIONS;
        emitKeys(EncryptionLevel.HANDSHAKE, schedule.serverHandshakeTrafficSecret(), schedule.clientHandshakeTrafficSecret());
    }

    private CipherSuite offeredSuite(final int code)
    {
        final CipherSuite[] configured = config.cipherSuites();
        for (int i = 0; i < configured.length; i++)
        {
            if (configured[i].code() == code)
            {
                return configured[i];
            }
        }
        return null;
    }

    /** RFC 8446 4.1.4: answer a HelloRetryRequest once with a second ClientHello. */
    private void onHelloRetryRequest(final byte[] message, final CipherSuite selected, final TlsReader share,
        final byte[] offeredCookie) throws QuicException
    {
        if (retried)
        {
            throw TlsAlert.error(TlsAlert.UNEXPECTED_MESSAGE, "a second HelloRetryRequest");
        }
        NamedGroup requested = null;
        if (share != null)
        {
            final int groupCode = share.u16("HelloRetryRequest.key_share.selected_group");
            share.expectEnd("HelloRetryRequest.key_share");
            requested = NamedGroup.of(groupCode);
            if (requested == null || !Arrays.asList(config.groups()).contains(requested))
            {
                throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "HelloRetryRequest selects group 0x" +
                    Integer.toHexString(groupCode) + " the client did not offer");
            }
            if (requested == keyShare.group())
            {
                throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "HelloRetryRequest selects " + requested.tlsName() +
                    ", for which the client already sent a key_share");
            }
        }
        else if (offeredCookie == null)
        {
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "a HelloRetryRequest that would not change the ClientHello");
        }
        retried = true;
        retrySuite = selected;
        cookie = offeredCookie;
        transcript.replaceWithMessageHash();
        transcript.add(message);
        if (requested != null)
        {
            keyShare = KeyShare.generate(requested, config.random());
        }
        sendClientHello();
    }

    private void onEncryptedExtensions(final byte[] message) throws QuicException
    {
        final TlsReader in = new TlsReader(message, 4, message.length - 4);
        final TlsReader extensions = in.sub16("EncryptedExtensions.extensions");
        in.expectEnd("EncryptedExtensions");
        final long[] seen = extensionSet();
        String protocol = null;
        TransportParameters parameters = null;
        while (extensions.hasRemaining())
        {
            final int type = extensions.u16("EncryptedExtensions extension type");
            final TlsReader data = extensions.sub16("EncryptedExtensions extension " + type);
            checkDuplicate(seen, type, "EncryptedExtensions");
            switch (type)
            {
                case Tls13.ALPN:
                    final TlsReader list = data.sub16("EncryptedExtensions ALPN protocol_name_list");
                    data.expectEnd("EncryptedExtensions ALPN");
                    final byte[] name = list.vector8("EncryptedExtensions ALPN protocol name");
                    // RFC 7301 3.1: the server answers with exactly one protocol
                    list.expectEnd("EncryptedExtensions ALPN (more than one protocol)");
                    protocol = new String(name, StandardCharsets.ISO_8859_1);
                    break;
                case Tls13.QUIC_TRANSPORT_PARAMETERS:
                    parameters = decodeParameters(data, true);
                    break;
                case Tls13.SERVER_NAME:
                    // RFC 6066 3: the acknowledgement of an offered name, with empty extension_data
                    if (serverName == null)
                    {
                        throw TlsAlert.error(TlsAlert.UNSUPPORTED_EXTENSION, "EncryptedExtensions acknowledges " +
                            "server_name, which the client did not send (RFC 8446 4.2)");
                    }
                    data.expectEnd("EncryptedExtensions server_name (RFC 6066 3: empty)");
                    break;
                case Tls13.SUPPORTED_GROUPS:
                    // RFC 8446 4.2.7: the server's preferences, for later connections; not acted upon
                    break;
                case Tls13.SUPPORTED_VERSIONS:
                case Tls13.KEY_SHARE:
                case Tls13.SIGNATURE_ALGORITHMS:
                case Tls13.COOKIE:
                    // RFC 8446 4.2: offered, but its table allows it in other messages only
                    throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "extension " + type + " in EncryptedExtensions " +
                        "(RFC 8446 4.2 allows it in other messages only)");
                default:
                    // RFC 8446 4.2: an extension response the client did not request (early_data, PSK,
                    // status_request, anything unknown), or one the table does not allow here
                    throw TlsAlert.error(TlsAlert.UNSUPPORTED_EXTENSION, "EncryptedExtensions carries extension " +
                        type + ", which the client did not offer (RFC 8446 4.2)");
            }
        }
        final String wanted = config.applicationProtocol();
        if (protocol == null)
        {
            throw TlsAlert.error(TlsAlert.NO_APPLICATION_PROTOCOL, "the server negotiated no ALPN protocol; \"" + wanted +
                "\" is required (RFC 9001 8.1)");
        }
        if (!wanted.equals(protocol))
        {
            throw TlsAlert.error(TlsAlert.NO_APPLICATION_PROTOCOL, "the server chose ALPN \"" + protocol +
                "\"; the client offered only \"" + wanted + "\"");
        }
        if (parameters == null)
        {
            throw TlsAlert.error(TlsAlert.MISSING_EXTENSION, "EncryptedExtensions without quic_transport_parameters " +
                "(RFC 9001 8.2)");
        }
        applicationProtocol = protocol;
        peerParameters = parameters;
        transcript.add(message);
        state = State.WAIT_CERTIFICATE;
    }

    /**
     * RFC 8446 4.3.2: the server wants our certificate. Its signature_algorithms decide the scheme
     * of our CertificateVerify; without key material, or without a scheme our key can make, the
     * answer is an empty Certificate (4.4.2.4) and the server decides.
     */
    private void onCertificateRequest(final byte[] message) throws QuicException
    {
        final TlsReader in = new TlsReader(message, 4, message.length - 4);
        if (in.u8("CertificateRequest.certificate_request_context length") != 0)
        {
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "a CertificateRequest with a certificate_request_context " +
                "(RFC 8446 4.3.2: empty during the handshake)");
        }
        final TlsReader extensions = in.sub16("CertificateRequest.extensions");
        in.expectEnd("CertificateRequest");
        final long[] seen = extensionSet();
        TlsReader algorithms = null;
        while (extensions.hasRemaining())
        {
            final int type = extensions.u16("CertificateRequest extension type");
            final TlsReader data = extensions.sub16("CertificateRequest extension " + type);
            checkDuplicate(seen, type, "CertificateRequest");
            switch (type)
            {
                case Tls13.SIGNATURE_ALGORITHMS:
                    algorithms = data;
                    break;
                case Tls13.SERVER_NAME:
                case Tls13.SUPPORTED_GROUPS:
                case Tls13.ALPN:
                case Tls13.PRE_SHARED_KEY:
                case Tls13.EARLY_DATA:
                case Tls13.SUPPORTED_VERSIONS:
                case Tls13.COOKIE:
                case Tls13.PSK_KEY_EXCHANGE_MODES:
                case Tls13.KEY_SHARE:
                case Tls13.QUIC_TRANSPORT_PARAMETERS:
                    // RFC 8446 4.2: a known extension its table does not allow in a CertificateRequest
                    throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "extension " + type + " in a CertificateRequest");
                default:
                    // RFC 8446 4.3.2: certificate_authorities, oid_filters, signature_algorithms_cert,
                    // unknown ones: clients ignore what they do not use
                    break;
            }
        }
        if (algorithms == null)
        {
            throw TlsAlert.error(TlsAlert.MISSING_EXTENSION, "a CertificateRequest without signature_algorithms " +
                "(RFC 8446 4.3.2)");
        }
        final TlsReader list = algorithms.sub16("CertificateRequest.signature_algorithms");
        algorithms.expectEnd("CertificateRequest.signature_algorithms");
        if (list.remaining() < 2 || (list.remaining() & 1) != 0)
        {
            throw TlsAlert.error(TlsAlert.DECODE_ERROR, "CertificateRequest.signature_algorithms of " + list.remaining() +
                " bytes");
        }
        final SignatureScheme[] ours = config.signatureSchemes();
        for (int i = 0; i < ours.length && clientScheme == null; i++)
        {
            final TlsReader scan = new TlsReader(list.array(), list.position(), list.remaining());
            while (scan.hasRemaining())
            {
                if (scan.u16("CertificateRequest.signature_algorithms") == ours[i].code())
                {
                    clientScheme = ours[i];
                    break;
                }
            }
        }
        if (clientScheme == null)
        {
            LOG.log(Level.WARNING, config.hasKeyMaterial() ?
                "the server of {0} asked for a client certificate and accepts no signature scheme our key can make; " +
                "answering without one" :
                "the server of {0} asked for a client certificate and none is configured; answering without one",
                verifiedName);
        }
        certificateRequested = true;
        transcript.add(message);
    }

    private void onCertificate(final byte[] message) throws QuicException
    {
        final X509Certificate[] chain = readCertificates(message, "server");
        if (chain.length == 0)
        {
            // RFC 8446 4.4.2.4
            throw TlsAlert.error(TlsAlert.DECODE_ERROR, "the server sent an empty Certificate");
        }
        serverChain = chain;
        final X509Certificate leaf = serverChain[0];
        peerSubject = CertificateChecks.subject(leaf);
        if (config.isInsecure())
        {
            LOG.log(Level.WARNING, "insecureForTestsOnly: accepting the certificate of {0} for {1} without checking it",
                new Object[] {peerSubject, verifiedName});
        }
        else
        {
            CertificateChecks.validatePath(serverChain, config.trustAnchors(), true);
            if (config.hostnameVerification())
            {
                CertificateChecks.verifyHostname(leaf, verifiedName);
            }
            peerLeaf = leaf;
        }
        transcript.add(message);
        state = State.WAIT_CERTIFICATE_VERIFY;
    }

    private void onCertificateVerify(final byte[] message) throws QuicException
    {
        verifyCertificateVerify(message, serverChain[0], transcript.hash(), true);
        transcript.add(message);
        state = State.WAIT_FINISHED;
    }

    private void onFinished(final byte[] message) throws QuicException
    {
        final TlsReader in = new TlsReader(message, 4, message.length - 4);
        final byte[] verifyData = in.bytes(in.remaining(), "Finished.verify_data");
        final byte[] expected = KeySchedule.finishedVerifyData(schedule.serverHandshakeTrafficSecret(), transcript.hash());
        if (verifyData.length != expected.length)
        {
            throw TlsAlert.error(TlsAlert.DECODE_ERROR, "server Finished of " + verifyData.length + " bytes, expected " +
                expected.length);
        }
        if (!MessageDigest.isEqual(verifyData, expected))
        {
            throw TlsAlert.error(TlsAlert.DECRYPT_ERROR, "the server's Finished does not match the transcript");
        }
        transcript.add(message);
        // RFC 8446 7.1: the application secrets cover the transcript up to the server Finished
        schedule.onServerFinished(transcript.hash());
        final TlsWriter flight = new TlsWriter(1024);
        if (certificateRequested)
        {
            // RFC 8446 4.4.2 and 4.4.3: our Certificate (empty if we have none to offer), and a
            // CertificateVerify for a non-empty one, both in the transcript of our Finished
            final byte[] certificate = certificateMessage(clientScheme == null ?
                new X509Certificate[0] : config.certificateChain());
            transcript.add(certificate);
            flight.bytes(certificate);
            if (clientScheme != null)
            {
                final byte[] verify = certificateVerifyMessage(clientScheme, config.privateKey(), transcript.hash(), false);
                transcript.add(verify);
                flight.bytes(verify);
            }
        }
        final byte[] clientFinished = finished(
            KeySchedule.finishedVerifyData(schedule.clientHandshakeTrafficSecret(), transcript.hash()));
        transcript.add(clientFinished);
        flight.bytes(clientFinished);
        state = State.CONNECTED;
        // keys of a level before its bytes: the client Finished travels at HANDSHAKE, 1-RTT keys go first
        emitKeys(EncryptionLevel.APPLICATION, schedule.serverApplicationTrafficSecret(),
            schedule.clientApplicationTrafficSecret());
        emitBytes(EncryptionLevel.HANDSHAKE, flight.toByteArray());
        emitComplete();
    }

    /** RFC 8446 4.6.1: a ticket is parsed for its structure and dropped (no resumption). */
    private static void skipNewSessionTicket(final byte[] message) throws QuicException
    {
        final TlsReader in = new TlsReader(message, 4, message.length - 4);
        in.skip(8, "NewSessionTicket.ticket_lifetime and ticket_age_add");
        in.vector8("NewSessionTicket.ticket_nonce");
        if (in.sub16("NewSessionTicket.ticket").remaining() == 0)
        {
            throw TlsAlert.error(TlsAlert.DECODE_ERROR, "a NewSessionTicket with an empty ticket");
        }
        in.sub16("NewSessionTicket.extensions");
        in.expectEnd("NewSessionTicket");
    }
}
