package io.ringbus.quic.conn;

import io.ringbus.quic.packet.CipherSuite;
import io.ringbus.quic.packet.Hkdf;
import io.ringbus.quic.packet.PacketProtection;
import io.ringbus.quic.packet.QuicException;

/**
 * The 1-RTT key phases of one connection (RFC 9001 6) and the AEAD limits (6.6): the application
 * secrets, the next read keys (derived as soon as the current ones are installed, 6.3), the
 * previous read keys (for packets of the old phase still in flight, dropped three PTOs after the
 * update, 6.5), the phase bit of each direction, the packets protected with the current write keys
 * (a key update is initiated before the confidentiality limit, 6.1) and the packets that failed
 * authentication (the connection closes at the integrity limit). It replaces the keys of the
 * application {@link PacketSpace}. Connection thread only: {@link PacketOpener} asks which keys
 * open a 1-RTT packet, {@link PacketAssembler} writes the phase bit and counts what it protects,
 * {@link QuicConnection} hands in the secrets and asks before each datagram whether to update.
 */
final class KeyPhases
{
    /** RFC 9000 20.1: AEAD_LIMIT_REACHED (the transport error codes live here until QuicException has it). */
    static final long AEAD_LIMIT_REACHED = 0x0f;
    /** RFC 9001 6.6: packets protected with one AES-128-GCM key at most. */
    static final long AES_GCM_CONFIDENTIALITY_LIMIT = 1L << 23;
    /** RFC 9001 6.6: forgeries tolerated across all keys with AES-128-GCM. */
    static final long AES_GCM_INTEGRITY_LIMIT = 1L << 52;
    /** RFC 9001 6.6: forgeries tolerated across all keys with ChaCha20-Poly1305 (its confidentiality limit exceeds 2^62). */
    static final long CHACHA20_INTEGRITY_LIMIT = 1L << 36;
    /** Packets kept back below the confidentiality limit for the CONNECTION_CLOSE of a connection that cannot update. */
    private static final long CLOSE_RESERVE = 16;
    private static final byte[] NO_CONTEXT = new byte[0];

    private final PacketSpace space;
    private final QuicConnectionStats stats;
    private final LossDetector recovery;
    private final long configuredConfidentialityLimit;
    private final long configuredIntegrityLimit;
    private long confidentialityLimit = AES_GCM_CONFIDENTIALITY_LIMIT;
    private long integrityLimit;
    private byte[] readSecret;
    private byte[] writeSecret;
    private byte[] nextReadSecret;
    private PacketProtection nextRead;
    private PacketProtection previousRead;
    private long previousReadDeadlineNs = Long.MAX_VALUE;
    private int readPhase;
    private int writePhase;
    private long phaseStartPacketNumber;
    private long writePackets;
    private long writePhaseStartPacketNumber;

    KeyPhases(final PacketSpace applicationSpace, final QuicConnectionStats stats, final LossDetector recovery,
        final QuicConnectionConfig config)
    {
        this.space = applicationSpace;
        this.stats = stats;
        this.recovery = recovery;
        this.configuredConfidentialityLimit = config.confidentialityLimitPackets();
        this.configuredIntegrityLimit = config.integrityLimitPackets();
        // until the suite is known the Initial keys are AES-128-GCM (RFC 9001 5.2)
        this.integrityLimit = configuredIntegrityLimit > 0 ? configuredIntegrityLimit : AES_GCM_INTEGRITY_LIMIT;
    }

    /** The TLS engine's application secrets (the space's first keys were made from them): the limits of their AEAD. */
    void onSecrets(final byte[] readSecret, final byte[] writeSecret)
    {
        this.readSecret = readSecret.clone();
        this.writeSecret = writeSecret.clone();
        final boolean chacha = space.write.suite() == CipherSuite.CHACHA20_POLY1305_SHA256;
        confidentialityLimit = configuredConfidentialityLimit > 0 ? configuredConfidentialityLimit :
            chacha ? Long.MAX_VALUE : AES_GCM_CONFIDENTIALITY_LIMIT;
        integrityLimit = configuredIntegrityLimit > 0 ? configuredIntegrityLimit :
            chacha ? CHACHA20_INTEGRITY_LIMIT : AES_GCM_INTEGRITY_LIMIT;
        deriveNextRead();
    }

    /**
     * RFC 9001 6.3: the next read keys exist before a packet needs them, so that opening the first
     * packet of a new phase takes no longer than any other (no timing side channel).
     */
    private void deriveNextRead()
    {
        nextReadSecret = Hkdf.expandLabel(readSecret, "quic ku", NO_CONTEXT, Hkdf.HASH_LENGTH);
        nextRead = space.read.withPacketKeys(nextReadSecret);
    }

    /** The key phase bit of the 1-RTT packets we receive. */
    int readPhase()
    {
        return readPhase;
    }

    /** The key phase bit of the 1-RTT packets we send. */
    int writePhase()
    {
        return writePhase;
    }

    /** True once the keys of the next read phase are derived. */
    boolean hasNextReadKeys()
    {
        return nextRead != null;
    }

    /** When the previous read keys go (3 PTO after the update), Long.MAX_VALUE if there are none. */
    long previousReadDeadlineNs()
    {
        return previousReadDeadlineNs;
    }

    /** RFC 9001 6.5: drop the previous read keys once their three PTOs are over. */
    void expire(final long nowNs)
    {
        if (nowNs >= previousReadDeadlineNs)
        {
            previousRead = null;
            previousReadDeadlineNs = Long.MAX_VALUE;
        }
    }

    /**
     * The keys for a 1-RTT packet of key phase bit {@code phase}: the current ones, the previous
     * ones for an older packet of the old phase, else the next ones (a key update, applied by
     * {@link #applyUpdate} once the packet opened and is no duplicate).
     */
    PacketProtection readKeys(final int phase, final long packetNumber)
    {
        if (phase == readPhase)
        {
            return space.read;
        }
        if (previousRead != null && packetNumber < phaseStartPacketNumber)
        {
            return previousRead;
        }
        return nextRead;
    }

    /**
     * The keys to try when those of {@link #readKeys} failed: for a packet of the other phase above
     * the first packet of the current phase, the previous keys. If they open it, the peer used old
     * keys after new ones: KEY_UPDATE_ERROR (RFC 9001 6.4). Null if there is nothing to try.
     */
    PacketProtection olderKeys(final int phase, final long packetNumber)
    {
        return phase != readPhase && previousRead != null && packetNumber > phaseStartPacketNumber ? previousRead :
            null;
    }

    /** True if {@code keys}, from {@link #readKeys}, are those of the next phase. */
    boolean isUpdate(final PacketProtection keys)
    {
        return keys == nextRead;
    }

    /**
     * The peer's first packet of the next phase, {@code packetNumber}, opened at {@code nowNs}:
     * switch to it, keep the previous read keys for {@code 3 * ptoNs}, derive the next ones.
     */
    void applyUpdate(final long packetNumber, final long nowNs, final long ptoNs)
    {
        previousRead = space.read;
        previousReadDeadlineNs = nowNs + 3 * ptoNs;
        space.read = nextRead;
        readSecret = nextReadSecret;
        deriveNextRead();
        readPhase ^= 1;
        phaseStartPacketNumber = packetNumber;
        stats.keyUpdates++;
        if (writePhase != readPhase)
        {
            // RFC 9001 6.2: the peer initiated: update our write keys before acknowledging
            updateWriteKeys();
        }
    }

    /** True if no update we initiated waits for the peer to follow. */
    boolean isSettled()
    {
        return writePhase == readPhase;
    }

    /** A 1-RTT packet was protected with the current write keys. */
    void onPacketProtected()
    {
        writePackets++;
    }

    /** Packets protected with the current write keys so far. */
    long writePackets()
    {
        return writePackets;
    }

    /** True if the write keys were used up to their confidentiality limit: nothing more may be sent with them. */
    boolean writeKeysExhausted()
    {
        return writePackets >= confidentialityLimit;
    }

    /**
     * Before a datagram is built on a connection whose handshake is {@code confirmed}: past three
     * quarters of the confidentiality limit, initiate a key update if one may be (RFC 9001 6.1,
     * 6.6); past seven eighths without waiting for the previous read keys to go (6.5 is a SHOULD,
     * the limit a MUST); if none may be and the limit is near, the connection must close.
     *
     * @return true if a key update was initiated.
     * @throws QuicException AEAD_LIMIT_REACHED when the keys are about to be used up and cannot be updated.
     */
    boolean beforeSend(final boolean confirmed) throws QuicException
    {
        if (writePackets < confidentialityLimit - confidentialityLimit / 4)
        {
            return false;
        }
        final boolean urgent = writePackets >= confidentialityLimit - confidentialityLimit / 8;
        if (mayInitiate(confirmed) && (urgent || previousRead == null))
        {
            initiateUpdate();
            return true;
        }
        if (writePackets >= confidentialityLimit - Math.min(CLOSE_RESERVE, confidentialityLimit / 8))
        {
            throw new QuicException(AEAD_LIMIT_REACHED, writePackets + " packets protected with one key, the limit " +
                "is " + confidentialityLimit + ", and no key update may start: " + (!confirmed ?
                "the handshake is not confirmed" : !isSettled() ? "the peer has not followed the previous one" :
                "no packet of the current phase was acknowledged") + " (RFC 9001 6.1, 6.6)");
        }
        return false;
    }

    /**
     * RFC 9001 6.1: not before the handshake is confirmed, nor before the peer followed our last
     * update and acknowledged a packet of the current phase. (6.5 also asks to wait until the
     * previous read keys are gone, three PTOs after the last update, so that the peer can still
     * open our old packets; {@link #beforeSend} does, unless the limit is close.)
     */
    boolean mayInitiate(final boolean confirmed)
    {
        return confirmed && isSettled() &&
            recovery.largestAcked(LossDetector.APPLICATION) >= writePhaseStartPacketNumber;
    }

    /** Initiate a key update (RFC 9001 6.1): the next write phase; the peer follows. */
    void initiateUpdate()
    {
        updateWriteKeys();
        stats.keyUpdatesInitiated++;
    }

    private void updateWriteKeys()
    {
        writeSecret = Hkdf.expandLabel(writeSecret, "quic ku", NO_CONTEXT, Hkdf.HASH_LENGTH);
        space.write = space.write.withPacketKeys(writeSecret);
        writePhase ^= 1;
        writePackets = 0;
        writePhaseStartPacketNumber = space.nextPacketNumber;
    }

    /**
     * A received packet failed authentication (RFC 9001 6.6: counted across all keys).
     *
     * @throws QuicException AEAD_LIMIT_REACHED at the integrity limit.
     */
    void onAuthenticationFailure() throws QuicException
    {
        stats.authenticationFailures++;
        if (stats.authenticationFailures >= integrityLimit)
        {
            throw new QuicException(AEAD_LIMIT_REACHED, stats.authenticationFailures +
                " packets failed authentication, the integrity limit is " + integrityLimit + " (RFC 9001 6.6)");
        }
    }
}
