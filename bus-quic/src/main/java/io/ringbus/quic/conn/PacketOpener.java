package io.ringbus.quic.conn;

import io.ringbus.quic.frame.FrameReader;
import io.ringbus.quic.packet.LongHeader;
import io.ringbus.quic.packet.PacketProtection;
import io.ringbus.quic.packet.QuicException;
import io.ringbus.quic.tls.TransportParameters;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The inbound path of one connection: splits a datagram into its coalesced packets (RFC 9000
 * 12.2), checks their headers and connection IDs, removes header protection and decrypts with the
 * keys of their space (RFC 9001 5) and key phase ({@link KeyPhases}), decodes the packet number,
 * drops duplicates, and has the {@link FrameReader} hand the frames to the {@link FrameDispatcher}.
 * Packets that do not open are dropped and counted. Connection thread only, from
 * {@link QuicConnection#onDatagram}; the datagram is copied into its own receive buffer.
 */
final class PacketOpener
{
    private static final int INITIAL = LossDetector.INITIAL;
    private static final int HANDSHAKE = LossDetector.HANDSHAKE;
    private static final int APPLICATION = LossDetector.APPLICATION;
    private static final int MAX_DATAGRAM = QuicConnectionConfig.MAX_DATAGRAM_SIZE;
    /** RFC 9002 6.2.3: early retransmissions of handshake data per connection. */
    private static final int MAX_SPEED_UPS = 8;
    private static final long NANOS_PER_MS = 1_000_000L;

    private final QuicConnection connection;
    private final boolean client;
    private final byte[] localCid;
    private final byte[] originalDcid;
    private final TransportParameters localParams;
    private final PacketSpace[] spaces;
    private final QuicConnectionStats stats;
    private final LossDetector recovery;
    private final KeyPhases keyPhases;
    private final PeerConnectionIds peerCids;
    private final AmplificationLimit amplification;
    private final IdleTimer idle;
    private final FrameDispatcher dispatcher;
    private final FrameReader reader = new FrameReader();
    private final LongHeader longHeader = new LongHeader();
    private final byte[] rx;
    private final ByteBuffer rxBuffer;
    /** A packet of the current datagram opened: the datagram counts for the amplification limit. */
    private boolean datagramCounted;
    private int datagramLength;
    private int speedUps;

    PacketOpener(final QuicConnection connection, final byte[] localCid, final byte[] originalDcid,
        final TransportParameters localParams, final PacketSpace[] spaces, final QuicConnectionStats stats,
        final LossDetector recovery, final KeyPhases keyPhases, final PeerConnectionIds peerCids,
        final AmplificationLimit amplification, final IdleTimer idle, final FrameDispatcher dispatcher)
    {
        this.connection = connection;
        this.client = connection.isClient();
        this.localCid = localCid;
        this.originalDcid = originalDcid;
        this.localParams = localParams;
        this.spaces = spaces;
        this.stats = stats;
        this.recovery = recovery;
        this.keyPhases = keyPhases;
        this.peerCids = peerCids;
        this.amplification = amplification;
        this.idle = idle;
        this.dispatcher = dispatcher;
        final int rxSize = (int)Math.max(MAX_DATAGRAM, Math.min(localParams.maxUdpPayloadSize, 65527));
        this.rx = new byte[rxSize];
        this.rxBuffer = ByteBuffer.wrap(rx);
    }

    /** The largest datagram that can be opened; a larger one is dropped. */
    int capacity()
    {
        return rx.length;
    }

    /** Open and process the packets of {@code datagram} (position to limit, at most {@link #capacity()}). */
    void onDatagram(final ByteBuffer datagram, final long nowNs) throws QuicException
    {
        final int length = datagram.remaining();
        datagram.get(datagram.position(), rx, 0, length);
        datagramCounted = false;
        datagramLength = length;
        int offset = 0;
        while (offset < length && connection.isOpen())
        {
            final int next = processPacket(offset, length, nowNs);
            if (next < 0)
            {
                break;
            }
            offset = next;
        }
        if (datagramCounted)
        {
            recovery.updateTimer(nowNs);
        }
    }

    /** @return the offset after the packet, or -1 to drop the rest of the datagram. */
    private int processPacket(final int start, final int datagramLength, final long nowNs) throws QuicException
    {
        if ((rx[start] & 0x80) != 0)
        {
            return processLongPacket(start, datagramLength, nowNs);
        }
        processShortPacket(start, datagramLength, nowNs);
        return -1;
    }

    private int processLongPacket(final int start, final int datagramLength, final long nowNs) throws QuicException
    {
        if (datagramLength - start < 7)
        {
            return drop(-1);
        }
        final int version = (rx[start + 1] & 0xFF) << 24 | (rx[start + 2] & 0xFF) << 16 | (rx[start + 3] & 0xFF) << 8 |
            (rx[start + 4] & 0xFF);
        final int typeBits = (rx[start] & 0x30) >>> 4;
        if (version != LongHeader.VERSION_1 || typeBits == 3)
        {
            return drop(-1); // no version negotiation; a client ignores Retry
        }
        rxBuffer.limit(datagramLength).position(start);
        try
        {
            longHeader.parse(rxBuffer);
        }
        catch (final QuicException ex)
        {
            return drop(-1);
        }
        final int end = longHeader.packetEnd();
        if (longHeader.type() == LongHeader.Type.ZERO_RTT)
        {
            return drop(end);
        }
        final int spaceIndex = longHeader.type() == LongHeader.Type.INITIAL ? INITIAL : HANDSHAKE;
        if (!client && spaceIndex == INITIAL && datagramLength < MAX_DATAGRAM)
        {
            return drop(end); // RFC 9000 14.1
        }
        if (!destinationMatches(start + 6, longHeader.destinationConnectionIdLength(), spaceIndex))
        {
            return drop(end);
        }
        final int scidOffset = start + 7 + longHeader.destinationConnectionIdLength();
        final int scidLength = rx[scidOffset - 1] & 0xFF;
        final byte[] peerScid = peerCids.handshakeCid();
        if (peerScid != null && !Arrays.equals(rx, scidOffset, scidOffset + scidLength, peerScid, 0, peerScid.length))
        {
            return drop(end);
        }
        final PacketSpace space = spaces[spaceIndex];
        if (space.read == null || (peerScid == null && spaceIndex != INITIAL))
        {
            if (client && spaceIndex == HANDSHAKE && !space.discarded && speedUps < MAX_SPEED_UPS)
            {
                // RFC 9002 6.2.3: Handshake before the keys: the server's Initial was lost; probe at once
                speedUps++;
                spaces[INITIAL].probes = 1;
            }
            return drop(end);
        }
        final PacketProtection keys = space.read;
        try
        {
            if (!keys.unprotect(rx, start, longHeader.packetNumberOffset(), end, space.largestReceived))
            {
                keyPhases.onAuthenticationFailure();
                return drop(end);
            }
        }
        catch (final QuicException ex)
        {
            return drop(end);
        }
        final long packetNumber = keys.packetNumber();
        if ((rx[start] & 0x0C) != 0)
        {
            throw new QuicException(QuicException.PROTOCOL_VIOLATION, "long header reserved bits are not 0 (17.2)");
        }
        if (space.isDuplicate(packetNumber))
        {
            return drop(end);
        }
        if (peerScid == null)
        {
            // RFC 9000 7.2: the client switches to the server's connection ID
            peerCids.onServerHandshakeCid(Arrays.copyOfRange(rx, scidOffset, scidOffset + scidLength));
        }
        final boolean ackEliciting = processFrames(space, keys.payloadOffset(), keys.payloadLength(), packetNumber, nowNs);
        if (!client && spaceIndex == INITIAL && ackEliciting && connection.isOpen())
        {
            resendHandshakeData();
        }
        if (!client && spaceIndex == HANDSHAKE && connection.isOpen())
        {
            // RFC 9000 8.1: a Handshake packet validates the client's address; RFC 9001 4.9.1
            amplification.validate();
            connection.discardSpace(INITIAL, nowNs);
        }
        return end;
    }

    private boolean destinationMatches(final int offset, final int length, final int spaceIndex)
    {
        if (Arrays.equals(rx, offset, offset + length, localCid, 0, localCid.length))
        {
            return true;
        }
        // a server accepts the client's chosen DCID until the client switches (RFC 9000 7.2)
        return !client && spaceIndex == INITIAL && Arrays.equals(rx, offset, offset + length, originalDcid, 0,
            originalDcid.length);
    }

    private void processShortPacket(final int start, final int end, final long nowNs) throws QuicException
    {
        final PacketSpace space = spaces[APPLICATION];
        final int pnOffset = start + 1 + localCid.length;
        if ((rx[start] & 0x40) == 0 || end - pnOffset < 20 ||
            !Arrays.equals(rx, start + 1, pnOffset, localCid, 0, localCid.length))
        {
            drop(-1);
            return;
        }
        if (space.read == null || !connection.isHandshakeComplete())
        {
            drop(-1); // RFC 9001 5.7: a server processes no 1-RTT packet before the handshake completes
            return;
        }
        final long packetNumber;
        try
        {
            packetNumber = space.read.removeHeaderProtection(rx, start, pnOffset, end, space.largestReceived);
        }
        catch (final QuicException ex)
        {
            drop(-1);
            return;
        }
        final int payloadOffset = pnOffset + space.read.packetNumberLength();
        final int phase = (rx[start] & 0x04) >>> 2;
        keyPhases.expire(nowNs);
        final PacketProtection keys = keyPhases.readKeys(phase, packetNumber);
        final int payloadLength = keys.openPayload(rx, start, payloadOffset, end, packetNumber);
        if (payloadLength < 0)
        {
            final PacketProtection older = keyPhases.olderKeys(phase, packetNumber);
            if (older != null && older.openPayload(rx, start, payloadOffset, end, packetNumber) >= 0)
            {
                throw new QuicException(QuicException.KEY_UPDATE_ERROR, "packet " + packetNumber +
                    " protected with the old keys after a packet of the new key phase with a lower number " +
                    "(RFC 9001 6.4)");
            }
            keyPhases.onAuthenticationFailure();
            drop(-1);
            return;
        }
        if ((rx[start] & 0x18) != 0)
        {
            throw new QuicException(QuicException.PROTOCOL_VIOLATION, "short header reserved bits are not 0 (17.3.1)");
        }
        if (space.isDuplicate(packetNumber))
        {
            drop(-1);
            return;
        }
        if (keyPhases.isUpdate(keys))
        {
            keyPhases.applyUpdate(packetNumber, nowNs, recovery.ptoNs());
        }
        processFrames(space, payloadOffset, payloadLength, packetNumber, nowNs);
    }

    /**
     * RFC 9002 6.2.3: an ack-eliciting client Initial while our handshake data is unacknowledged
     * means the client is still waiting for it: send it again now rather than at the PTO, a few
     * times per connection (the amplification limit still applies).
     */
    private void resendHandshakeData()
    {
        if (speedUps >= MAX_SPEED_UPS)
        {
            return;
        }
        boolean resent = false;
        for (int index = INITIAL; index <= HANDSHAKE; index++)
        {
            final SendBuffer crypto = spaces[index].cryptoTx;
            if (crypto != null && crypto.hasUnacked())
            {
                crypto.requeueUnacked();
                resent = true;
            }
        }
        if (resent)
        {
            speedUps++;
        }
    }

    private int drop(final int result)
    {
        stats.packetsDropped++;
        return result;
    }

    private boolean processFrames(final PacketSpace space, final int payloadOffset, final int payloadLength,
        final long packetNumber, final long nowNs) throws QuicException
    {
        rxBuffer.limit(payloadOffset + payloadLength).position(payloadOffset);
        dispatcher.beginPacket(space.index, nowNs);
        if (!datagramCounted)
        {
            // RFC 9000 8.1: a datagram counts for the amplification limit once a packet in it opened
            datagramCounted = true;
            amplification.onReceived(datagramLength);
        }
        stats.packetsReceived++;
        final boolean ackEliciting;
        try
        {
            ackEliciting = reader.read(rxBuffer, space.kind, !client, dispatcher);
        }
        catch (final FrameDispatcher.AckOfUnsentPacket ex)
        {
            throw new QuicException(QuicException.PROTOCOL_VIOLATION, ex.getMessage());
        }
        if (!space.discarded)
        {
            space.onReceived(packetNumber, ackEliciting, nowNs,
                space.index == APPLICATION ? localParams.maxAckDelayMs * NANOS_PER_MS : 0);
        }
        idle.onPacketReceived(nowNs);
        return ackEliciting;
    }
}
