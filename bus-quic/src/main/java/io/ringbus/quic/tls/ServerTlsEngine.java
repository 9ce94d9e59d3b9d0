package io.ringbus.quic.tls;

import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.packet.QuicException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.Arrays;

/**
 * The server side of the TLS 1.3 handshake for QUIC (RFC 8446 4, RFC 9001 4): checks the
 * ClientHello, answers with a HelloRetryRequest when the client has no share for a group we accept,
 * sends ServerHello and the server flight (with a CertificateRequest when the configuration
 * requires client certificates), checks the client's Certificate and CertificateVerify if asked
 * for, and verifies the client Finished. No PSK, no 0-RTT, no NewSessionTicket. Not thread-safe:
 * the connection's thread only.
 */
final class ServerTlsEngine extends AbstractTlsEngine
{
    /** The states of the server, in the order RFC 8446 A.2 passes them. */
    private enum State
    {
        WAIT_CLIENT_HELLO,
        WAIT_SECOND_CLIENT_HELLO,
        WAIT_CLIENT_CERTIFICATE,
        WAIT_CLIENT_CERTIFICATE_VERIFY,
        WAIT_FINISHED,
        CONNECTED
    }

    /** RFC 6066 3: NameType host_name. */
    private static final int HOST_NAME = 0;
    /** The most bytes of DistinguishedNames sent in certificate_authorities (RFC 8446 4.2.4). */
    private static final int MAX_AUTHORITY_NAMES_LENGTH = 16 * 1024;

    private State state = State.WAIT_CLIENT_HELLO;
    private CipherSuite retrySuite;
    private NamedGroup retryGroup;
    private X509Certificate[] clientChain;

    ServerTlsEngine(final QuicTlsConfig config, final TransportParameters local, final HandshakeListener listener)
    {
        super(config, local, listener);
        if (!config.hasKeyMaterial())
        {
            throw new IllegalArgumentException("keyMaterial: a server configuration needs a certificate chain and key");
        }
    }

    @Override
    EncryptionLevel expectedLevel()
    {
        switch (state)
        {
            case WAIT_CLIENT_HELLO:
            case WAIT_SECOND_CLIENT_HELLO:
                return EncryptionLevel.INITIAL;
            case WAIT_CLIENT_CERTIFICATE:
            case WAIT_CLIENT_CERTIFICATE_VERIFY:
            case WAIT_FINISHED:
                return EncryptionLevel.HANDSHAKE;
            default:
                return null; // RFC 9001 6: no KeyUpdate; a client sends nothing after its Finished
        }
    }

    @Override
    String stateName()
    {
        return "the server is in " + state;
    }

    @Override
    void onStart()
    {
        // the client speaks first
    }

    @Override
    void onMessage(final int type, final byte[] message) throws QuicException
    {
        if (state == State.WAIT_FINISHED && type == Tls13.FINISHED)
        {
            onClientFinished(message);
        }
        else if (state == State.WAIT_CLIENT_CERTIFICATE && type == Tls13.CERTIFICATE)
        {
            onClientCertificate(message);
        }
        else if (state == State.WAIT_CLIENT_CERTIFICATE_VERIFY && type == Tls13.CERTIFICATE_VERIFY)
        {
            verifyCertificateVerify(message, clientChain[0], transcript.hash(), false);
            transcript.add(message);
            state = State.WAIT_FINISHED;
        }
        else if ((state == State.WAIT_CLIENT_HELLO || state == State.WAIT_SECOND_CLIENT_HELLO) &&
            type == Tls13.CLIENT_HELLO)
        {
            onClientHello(message);
        }
        else
        {
            throw unexpected(type);
        }
    }

    /** The extensions of a ClientHello this server reads; each a reader over the extension data, or null. */
    private static final class Offer
    {
        TlsReader supportedVersions;
        TlsReader serverName;
        TlsReader supportedGroups;
        TlsReader keyShare;
        TlsReader signatureAlgorithms;
        TlsReader alpn;
        TlsReader transportParameters;
    }

    private void onClientHello(final byte[] message) throws QuicException
    {
        final TlsReader in = new TlsReader(message, 4, message.length - 4);
        in.u16("ClientHello.legacy_version");
        in.skip(Tls13.RANDOM_LENGTH, "ClientHello.random");
        final int sessionIdLength = in.u8("ClientHello.legacy_session_id length");
        if (sessionIdLength > 32)
        {
            throw TlsAlert.error(TlsAlert.DECODE_ERROR, "ClientHello.legacy_session_id of " + sessionIdLength + " bytes");
        }
        in.skip(sessionIdLength, "ClientHello.legacy_session_id");
        final TlsReader suites = in.sub16("ClientHello.cipher_suites");
        if (suites.remaining() < 2 || (suites.remaining() & 1) != 0)
        {
            throw TlsAlert.error(TlsAlert.DECODE_ERROR, "ClientHello.cipher_suites of " + suites.remaining() + " bytes");
        }
        final byte[] compression = in.vector8("ClientHello.legacy_compression_methods");
        final Offer offer = new Offer();
        if (in.hasRemaining())
        {
            readExtensions(in.sub16("ClientHello.extensions"), offer);
        }
        in.expectEnd("ClientHello");

        if (offer.supportedVersions == null || !offersTls13(offer.supportedVersions))
        {
            throw TlsAlert.error(TlsAlert.PROTOCOL_VERSION, "the ClientHello does not offer TLS 1.3 in supported_versions; " +
                "only TLS 1.3 is supported");
        }
        if (compression.length != 1 || compression[0] != 0)
        {
            // RFC 8446 4.1.2
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "a TLS 1.3 ClientHello must offer only the null compression method");
        }
        if (sessionIdLength != 0)
        {
            throw new QuicException(QuicException.PROTOCOL_VIOLATION,
                "a ClientHello with a legacy_session_id (RFC 9001 8.4: no middlebox compatibility mode in QUIC)");
        }
        if (offer.transportParameters == null)
        {
            throw TlsAlert.error(TlsAlert.MISSING_EXTENSION, "ClientHello without quic_transport_parameters (RFC 9001 8.2)");
        }
        final TransportParameters parameters = decodeParameters(offer.transportParameters, false);
        final String protocol = selectApplicationProtocol(offer.alpn);
        final CipherSuite selected = selectSuite(suites);
        final SignatureScheme scheme = selectSignatureScheme(offer.signatureAlgorithms);
        final String sni = offer.serverName == null ? null : readServerName(offer.serverName);
        if (offer.supportedGroups == null || offer.keyShare == null)
        {
            throw TlsAlert.error(TlsAlert.MISSING_EXTENSION, "ClientHello without " +
                (offer.supportedGroups == null ? "supported_groups" : "key_share") + " (no PSK is accepted)");
        }
        final NamedGroup[] clientGroups = readGroups(offer.supportedGroups);
        final byte[][] shares = readKeyShares(offer.keyShare);

        if (state == State.WAIT_SECOND_CLIENT_HELLO)
        {
            // RFC 8446 4.1.2: the second ClientHello carries one share, of the group we asked for
            if (shares[retryGroup.ordinal()] == null || countShares(shares) != 1)
            {
                throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "the second ClientHello has no single key_share for " +
                    retryGroup.tlsName() + ", which the HelloRetryRequest selected");
            }
            if (selected != retrySuite)
            {
                throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "the second ClientHello leads to " + selected +
                    " after the HelloRetryRequest selected " + retrySuite);
            }
        }
        final NamedGroup[] ours = config.groups();
        NamedGroup chosen = null;
        for (int i = 0; i < ours.length && chosen == null; i++)
        {
            if (shares[ours[i].ordinal()] != null)
            {
                chosen = ours[i];
            }
        }
        suite = selected;
        applicationProtocol = protocol;
        serverName = sni;
        if (chosen == null)
        {
            for (int i = 0; i < ours.length && chosen == null; i++)
            {
                if (Arrays.asList(clientGroups).contains(ours[i]))
                {
                    chosen = ours[i];
                }
            }
            if (chosen == null)
            {
                throw TlsAlert.error(TlsAlert.HANDSHAKE_FAILURE, "the client supports none of the groups " +
                    Arrays.toString(ours));
            }
            sendHelloRetryRequest(message, selected, chosen);
            return;
        }
        peerParameters = parameters;
        group = chosen;
        sendServerFlight(message, shares[chosen.ordinal()], scheme);
    }

    private static void readExtensions(final TlsReader extensions, final Offer offer) throws QuicException
    {
        final long[] seen = extensionSet();
        while (extensions.hasRemaining())
        {
            final int type = extensions.u16("ClientHello extension type");
            final TlsReader data = extensions.sub16("ClientHello extension " + type);
            checkDuplicate(seen, type, "ClientHello");
            switch (type)
            {
                case Tls13.SUPPORTED_VERSIONS:
                    offer.supportedVersions = data;
                    break;
                case Tls13.SERVER_NAME:
                    offer.serverName = data;
                    break;
                case Tls13.SUPPORTED_GROUPS:
                    offer.supportedGroups = data;
                    break;
                case Tls13.KEY_SHARE:
                    offer.keyShare = data;
                    break;
                case Tls13.SIGNATURE_ALGORITHMS:
                    offer.signatureAlgorithms = data;
                    break;
                case Tls13.ALPN:
                    offer.alpn = data;
                    break;
                case Tls13.QUIC_TRANSPORT_PARAMETERS:
                    offer.transportParameters = data;
                    break;
                case Tls13.PRE_SHARED_KEY:
                    // RFC 8446 4.2.11: it must come last; otherwise ignored (no resumption)
                    if (extensions.hasRemaining())
                    {
                        throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "pre_shared_key is not the last ClientHello extension");
                    }
                    break;
                default:
                    break; // early_data (0-RTT is never accepted), psk modes, padding, GREASE, unknown: ignored
            }
        }
    }

    private static boolean offersTls13(final TlsReader data) throws QuicException
    {
        final TlsReader versions = data.sub8("ClientHello.supported_versions");
        data.expectEnd("ClientHello.supported_versions");
        if (versions.remaining() < 2 || (versions.remaining() & 1) != 0)
        {
            throw TlsAlert.error(TlsAlert.DECODE_ERROR, "ClientHello.supported_versions of " + versions.remaining() +
                " bytes");
        }
        boolean found = false;
        while (versions.hasRemaining())
        {
            found |= versions.u16("ClientHello.supported_versions") == Tls13.VERSION;
        }
        return found;
    }

    private String selectApplicationProtocol(final TlsReader data) throws QuicException
    {
        final String wanted = config.applicationProtocol();
        if (data == null)
        {
            throw TlsAlert.error(TlsAlert.NO_APPLICATION_PROTOCOL, "the ClientHello offers no ALPN; \"" + wanted +
                "\" is required (RFC 9001 8.1)");
        }
        final TlsReader list = data.sub16("ClientHello ALPN protocol_name_list");
        data.expectEnd("ClientHello ALPN");
        if (!list.hasRemaining())
        {
            throw TlsAlert.error(TlsAlert.DECODE_ERROR, "an empty ALPN protocol_name_list");
        }
        final byte[] ours = config.applicationProtocolBytes();
        final StringBuilder offered = new StringBuilder();
        boolean found = false;
        while (list.hasRemaining())
        {
            final byte[] name = list.vector8("ClientHello ALPN protocol name");
            if (name.length == 0)
            {
                throw TlsAlert.error(TlsAlert.DECODE_ERROR, "an empty ALPN protocol name");
            }
            found |= Arrays.equals(name, ours);
            if (offered.length() < 200)
            {
                offered.append(offered.length() == 0 ? "\"" : ", \"").append(new String(name, StandardCharsets.ISO_8859_1))
                    .append('"');
            }
        }
        if (!found)
        {
            throw TlsAlert.error(TlsAlert.NO_APPLICATION_PROTOCOL, "the client offers ALPN [" + offered + "]; the server " +
                "speaks only \"" + config.applicationProtocol() + "\"");
        }
        return config.applicationProtocol();
    }

    private CipherSuite selectSuite(final TlsReader suites) throws QuicException
    {
        final int start = suites.position();
        final CipherSuite[] ours = config.cipherSuites();
        for (int i = 0; i < ours.length; i++)
        {
            final TlsReader scan = new TlsReader(suites.array(), start, suites.remaining());
            while (scan.hasRemaining())
            {
                if (scan.u16("ClientHello.cipher_suites") == ours[i].code())
                {
                    return ours[i];
                }
            }
        }
        throw TlsAlert.error(TlsAlert.HANDSHAKE_FAILURE, "the client offers none of the cipher suites " +
            Arrays.toString(ours));
    }

    private SignatureScheme selectSignatureScheme(final TlsReader data) throws QuicException
    {
        if (data == null)
        {
            // RFC 8446 4.2.3 and 9.2: needed for certificate authentication
            throw TlsAlert.error(TlsAlert.MISSING_EXTENSION, "ClientHello without signature_algorithms");
        }
        final TlsReader list = data.sub16("ClientHello.signature_algorithms");
        data.expectEnd("ClientHello.signature_algorithms");
        if (list.remaining() < 2 || (list.remaining() & 1) != 0)
        {
            throw TlsAlert.error(TlsAlert.DECODE_ERROR, "ClientHello.signature_algorithms of " + list.remaining() + " bytes");
        }
        final SignatureScheme[] ours = config.signatureSchemes();
        for (int i = 0; i < ours.length; i++)
        {
            final TlsReader scan = new TlsReader(list.array(), list.position(), list.remaining());
            while (scan.hasRemaining())
            {
                if (scan.u16("ClientHello.signature_algorithms") == ours[i].code())
                {
                    return ours[i];
                }
            }
        }
        throw TlsAlert.error(TlsAlert.HANDSHAKE_FAILURE, "the client accepts none of the signature schemes " +
            Arrays.toString(ours) + " the server's " + config.privateKey().getAlgorithm() + " key can make");
    }

    /**
     * RFC 6066 3: one host_name, an ASCII DNS host name without a trailing dot, never an IP
     * literal. Only a name of LDH labels (RFC 1123 2.1, RFC 5890 2.3.1: letters, digits, inner
     * hyphens, 1 to 63 bytes each, at most 255 in all) is accepted; anything else is refused with
     * illegal_parameter (RFC 8446 6.2: a field incorrectly formatted) before it is stored or logged.
     * Other name types are skipped, as RFC 6066 3 lets a server do with types it does not know.
     */
    private static String readServerName(final TlsReader data) throws QuicException
    {
        final TlsReader list = data.sub16("ClientHello.server_name list");
        data.expectEnd("ClientHello.server_name");
        String host = null;
        while (list.hasRemaining())
        {
            final int type = list.u8("ClientHello.server_name type");
            final TlsReader name = list.sub16("ClientHello.server_name");
            if (type != HOST_NAME)
            {
                continue;
            }
            if (host != null)
            {
                throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "ClientHello.server_name lists two host names " +
                    "(RFC 6066 3: at most one name of a type)");
            }
            if (!name.hasRemaining())
            {
                throw TlsAlert.error(TlsAlert.DECODE_ERROR, "an empty ClientHello.server_name (RFC 6066 3: HostName<1..2^16-1>)");
            }
            final String problem = HostNames.ldhProblem(name.array(), name.position(), name.remaining());
            if (problem != null)
            {
                throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "ClientHello.server_name " +
                    HostNames.printable(name.array(), name.position(), name.remaining()) + " is not an LDH host name: " +
                    problem + " (RFC 6066 3)");
            }
            host = new String(name.array(), name.position(), name.remaining(), StandardCharsets.US_ASCII);
        }
        return host;
    }

    private static NamedGroup[] readGroups(final TlsReader data) throws QuicException
    {
        final TlsReader list = data.sub16("ClientHello.supported_groups");
        data.expectEnd("ClientHello.supported_groups");
        if (list.remaining() < 2 || (list.remaining() & 1) != 0)
        {
            throw TlsAlert.error(TlsAlert.DECODE_ERROR, "ClientHello.supported_groups of " + list.remaining() + " bytes");
        }
        final NamedGroup[] known = new NamedGroup[NamedGroup.values().length];
        int count = 0;
        while (list.hasRemaining())
        {
            final NamedGroup group = NamedGroup.of(list.u16("ClientHello.supported_groups"));
            if (group != null && !Arrays.asList(known).contains(group))
            {
                known[count++] = group;
            }
        }
        return Arrays.copyOf(known, count);
    }

    /** The client's key_exchange bytes indexed by {@link NamedGroup#ordinal()}; null where none. */
    private static byte[][] readKeyShares(final TlsReader data) throws QuicException
    {
        final TlsReader list = data.sub16("ClientHello.key_share client_shares");
        data.expectEnd("ClientHello.key_share");
        final byte[][] shares = new byte[NamedGroup.values().length][];
        final long[] seen = extensionSet();
        while (list.hasRemaining())
        {
            final int code = list.u16("ClientHello.key_share group");
            final byte[] key = list.vector16("ClientHello.key_share key_exchange");
            if (key.length == 0)
            {
                throw TlsAlert.error(TlsAlert.DECODE_ERROR, "an empty key_exchange for group 0x" + Integer.toHexString(code));
            }
            // RFC 8446 4.2.8: no two shares for one group
            if ((seen[code >>> 6] & (1L << (code & 63))) != 0)
            {
                throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "two key_share entries for group 0x" +
                    Integer.toHexString(code));
            }
            seen[code >>> 6] |= 1L << (code & 63);
            final NamedGroup group = NamedGroup.of(code);
            if (group != null)
            {
                shares[group.ordinal()] = key;
            }
        }
        return shares;
    }

    private static int countShares(final byte[][] shares)
    {
        int count = 0;
        for (final byte[] share : shares)
        {
            count += share == null ? 0 : 1;
        }
        return count;
    }

    /** RFC 8446 4.1.4: ask once for a share of {@code chosen}. */
    private void sendHelloRetryRequest(final byte[] clientHello, final CipherSuite selected, final NamedGroup chosen)
        throws QuicException
    {
        if (state == State.WAIT_SECOND_CLIENT_HELLO)
        {
            throw TlsAlert.error(TlsAlert.ILLEGAL_PARAMETER, "the second ClientHello still has no usable key_share");
        }
        retrySuite = selected;
        retryGroup = chosen;
        transcript.add(clientHello);
        transcript.replaceWithMessageHash();
        final TlsWriter out = new TlsWriter(64);
        out.u8(Tls13.SERVER_HELLO);
        final int message = out.begin(3);
        out.u16(Tls13.LEGACY_VERSION).bytes(Tls13.HELLO_RETRY_REQUEST_RANDOM).u8(0).u16(selected.code()).u8(0);
        final int extensions = out.begin(2);
        out.u16(Tls13.SUPPORTED_VERSIONS).u16(2).u16(Tls13.VERSION);
        out.u16(Tls13.KEY_SHARE).u16(2).u16(chosen.code());
        out.end(extensions);
        out.end(message);
        final byte[] retry = out.toByteArray();
        transcript.add(retry);
        state = State.WAIT_SECOND_CLIENT_HELLO;
        emitBytes(EncryptionLevel.INITIAL, retry);
    }

    private void sendServerFlight(final byte[] clientHello, final byte[] clientShare, final SignatureScheme scheme)
        throws QuicException
    {
        final KeyShare share = KeyShare.generate(group, config.random());
        final byte[] sharedSecret = share.sharedSecret(clientShare);
        transcript.add(clientHello);

        final byte[] serverHello = serverHello(share);
        transcript.add(serverHello);
        schedule.onServerHello(sharedSecret, transcript.hash());

        final TlsWriter flight = new TlsWriter(4096);
        final byte[] encryptedExtensions = encryptedExtensions();
        transcript.add(encryptedExtensions);
        flight.bytes(encryptedExtensions);
        if (config.requiresClientCertificate())
        {
            final byte[] request = certificateRequest();
            transcript.add(request);
            flight.bytes(request);
        }
        final byte[] certificate = certificateMessage(config.certificateChain());
        transcript.add(certificate);
        final byte[] certificateVerify = certificateVerifyMessage(scheme, config.privateKey(), transcript.hash(), true);
        transcript.add(certificateVerify);
        final byte[] serverFinished = finished(
            KeySchedule.finishedVerifyData(schedule.serverHandshakeTrafficSecret(), transcript.hash()));
        transcript.add(serverFinished);
        flight.bytes(certificate).bytes(certificateVerify).bytes(serverFinished);
        schedule.onServerFinished(transcript.hash());
        state = config.requiresClientCertificate() ? State.WAIT_CLIENT_CERTIFICATE : State.WAIT_FINISHED;

        emitBytes(EncryptionLevel.INITIAL, serverHello);
        emitKeys(EncryptionLevel.HANDSHAKE, schedule.clientHandshakeTrafficSecret(), schedule.serverHandshakeTrafficSecret());
        emitBytes(EncryptionLevel.HANDSHAKE, flight.toByteArray());
        emitKeys(EncryptionLevel.APPLICATION, schedule.clientApplicationTrafficSecret(),
            schedule.serverApplicationTrafficSecret());
    }

    private byte[] serverHello(final KeyShare share)
    {
        final byte[] random = new byte[Tls13.RANDOM_LENGTH];
        config.random().nextBytes(random);
        final TlsWriter out = new TlsWriter(128);
        out.u8(Tls13.SERVER_HELLO);
        final int message = out.begin(3);
        out.u16(Tls13.LEGACY_VERSION).bytes(random).u8(0).u16(suite.code()).u8(0);
        final int extensions = out.begin(2);
        out.u16(Tls13.SUPPORTED_VERSIONS).u16(2).u16(Tls13.VERSION);
        final byte[] key = share.encoded();
        out.u16(Tls13.KEY_SHARE).u16(4 + key.length).u16(group.code()).u16(key.length).bytes(key);
        out.end(extensions);
        out.end(message);
        return out.toByteArray();
    }

    private byte[] encryptedExtensions()
    {
        final TlsWriter out = new TlsWriter(256);
        out.u8(Tls13.ENCRYPTED_EXTENSIONS);
        final int message = out.begin(3);
        final int extensions = out.begin(2);
        final byte[] protocol = config.applicationProtocolBytes();
        out.u16(Tls13.ALPN).u16(3 + protocol.length).u16(1 + protocol.length).u8(protocol.length).bytes(protocol);
        final byte[] parameters = encodedLocalParameters();
        out.u16(Tls13.QUIC_TRANSPORT_PARAMETERS).u16(parameters.length).bytes(parameters);
        out.end(extensions);
        out.end(message);
        return out.toByteArray();
    }

    /**
     * RFC 8446 4.3.2: ask for the client's certificate, with an empty context, the signature
     * schemes we verify, and the names of the authorities we accept (4.2.4) while they fit.
     */
    private byte[] certificateRequest()
    {
        final TlsWriter out = new TlsWriter(512);
        out.u8(Tls13.CERTIFICATE_REQUEST);
        final int message = out.begin(3);
        out.u8(0);
        final int extensions = out.begin(2);
        writeSignatureAlgorithms(out);
        final X509Certificate[] authorities = config.clientCertificateAuthorities();
        int namesLength = 0;
        for (int i = 0; i < authorities.length; i++)
        {
            namesLength += 2 + authorities[i].getSubjectX500Principal().getEncoded().length;
        }
        // a hint only: a bundle too large for one message goes without it (the client then offers what it has)
        if (namesLength <= MAX_AUTHORITY_NAMES_LENGTH)
        {
            out.u16(Tls13.CERTIFICATE_AUTHORITIES);
            final int extension = out.begin(2);
            final int names = out.begin(2);
            for (int i = 0; i < authorities.length; i++)
            {
                final byte[] name = authorities[i].getSubjectX500Principal().getEncoded();
                out.u16(name.length).bytes(name);
            }
            out.end(names);
            out.end(extension);
        }
        out.end(extensions);
        out.end(message);
        return out.toByteArray();
    }

    /**
     * RFC 8446 4.4.2: the client's answer to our CertificateRequest. An empty one is refused with
     * certificate_required (4.4.2.4); a chain must lead to one of our client certificate
     * authorities and be fit for a TLS client. No hostname check: the client's names are reported,
     * not matched.
     */
    private void onClientCertificate(final byte[] message) throws QuicException
    {
        final X509Certificate[] chain = readCertificates(message, "client");
        if (chain.length == 0)
        {
            throw TlsAlert.error(TlsAlert.CERTIFICATE_REQUIRED, "the client presented no certificate; this server " +
                "requires one (RFC 8446 4.4.2.4)");
        }
        CertificateChecks.validatePath(chain, config.clientCertificateAuthorities(), false);
        clientChain = chain;
        peerLeaf = chain[0];
        peerSubject = CertificateChecks.subject(chain[0]);
        transcript.add(message);
        state = State.WAIT_CLIENT_CERTIFICATE_VERIFY;
    }

    private void onClientFinished(final byte[] message) throws QuicException
    {
        final TlsReader in = new TlsReader(message, 4, message.length - 4);
        final byte[] verifyData = in.bytes(in.remaining(), "Finished.verify_data");
        // RFC 8446 4.4.4: over the transcript through the client's Certificate and CertificateVerify, if any
        final byte[] expectedClientFinished =
            KeySchedule.finishedVerifyData(schedule.clientHandshakeTrafficSecret(), transcript.hash());
        if (verifyData.length != expectedClientFinished.length)
        {
            throw TlsAlert.error(TlsAlert.DECODE_ERROR, "client Finished of " + verifyData.length + " bytes, expected " +
                expectedClientFinished.length);
        }
        if (!MessageDigest.isEqual(verifyData, expectedClientFinished))
        {
            throw TlsAlert.error(TlsAlert.DECRYPT_ERROR, "the client's Finished does not match the transcript");
        }
        transcript.add(message);
        state = State.CONNECTED;
        emitComplete();
    }
}
