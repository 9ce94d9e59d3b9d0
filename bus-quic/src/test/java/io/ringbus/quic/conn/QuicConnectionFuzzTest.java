package io.ringbus.quic.conn;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.packet.LongHeader;
import io.ringbus.quic.packet.PacketProtection;
import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.packet.VarInt;
import io.ringbus.quic.packet.VersionNegotiation;
import io.ringbus.quic.tls.TransportParameters;
import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import static io.ringbus.quic.conn.TestNetwork.MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile datagrams at a fresh server connection never escape {@link QuicConnection#onDatagram} as an
 * exception, and never end in an INTERNAL_ERROR (which would mean a RuntimeException was caught inside).
 * The first input byte picks the case: bit 0 clear, the rest is a raw datagram (bit 1: forced to a
 * version 1 long header, else to a short header); bit 0 set, the rest is the frame payload of a
 * valid client Initial packet.
 */
class QuicConnectionFuzzTest
{
    /** RFC 9001 5.8: the Retry integrity key and nonce of QUIC version 1. */
    private static final byte[] RETRY_KEY_V1 = HexFormat.of().parseHex("be0c690b9f66575a1d766b54e368c84e");
    private static final byte[] RETRY_NONCE_V1 = HexFormat.of().parseHex("461599d35d632bf2239825bb");

    @FuzzTest(maxDuration = "60s")
    void datagramAtAServer(final byte[] input) throws QuicException
    {
        if (input.length == 0)
        {
            return;
        }
        final byte[] rest = Arrays.copyOfRange(input, 1, input.length);
        if ((input[0] & 1) == 0)
        {
            randomDatagramAtAFreshServer(rest, (input[0] & 2) != 0);
        }
        else if (rest.length > 0)
        {
            framesInAValidClientInitial(rest);
        }
    }

    /**
     * Hostile datagrams at a client that has sent its first Initial, so the packets only a client
     * reads are reached. The first input byte picks the case (bits 0-1): 0, the rest is a raw
     * datagram (bit 2: forced to a version 1 long header, else to a short header); 1, the rest is a
     * Retry packet (first byte and version forced) given a valid integrity tag for the client's
     * original Destination Connection ID (RFC 9001 5.8), so the fields behind the tag are read
     * (bit 2: its DCID forced to the client's id, to get past that check); 2, the rest is the frame
     * payload of a server Initial protected with the Initial keys; 3, the rest follows the version
     * of a Version Negotiation packet (bit 2: after our id as its DCID), read as the client
     * endpoint reads one. Nothing escapes as an exception, nothing ends in INTERNAL_ERROR.
     */
    @FuzzTest(maxDuration = "60s")
    void datagramAtAClient(final byte[] input) throws Exception
    {
        if (input.length == 0)
        {
            return;
        }
        final byte[] rest = Arrays.copyOfRange(input, 1, input.length);
        final boolean bit2 = (input[0] & 4) != 0;
        final TestNetwork net = new TestNetwork(9);
        net.record = true;
        final QuicConnection client = net.client.connection;
        client.flush(net.nowNs); // the first Initial goes out: the client waits for the server's
        final byte[] originalDcid = new LongHeader().parse(ByteBuffer.wrap(net.clientDatagrams.get(0)))
            .destinationConnectionId();
        final byte[] datagram;
        switch (input[0] & 3)
        {
            case 0:
                datagram = rest;
                if (datagram.length > 0)
                {
                    datagram[0] = (byte)(bit2 ? (datagram[0] | 0xC0) : ((datagram[0] & 0x7F) | 0x40));
                }
                if (datagram.length > 6 && bit2)
                {
                    ByteBuffer.wrap(datagram).putInt(1, LongHeader.VERSION_1);
                }
                break;
            case 1:
                datagram = taggedRetry(rest, originalDcid, bit2 ? client.localConnectionId() : null);
                break;
            case 2:
                datagram = serverInitial(client.localConnectionId(), net.randomBytes(8), originalDcid, rest);
                break;
            default:
                versionNegotiation(rest, client.localConnectionId(), bit2);
                return;
        }
        client.onDatagram(ByteBuffer.wrap(datagram), net.nowNs);
        client.flush(net.nowNs);
        client.onTimeout(net.nowNs + 1000 * MS);
        client.flush(net.nowNs + 1000 * MS);
        assertNoInternalError(net.client);
    }

    /** The Retry case reaches past the tag: a tagged Retry for our id is followed, one with a byte of its tag changed is not. */
    @Test
    void aTaggedRetryIsFollowedAndAChangedOneDropped() throws Exception
    {
        for (final boolean spoil : new boolean[] {false, true})
        {
            final TestNetwork net = new TestNetwork(9);
            net.record = true;
            final QuicConnection client = net.client.connection;
            client.flush(net.nowNs);
            final byte[] originalDcid = new LongHeader().parse(ByteBuffer.wrap(net.clientDatagrams.get(0)))
                .destinationConnectionId();
            final byte[] retry = taggedRetry(new byte[] {8, 1, 2, 3, 4, 5, 6, 7, 8, 't', 'o', 'k'}, originalDcid,
                client.localConnectionId());
            retry[retry.length - 1] ^= spoil ? 1 : 0;
            assertTrue(client.hasReceivedNothing());
            client.onDatagram(ByteBuffer.wrap(retry), net.nowNs);
            assertEquals(spoil, client.hasReceivedNothing(), spoil ? "a Retry failing its tag is dropped" : "followed");
        }
    }

    /** A Retry of {@code body} (the bytes after the version, DCID length first) with the tag of RFC 9001 5.8. */
    private static byte[] taggedRetry(final byte[] body, final byte[] originalDcid, final byte[] dcid) throws Exception
    {
        final ByteBuffer packet = ByteBuffer.allocate(5 + (dcid == null ? 0 : 1 + dcid.length) + body.length + 16);
        packet.put((byte)(0xF0 | (body.length > 0 ? body[0] & 0x0F : 0))).putInt(LongHeader.VERSION_1);
        if (dcid != null)
        {
            packet.put((byte)dcid.length).put(dcid);
        }
        packet.put(body);
        final int withoutTag = packet.position();
        final Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(RETRY_KEY_V1, "AES"), new GCMParameterSpec(128, RETRY_NONCE_V1));
        cipher.updateAAD(new byte[] {(byte)originalDcid.length});
        cipher.updateAAD(originalDcid);
        cipher.updateAAD(packet.array(), 0, withoutTag);
        packet.put(cipher.doFinal());
        return packet.array();
    }

    /** A server Initial to {@code dcid} from {@code scid} with {@code payload}, under the Initial keys of {@code originalDcid}. */
    private static byte[] serverInitial(final byte[] dcid, final byte[] scid, final byte[] originalDcid,
        final byte[] payload) throws QuicException
    {
        final byte[] padded = payload.length < 4 ? Arrays.copyOf(payload, 4) : payload;
        final int headerLength = 1 + 4 + 1 + dcid.length + 1 + scid.length + 1 + 2;
        final ByteBuffer out = ByteBuffer.allocate(headerLength + 4 + padded.length + CipherSuite.TAG_LENGTH);
        out.put((byte)(0xC0 | 3)).putInt(LongHeader.VERSION_1);
        out.put((byte)dcid.length).put(dcid).put((byte)scid.length).put(scid).put((byte)0);
        VarInt.write(out, 4 + padded.length + CipherSuite.TAG_LENGTH, 2);
        final int pnOffset = out.position();
        out.putInt(0).put(padded);
        final byte[] packet = out.array();
        PacketProtection.initial(originalDcid, false).protect(packet, 0, pnOffset, 4, 0, padded.length);
        return packet;
    }

    /**
     * A Version Negotiation packet (RFC 9000 17.2.1) of {@code body} after its version (after our
     * id as its DCID if {@code ours}), read as {@code QuicClientEndpoint} reads one; what it decides
     * is checked against the packet's layout read here.
     */
    private static void versionNegotiation(final byte[] body, final byte[] ourCid, final boolean ours)
    {
        final ByteBuffer packet = ByteBuffer.allocate(5 + (ours ? 1 + ourCid.length : 0) + body.length);
        packet.put((byte)(0x80 | (body.length > 0 ? body[0] & 0x7F : 0))).putInt(VersionNegotiation.VERSION_NEGOTIATION);
        if (ours)
        {
            packet.put((byte)ourCid.length).put(ourCid);
        }
        packet.put(body).flip();
        if (packet.remaining() < 7)
        {
            assertFalse(VersionNegotiation.isVersionNegotiation(packet), "too short for a Version Negotiation");
            return;
        }
        assertTrue(VersionNegotiation.isVersionNegotiation(packet));
        final int lists = VersionNegotiation.lists(packet, ourCid, LongHeader.VERSION_1);
        assertEquals(0, packet.position(), "reading leaves the datagram as it was");
        final byte[] bytes = packet.array();
        int expected = -1;
        final int dcidLength = bytes.length > 5 ? bytes[5] & 0xFF : -1;
        if (dcidLength == ourCid.length && bytes.length > 6 + dcidLength &&
            Arrays.equals(bytes, 6, 6 + dcidLength, ourCid, 0, ourCid.length))
        {
            final int versionsAt = 6 + dcidLength + 1 + (bytes[6 + dcidLength] & 0xFF);
            final int versionsLength = bytes.length - versionsAt;
            if (versionsLength > 0 && versionsLength % 4 == 0)
            {
                expected = 0;
                for (int at = versionsAt; at < bytes.length; at += 4)
                {
                    expected |= packet.getInt(at) == LongHeader.VERSION_1 ? 1 : 0;
                }
            }
        }
        assertEquals(expected, lists, "Version Negotiation read as " + lists);
    }

    /** Random datagrams of up to 1500 bytes, as the former property sent them. */
    @Test
    void randomDatagramsAtAFreshServer()
    {
        final Random random = new Random(7);
        for (int i = 0; i < 300; i++)
        {
            final byte[] datagram = new byte[random.nextInt(1501)];
            random.nextBytes(datagram);
            randomDatagramAtAFreshServer(datagram, random.nextBoolean());
        }
    }

    /** Random frame payloads of 1 to 1100 bytes in a valid client Initial, as the former property sent them. */
    @Test
    void randomFramesInAValidClientInitial() throws QuicException
    {
        final Random random = new Random(8);
        for (int i = 0; i < 300; i++)
        {
            final byte[] payload = new byte[1 + random.nextInt(1100)];
            random.nextBytes(payload);
            framesInAValidClientInitial(payload);
        }
    }

    private static void randomDatagramAtAFreshServer(final byte[] bytes, final boolean longHeader)
    {
        final TestNetwork net = new TestNetwork(7);
        if (bytes.length > 0)
        {
            bytes[0] = (byte)(longHeader ? (bytes[0] | 0xC0) : ((bytes[0] & 0x7F) | 0x40));
        }
        if (bytes.length > 6 && longHeader)
        {
            bytes[1] = 0;
            bytes[2] = 0;
            bytes[3] = 0;
            bytes[4] = 1; // version 1, to reach the header parser and the keys
        }
        net.inject(true, bytes);
        net.server.connection.flush(net.nowNs);
        net.server.connection.onTimeout(net.nowNs + 1000 * MS);
        assertNoInternalError(net.server);
    }

    private static void framesInAValidClientInitial(final byte[] payload) throws QuicException
    {
        final TestNetwork net = new TestNetwork(8);
        final byte[] dcid = net.randomBytes(8);
        final byte[] scid = net.randomBytes(8);
        final TestPeer peer = new TestPeer("server", new TransportParameters());
        peer.connection = QuicConnection.server(QuicConnectionConfig.DEFAULT, net.randomBytes(8), dcid, scid, peer.params,
            listener -> new FakeTls(false, listener, peer.params, 100), datagram -> { }, peer);
        peer.connection.onDatagram(ByteBuffer.wrap(Packets.clientInitial(dcid, scid, 0, payload, 1200)), 0);
        peer.connection.flush(0);
        assertNoInternalError(peer);
    }

    static void assertNoInternalError(final TestPeer peer)
    {
        // a random payload may be a CONNECTION_CLOSE carrying INTERNAL_ERROR: that is the peer's word, not ours
        if (!peer.closedByPeer)
        {
            assertNotEquals(QuicException.INTERNAL_ERROR, peer.closeCode, peer::toString);
        }
    }
}
